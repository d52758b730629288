//! What goes into the flow: the time of the input and what happened.

use certpoint_protocol::{
    Action, Channel, ExclusionReason, IdSource, Quality, ReferenceSource, ScreenFlash,
};
use chrono::{DateTime, FixedOffset, NaiveDate};

use super::effect::Ineligibility;
use crate::id_number::IdNumber;

/// The time of an input, from both clocks.
///
/// Deadlines use `mono_ms` because the wall clock may be stepped by NTP or by a clerk
/// fixing the date mid-session; records and the age check use `wall` because that is
/// what an auditor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Milliseconds on a monotonic clock with an arbitrary origin.
    pub mono_ms: u64,
    pub wall: DateTime<FixedOffset>,
}

/// One input to [`step`](fn@super::step): an event and when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub now: Now,
    pub event: Event,
}

/// Everything the flow reacts to. The runner produces these from the wedge scanner, the
/// clerk's keys and touches, the analysis thread, the server and a periodic timer.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The clerk scanned or typed a valid ID number. `seed` is drawn by the runner from
    /// the OS RNG; it fixes every challenge order of the session, so a replay with the
    /// same seed asks the same actions. `source` (scanner or typed, the wedge parser's
    /// verdict) goes into every record of the session.
    IdScanned {
        id: IdNumber,
        seed: u64,
        source: IdSource,
    },
    /// The ID card reader read a card while the kiosk was listening: starts a session
    /// exactly like a scan (source `card_reader`), plus what the card says for the
    /// clerk. A chip photo, if decoded, stays with the runner: the flow only learns
    /// whether there is one.
    CardRead {
        id: IdNumber,
        seed: u64,
        card: CardFacts,
    },
    /// The clerk checks the person by the physical ID card instead of the camera: the
    /// person cannot perform the challenges. A running attempt is stored `abandoned`
    /// (`manual_check`); the session then waits for the clerk's manual pass (PIN).
    ManualCheck,
    /// The clerk's per-person exclusions (the whole set each time; empty clears them).
    /// Taken before the challenges are drawn, i.e. while looking up, positioning or on
    /// a fail screen; they apply to every later attempt of the session.
    Exclude(Vec<ExclusionReason>),
    /// The runner holds a usable reference for the person (its embedding is ready).
    ReferenceFound {
        version: String,
        source: ReferenceSource,
    },
    /// The server knows no reference photo: a live attempt ends `pending_match`
    /// (`no_reference`) and the agency matches the stored crop if one is enrolled later.
    ReferenceNotFound,
    /// A reference arrived but cannot be used (no single face in the photo).
    ReferenceUnusable(String),
    /// The server could not be asked (offline, 5xx, TLS, timeout) and no cached
    /// reference was at hand; continue offline.
    ServerUnavailable,
    /// The person is already certified for the current period (when and how, if the
    /// server said).
    AlreadyCertified {
        at: Option<DateTime<FixedOffset>>,
        channel: Option<Channel>,
    },
    /// The server says the person may not certify at a kiosk (deceased, suspended, not
    /// on the roster).
    NotEligible(Ineligibility),
    /// The runner's result of the screen flash it was asked to run.
    FlashMeasured(ScreenFlash),
    /// One analysed camera frame.
    Frame(FrameObservation),
    /// The runner compared the best frame with the reference, which came from `source`.
    MatchScored {
        score: f32,
        reference_version: String,
        source: ReferenceSource,
    },
    /// The runner has no reference to compare with; the flow knows why (the
    /// session's [`ReferenceStatus`](super::ReferenceStatus)).
    MatchNoReference,
    /// The comparison could not run (model error, reference photo undecodable…).
    MatchError(String),
    /// The retiree touched "try again", or the clerk pressed retry, on a fail screen.
    Retry,
    /// The clerk checked the physical ID card and vouches for the person. The runner has
    /// already verified the clerk's PIN; the flow only insists both fields are filled.
    ManualPass { clerk_id: String, reason: String },
    /// The clerk aborts whatever is going on and returns the kiosk to the attract screen.
    ClerkCancel,
    /// The camera stopped delivering frames.
    CameraLost,
    /// The camera delivers frames again.
    CameraRestored,
    /// Periodic timer so deadlines fire even when no frames arrive.
    Tick,
}

/// What a card read tells the clerk (the number is in the event itself).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardFacts {
    /// The card's validity ended on this day, before today: the clerk must look.
    pub expired_on: Option<NaiveDate>,
    /// The card gives the holder's nation as Mongolian (code 02): prompts in Mongolian
    /// would suit them (offered once that catalogue exists).
    pub mongolian: bool,
    /// What became of the chip photo.
    pub chip_photo: ChipPhoto,
}

/// The chip photo of a card read, as far as the flow needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ChipPhoto {
    /// No decoder configured: the photo is not used.
    #[default]
    NotConfigured,
    /// Decoded; the runner holds it as this session's `id_card_chip` reference.
    Decoded,
    /// The decoder failed (the text says why): the session falls back to the server's
    /// or the cache's reference.
    Failed(String),
}

/// What the analysis thread saw in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameObservation {
    /// Number of faces detected.
    pub faces: usize,
    /// How the (single) face is placed; the most important problem when several apply.
    pub placement: Placement,
    /// Passive anti-spoofing score of this frame, higher is more likely live.
    pub passive_liveness: Option<f32>,
    pub quality: Option<Quality>,
    /// Actions the liveness detectors saw finish in this frame.
    pub completed: Vec<Action>,
    /// The 3-D check's figure over the attempt so far (the runner measures during head
    /// turns; `None` until a turned frame was measured).
    pub depth: Option<DepthFigure>,
}

/// What the 3-D check measured over an attempt's head turns so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthFigure {
    /// Median nose-tip parallax over the turned frames, in face widths.
    pub residual: f32,
    /// Largest yaw change from the frontal frame, degrees (pose proxy).
    pub yaw_span_deg: f32,
    /// Turned frames measured.
    pub frames: u32,
}

impl FrameObservation {
    /// A frame showing one well-placed face and nothing else; the base for tests and
    /// replays, tweaked with struct update syntax.
    pub fn good(passive_liveness: f32) -> FrameObservation {
        FrameObservation {
            faces: 1,
            placement: Placement::Good,
            passive_liveness: Some(passive_liveness),
            quality: None,
            completed: Vec::new(),
            depth: None,
        }
    }

    /// The placement the flow acts on. The face count wins over the placement label, so
    /// a detector that reports `Good` alongside two faces cannot start the challenges.
    pub fn effective_placement(&self) -> Placement {
        match self.faces {
            0 => Placement::NoFace,
            1 => self.placement,
            _ => Placement::MultipleFaces,
        }
    }
}

/// Where the face is relative to what the kiosk needs; each non-`Good` value has its own
/// spoken hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placement {
    Good,
    NoFace,
    MultipleFaces,
    TooFar,
    TooClose,
    OffCenter,
    TooDark,
    TooBright,
    Blurry,
    NotFrontal,
}

impl Placement {
    pub const ALL: [Placement; 10] = [
        Placement::Good,
        Placement::NoFace,
        Placement::MultipleFaces,
        Placement::TooFar,
        Placement::TooClose,
        Placement::OffCenter,
        Placement::TooDark,
        Placement::TooBright,
        Placement::Blurry,
        Placement::NotFrontal,
    ];

    /// Stable snake_case key for message catalogues and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Good => "good",
            Placement::NoFace => "no_face",
            Placement::MultipleFaces => "multiple_faces",
            Placement::TooFar => "too_far",
            Placement::TooClose => "too_close",
            Placement::OffCenter => "off_center",
            Placement::TooDark => "too_dark",
            Placement::TooBright => "too_bright",
            Placement::Blurry => "blurry",
            Placement::NotFrontal => "not_frontal",
        }
    }
}

//! What comes out of the flow: requests to the runner, prompts, clerk notices and the
//! record of every ended attempt.

use certpoint_protocol::{
    Action, ChallengeResult, Channel, DepthCheck, ExcludedAction, FaceMatch, IdSource, Method,
    Outcome, Quality, Scored, ScreenFlash,
};
use chrono::{DateTime, FixedOffset, NaiveDate};

use super::event::Placement;
use super::state::Session;
use crate::id_number::IdNumber;

/// A request to the runner. The flow never waits for one to complete: answers, if any,
/// come back as events.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Say (and show) this prompt to the retiree.
    Speak(Prompt),
    /// Ask the server for the person's certification status and, when they may
    /// certify, their reference (offline: the kiosk's cache).
    FetchReference(IdNumber),
    /// Reset the liveness detectors; they learn their baselines from the positioning
    /// frames that follow.
    StartLiveness,
    /// Start the screen-flash challenge: draw this attempt's colour sequence, paint it
    /// on the retiree's side, measure the face, answer [`super::Event::FlashMeasured`].
    StartFlash,
    /// Pick the best frame of the attempt, keep its crop for the record, and compare it
    /// with the reference photo if there is one.
    RunMatch,
    /// Persist this record durably before showing anything that claims it is stored.
    StoreRecord(Box<AttemptRecord>),
    /// Show this to the clerk (not spoken).
    Notify(ClerkNotice),
}

/// Everything the kiosk says or shows to the retiree, as keys for the voice pack and
/// the on-screen text catalogue.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Attract screen: hand the ID card to the clerk.
    HandIdToClerk,
    /// Start of a session: greeting, one moment please.
    Welcome,
    /// Waiting for the server's answer about the person.
    PleaseWait,
    /// Start of the first attempt: look at the screen, face inside the frame.
    LookAtScreen,
    /// Start of a retry.
    TryAgain,
    /// How to fix the face placement.
    Hint(Placement),
    /// Well placed: keep still while the kiosk gets ready.
    HoldStill,
    /// The screen-flash challenge is running: the screen will change colour, keep still.
    FlashNotice,
    /// Perform this action now.
    Challenge(Action),
    /// Comparing with the reference photo.
    Checking,
    Passed,
    /// Live, but not matched to a reference: the attempt is recorded and the office
    /// will confirm it (outcome `pending_match`).
    PendingMatch,
    /// The attempt ended without a pass, and why.
    Failed(EndReason),
    /// No attempts left, or the person may not certify here: please see the clerk.
    SeeClerk,
    /// Already certified this period; nothing more to do.
    AlreadyCertified,
    /// The camera is not working; the clerk has been told.
    CameraProblem,
    /// Said after the welcome when today is outside the certification window: the
    /// period is over (or not open yet); the visit is still recorded.
    OutsideWindow,
}

impl Prompt {
    /// Stable snake_case key for catalogues, e.g. `hint.too_far`, `challenge.blink`.
    pub fn key(&self) -> String {
        match self {
            Prompt::HandIdToClerk => "hand_id_to_clerk".into(),
            Prompt::Welcome => "welcome".into(),
            Prompt::PleaseWait => "please_wait".into(),
            Prompt::LookAtScreen => "look_at_screen".into(),
            Prompt::TryAgain => "try_again".into(),
            Prompt::Hint(p) => format!("hint.{}", p.as_str()),
            Prompt::HoldStill => "hold_still".into(),
            Prompt::FlashNotice => "flash_notice".into(),
            Prompt::Challenge(a) => format!("challenge.{}", a.as_str()),
            Prompt::Checking => "checking".into(),
            Prompt::Passed => "passed".into(),
            Prompt::PendingMatch => "pending_match".into(),
            Prompt::Failed(r) => format!("failed.{}", r.prompt_code()),
            Prompt::SeeClerk => "see_clerk".into(),
            Prompt::AlreadyCertified => "already_certified".into(),
            Prompt::CameraProblem => "camera_problem".into(),
            Prompt::OutsideWindow => "outside_window".into(),
        }
    }
}

/// Why an attempt ended without a pass. `code()` is what goes into the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    ClerkCancelled,
    CameraLost,
    /// The face never stayed well placed long enough.
    PositioningTimeout,
    /// This action was not seen in time.
    ChallengeTimeout(Action),
    /// The face left during the challenges and did not come back before the deadline.
    FaceLost,
    /// A second face stayed in view during the challenges.
    MultipleFaces,
    /// The median passive-liveness score was below the threshold.
    PassiveLiveness,
    /// No frame carried a passive-liveness score, so liveness cannot be vouched for.
    PassiveLivenessUnavailable,
    /// The face turned like a picture: the nose tip stayed where a flat, tilted,
    /// curved or folded sheet would put it (the 3-D check, below its threshold).
    DepthFlat,
    /// A head turn was passed but no turned frame could be measured for the 3-D check.
    DepthUnavailable,
    FaceMatchBelowThreshold,
    /// The face's colour did not follow the screen flash (required by the config).
    ScreenFlash,
    /// The screen flash was required but could not be measured (too few usable
    /// frames, or no result in time).
    ScreenFlashUnavailable,
    /// The comparison failed or did not answer in time.
    MatchUnavailable,
    /// Live, but no reference could be scored: the attempt is `pending_match`, not a
    /// failure. Only ever the reason of a `pending_match` verdict (and of the manual
    /// pass that resolves one).
    Unmatched(PendingReason),
    /// The server's answer, arriving while an attempt ran, says the person may not
    /// certify (deceased, suspended, not on the roster): the attempt is abandoned.
    NotEligible,
    /// The clerk switched to a manual check (the person cannot do the challenges):
    /// the attempt is abandoned; for the manual pass that follows, the same words say
    /// why the clerk stepped in.
    ManualCheck(super::state::ManualWhy),
}

impl EndReason {
    pub fn code(self) -> &'static str {
        match self {
            EndReason::ClerkCancelled => "clerk_cancelled",
            EndReason::CameraLost => "camera_lost",
            EndReason::PositioningTimeout => "positioning_timeout",
            EndReason::ChallengeTimeout(_) => "challenge_timeout",
            EndReason::FaceLost => "face_lost",
            EndReason::MultipleFaces => "multiple_faces",
            EndReason::PassiveLiveness => "passive_liveness",
            EndReason::PassiveLivenessUnavailable => "passive_liveness_unavailable",
            EndReason::DepthFlat => "depth_flat",
            EndReason::DepthUnavailable => "depth_unavailable",
            EndReason::FaceMatchBelowThreshold => "face_match_below_threshold",
            EndReason::MatchUnavailable => "match_unavailable",
            EndReason::ScreenFlash => "screen_flash",
            EndReason::ScreenFlashUnavailable => "screen_flash_unavailable",
            EndReason::Unmatched(p) => p.code(),
            EndReason::NotEligible => "not_eligible",
            EndReason::ManualCheck(why) => why.code(),
        }
    }

    /// The code of what the retiree hears and reads. The 3-D check's failures say what
    /// a passive-liveness failure says: the retiree can do nothing different about
    /// either, and someone holding up a picture should not learn which check caught
    /// it. The record and the clerk get the exact [`code`](Self::code).
    pub fn prompt_code(self) -> &'static str {
        match self {
            EndReason::DepthFlat | EndReason::DepthUnavailable => EndReason::PassiveLiveness.code(),
            other => other.code(),
        }
    }
}

/// Why a live attempt could not be matched: the record's `reason` when the outcome
/// is `pending_match` (docs/protocol.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PendingReason {
    /// The server answered: no reference is enrolled for this person.
    NoReference,
    /// The server could not be asked, or did not answer in time, and no cached
    /// reference was at hand.
    ServerUnavailable,
    /// A reference arrived but no single face could be embedded from it.
    ReferenceUnusable,
}

impl PendingReason {
    pub const ALL: [PendingReason; 3] = [
        PendingReason::NoReference,
        PendingReason::ServerUnavailable,
        PendingReason::ReferenceUnusable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PendingReason::NoReference => "no_reference",
            PendingReason::ServerUnavailable => "server_unavailable",
            PendingReason::ReferenceUnusable => "reference_unusable",
        }
    }
}

/// Why the server says a person may not certify at a kiosk at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ineligibility {
    /// The ID number is not on the agency's roster of pensioners.
    NotInRoster,
    /// The pension is suspended.
    Suspended,
    /// The roster records the person as deceased.
    Deceased,
}

impl Ineligibility {
    pub const ALL: [Ineligibility; 3] = [
        Ineligibility::NotInRoster,
        Ineligibility::Suspended,
        Ineligibility::Deceased,
    ];

    /// The agency's state name (`PersonState`).
    pub fn code(self) -> &'static str {
        match self {
            Ineligibility::NotInRoster => "not_in_roster",
            Ineligibility::Suspended => "suspended",
            Ineligibility::Deceased => "deceased",
        }
    }
}

/// Things only the clerk needs to know.
#[derive(Debug, Clone, PartialEq)]
pub enum ClerkNotice {
    /// The scanned person is younger than the minimum pension age; no session started.
    TooYoung { age: u32, min_age: u32 },
    /// Today is outside the configured certification window; the session goes ahead.
    OutsideWindow { from: NaiveDate, to: NaiveDate },
    /// A scan arrived while a session is still running or awaiting a decision.
    SessionBusy,
    /// The person is already certified for this period (when and how, if the server
    /// said).
    AlreadyCertified {
        at: Option<DateTime<FixedOffset>>,
        channel: Option<Channel>,
    },
    /// The server says the person may not certify here; no attempt, no automatic pass.
    NotEligible(Ineligibility),
    /// The server had no reference photo: a live attempt will be `pending_match`.
    NoReference,
    /// The reference photo could not be used (no single face in it); the why is the
    /// kiosk's own text, without personal data.
    ReferenceUnusable(String),
    /// A live attempt was recorded as `pending_match`, for this reason; the clerk may
    /// check the physical ID card and record a manual pass.
    PendingMatch(PendingReason),
    /// The server could not be reached (or was too slow): continuing offline.
    Offline,
    /// The comparison reported an error (shown to the clerk, kept out of the record).
    MatchError(String),
    /// A manual pass was refused.
    ManualPassRejected(ManualPassError),
    /// No automatic attempts left: the clerk must verify the person or cancel.
    AssistNeeded { reason: EndReason },
    /// The camera stopped delivering frames.
    CameraLost,
    /// The card read has expired (on this day); the session goes ahead, the clerk
    /// decides whether the card may serve.
    CardExpired { on: NaiveDate },
    /// The card gives the holder's nation as Mongolian (02): the clerk panel offers the
    /// Mongolian screens (the clerk decides; many read Mandarin best).
    MongolianCard,
    /// The card could not be read (the reader's message, for the clerk).
    CardReadFailed(String),
    /// The chip photo could not be decoded: the session uses the server's or the
    /// cache's reference instead.
    ChipPhotoFailed(String),
    /// The clerk checks the person by the ID card, without the camera.
    ManualCheck(super::state::ManualWhy),
    /// The clerk's exclusions were not taken.
    ExclusionRefused(ExclusionError),
}

/// Why an [`Event::Exclude`](super::Event::Exclude) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExclusionError {
    /// Only before the challenges are drawn (looking up, positioning, a fail screen).
    NotNow,
    /// Nothing of the configured challenge set would be left: use the manual check.
    NothingLeft,
}

/// Why a [`Event::ManualPass`](super::Event::ManualPass) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualPassError {
    MissingClerkId,
    MissingReason,
    /// Only a failed or unmatched (`pending_match`) attempt can be overridden.
    NotAvailable,
}

/// One ended attempt (`FaceAuto`), or a clerk's manual pass resolving a failed or unmatched one
/// (`ClerkManual`, same attempt number), as the flow knows it. The runner adds record
/// id, sequence number, kiosk and site, period, face crop, model hashes and app version
/// to make a `CertificationRecord`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub id_number: IdNumber,
    pub attempt: u32,
    pub started_at: DateTime<FixedOffset>,
    pub ended_at: DateTime<FixedOffset>,
    pub outcome: Outcome,
    /// snake_case [`EndReason::code`]; for a manual pass, why the automatic check failed.
    pub reason: Option<String>,
    pub method: Method,
    pub challenges: Vec<ChallengeResult>,
    pub passive_liveness: Option<Scored>,
    pub face_match: FaceMatch,
    pub quality: Option<Quality>,
    pub id_source: IdSource,
    pub excluded_actions: Vec<ExcludedAction>,
    /// The 3-D check during head turns, when one ran.
    pub depth_check: Option<DepthCheck>,
    pub screen_flash: Option<ScreenFlash>,
}

/// How an attempt ended. A failure's verdict outlives its (already stored) record on the
/// fail or clerk-assist screen, because a manual pass copies its evidence and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reason: Option<EndReason>,
    pub ended_at: DateTime<FixedOffset>,
    pub challenges: Vec<ChallengeResult>,
    pub passive_liveness: Option<Scored>,
    pub face_match: FaceMatch,
    pub quality: Option<Quality>,
    pub depth_check: Option<DepthCheck>,
    pub screen_flash: Option<ScreenFlash>,
}

impl Verdict {
    pub fn record(self, session: &Session, method: Method) -> AttemptRecord {
        AttemptRecord {
            id_number: session.id.clone(),
            attempt: session.attempt,
            started_at: session.attempt_started_wall,
            ended_at: self.ended_at,
            outcome: self.outcome,
            reason: self.reason.map(|r| r.code().to_string()),
            method,
            challenges: self.challenges,
            passive_liveness: self.passive_liveness,
            face_match: self.face_match,
            quality: self.quality,
            id_source: session.id_source,
            excluded_actions: session.excluded.clone(),
            depth_check: self.depth_check,
            screen_flash: self.screen_flash,
        }
    }

    pub fn store(self, session: &Session, method: Method) -> Effect {
        Effect::StoreRecord(Box::new(self.record(session, method)))
    }
}

//! The session driver: feeds analysed frames, answers and time into the pure [`flow`],
//! and carries out the effects the flow asks for — liveness resets, the face match, and
//! storing each ended attempt as a record with its face crop.
//!
//! The flow decides; the driver only does. Everything with side effects outside the
//! process (the server lookup, the store, the voice, the clerk's screen) goes through
//! the [`Host`] trait, so the same driver runs the headless `certify` command, the
//! tests and (with a threaded host) the kiosk window.

mod card;
mod depth;
mod flash;
pub mod observe;
mod period;

use std::sync::Arc;

use image::RgbImage;

use certpoint_protocol::{CertificationRecord, Channel, PhotoRef, ReferenceSource};

use crate::config::{LoadedConfig, Thresholds};
use crate::flow::{
    self, ClerkNotice, DepthFigure, Effect, Event, FlowParams, Ineligibility, Input, Now, Prompt,
    State,
};
use crate::id_number::IdNumber;
use crate::liveness::{ActiveLiveness, DepthTracker, LivenessParams};
use crate::record::{self, KioskIdentity};
use crate::store::Enqueued;
use crate::vision::{cosine, BoxF, FrameAnalysis, Vision};

pub use card::card_facts;
pub use period::{flow_params, period_for, window_dates};

/// What the kiosk learned about a person at the scan: their status this period, and
/// their reference when they may certify.
pub enum ReferenceAnswer {
    /// A reference photo (the server's enrolled photo: source `server`); the driver
    /// embeds it with the kiosk's own model.
    Photo {
        photo: RgbImage,
        version: String,
        source: ReferenceSource,
    },
    /// A reference already embedded by the same model (the kiosk's signed cache of
    /// reference embeddings answers this way, source `kiosk_cache`): used as is.
    Embedding {
        embedding: Vec<f32>,
        version: String,
        source: ReferenceSource,
    },
    /// The server answered: no reference enrolled.
    NotFound,
    /// The server could not be asked, and nothing cached.
    Unavailable,
    /// Asked on another thread; the answer comes later through
    /// [`Driver::reference_arrived`]. The flow waits for it until its deadline.
    Pending,
    /// Certified this period already (when and by which channel, if the server said).
    AlreadyCertified {
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
        channel: Option<Channel>,
    },
    /// The person may not certify here at all.
    NotEligible(Ineligibility),
}

/// The world outside the driver.
pub trait Host {
    /// Asks about the person for certification period `period` (status first, then
    /// the reference): answered now, or [`ReferenceAnswer::Pending`] and later through
    /// [`Driver::reference_arrived`].
    fn look_up(&mut self, id: &IdNumber, period: &str) -> ReferenceAnswer;
    /// Stores the record durably (the store fills in `seq` and the photo reference).
    fn store(
        &mut self,
        record: CertificationRecord,
        photo: Option<&[u8]>,
    ) -> anyhow::Result<Enqueued>;
    fn speak(&mut self, prompt: &Prompt);
    fn notify(&mut self, notice: &ClerkNotice);
}

/// The reference of the session at the kiosk: an embedding, which version it is and
/// where it came from (all three go into the record of a scored match).
struct SessionReference {
    embedding: Vec<f32>,
    version: String,
    source: ReferenceSource,
}

/// The frame kept for matching: the sharpest well-placed single-face frame of the attempt.
struct BestFrame {
    /// Shared with the camera's frame: keeping the best frame costs a pointer, not a copy.
    image: Arc<RgbImage>,
    bbox: BoxF,
    sharpness: f32,
}

/// A record the driver stored, with the reason text the CLI prints.
#[derive(Debug, Clone)]
pub struct StoredAttempt {
    pub record: CertificationRecord,
    pub enqueued: Enqueued,
}

pub struct Driver {
    pub state: State,
    params: FlowParams,
    thresholds: Thresholds,
    liveness: ActiveLiveness,
    /// The 3-D check's evidence of the attempt; `None` when `[depth_check]` is off.
    depth: Option<DepthTracker>,
    identity: KioskIdentity,
    window: crate::config::WindowSection,
    best: Option<BestFrame>,
    /// The session's reference embedding: dropped when the session ends.
    reference: Option<SessionReference>,
    /// The certification period of the session being scanned (asked of the server).
    period: String,
    /// Whose reference photo is being fetched elsewhere, to take only that answer.
    awaiting_reference: Option<IdNumber>,
    /// JPEG of the aligned face the match used, for the record.
    last_crop: Option<Vec<u8>>,
    /// The chip photo of the card being read right now, for the ID number on that
    /// card: taken as the session's reference only by the session this very card read
    /// starts (same number), and dropped after the event either way.
    pending_chip: Option<(IdNumber, Arc<RgbImage>)>,
    /// The screen flash: configured settings, what the screen shows, the run in progress.
    flash: flash::FlashRunner,
    /// Time of the input being handled (effects run within it).
    now_ms: u64,
    pub stored: Vec<StoredAttempt>,
}

impl Driver {
    pub fn new(cfg: &LoadedConfig, identity: KioskIdentity, liveness: LivenessParams) -> Driver {
        Driver {
            state: State::Idle,
            params: flow_params(&cfg.config),
            thresholds: cfg.config.thresholds.clone(),
            liveness: ActiveLiveness::new(liveness),
            depth: cfg
                .config
                .depth_check
                .enabled
                .then(|| DepthTracker::new(cfg.config.depth_check.min_yaw_deg)),
            identity,
            window: cfg.config.certification_window.clone(),
            best: None,
            reference: None,
            period: String::new(),
            awaiting_reference: None,
            last_crop: None,
            pending_chip: None,
            flash: flash::FlashRunner::new((&cfg.config.flash).into()),
            now_ms: 0,
            stored: Vec::new(),
        }
    }

    /// What the screen should paint for the flash; the window and a loopback test
    /// camera hold clones.
    pub fn flash_display(&self) -> crate::flash::FlashDisplay {
        self.flash.display.clone()
    }

    pub fn params(&self) -> &FlowParams {
        &self.params
    }

    /// The certification period of the latest scan ("" before the first).
    pub fn period(&self) -> &str {
        &self.period
    }

    /// Feeds one event (not a frame: use [`Driver::frame`]) and performs the effects.
    pub fn event(
        &mut self,
        host: &mut dyn Host,
        vision: &mut Vision,
        now: Now,
        event: Event,
    ) -> anyhow::Result<()> {
        if matches!(event, Event::IdScanned { .. } | Event::CardRead { .. }) {
            let today = now.wall.date_naive();
            self.params.certification_window = Some(period::window_dates(&self.window, today));
            self.period = period_for(&self.window, today);
        }
        self.now_ms = now.mono_ms;
        let mut queue = vec![event];
        // A flash whose time is up is judged before anything else happens at `now`.
        if let Some(result) = self.flash.finish_if_due(now.mono_ms) {
            queue.push(Event::FlashMeasured(result));
        }
        while let Some(event) = queue.pop() {
            let state = std::mem::replace(&mut self.state, State::Idle);
            let (next, effects) = flow::step(state, Input { now, event }, &self.params);
            self.state = next;
            for effect in effects {
                if let Some(answer) = self.perform(host, vision, effect)? {
                    queue.insert(0, answer);
                }
            }
        }
        // A chip photo belongs to the read that brought it; a later scan never sees it.
        self.pending_chip = None;
        if !self.state.attempt_in_progress() {
            // The attempt is over: whatever flash was running stops painting.
            self.flash.stop();
        }
        if matches!(self.state, State::Idle) {
            // A reference photo is personal data kept for one session only.
            self.reference = None;
            self.awaiting_reference = None;
        }
        Ok(())
    }

    /// A card read off the ID card reader: starts a session like a scan (source
    /// `card_reader`). With a decoded chip photo, that photo becomes the session's
    /// reference (source `id_card_chip`), but only if the session started is this
    /// card's: same ID number, started by this very event (a card read while another
    /// session runs is refused by the flow, and its photo dropped).
    #[allow(clippy::too_many_arguments)]
    pub fn card_read(
        &mut self,
        host: &mut dyn Host,
        vision: &mut Vision,
        now: Now,
        id: IdNumber,
        seed: u64,
        card: flow::CardFacts,
        chip: Option<Arc<RgbImage>>,
    ) -> anyhow::Result<()> {
        self.pending_chip = chip.map(|c| (id.clone(), c));
        self.event(host, vision, now, Event::CardRead { id, seed, card })
    }

    /// The chip photo as this session's reference, if the card read that started it
    /// brought one for `id` and a face can be embedded from it.
    fn take_chip(&mut self, host: &mut dyn Host, vision: &mut Vision, id: &IdNumber) {
        let Some((chip_id, photo)) = self.pending_chip.take() else {
            return;
        };
        if &chip_id != id {
            return;
        }
        match vision.embed_reference(&photo) {
            Ok(embedding) => {
                // The version names the exact picture (not the person): a digest of
                // the decoded pixels.
                let digest = crate::store::hex_sha256(photo.as_raw());
                self.reference = Some(SessionReference {
                    embedding,
                    version: format!("chip:sha256:{}", &digest[..16]),
                    source: ReferenceSource::IdCardChip,
                });
            }
            Err(why) => {
                tracing::warn!("the chip photo is unusable as a reference: {why}");
                host.notify(&ClerkNotice::ChipPhotoFailed(why.to_string()));
            }
        }
    }

    /// An answer to a [`ReferenceAnswer::Pending`] request. Taken only while the
    /// session that asked for `id` is still on and still waiting: a late answer for
    /// the person before must never be matched against the person now at the kiosk.
    pub fn reference_arrived(
        &mut self,
        host: &mut dyn Host,
        vision: &mut Vision,
        now: Now,
        id: &IdNumber,
        answer: ReferenceAnswer,
    ) -> anyhow::Result<()> {
        let current = self
            .state
            .session()
            .map(|s| (&s.id, s.reference.awaiting_answer()));
        if self.awaiting_reference.as_ref() != Some(id) || current != Some((id, true)) {
            tracing::debug!("a reference answer came for a session that is over; dropped");
            return Ok(());
        }
        self.awaiting_reference = None;
        match self.reference_event(host, vision, answer) {
            Some(event) => self.event(host, vision, now, event),
            None => Ok(()),
        }
    }

    /// The flow event for a reference answer (none while it is still pending).
    fn reference_event(
        &mut self,
        host: &mut dyn Host,
        vision: &mut Vision,
        answer: ReferenceAnswer,
    ) -> Option<Event> {
        // With the card's own chip photo in hand, the server (or the cache) is asked
        // for the person's status only: its reference, or its lack of one, changes
        // nothing. Already certified and not eligible still end the session.
        if let Some(chip) = self
            .reference
            .as_ref()
            .filter(|r| r.source == ReferenceSource::IdCardChip)
        {
            if let ReferenceAnswer::Photo { .. }
            | ReferenceAnswer::Embedding { .. }
            | ReferenceAnswer::NotFound
            | ReferenceAnswer::Unavailable = answer
            {
                return Some(Event::ReferenceFound {
                    version: chip.version.clone(),
                    source: ReferenceSource::IdCardChip,
                });
            }
        }
        let mut keep = |embedding: Vec<f32>, version: String, source: ReferenceSource| {
            self.reference = Some(SessionReference {
                embedding,
                version: version.clone(),
                source,
            });
            Event::ReferenceFound { version, source }
        };
        Some(match answer {
            ReferenceAnswer::Photo {
                photo,
                version,
                source,
            } => match vision.embed_reference(&photo) {
                Ok(e) => keep(e, version, source),
                Err(why) => {
                    tracing::warn!(%version, "the reference is unusable: {why}");
                    Event::ReferenceUnusable(why.to_string())
                }
            },
            ReferenceAnswer::Embedding {
                embedding,
                version,
                source,
            } if !embedding.is_empty() && embedding.iter().all(|x| x.is_finite()) => {
                keep(embedding, version, source)
            }
            ReferenceAnswer::Embedding { version, .. } => {
                let why = format!("the cached embedding {version} is empty or not finite");
                host.notify(&ClerkNotice::MatchError(why.clone()));
                Event::ReferenceUnusable(why)
            }
            ReferenceAnswer::NotFound => Event::ReferenceNotFound,
            ReferenceAnswer::Unavailable => Event::ServerUnavailable,
            ReferenceAnswer::Pending => return None,
            ReferenceAnswer::AlreadyCertified { at, channel } => {
                Event::AlreadyCertified { at, channel }
            }
            ReferenceAnswer::NotEligible(why) => Event::NotEligible(why),
        })
    }

    /// Feeds one analysed frame.
    pub fn frame(
        &mut self,
        host: &mut dyn Host,
        vision: &mut Vision,
        now: Now,
        image: &Arc<RgbImage>,
        analysis: &FrameAnalysis,
    ) -> anyhow::Result<()> {
        let placement = observe::placement(analysis, &self.thresholds);
        let mut obs = observe::observation(analysis, placement, &mut self.liveness, now.mono_ms);
        // Movements, flashes and depth seen while a second person is in view belong to
        // nobody.
        if let Some(face) = analysis.faces.first().filter(|_| obs.faces == 1) {
            self.flash.observe(image, face, now.mono_ms);
            self.measure_depth(vision, image, face, face.pose.yaw);
            let good = placement == flow::Placement::Good;
            let sharper = self
                .best
                .as_ref()
                .is_none_or(|b| face.quality.sharpness > b.sharpness);
            if good && sharper && self.state.attempt_in_progress() {
                self.best = Some(BestFrame {
                    image: Arc::clone(image),
                    bbox: face.bbox,
                    sharpness: face.quality.sharpness,
                });
            }
        }
        obs.depth = self
            .depth
            .as_ref()
            .and_then(|d| d.summary())
            .map(|d| DepthFigure {
                residual: d.residual,
                yaw_span_deg: d.yaw_span_deg,
                frames: d.frames,
            });
        self.event(host, vision, now, Event::Frame(obs))
    }

    /// Carries out one effect; returns the event it produced, if any.
    fn perform(
        &mut self,
        host: &mut dyn Host,
        vision: &mut Vision,
        effect: Effect,
    ) -> anyhow::Result<Option<Event>> {
        Ok(match effect {
            Effect::Speak(p) => {
                host.speak(&p);
                None
            }
            Effect::Notify(n) => {
                host.notify(&n);
                None
            }
            Effect::StartFlash => {
                if let Some(s) = self.state.session() {
                    self.flash.start(s.seed, s.attempt, self.now_ms);
                }
                None
            }
            Effect::StartLiveness => {
                self.flash.stop();
                self.liveness.reset();
                if let Some(d) = self.depth.as_mut() {
                    d.reset();
                }
                self.best = None;
                self.last_crop = None;
                None
            }
            Effect::FetchReference(id) => {
                // A new session: nothing of the last person's reference may carry over.
                self.reference = None;
                self.take_chip(host, vision, &id);
                let answer = host.look_up(&id, &self.period);
                self.awaiting_reference = matches!(answer, ReferenceAnswer::Pending).then_some(id);
                self.reference_event(host, vision, answer)
            }
            Effect::RunMatch => Some(self.run_match(vision)),
            Effect::StoreRecord(attempt) => {
                let period = period_for(&self.window, attempt.started_at.date_naive());
                let record = record::build(*attempt, &self.identity, &period);
                if let Err(e) = record.validate() {
                    // The flow never builds such a record (its tests say so); should it
                    // ever, the agency would refuse it, so the kiosk says so loudly and
                    // still keeps the evidence.
                    tracing::error!(record = ?record, "the kiosk built an invalid record: {e}");
                    debug_assert!(false, "invalid record: {e}");
                }
                let photo = self.face_crop_jpeg(vision);
                let enqueued = host.store(record.clone(), photo.as_deref())?;
                let mut record = record;
                record.seq = enqueued.seq;
                record.photo = photo.as_ref().map(|p| PhotoRef {
                    media_type: "image/jpeg".into(),
                    bytes: p.len() as u64,
                    sha256: crate::store::hex_sha256(p),
                });
                self.stored.push(StoredAttempt { record, enqueued });
                None
            }
        })
    }

    fn run_match(&mut self, vision: &mut Vision) -> Event {
        let Some(best) = &self.best else {
            return Event::MatchError("no well-placed frame of the face to compare".into());
        };
        match vision.embed_face(&best.image, &best.bbox) {
            Ok((live, _)) => {
                self.last_crop = vision.last_crop_jpeg().ok();
                match &self.reference {
                    Some(r) => Event::MatchScored {
                        score: cosine(&live, &r.embedding),
                        reference_version: r.version.clone(),
                        source: r.source,
                    },
                    None => Event::MatchNoReference,
                }
            }
            Err(e) => Event::MatchError(e.to_string()),
        }
    }

    /// The record's face crop: the aligned 112×112 face of the best frame, as JPEG
    /// (a few KB; the same crop the embedding model sees, so the server can re-match it).
    fn face_crop_jpeg(&mut self, vision: &mut Vision) -> Option<Vec<u8>> {
        if let Some(c) = self.last_crop.take() {
            return Some(c);
        }
        let best = self.best.as_ref()?;
        vision.embed_face(&best.image, &best.bbox).ok()?;
        vision.last_crop_jpeg().ok()
    }
}

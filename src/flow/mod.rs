//! The certification flow as a pure state machine.
//!
//! [`step()`]`(state, input, params) -> (state, effects)` is the whole interface. It reads
//! no clock, starts no thread, touches no file or socket and draws no randomness of its
//! own: time arrives with every [`Input`] ([`Now`]: monotonic ms for deadlines, wall
//! clock for records and the age check), and the only randomness, the challenge order,
//! comes from the seed carried by [`Event::IdScanned`]. The UI renders [`State`]; a
//! runner performs the [`Effect`]s and feeds answers back as [`Event`]s, plus a periodic
//! [`Event::Tick`] so deadlines fire without frames. Replaying the same inputs gives the
//! same states and effects, which is how the tests and the headless replays drive it.
//!
//! ```text
//! Idle ──IdScanned──▶ IdentityEntered ──reference answer / timeout──▶ Positioning
//!   ▲                       ├─AlreadyCertified─▶ AlreadyCertified ──display──▶ Idle
//!   │                       └─NotEligible──────▶ NotEligible ──decision timeout──▶ Idle
//!   │   Positioning ──well placed for stable_positioning_ms──▶ Challenges ──all done──▶ Matching
//!   │   Matching ──live + scored ≥ threshold──▶ Passed ──display──▶ Idle
//!   │            └─live, nothing to score────▶ PendingMatch ──decision timeout──▶ Idle
//!   │   any attempt failure ──attempts left──▶ Failed ──Retry──▶ Positioning (attempt + 1)
//!   │                       └─none left────▶ ClerkAssist
//!   │   Failed / ClerkAssist / PendingMatch ──ManualPass──▶ Passed
//!   └── ClerkCancel from anywhere; CameraLost from anywhere ─▶ CameraFault
//! ```
//!
//! Decisions worth knowing:
//! - **Attempts and records.** An attempt starts when positioning starts, so a scan
//!   cancelled while the server is being asked leaves no record (a mis-scan must not put
//!   an abandoned certification on someone's file). Every attempt that started is stored
//!   as exactly one `FaceAuto` [`Effect::StoreRecord`] in the very step it ends (passed,
//!   pending_match, failed or abandoned), ahead of the prompt that announces it: what the retiree
//!   has seen acknowledged must survive a power cut, and a failure is
//!   evidence too (a false reject and a fraud attempt both need it). Retry, cancel,
//!   camera loss and `decision_timeout_ms` on the fail / clerk-assist / pending screen therefore
//!   store nothing more. A clerk's manual pass there (or on the pending-match screen) is
//!   a second, `ClerkManual` record for the same attempt number: outcome
//!   `manual_passed`, the reason (why the clerk had to step in: the failure's, or the
//!   pending match's `no_reference` / `server_unavailable` / `reference_unusable`) and
//!   evidence copied, its own end time. So a session's records are one per attempt,
//!   numbered 1..=`max_attempts` without repeats, plus at most one manual pass at the
//!   end.
//! - **No reference, no pass.** `passed` needs active and passive liveness *and* a face
//!   match scored at or above `face_match_threshold` against a reference whose source
//!   ([`Event::MatchScored`] carries it: `server`, `kiosk_cache`, `id_card_chip`) goes
//!   into the record. A live face with nothing to score against is `pending_match`,
//!   never `passed`: the reason is `no_reference` (the server said none is enrolled),
//!   `server_unavailable` (not asked, failed, or no answer within
//!   `reference_timeout_ms`, and no cached reference) or `reference_unusable` (no
//!   single face in the reference). The agency matches the stored crop when it has a
//!   reference. A liveness failure is still `failed`, whatever the match.
//! - **Pending match screen.** The retiree hears "recorded, the office will confirm"
//!   (neither a pass nor a failure); the clerk sees the reason and may check the
//!   physical ID card and record a manual pass. There is no retry: another attempt
//!   would meet the same missing reference (to ask the server again, scan again). The
//!   screen waits `decision_timeout_ms` for the clerk, then idles; a new scan starts
//!   the next person at once, since the record is already stored.
//! - **Outcomes.** `abandoned` means no check reached a verdict: clerk cancelled, camera
//!   lost, positioning timed out, or the face left during the challenges and was still
//!   away at the deadline (`face_lost`). `failed` means a check said no:
//!   `challenge_timeout` (the action in question is the last, unpassed entry of the
//!   record's challenges), `multiple_faces` (a second face stayed longer than
//!   `face_away_grace_ms`), `passive_liveness`, `passive_liveness_unavailable`,
//!   `depth_flat` / `depth_unavailable` (the 3-D check during head turns, when on),
//!   `face_match_below_threshold`, `match_unavailable` (error or timeout). Both count
//!   as attempts and lead to the retry or clerk-assist screen.
//! - **Passive liveness** is the median of the scores of well-placed positioning frames
//!   and single-face challenge frames; it is checked before the match score, and the
//!   match still runs so the record carries both figures.
//! - **Offline.** Without a reference (not found, server unavailable, lookup timed out)
//!   the attempt proceeds so liveness is proven and the crop stored; the runner answers
//!   [`Event::MatchNoReference`] and the attempt ends `pending_match`. A late reference
//!   answer during the attempt still upgrades the session to an online match.
//! - **Status at scan.** The runner asks the server for the person's status before the
//!   reference. Already certified ends the session before any attempt: no record, the
//!   screen says so for `result_display_ms` and the clerk sees when and by which
//!   channel. Learned only mid-attempt, it just notifies the clerk. Not eligible
//!   (deceased, suspended, not on the roster) ends the session too, with no record: the
//!   agency already knows, and a kiosk record would describe an attempt that never
//!   happened. The retiree is asked to see the clerk (the reason is never on the
//!   retiree's screen); the clerk panel says why; no manual pass (that is for the
//!   pension office, not a check of the ID card). The screen waits
//!   `decision_timeout_ms`. Learned late, while an attempt runs, the attempt is stored
//!   as `abandoned` (`not_eligible`); on a fail or pending screen it closes the
//!   decision, so no manual pass follows either.
//! - **Scans** start a session in `Idle` and on the result screens (passed, pending
//!   match, already certified, not eligible); elsewhere they are refused with a clerk
//!   notice. Too young is refused (no record); outside `certification_window` the clerk
//!   is warned and the session goes ahead.
//! - **Screen flash** (issue 15 §3, `[flash]`, off by default): on the first well-placed
//!   frame of an attempt the flow asks for [`Effect::StartFlash`] and keeps positioning
//!   until [`Event::FlashMeasured`] (or `flash_timeout_ms`); the result goes into the
//!   attempt's evidence and record. Only when `FlashRule::Required` does it decide:
//!   `screen_flash` (did not follow) or `screen_flash_unavailable` (no measurable
//!   result), checked with passive liveness before the match score.
//! - **Camera lost** ends any session (a retry needs the camera; the clerk can cancel and
//!   restart once it is back) and shows `CameraFault` until `CameraRestored` or
//!   `ClerkCancel`.

mod attempt;
mod effect;
mod event;
mod evidence;
mod exclude;
mod judge;
mod params;
mod plan;
mod state;
mod step;
mod voice;

#[cfg(test)]
mod tests;

pub use effect::{
    AttemptRecord, ClerkNotice, Effect, EndReason, ExclusionError, Ineligibility, ManualPassError,
    PendingReason, Prompt, Verdict,
};
pub use event::{
    CardFacts, ChipPhoto, DepthFigure, Event, FrameObservation, Input, Now, Placement,
};
pub use evidence::{Evidence, PassiveAggregate};
pub use exclude::excluded_actions;
pub use params::{FlashRule, FlowParams};
pub use plan::challenge_plan;
pub use state::{
    Challenges, FlashPhase, ManualWhy, Matching, Positioning, ReferenceStatus, Session, State,
};
pub use step::step;
pub use voice::Voice;

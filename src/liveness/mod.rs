//! Active liveness: did the face in front of the camera just blink, turn left or right,
//! look up, open its mouth or nod?
//!
//! The vision module turns every analysed frame that shows a face into [`FaceSignals`]
//! (head pose, eye and mouth openness, face position). [`ActiveLiveness`] takes them one
//! frame at a time and returns the [`Action`](certpoint_protocol::Action)s that *completed* in that frame; the runner
//! copies them into `flow::FrameObservation::completed`, and the flow decides whether the
//! completed action is the one it asked for. Everything here is pure: no clock (time
//! arrives as `at_ms`), no I/O, no randomness, so replays give the same answers.
//!
//! # Approach
//! - **Per-person baseline.** The thresholds are offsets from a [`Baseline`], the median
//!   of the first frontal frames, not absolute values: glasses shrink the eye aspect
//!   ratio, some heads rest tilted, the camera may sit off-axis. While the face rests,
//!   the baseline follows it slowly (exponentially, time constant
//!   [`LivenessParams::baseline_adapt_tau_ms`]) so a retiree slumping over a long session
//!   does not "turn". Until a baseline exists nothing completes.
//! - **A movement completes when it is undone.** Each action is a small state machine
//!   with hysteresis: go past a threshold, then come back (eyes reopen, head returns,
//!   mouth closes). A photo held at an angle, or eyes resting shut, never completes.
//!   After completing, a detector re-arms only once the signal is back at the baseline,
//!   so one movement gives exactly one completion and tremor at a threshold gives none.
//! - **The face track must be continuous.** A pose change faster than a head can move
//!   ([`LivenessParams::max_jump_deg`] per 100 ms, likewise face position and size), or
//!   a step of [`LivenessParams::swap_step_deg`] within one frame from a still face to a
//!   still face, is a detector glitch or a swapped photo. The frame is ignored; if the
//!   next frame agrees with it, it was a swap, and every movement in progress is void
//!   and must start again from the baseline. A gap of more than
//!   [`LivenessParams::max_gap_ms`] without a measured face does the same, so photos
//!   cannot be exchanged behind a hand.
//! - [`is_static`] tells whether a stretch of frames varied less than measurement noise
//!   (a still photo, or a person holding very still without blinking): evidence for the
//!   record and the UI, not a verdict.
//!
//! # Limits
//! - A **video replay** of the person performing the requested action passes, as does a
//!   live accomplice wearing a good mask. The random challenge order and the per-action
//!   timeouts make a prepared video harder to use; passive anti-spoofing and the face
//!   match are what stop it, and the flow records all three.
//! - A **printed photo rotated or tilted by hand** moves continuously; a landmark-based
//!   pose estimate may read that as a head turn or a look up. Blink closures are only
//!   counted near the baseline pose, which defeats tilting a photo to squash its eyes,
//!   but a photo with cut-out eyes or mouth held before a real face is out of reach.
//! - A series of three or more photos in pose steps under `swap_step_deg`, swapped
//!   within `max_gap_ms` each, is a (jerky) video and can pass. The step rule assumes
//!   at least ~15 analysed frames per second; at lower rates a real head snapping back
//!   within two frames can be taken for a swap, which voids that movement (the person
//!   simply does it again).
//! - Movements slower than about `settle_deg / baseline_adapt_tau_ms` (1°/s with the
//!   defaults) are absorbed as posture drift and never complete.
//! - Everything depends on the vision module's figures: an eye whose baseline aspect
//!   ratio is under [`LivenessParams::min_baseline_eye`] cannot show a blink (pick other
//!   challenges; [`Baseline::can_blink`] says so), and a face lost for longer than
//!   `max_gap_ms` at the far end of a turn voids that turn.

mod active;
mod baseline;
mod continuity;
mod depth;
mod detectors;
mod params;
mod signals;
mod still;

pub use active::ActiveLiveness;
pub use baseline::Baseline;
pub use depth::{DepthSummary, DepthTracker};
pub use params::{LivenessParams, ParamError};
pub use signals::FaceSignals;
pub use still::is_static;

#[cfg(test)]
mod tests;

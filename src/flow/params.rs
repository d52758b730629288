//! The tunables of the flow, as plain data (the config module converts its validated
//! TOML into this, so the flow never sees parse errors or units in strings).

use certpoint_protocol::Action;
use chrono::NaiveDate;

/// Thresholds, timeouts and the challenge set. All durations are milliseconds on the
/// monotonic clock.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowParams {
    /// Actions challenges are drawn from; duplicates are ignored.
    pub challenge_set: Vec<Action>,
    /// Distinct actions asked per attempt; clamped to the size of the set. Keep it ≥ 1:
    /// passive liveness is aggregated over challenge frames as well, and with no
    /// challenges an attempt has far fewer frames to judge.
    pub challenge_count: usize,
    /// Time allowed for each single action.
    pub challenge_timeout_ms: u64,
    /// Time allowed to get well placed before the attempt is abandoned.
    pub positioning_timeout_ms: u64,
    /// How long to wait for the server's answer about the person before going offline.
    pub reference_timeout_ms: u64,
    /// How long to wait for the runner's face comparison.
    pub matching_timeout_ms: u64,
    /// How long the pass (and "already certified") screen stays before the attract
    /// screen returns.
    pub result_display_ms: u64,
    /// How long a fail screen or the clerk-assist screen waits for a retry or a clerk's
    /// decision before the kiosk idles; the failure itself was stored when it happened.
    pub decision_timeout_ms: u64,
    /// Automatic attempts per session before only the clerk can help; 0 is taken as 1.
    pub max_attempts: u32,
    /// Minimum age, on the day of the scan, to be accepted at all.
    pub min_pension_age: u32,
    /// Median passive-liveness score an attempt needs.
    pub passive_liveness_threshold: f32,
    /// Cosine similarity with the reference photo an attempt needs.
    pub face_match_threshold: f32,
    /// How long the face must stay well placed before the challenges start.
    pub stable_positioning_ms: u64,
    /// Repeat the current prompt after this long when nothing improves.
    pub voice_repeat_ms: u64,
    /// Never start a new prompt sooner than this after the previous one, so a flickering
    /// placement does not turn into a stream of half-spoken hints.
    pub min_speech_gap_ms: u64,
    /// During challenges, how long the face may be missing before the person is asked to
    /// come back, and how long a second face may be seen before the attempt fails.
    pub face_away_grace_ms: u64,
    /// Inclusive local dates between which certification is accepted; `None` accepts any
    /// date. Checked against the wall-clock date of the scan.
    pub certification_window: Option<(NaiveDate, NaiveDate)>,
    /// The 3-D check during head turns: the median parallax (face widths) an attempt
    /// that passed a head turn needs; `None` turns the check off.
    pub depth_threshold: Option<f32>,
    /// The screen-flash challenge (issue 15 §3): off, run and recorded, or required.
    pub screen_flash: FlashRule,
    /// How long positioning waits for the flash's result after starting it (the
    /// sequence's length plus the lag window and a margin); with no answer by then the
    /// attempt goes on without one.
    pub flash_timeout_ms: u64,
}

/// Whether the screen-flash challenge runs and whether it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlashRule {
    /// Never flashes the screen (`[flash] enabled = false`).
    #[default]
    Off,
    /// Flashes and records the result, which does not decide the attempt.
    Recorded,
    /// Flashes; a failed or missing result fails the attempt.
    Required,
}

impl FlowParams {
    /// Small, deterministic values for unit tests and replays.
    pub fn for_tests() -> FlowParams {
        FlowParams {
            challenge_set: vec![
                Action::Blink,
                Action::TurnLeft,
                Action::TurnRight,
                Action::LookUp,
            ],
            challenge_count: 3,
            challenge_timeout_ms: 10_000,
            positioning_timeout_ms: 30_000,
            reference_timeout_ms: 3_000,
            matching_timeout_ms: 5_000,
            result_display_ms: 5_000,
            decision_timeout_ms: 120_000,
            max_attempts: 3,
            min_pension_age: 50,
            passive_liveness_threshold: 0.5,
            face_match_threshold: 0.6,
            stable_positioning_ms: 800,
            voice_repeat_ms: 6_000,
            min_speech_gap_ms: 1_000,
            face_away_grace_ms: 2_000,
            certification_window: None,
            // Off in the flow's own tests, which fake turns without any geometry; the
            // tests of the check turn it on.
            depth_threshold: None,
            screen_flash: FlashRule::Off,
            flash_timeout_ms: 10_000,
        }
    }

    /// `max_attempts` as the flow uses it: a session always gets at least one attempt.
    pub fn attempts_allowed(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

impl Default for FlowParams {
    /// Generous timings meant for elderly people; thresholds are placeholders that the
    /// configuration replaces with values calibrated for the installed models.
    fn default() -> FlowParams {
        FlowParams {
            challenge_set: vec![
                Action::Blink,
                Action::TurnLeft,
                Action::TurnRight,
                Action::LookUp,
            ],
            challenge_count: 3,
            challenge_timeout_ms: 15_000,
            positioning_timeout_ms: 60_000,
            reference_timeout_ms: 5_000,
            matching_timeout_ms: 10_000,
            result_display_ms: 8_000,
            decision_timeout_ms: 300_000,
            max_attempts: 3,
            min_pension_age: 50,
            passive_liveness_threshold: 0.5,
            face_match_threshold: 0.5,
            stable_positioning_ms: 800,
            voice_repeat_ms: 8_000,
            min_speech_gap_ms: 1_500,
            face_away_grace_ms: 2_000,
            certification_window: None,
            depth_threshold: Some(0.02),
            screen_flash: FlashRule::Off,
            flash_timeout_ms: 10_000,
        }
    }
}

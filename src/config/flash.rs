//! `[flash]`: the screen-flash challenge (issue 15 §3, `crate::flash`). Its rules run
//! with the others in `validate`.
//!
//! Shipped **off** (`enabled = false`, `required = false`): the threshold comes from a
//! simulation, not from real kiosks (no footage with this flash exists yet), and a
//! check that fails elderly people for the room's lighting would be worse than none.
//! Turn it on with `required = false` first, read the recorded correlations of real
//! visits, then calibrate `threshold` before making it `required`.

use serde::{Deserialize, Serialize};

use super::validate::Finding;

// The limits live here, not in `crate::flash`: the configuration stands on its own (the
// fuzz crate compiles `src/config` without the kiosk's flash, flow or camera code).
/// Shortest step the config accepts: two colour changes a second at most.
pub const MIN_STEP_MS: u32 = 500;
/// Brightest the config accepts (relative luminance of every palette colour): above
/// this the blue cannot keep the common luminance without clipping.
pub const MAX_LUMINANCE: f32 = 0.45;
/// Shortest cross-fade the config accepts.
pub const MIN_FADE_MS: u32 = 150;
/// The penalised correlation a live face must reach unless `threshold` says otherwise.
pub const DEFAULT_THRESHOLD: f32 = 0.45;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlashSection {
    /// Flash the retiree's side of the screen during positioning at all.
    pub enabled: bool,
    /// A failed or unmeasurable flash fails the attempt (`screen_flash`,
    /// `screen_flash_unavailable`); otherwise it is only recorded.
    pub required: bool,
    /// Colours per flash (consecutive ones always differ).
    pub steps: usize,
    /// How long each colour is held, ms (≥ 500: at most two changes a second).
    pub step_ms: u32,
    /// Cross-fade between colours, ms (≥ 150, ≤ step_ms).
    pub fade_ms: u32,
    /// Relative luminance of every colour, 0.05–0.45 (the same for all, so a change
    /// of colour is never a change of brightness).
    pub max_brightness: f32,
    /// Longest display-to-camera lag searched, ms.
    pub max_lag_ms: u32,
    /// Penalised correlation a live face must reach.
    pub threshold: f32,
}

impl Default for FlashSection {
    fn default() -> Self {
        FlashSection {
            enabled: false,
            required: false,
            steps: 10,
            step_ms: 600,
            fade_ms: 200,
            max_brightness: 0.35,
            max_lag_ms: 300,
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

impl FlashSection {
    /// How long positioning waits for a result: the flash, the lag window and 2 s for
    /// a slow analysis thread.
    pub fn timeout_ms(&self) -> u64 {
        (self.steps as u64 + 1) * u64::from(self.step_ms) + u64::from(self.max_lag_ms) + 2_000
    }
}

/// Every rule about `[flash]`.
pub(super) fn check(c: &FlashSection) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut fail =
        |key: &'static str, message: String, fix: &str| found.push(Finding::new(key, message, fix));
    if c.required && !c.enabled {
        fail(
            "flash.required",
            "required = true with enabled = false: an attempt could never pass".into(),
            "set enabled = true as well, or required = false",
        );
    }
    if !(4..=20).contains(&c.steps) {
        fail(
            "flash.steps",
            format!("{} colours: fewer than 4 leave chance too much room, more than 20 keep the person waiting", c.steps),
            "use 8 to 12 (default 10)",
        );
    }
    if c.step_ms < MIN_STEP_MS || c.step_ms > 2_000 {
        fail(
            "flash.step_ms",
            format!("{} ms per colour: below {MIN_STEP_MS} ms the screen changes more than twice a second (photosensitivity, WCAG 2.3.1), above 2000 ms the flash takes too long", c.step_ms),
            "use 500 to 1000 (default 600)",
        );
    }
    if c.fade_ms < MIN_FADE_MS || c.fade_ms > c.step_ms {
        fail(
            "flash.fade_ms",
            format!("a {} ms cross-fade: it must be at least {MIN_FADE_MS} ms (no hard cuts) and no longer than step_ms ({})", c.fade_ms, c.step_ms),
            "use about a third of step_ms (default 200)",
        );
    }
    if !(c.max_brightness.is_finite() && (0.05..=MAX_LUMINANCE).contains(&c.max_brightness)) {
        fail(
            "flash.max_brightness",
            format!(
                "relative luminance {}: it must lie in 0.05–{MAX_LUMINANCE}",
                c.max_brightness
            ),
            "use 0.35 (a moderate, comfortable brightness)",
        );
    }
    if c.max_lag_ms > 1_000 {
        fail(
            "flash.max_lag_ms",
            format!("{} ms: a longer search lets chance win more often (the penalty grows) and no display lags a second", c.max_lag_ms),
            "use 200 to 400 (default 300)",
        );
    }
    if !(c.threshold.is_finite() && c.threshold > 0.0 && c.threshold < 1.0) {
        fail(
            "flash.threshold",
            format!("{} is not a correlation between 0 and 1", c.threshold),
            "use the default 0.45 until it is calibrated on real kiosks",
        );
    }
    found
}

//! The screen-flash challenge (issue 15 §3): while the retiree is being positioned,
//! the retiree side of the screen shows a short random sequence of gentle colours and
//! the kiosk checks that the face's colour follows it.
//!
//! Why it tells a live face from an attack: a face ~50 cm from a lit screen reflects
//! that screen's light, at the moment it is shown; a replayed video was recorded before
//! this sequence was drawn and cannot follow it; a phone screen held up to the camera
//! emits its own light, which swamps the little it reflects.
//!
//! The parts: [`sequence`] draws and times the colours (and keeps them far below the
//! photosensitive-epilepsy limits, see there), [`measure`] reads the face's and the
//! background's chroma off a frame, [`correlate`] judges the two against each other
//! with a penalised lag search, [`sim`] simulates live faces and attacks for the tests
//! and the figures. The flow only knows that a flash runs, has ended, and its result;
//! the driver draws the sequence, the UI paints it, the driver measures.
//!
//! **Not calibrated on real footage.** No recording with this flash exists; the
//! threshold comes from the simulation in [`sim`]. That is why the config ships it off
//! (`[flash] enabled = false`, `required = false`).

pub mod correlate;
pub mod loopback;
pub mod measure;
pub mod sequence;
pub mod sim;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

pub use correlate::{correlate, lag_penalty, CorrelateParams, Correlation};
pub use measure::{measure, ChromaSample};
pub use sequence::{Palette, Sequence};

/// The flash as configured (`[flash]` in kiosk-config.toml).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlashSettings {
    pub steps: usize,
    pub step_ms: u32,
    pub fade_ms: u32,
    pub max_brightness: f32,
    pub correlate: CorrelateParams,
}

impl From<&crate::config::FlashSection> for FlashSettings {
    fn from(c: &crate::config::FlashSection) -> Self {
        FlashSettings {
            steps: c.steps,
            step_ms: c.step_ms,
            fade_ms: c.fade_ms,
            max_brightness: c.max_brightness,
            correlate: CorrelateParams {
                max_lag_ms: c.max_lag_ms,
                threshold: c.threshold,
                ..CorrelateParams::default()
            },
        }
    }
}

impl FlashSettings {
    /// The sequence of `attempt` of the session seeded with `seed`.
    pub fn sequence(&self, seed: u64, attempt: u32) -> Sequence {
        let palette = Palette {
            luminance: self.max_brightness,
        };
        Sequence::draw(
            seed,
            attempt,
            self.steps,
            self.step_ms,
            self.fade_ms,
            palette,
        )
    }
}

/// What the screen should paint right now: shared between the driver (which starts
/// and stops the flash), the window (which paints it) and a loopback test camera
/// (which lights its synthetic face with it).
#[derive(Debug, Clone, Default)]
pub struct FlashDisplay(Arc<Mutex<Option<Showing>>>);

/// A flash on screen: the sequence and when (flow clock, ms) it started.
#[derive(Debug, Clone, PartialEq)]
pub struct Showing {
    pub sequence: Sequence,
    pub start_ms: u64,
}

impl FlashDisplay {
    pub fn show(&self, sequence: Sequence, start_ms: u64) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Showing { sequence, start_ms });
    }

    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub fn current(&self) -> Option<Showing> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The sRGB colour to paint at `now_ms` over `background`, or `None` when no flash
    /// runs (or it has ended: the screen is back to its own colours).
    pub fn colour_at(&self, now_ms: u64, background: [u8; 3]) -> Option<[u8; 3]> {
        let s = self.current()?;
        let t = now_ms as i64 - s.start_ms as i64;
        (t >= 0 && t < s.sequence.duration_ms() as i64).then(|| s.sequence.srgb_at(t, background))
    }
}

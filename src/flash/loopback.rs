//! A test camera that lights its pictures with the kiosk's own screen flash — for the
//! headless `certify --flash-loopback`, the tests and demos; never for certifying.
//!
//! It wraps a replay (whose frames are pictures of a face under room light) and, per
//! frame, applies what the [`FlashDisplay`] showed at that frame's capture time minus
//! a display-to-camera lag, the way light physically adds up (in linear light):
//! - **live**: the face region (a soft ellipse where a well-placed face is, in the
//!   middle of the frame) reflects the screen's light with `gain` relative to the
//!   room's, in proportion to its own colour (skin reflects amber more than blue); the
//!   background reflects a twentieth of it (metres away instead of ~50 cm);
//! - **replay**: the pictures are a recording; nothing on them follows this screen;
//! - **phone**: the face region is a screen emitting its own light, changing with
//!   whatever it plays (an independent colour sequence), much brighter than a
//!   reflection;
//!
//! plus a little per-pixel noise, as a camera has. The replay's own frame times give
//! the capture times, shifted by `offset_ms` onto the flow's clock (as `certify` does).

use std::sync::Arc;

use image::RgbImage;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::sequence::{encode, linear, Sequence};
use super::FlashDisplay;
use crate::camera::{CameraError, Frame, FrameSource};

/// How the wrapped pictures respond to the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopbackModel {
    Live,
    Replay,
    Phone,
}

impl std::str::FromStr for LoopbackModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "live" => Ok(LoopbackModel::Live),
            "replay" => Ok(LoopbackModel::Replay),
            "phone" => Ok(LoopbackModel::Phone),
            other => Err(format!("{other:?}: use live, replay or phone")),
        }
    }
}

/// Screen light at the face relative to the room's (3 %, a dim kiosk screen at 50 cm
/// in a lit office; the simulation's figures span 1–3 %).
const GAIN: f32 = 0.03;
/// Display-to-camera lag of the simulated kiosk, ms.
const LAG_MS: i64 = 80;
/// A phone's own light relative to the room's light on a face.
const PHONE_EMISSION: f32 = 0.5;
/// Per-pixel camera noise, 8-bit levels.
const NOISE: f32 = 2.0;

pub struct LoopbackSource {
    inner: Box<dyn FrameSource>,
    display: FlashDisplay,
    model: LoopbackModel,
    offset_ms: u64,
    /// What a phone plays instead of this kiosk's flash.
    own: Option<Sequence>,
    rng: ChaCha8Rng,
}

impl LoopbackSource {
    pub fn new(
        inner: Box<dyn FrameSource>,
        display: FlashDisplay,
        model: LoopbackModel,
        offset_ms: u64,
    ) -> Self {
        LoopbackSource {
            inner,
            display,
            model,
            offset_ms,
            own: None,
            rng: ChaCha8Rng::seed_from_u64(0x1007_bac4),
        }
    }

    /// Linear light added per channel, relative to the room, on the face and on the
    /// background, for a frame captured at `t` on the flow's clock.
    fn light(&mut self, t: u64) -> Option<([f32; 3], [f32; 3])> {
        let showing = self.display.current()?;
        let at = t as i64 - showing.start_ms as i64 - LAG_MS;
        let shown = showing.sequence.linear_at(at, [0.0; 3]);
        let norm = showing.sequence.palette.luminance.max(0.05);
        Some(match self.model {
            LoopbackModel::Live => (
                shown.map(|c| GAIN * c / norm),
                shown.map(|c| GAIN / 20.0 * c / norm),
            ),
            LoopbackModel::Replay => ([0.0; 3], [0.0; 3]),
            LoopbackModel::Phone => {
                let seed = self.rng.random();
                let own = self.own.get_or_insert_with(|| {
                    Sequence::draw(
                        seed,
                        1,
                        showing.sequence.steps.len(),
                        showing.sequence.step_ms,
                        showing.sequence.fade_ms,
                        showing.sequence.palette,
                    )
                });
                let o = own.linear_at(at, [0.0; 3]);
                (o.map(|c| PHONE_EMISSION * c / norm), [0.0; 3])
            }
        })
    }
}

/// `image` lit by `face` (relative light per channel) in the middle ellipse and by
/// `wall` elsewhere, with camera noise.
fn relight(image: &RgbImage, face: [f32; 3], wall: [f32; 3], rng: &mut ChaCha8Rng) -> RgbImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let mut out = image.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let dx = (x as f32 - w / 2.0) / (0.22 * w);
        let dy = (y as f32 - h / 2.0) / (0.38 * h);
        // 1 inside the face ellipse, fading to 0 just outside it.
        let inside = (1.5 - (dx * dx + dy * dy).sqrt() * 1.0)
            .clamp(0.0, 1.0)
            .min(1.0);
        for c in 0..3 {
            let add = wall[c] + inside * (face[c] - wall[c]);
            let lit = linear(px.0[c]) * (1.0 + add);
            let noise = (rng.random::<f32>() - 0.5) * 2.0 * NOISE;
            px.0[c] = (f32::from(encode(lit)) + noise).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

impl FrameSource for LoopbackSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        let Some(mut frame) = self.inner.next_frame()? else {
            return Ok(None);
        };
        let t = self.offset_ms + frame.captured_ms;
        let (face, wall) = self.light(t).unwrap_or(([0.0; 3], [0.0; 3]));
        frame.image = Arc::new(relight(&frame.image, face, wall, &mut self.rng));
        Ok(Some(frame))
    }

    fn describe(&self) -> String {
        format!(
            "{} lit by the screen flash ({:?}, synthetic)",
            self.inner.describe(),
            self.model
        )
    }
}

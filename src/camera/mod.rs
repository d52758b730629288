//! Camera sources: where the kiosk's frames come from and how they reach the analysis.
//!
//! ```text
//! FrameSource ──next_frame()──▶ CameraThread ──put()──▶ FrameSlot ──take_newest()──▶ analysis
//! (device / replay / demo)      (owns the source)       (one frame, never a queue)
//! ```
//!
//! Why it is shaped so:
//! - One trait, three sources. A live camera ([`DeviceSource`], the only file that knows
//!   nokhwa), a replay of recorded frames ([`ReplaySource`]: tests, benchmarks, audits,
//!   the headless `certify`) and a synthetic feed ([`DemoSource`]: machines without a
//!   camera). Everything downstream sees only [`Frame`]s, so a replay exercises exactly
//!   the code a camera does.
//! - Never queue frames (DESIGN.md, "Threads and data flow"). The analysis is slower than
//!   the camera at times; a queue would make the kiosk react to the past. The camera
//!   thread overwrites the single [`FrameSlot`]; the analysis takes the newest frame and
//!   the slot counts what was overwritten.
//! - Time is the source's, not the consumer's. [`Frame::captured_ms`] is set where the
//!   frame is made. Replays and the demo stamp *nominal* times (frame n at n / fps), so a
//!   replay run unpaced in a test yields the same timestamps, and so the same liveness
//!   verdicts, as the same replay run in real time.
//! - Mirroring is a display concern. Sources deliver the picture as the camera sees it
//!   (`mirrored: false`); the UI flips the preview when `camera.mirror` is set, because
//!   people expect a mirror. The analysis therefore always sees the true left and right,
//!   and "turn left" means the person's left whatever the preview shows.

mod demo;
mod device;
mod error;
mod pace;
mod replay;
mod slot;
mod thread;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use image::RgbImage;

use crate::config::{CameraSection, CameraSource};

pub use demo::DemoSource;
pub use device::DeviceSource;
pub use error::CameraError;
pub use replay::{ReplayOptions, ReplaySource, DEFAULT_STILL_DURATION};
pub use slot::{FrameSlot, SlotEvent};
pub use thread::CameraThread;

/// One picture from a source. Cloning is cheap: the pixels are shared.
#[derive(Clone)]
pub struct Frame {
    /// 0 for the source's first frame, then +1 per frame it produced (a replay keeps
    /// counting across loops). A gap seen by a consumer is a frame overwritten in the slot.
    pub seq: u64,
    /// Milliseconds since the source started, on a monotonic clock: measured for a live
    /// camera, nominal (seq / fps) for replays and the demo.
    pub captured_ms: u64,
    pub image: Arc<RgbImage>,
    /// Whether the pixels are flipped left-right. The sources here never flip
    /// (mirroring is done by the UI for display); the flag lets a future source that
    /// cannot avoid it (e.g. a replay recorded from a mirrored preview) say so, and
    /// the analysis must then swap left and right.
    pub mirrored: bool,
}

impl Frame {
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }
}

// The derived form would print every pixel.
impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("seq", &self.seq)
            .field("captured_ms", &self.captured_ms)
            .field("size", &(self.width(), self.height()))
            .field("mirrored", &self.mirrored)
            .finish()
    }
}

/// Anything that produces frames. `next_frame` blocks until the next frame is due (a
/// camera's next exposure, a replay's next frame time), so a [`CameraThread`] can simply
/// call it in a loop.
pub trait FrameSource: Send {
    /// The next frame; `Ok(None)` when a replay played once has finished (live
    /// cameras and the demo never finish). After an `Err` the source is broken: the
    /// camera thread reports it and stops.
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError>;

    /// What the clerk and the log are told, e.g. "camera device 0 (HD Webcam,
    /// 1280×720 MJPEG @ 30 fps)" or "demo camera (no camera found)".
    fn describe(&self) -> String;
}

/// Opens the source `camera.source` names. `base_dir` is the configuration file's
/// directory, against which a relative `file:` path resolves.
///
/// `auto` takes the first camera that opens, else the demo feed (logged as a warning;
/// the demo's [`describe`](FrameSource::describe) says "demo camera" for the screen). A
/// camera that exists but fails (busy, no permission) is an error, not a silent demo: a
/// kiosk that shows a test pattern instead of its broken camera would hide the fault.
pub fn open(section: &CameraSection, base_dir: &Path) -> Result<Box<dyn FrameSource>, CameraError> {
    let (width, height, fps) = (section.width, section.height, section.fps);
    match &section.source {
        CameraSource::Auto => match DeviceSource::open_auto(width, height, fps)? {
            Some(camera) => Ok(Box::new(camera)),
            None => {
                tracing::warn!(
                    "no camera found: showing the demo camera (synthetic frames, no face)"
                );
                Ok(Box::new(
                    DemoSource::new(width, height, fps, true).with_reason("no camera found"),
                ))
            }
        },
        CameraSource::Demo => Ok(Box::new(
            DemoSource::new(width, height, fps, true).with_reason("camera.source = \"demo\""),
        )),
        CameraSource::Device(index) => {
            Ok(Box::new(DeviceSource::open(*index, width, height, fps)?))
        }
        CameraSource::Replay(path) => {
            // `join` keeps an absolute path as written.
            let path = base_dir.join(path);
            Ok(Box::new(ReplaySource::open(
                &path,
                ReplayOptions::from_section(section),
            )?))
        }
    }
}

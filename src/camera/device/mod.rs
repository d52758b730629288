//! Live cameras through nokhwa (V4L2 on Linux). The only file that knows nokhwa: its
//! types, its errors and its quirks stop here, so the rest of the kiosk sees
//! [`Frame`]s and [`CameraError`]s only, and a change of capture library is one file.
//!
//! Quirks handled here:
//! - `nokhwa::query` on a machine without a camera returns an empty list, not an error:
//!   [`DeviceSource::open_auto`] turns that into `Ok(None)` (the demo camera then runs).
//! - V4L2 lists every `/dev/video*` node, and a USB webcam usually has two: the picture
//!   and a metadata node with no picture format. `open_auto` skips such nodes.
//! - Cargo.toml builds nokhwa without its MJPEG decoder (it would pull in mozjpeg and a
//!   C build), so frames are decoded here: MJPEG with `image`, YUYV and NV12 with
//!   nokhwa's own converters.
//! - nokhwa's `Camera` is not `Send` (without its threaded feature), so it lives on a
//!   capture thread of its own; [`DeviceSource`] is a `Send` handle to that thread.
//! - nokhwa's own format negotiation (`RequestedFormatType::Closest`) gives up unless the
//!   exact resolution exists, so the camera is opened with any readable format and then
//!   switched to the one [`choose_format`] picks from the modes the camera lists.

use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Instant;

use image::{ImageFormat, RgbImage};
use nokhwa::utils::{
    nv12_to_rgb, yuyv422_to_rgb, ApiBackend, CameraFormat, CameraIndex, FrameFormat,
    RequestedFormat, RequestedFormatType, Resolution,
};
use nokhwa::{Camera, NokhwaError};

use super::{CameraError, Frame, FrameSource};

/// Formats we decode, best first. MJPEG is compressed, so a USB 2 camera manages
/// 1280×720 at 30 fps in it, where uncompressed YUYV usually drops to 5–10 fps.
const READABLE: &[FrameFormat] = &[FrameFormat::MJPEG, FrameFormat::YUYV, FrameFormat::NV12];

/// Undecodable frames in a row before the camera counts as broken. MJPEG cameras send
/// the odd truncated frame, mostly just after the stream starts; that is no reason to
/// stop, a camera sending nothing else is.
const MAX_BAD_FRAMES: u32 = 30;

/// A live camera. nokhwa's `Camera` may not move between threads (it is `!Send` unless
/// nokhwa's threaded feature is on), so it lives on a small capture thread of its own,
/// opened there and dropped there; this handle asks it for one frame at a time. The
/// request/reply keeps the blocking of a direct `frame()` call: frames wait in the
/// driver's few buffers, never in a queue of ours.
pub struct DeviceSource {
    index: u32,
    description: String,
    /// `None` once dropping: closing it tells the capture thread to finish.
    requests: Option<mpsc::Sender<()>>,
    frames: mpsc::Receiver<Result<Frame, CameraError>>,
    worker: Option<JoinHandle<()>>,
}

impl DeviceSource {
    /// Indices of the cameras the system lists (may include non-picture nodes); empty
    /// when there are none or the list cannot be read.
    pub fn available() -> Vec<u32> {
        match nokhwa::query(ApiBackend::Auto) {
            Ok(list) => {
                let mut indices: Vec<u32> = list
                    .iter()
                    .filter_map(|info| info.index().as_index().ok())
                    .collect();
                indices.sort_unstable();
                indices.dedup();
                indices
            }
            Err(e) => {
                tracing::warn!("cannot list cameras: {e}");
                Vec::new()
            }
        }
    }

    /// Opens camera `index` near `width`×`height` at `fps` and starts its stream.
    pub fn open(
        index: u32,
        width: u32,
        height: u32,
        fps: u32,
    ) -> Result<DeviceSource, CameraError> {
        let available = Self::available();
        if !available.contains(&index) {
            return Err(CameraError::DeviceNotFound { index, available });
        }
        Self::open_listed(index, width, height, fps)
    }

    /// The first listed camera that opens; `Ok(None)` when the system has none. Nodes
    /// that carry no picture are skipped; a camera that exists but fails (busy, no
    /// permission) is an error, since that needs fixing, not hiding behind the demo.
    pub fn open_auto(
        width: u32,
        height: u32,
        fps: u32,
    ) -> Result<Option<DeviceSource>, CameraError> {
        let mut failure = None;
        for index in Self::available() {
            match Self::open_listed(index, width, height, fps) {
                Ok(camera) => return Ok(Some(camera)),
                Err(
                    e @ (CameraError::DeviceNoFormat { .. } | CameraError::DeviceNotFound { .. }),
                ) => {
                    tracing::debug!("skipping camera device {index}: {e}");
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    failure.get_or_insert(e);
                }
            }
        }
        failure.map_or(Ok(None), Err)
    }

    /// Starts the capture thread and waits until it has opened the camera (or failed),
    /// so open errors surface here, at start, like any other source's.
    fn open_listed(
        index: u32,
        width: u32,
        height: u32,
        fps: u32,
    ) -> Result<DeviceSource, CameraError> {
        let (request_tx, request_rx) = mpsc::channel::<()>();
        let (frame_tx, frames) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name(format!("camera-device-{index}"))
            .spawn(move || {
                let mut capture = match Capture::open(index, width, height, fps) {
                    Ok(capture) => {
                        let _ = ready_tx.send(Ok(capture.describe()));
                        capture
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                // Ends when the handle is dropped (no more requests) or after a failure.
                while request_rx.recv().is_ok() {
                    let result = capture.next();
                    let failed = result.is_err();
                    if frame_tx.send(result).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|e| CameraError::DeviceOpen {
                index,
                reason: format!("cannot start its capture thread: {e}"),
            })?;
        let description = match ready_rx.recv() {
            Ok(Ok(description)) => description,
            Ok(Err(e)) => {
                let _ = worker.join();
                return Err(e);
            }
            // The capture thread panicked while opening.
            Err(_) => {
                let _ = worker.join();
                return Err(CameraError::ThreadPanicked);
            }
        };
        tracing::info!("opened {description}");
        Ok(DeviceSource {
            index,
            description,
            requests: Some(request_tx),
            frames,
            worker: Some(worker),
        })
    }
}

impl FrameSource for DeviceSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        let lost = || CameraError::DeviceLost {
            index: self.index,
            reason: "its capture thread has ended".to_owned(),
        };
        let asked = self.requests.as_ref().is_some_and(|r| r.send(()).is_ok());
        if !asked {
            return Err(lost());
        }
        match self.frames.recv() {
            Ok(result) => result.map(Some),
            Err(_) => Err(lost()),
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

impl Drop for DeviceSource {
    /// Waits for the capture thread so the device is released before anyone reopens it.
    /// It is idle (waiting for a request) whenever this handle can be dropped.
    fn drop(&mut self) {
        self.requests = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The capture thread's side: the nokhwa camera itself.
struct Capture {
    index: u32,
    camera: Camera,
    started: Instant,
    seq: u64,
    bad_in_row: u32,
}

impl Capture {
    fn open(index: u32, width: u32, height: u32, fps: u32) -> Result<Capture, CameraError> {
        let any_readable = RequestedFormat::with_formats(RequestedFormatType::None, READABLE);
        let mut camera = Camera::new(CameraIndex::Index(index), any_readable)
            .map_err(|e| open_error(index, &e))?;
        match camera.compatible_camera_formats() {
            Ok(modes) => {
                if let Some(best) = choose_format(&modes, width, height, fps) {
                    if best != camera.camera_format() {
                        let exact = RequestedFormat::with_formats(
                            RequestedFormatType::Exact(best),
                            READABLE,
                        );
                        // The mode the camera opened in still works: keep it, say so.
                        if let Err(e) = camera.set_camera_requset(exact) {
                            tracing::warn!(
                                "camera device {index} refused {best}, keeping {}: {e}",
                                camera.camera_format()
                            );
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(
                "camera device {index} does not list its modes ({e}); keeping {}",
                camera.camera_format()
            ),
        }
        camera.open_stream().map_err(|e| open_error(index, &e))?;
        Ok(Capture {
            index,
            camera,
            started: Instant::now(),
            seq: 0,
            bad_in_row: 0,
        })
    }

    fn describe(&self) -> String {
        let f = self.camera.camera_format();
        format!(
            "camera device {} ({}, {}×{} {} @ {} fps)",
            self.index,
            self.camera.info().human_name(),
            f.width(),
            f.height(),
            f.format(),
            f.frame_rate()
        )
    }

    fn next(&mut self) -> Result<Frame, CameraError> {
        loop {
            let buffer = self.camera.frame().map_err(|e| CameraError::DeviceLost {
                index: self.index,
                reason: e.to_string(),
            })?;
            let captured_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match to_rgb(
                buffer.source_frame_format(),
                buffer.resolution(),
                buffer.buffer(),
            ) {
                Ok(image) => {
                    self.bad_in_row = 0;
                    let seq = self.seq;
                    self.seq += 1;
                    return Ok(Frame {
                        seq,
                        captured_ms,
                        image: Arc::new(image),
                        mirrored: false,
                    });
                }
                Err(reason) => {
                    self.bad_in_row += 1;
                    if self.bad_in_row >= MAX_BAD_FRAMES {
                        return Err(CameraError::DeviceGarbled {
                            index: self.index,
                            count: self.bad_in_row,
                            reason,
                        });
                    }
                    tracing::debug!(
                        "camera device {}: skipping a bad frame: {reason}",
                        self.index
                    );
                }
            }
        }
    }
}

/// Sorts an OS error into the variant whose message tells the right fix. nokhwa keeps
/// the OS error only as text, so this reads the text (errno names and numbers).
fn open_error(index: u32, e: &NokhwaError) -> CameraError {
    let reason = e.to_string();
    let text = reason.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if has(&["busy", "(os error 16)"]) {
        CameraError::DeviceBusy { index, reason }
    } else if has(&["permission denied", "(os error 13)"]) {
        CameraError::DevicePermission { index, reason }
    } else if has(&[
        "no such file",
        "no such device",
        "(os error 2)",
        "(os error 19)",
    ]) {
        CameraError::DeviceNotFound {
            index,
            available: DeviceSource::available(),
        }
    } else if has(&["fufill", "fulfill", "compatible camera format"]) {
        CameraError::DeviceNoFormat { index, reason }
    } else {
        CameraError::DeviceOpen { index, reason }
    }
}

/// The mode to ask for, from the modes a camera lists. In order of importance:
/// 1. fast enough: at least ¾ of `fps` (liveness needs frames: a blink lasts ~150 ms);
/// 2. the resolution nearest `width`×`height`;
/// 3. the format: MJPEG, then YUYV, then NV12;
/// 4. the frame rate nearest `fps`.
///
/// `None` when no mode has a format we can read.
pub(crate) fn choose_format(
    modes: &[CameraFormat],
    width: u32,
    height: u32,
    fps: u32,
) -> Option<CameraFormat> {
    modes
        .iter()
        .filter(|m| READABLE.contains(&m.format()))
        .min_by_key(|m| {
            let too_slow = m.frame_rate() * 4 < fps * 3;
            let distance = m.width().abs_diff(width) + m.height().abs_diff(height);
            let rank = READABLE.iter().position(|f| *f == m.format());
            (too_slow, distance, rank, m.frame_rate().abs_diff(fps))
        })
        .copied()
}

/// One camera buffer as RGB. Errors are text: they are only logged or counted.
pub(crate) fn to_rgb(
    format: FrameFormat,
    res: Resolution,
    data: &[u8],
) -> Result<RgbImage, String> {
    let (w, h) = (res.width(), res.height());
    let pixels = w as usize * h as usize;
    // Drivers may hand over a buffer longer than the picture; shorter is a torn frame.
    let exact = |bytes: usize| {
        data.get(..bytes).ok_or_else(|| {
            format!(
                "{format} frame has {} bytes, {w}×{h} needs {bytes}",
                data.len()
            )
        })
    };
    let rgb = match format {
        FrameFormat::MJPEG => {
            let image = image::load_from_memory_with_format(data, ImageFormat::Jpeg)
                .map_err(|e| format!("MJPEG frame: {e}"))?;
            return Ok(image.into_rgb8());
        }
        FrameFormat::YUYV => {
            yuyv422_to_rgb(exact(pixels * 2)?, false).map_err(|e| e.to_string())?
        }
        FrameFormat::NV12 => {
            nv12_to_rgb(res, exact(pixels * 3 / 2)?, false).map_err(|e| e.to_string())?
        }
        other => return Err(format!("{other} frames are not supported")),
    };
    RgbImage::from_raw(w, h, rgb).ok_or_else(|| format!("{format} frame does not fill {w}×{h}"))
}

#[cfg(test)]
mod tests;

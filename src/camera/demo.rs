//! The demo camera: synthetic frames for a machine with no camera, so the kiosk (window,
//! flow, store) can be shown and developed without hardware.
//!
//! The picture is a grey gradient with the words "DEMO CAMERA" across it and a bar that
//! sweeps left to right, so nobody mistakes it for a frozen or a real camera. It holds
//! no face on purpose: the analysis finds none and the flow stays in positioning, so a
//! demo kiosk can never certify anyone. Frames are paced at the camera rate and stamped
//! with nominal times, like a replay.

use std::sync::Arc;

use image::{Rgb, RgbImage};

use super::pace::Pacer;
use super::{CameraError, Frame, FrameSource};

/// Larger demo frames would only cost time: the demo is cut down to fit this.
const MAX_SIZE: (u32, u32) = (1280, 720);

/// Frames the bar takes to sweep across the width (~2 s at 30 fps).
const SWEEP_STEPS: u64 = 64;

const TEXT: &str = "DEMO CAMERA";
const TEXT_COLOUR: Rgb<u8> = Rgb([250, 250, 250]);
const BAR_COLOUR: [u8; 3] = [40, 110, 200];

pub struct DemoSource {
    /// Drawn once; each frame is a copy with the bar added.
    background: RgbImage,
    pacer: Pacer,
    seq: u64,
    reason: Option<String>,
}

impl DemoSource {
    /// Frames of about `width`×`height` (reduced, keeping the shape, to at most
    /// 1280×720) at `fps`; `paced: false` delivers them as fast as they are drawn.
    pub fn new(width: u32, height: u32, fps: u32, paced: bool) -> DemoSource {
        let (w, h) = fit(width.max(1), height.max(1));
        DemoSource {
            background: background(w, h),
            pacer: Pacer::new(fps, paced),
            seq: 0,
            reason: None,
        }
    }

    /// Why the demo runs, shown by [`describe`](FrameSource::describe), e.g. "no camera found".
    pub fn with_reason(mut self, reason: impl Into<String>) -> DemoSource {
        self.reason = Some(reason.into());
        self
    }
}

impl FrameSource for DemoSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        let mut image = self.background.clone();
        let (w, h) = image.dimensions();
        let bar_w = (w / 24).max(1);
        let x0 = ((self.seq % SWEEP_STEPS) * u64::from(w) / SWEEP_STEPS) as u32;
        // The bar runs along the bottom eighth, clear of the text.
        for y in h - (h / 8).max(1)..h {
            for x in x0..(x0 + bar_w).min(w) {
                image.put_pixel(x, y, Rgb(BAR_COLOUR));
            }
        }
        let seq = self.seq;
        let captured_ms = self.pacer.wait(seq);
        self.seq += 1;
        Ok(Some(Frame {
            seq,
            captured_ms,
            image: Arc::new(image),
            mirrored: false,
        }))
    }

    fn describe(&self) -> String {
        match &self.reason {
            Some(r) => format!("demo camera ({r})"),
            None => "demo camera".to_owned(),
        }
    }
}

fn fit(w: u32, h: u32) -> (u32, u32) {
    let scale = f64::min(
        1.0,
        f64::min(
            f64::from(MAX_SIZE.0) / f64::from(w),
            f64::from(MAX_SIZE.1) / f64::from(h),
        ),
    );
    let scaled = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    (scaled(w), scaled(h))
}

fn background(w: u32, h: u32) -> RgbImage {
    let span = u64::from(w + h).max(1);
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        // A diagonal grey ramp, 70..170: mid-grey so the white text stands out.
        let v = (70 + u64::from(x + y) * 100 / span) as u8;
        Rgb([v, v, v.saturating_add(12)])
    });
    draw_text(&mut img, TEXT);
    img
}

/// 5×7 bitmaps for the letters of [`TEXT`]; each row's low five bits, left to right.
fn glyph(c: char) -> [u8; 7] {
    match c {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        _ => [0; 7],
    }
}

/// Draws `text` centred, scaled to about 70 % of the width. A real font would need a
/// font file and a rasteriser for the sake of eleven letters.
fn draw_text(img: &mut RgbImage, text: &str) {
    let (w, h) = img.dimensions();
    let cols = text.chars().count() as u32 * 6 - 1;
    let scale = (w * 7 / 10 / cols).min(h / 3 / 7).max(1);
    let x0 = w.saturating_sub(cols * scale) / 2;
    let y0 = h.saturating_sub(7 * scale) / 2;
    for (i, c) in text.chars().enumerate() {
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..5u32 {
                if bits & (0x10 >> col) == 0 {
                    continue;
                }
                let px = x0 + (i as u32 * 6 + col) * scale;
                let py = y0 + row as u32 * scale;
                for y in py..(py + scale).min(h) {
                    for x in px..(px + scale).min(w) {
                        img.put_pixel(x, y, TEXT_COLOUR);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produces_moving_labelled_frames_forever() {
        let mut demo = DemoSource::new(640, 480, 30, false).with_reason("no camera found");
        assert_eq!(demo.describe(), "demo camera (no camera found)");
        let a = demo.next_frame().unwrap().unwrap();
        let b = demo.next_frame().unwrap().unwrap();
        assert_eq!((a.seq, b.seq), (0, 1));
        assert_eq!((a.captured_ms, b.captured_ms), (0, 33));
        assert_eq!((a.width(), a.height()), (640, 480));
        assert!(!a.mirrored);
        assert_ne!(a.image.as_raw(), b.image.as_raw(), "the bar must move");
        // The label is drawn: white pixels exist in the middle band.
        let white = a
            .image
            .enumerate_pixels()
            .filter(|(_, y, p)| (200..280).contains(y) && **p == TEXT_COLOUR)
            .count();
        assert!(white > 500, "{white} text pixels");
        for _ in 0..100 {
            assert!(demo.next_frame().unwrap().is_some());
        }
    }

    #[test]
    fn large_and_tiny_sizes_are_safe() {
        let mut big = DemoSource::new(3840, 2160, 30, false);
        let f = big.next_frame().unwrap().unwrap();
        assert_eq!((f.width(), f.height()), (1280, 720));
        let mut tiny = DemoSource::new(1, 1, 30, false);
        assert_eq!(tiny.next_frame().unwrap().unwrap().width(), 1);
        let mut zero = DemoSource::new(0, 0, 0, false);
        assert!(zero.next_frame().unwrap().is_some());
    }
}

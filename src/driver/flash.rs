//! The driver's side of the screen flash: draws the attempt's sequence, publishes it
//! for the screen to paint, measures the face in every frame while it runs, and judges
//! it once the sequence and the lag window are over.

use image::RgbImage;

use certpoint_protocol::ScreenFlash;

use crate::flash::{correlate, measure, ChromaSample, FlashDisplay, FlashSettings, Sequence};
use crate::vision::FaceAnalysis;

struct Run {
    sequence: Sequence,
    start_ms: u64,
    samples: Vec<ChromaSample>,
}

pub(super) struct FlashRunner {
    settings: FlashSettings,
    pub(super) display: FlashDisplay,
    run: Option<Run>,
}

impl FlashRunner {
    pub(super) fn new(settings: FlashSettings) -> FlashRunner {
        FlashRunner {
            settings,
            display: FlashDisplay::default(),
            run: None,
        }
    }

    /// Starts attempt `attempt`'s flash at `now_ms`. The sequence comes from the
    /// session's seed (its own ChaCha stream, see `Sequence::draw`), so a replay with
    /// the same seed shows the same colours and the record's letters can be checked.
    pub(super) fn start(&mut self, seed: u64, attempt: u32, now_ms: u64) {
        let sequence = self.settings.sequence(seed, attempt);
        self.display.show(sequence.clone(), now_ms);
        self.run = Some(Run {
            sequence,
            start_ms: now_ms,
            samples: Vec::new(),
        });
    }

    pub(super) fn stop(&mut self) {
        self.run = None;
        self.display.clear();
    }

    /// Measures one single-face frame while a flash runs.
    pub(super) fn observe(&mut self, image: &RgbImage, face: &FaceAnalysis, now_ms: u64) {
        if let Some(run) = &mut self.run {
            if let Some(sample) = measure(image, face, now_ms) {
                run.samples.push(sample);
            }
        }
    }

    /// The result, once the sequence and the lag window have passed.
    pub(super) fn finish_if_due(&mut self, now_ms: u64) -> Option<ScreenFlash> {
        let run = self.run.as_ref()?;
        let end = run.start_ms
            + run.sequence.duration_ms()
            + u64::from(self.settings.correlate.max_lag_ms);
        if now_ms < end {
            return None;
        }
        let run = self.run.take()?;
        self.display.clear();
        let c = correlate(
            &run.samples,
            &run.sequence,
            run.start_ms,
            &self.settings.correlate,
        );
        tracing::info!(
            frames = c.frames,
            correlation = ?c.best,
            score = ?c.score,
            lag_ms = ?c.lag_ms,
            passed = c.passed,
            "screen flash measured"
        );
        Some(ScreenFlash {
            sequence: run.sequence.code(),
            step_ms: run.sequence.step_ms,
            frames: c.frames,
            correlation: c.best,
            score: c.score,
            lag_ms: c.lag_ms,
            threshold: c.threshold,
            passed: c.passed,
        })
    }
}

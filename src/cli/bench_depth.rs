//! `certpoint bench depth`: the 3-D check's figures and cost (issue 15 §2).
//!
//! - `--clips DIR...`: real footage (frame folders). Every frame is analysed as the kiosk
//!   does; the mesh runs on the frames the check would take (near the resting yaw, or
//!   turned at least `min_yaw_deg` from the latest frontal frame) and each turned frame's
//!   nose-tip parallax is printed per clip (median, spread), with the plane-fit
//!   (homography) residual beside it for comparison, and the mesh's time per run.
//! - `--photos FILE...`: synthetic picture attacks from real photos
//!   ([`crate::synth::sheet`]): each photo as a flat, curved and folded sheet, turned
//!   10°–35°, measured against the same sheet seen frontally; also whether the kiosk's
//!   yaw proxy even saw a turn of `min_yaw_deg` (else the check never looks).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde_json::{json, Value};

use crate::liveness::DepthTracker;
use crate::synth::sheet::{picture_of, render, Shape};
use crate::vision::depth::{homography_residual, parallax, parallax68, ruler_misses};
use crate::vision::depth_track::parallax_tracked;
use crate::vision::{Track, Vision, Wants};

pub struct DepthArgs {
    pub clips: Vec<PathBuf>,
    pub photos: Vec<PathBuf>,
    pub models: PathBuf,
    pub min_yaw_deg: f32,
    pub json: bool,
}

/// The sheet shapes tried on every photo: flat, bowed round either axis (radius 0.5 and
/// 0.3 picture widths, i.e. about 1.7 and 1 face widths), folded by 25° and 45°.
pub const SHAPES: [Shape; 7] = [
    Shape::Flat,
    Shape::CylinderVertical(0.5),
    Shape::CylinderVertical(0.3),
    Shape::CylinderHorizontal(0.5),
    Shape::CylinderHorizontal(0.3),
    Shape::Fold(25.0),
    Shape::Fold(45.0),
];
pub const SHEET_YAWS: [f32; 8] = [-35.0, -25.0, -15.0, -10.0, 10.0, 15.0, 25.0, 35.0];

fn quantile(v: &[f32], q: f32) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    s[((s.len() - 1) as f32 * q).round() as usize]
}

pub(super) fn depth(args: DepthArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut vision = Vision::load(&args.models, None, 1)?;
    let mut mesh_ms: Vec<f32> = Vec::new();
    let mut clips = Vec::new();
    for dir in &args.clips {
        clips.push(clip(&mut vision, dir, args.min_yaw_deg, &mut mesh_ms)?);
    }
    let mut sheets = Vec::new();
    for photo in &args.photos {
        sheets.extend(attacks(&mut vision, photo, args.min_yaw_deg, &mut mesh_ms)?);
    }
    let report = json!({
        "min_yaw_deg": args.min_yaw_deg,
        "mesh_ms": {"runs": mesh_ms.len(), "p50": quantile(&mesh_ms, 0.5), "p99": quantile(&mesh_ms, 0.99)},
        "clips": clips,
        "sheets": sheets,
    });
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_text(&report, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn clip(
    vision: &mut Vision,
    dir: &Path,
    min_yaw: f32,
    mesh_ms: &mut Vec<f32>,
) -> anyhow::Result<Value> {
    let frames: Vec<std::sync::Arc<image::RgbImage>> = super::bench::load_frames(dir)?
        .into_iter()
        .map(std::sync::Arc::new)
        .collect();
    let mut track = Track::default();
    let (mut yaws, mut analysis_ms) = (Vec::new(), Vec::new());
    let mut analysed = Vec::with_capacity(frames.len());
    for f in &frames {
        let t = Instant::now();
        let a = vision.analyze_tracked(f, false, Wants::default(), &mut track)?;
        analysis_ms.push(t.elapsed().as_secs_f32() * 1000.0);
        let face = a
            .faces
            .into_iter()
            .next()
            .filter(|f| f.pose.yaw.is_finite());
        if let Some(face) = &face {
            yaws.push(face.pose.yaw);
        }
        analysed.push(face);
    }
    // The resting yaw: the median of the first 15 measured frames, as the baseline would.
    let rest = quantile(&yaws[..yaws.len().min(15)], 0.5);
    let mut tracker = DepthTracker::new(min_yaw);
    type Frontal<'a> = (f32, Vec<(f32, f32)>, Vec<(f32, f32)>, &'a image::RgbImage);
    let mut frontal: Option<Frontal> = None;
    let (mut par, mut hom, mut spans, mut par68) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut tracked = Vec::new();
    for (img, face) in frames.iter().zip(&analysed) {
        let Some(face) = face else { continue };
        let yaw = face.pose.yaw;
        if !tracker.wants_mesh(yaw, rest) {
            continue;
        }
        let t = Instant::now();
        let Some(mesh) = vision.face_mesh(img, face)? else {
            continue;
        };
        mesh_ms.push(t.elapsed().as_secs_f32() * 1000.0);
        let xy = mesh.xy();
        tracker.push(yaw, rest, img, xy.clone());
        if (yaw - rest).abs() <= 4.0 {
            frontal = Some((yaw, xy, face.points68.clone(), img.as_ref()));
        } else if let Some((y0, f0, f68, img0)) = &frontal {
            tracked.extend(parallax_tracked(img0, f0, img, &xy));
            if let (Some(p), Some(h)) = (parallax(f0, &xy), homography_residual(f0, &xy)) {
                par.push(p);
                hom.push(h);
                spans.push((yaw - y0).abs());
                par68.extend(parallax68(f68, &face.points68));
            }
        }
    }
    let s = tracker.summary();
    Ok(json!({
        "clip": dir.display().to_string(),
        "frames": frames.len(),
        "faces": yaws.len(),
        "rest_yaw": rest,
        "yaw_range": [quantile(&yaws, 0.0), quantile(&yaws, 1.0)],
        "turned_frames": par.len(),
        "parallax": {"min": quantile(&par, 0.0), "p10": quantile(&par, 0.1), "median": quantile(&par, 0.5), "max": quantile(&par, 1.0)},
        "homography": {"min": quantile(&hom, 0.0), "median": quantile(&hom, 0.5)},
        "tracked": {"n": tracked.len(), "min": quantile(&tracked, 0.0), "p10": quantile(&tracked, 0.1), "median": quantile(&tracked, 0.5), "max": quantile(&tracked, 1.0)},
        "parallax68": {"min": quantile(&par68, 0.0), "p10": quantile(&par68, 0.1), "median": quantile(&par68, 0.5), "max": quantile(&par68, 1.0)},
        "yaw_span_max": quantile(&spans, 1.0),
        "tracker_residual": s.map(|s| s.residual),
        "analysis_ms_p50": quantile(&analysis_ms, 0.5),
    }))
}

fn attacks(
    vision: &mut Vision,
    photo: &Path,
    min_yaw: f32,
    mesh_ms: &mut Vec<f32>,
) -> anyhow::Result<Vec<Value>> {
    let img = image::open(photo)
        .with_context(|| format!("cannot read {}", photo.display()))?
        .to_rgb8();
    let base = picture_of(vision, &img)?;
    let mut rows = Vec::new();
    for shape in SHAPES {
        type View = (f32, Vec<(f32, f32)>, Vec<(f32, f32)>, image::RgbImage);
        let view = |vision: &mut Vision,
                    yaw: f32,
                    mesh_ms: &mut Vec<f32>|
         -> anyhow::Result<Option<View>> {
            let frame = render(&base, shape, yaw, 640, 480, 0.9);
            let a = vision.analyze(&frame, false, Wants::default())?;
            let Some(face) = a.faces.first() else {
                return Ok(None);
            };
            let t = Instant::now();
            let m = vision.face_mesh(&frame, face)?;
            mesh_ms.push(t.elapsed().as_secs_f32() * 1000.0);
            Ok(m.map(|m| (face.pose.yaw, m.xy(), face.points68.clone(), frame.clone())))
        };
        let Some((y0, front, front68, img0)) = view(vision, 0.0, mesh_ms)? else {
            continue;
        };
        for yaw in SHEET_YAWS {
            let Some((y1, turned, turned68, img1)) = view(vision, yaw, mesh_ms)? else {
                continue;
            };
            rows.push(json!({
                "photo": photo.file_name().map(|n| n.to_string_lossy().to_string()),
                "shape": shape.name(),
                "sheet_yaw": yaw,
                "proxy_yaw_change": (y1 - y0).abs(),
                "seen_as_turn": (y1 - y0).abs() >= min_yaw,
                "parallax": parallax(&front, &turned),
                "homography": homography_residual(&front, &turned),
                "rulers": ruler_misses(&front, &turned),
                "parallax68": parallax68(&front68, &turned68),
                "tracked": parallax_tracked(&img0, &front, &img1, &turned),
            }));
        }
    }
    Ok(rows)
}

fn print_text(r: &Value, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "mesh per run: p50 {:.2} ms, p99 {:.2} ms over {} runs",
        r["mesh_ms"]["p50"].as_f64().unwrap_or(f64::NAN),
        r["mesh_ms"]["p99"].as_f64().unwrap_or(f64::NAN),
        r["mesh_ms"]["runs"]
    )?;
    for c in r["clips"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "clip {}: {} frames, yaw {} , {} turned frames, parallax min/p10/median/max {}/{}/{}/{}, homography median {}, span {}",
            c["clip"], c["frames"], c["yaw_range"], c["turned_frames"],
            c["parallax"]["min"], c["parallax"]["p10"], c["parallax"]["median"], c["parallax"]["max"],
            c["homography"]["median"], c["yaw_span_max"]
        )?;
    }
    for s in r["sheets"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "sheet {} {} yaw {}: proxy Δyaw {:.1} ({}), parallax {}, homography {}",
            s["photo"],
            s["shape"],
            s["sheet_yaw"],
            s["proxy_yaw_change"].as_f64().unwrap_or(f64::NAN),
            if s["seen_as_turn"].as_bool() == Some(true) {
                "seen as a turn"
            } else {
                "no turn seen"
            },
            s["parallax"],
            s["homography"]
        )?;
    }
    Ok(())
}

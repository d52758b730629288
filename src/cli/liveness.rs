//! `certpoint liveness eval` and `certpoint liveness trace`: the liveness checks on
//! recorded footage (`crate::footage`), for the figures in README.md and for audits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;

use crate::config::{CameraSource, Config, LoadedConfig};
use crate::footage::{self, clip, play, Selection};

#[derive(Debug, Subcommand)]
pub enum LivenessCommand {
    /// Run the kiosk's liveness path on every clip of a labelled corpus and print, per
    /// action, the detection rate within the challenge time, false detections on
    /// negatives, time to detect; passive BPCER/APCER at the configured threshold.
    /// Thresholds, liveness parameters and the challenge timeout come from the config.
    Eval {
        /// Corpus directory: one directory per clip with clip.toml and frames/.
        #[arg(long)]
        corpus: PathBuf,
        /// One JSON object (keys: README.md, "Liveness on real footage").
        #[arg(long)]
        json: bool,
        /// Only clips with holdout = true.
        #[arg(long, conflicts_with = "tuning_only")]
        holdout_only: bool,
        /// Only clips with holdout = false (the ones thresholds may be tuned on).
        #[arg(long)]
        tuning_only: bool,
        /// Model directory (default: the config's models.dir, else ./models).
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Per frame: pose, eye openness, mouth, passive score, face box, baseline state and
    /// the actions completed; a table, or with --json one JSON object per line (JSON Lines).
    Trace {
        /// file:DIR — a clip directory (clip.toml + frames/) or a directory of frames.
        #[arg(long)]
        camera: String,
        #[arg(long)]
        json: bool,
        /// Frame rate (default: the clip.toml's fps, else camera.replay_fps).
        #[arg(long)]
        fps: Option<f64>,
        #[arg(long)]
        models: Option<PathBuf>,
    },
}

pub(super) fn run(
    cfg: Option<&LoadedConfig>,
    cmd: LivenessCommand,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let config = cfg.map(|c| c.config.clone()).unwrap_or_default();
    match cmd {
        LivenessCommand::Eval {
            corpus,
            json,
            holdout_only,
            tuning_only,
            models,
        } => {
            let selection = match (holdout_only, tuning_only) {
                (true, _) => Selection::Holdout,
                (_, true) => Selection::Tuning,
                _ => Selection::All,
            };
            let mut vision = super::vision::open_vision(models.as_deref(), cfg)?;
            let report = footage::evaluate(&mut vision, &corpus, selection, &config, |id| {
                eprintln!("playing {id}");
            })?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                print_report(out, &report)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        LivenessCommand::Trace {
            camera,
            json,
            fps,
            models,
        } => {
            let mut vision = super::vision::open_vision(models.as_deref(), cfg)?;
            trace(&mut vision, cfg, &config, &camera, fps, json, out)
        }
    }
}

fn print_report(out: &mut impl Write, r: &footage::Report) -> anyhow::Result<()> {
    let s = &r.settings;
    writeln!(
        out,
        "corpus {} ({:?}); challenge time {} ms, prompt {} ms before each labelled start",
        r.corpus, r.selection, s.challenge_timeout_ms, s.lead_in_ms
    )?;
    for c in &r.clips {
        footage::summary::print_clip(out, c)?;
    }
    footage::summary::print(out, "all selected", &r.summary)?;
    if r.selection == Selection::All {
        footage::summary::print(out, "tuning (holdout = false)", &r.tuning)?;
        footage::summary::print(out, "holdout", &r.holdout)?;
    }
    Ok(())
}

/// Where a trace's frames, fps and capture come from.
fn trace_source(
    dir: &Path,
    fps: Option<f64>,
    config: &Config,
) -> anyhow::Result<(Vec<PathBuf>, f64, clip::Capture)> {
    let (frames_dir, meta) = if dir.join("clip.toml").is_file() {
        (
            dir.join("frames"),
            Some(clip::read_meta(&dir.join("clip.toml"))?),
        )
    } else {
        let parent = dir.parent().map(|p| p.join("clip.toml"));
        let meta = match parent.filter(|p| p.is_file()) {
            Some(p) => Some(clip::read_meta(&p)?),
            None => None,
        };
        (dir.to_owned(), meta)
    };
    let frames = clip::list_frames(&frames_dir)?;
    if frames.is_empty() {
        bail!("{} holds no .jpg or .png frames", frames_dir.display());
    }
    let fps = fps
        .or(meta.as_ref().map(|m| m.fps))
        .unwrap_or(config.camera.replay_fps as f64);
    if !(fps.is_finite() && fps > 0.0) {
        bail!("--fps {fps}: give a frame rate above 0");
    }
    let capture = meta.map(|m| m.capture).unwrap_or_default();
    Ok((frames, fps, capture))
}

fn trace(
    vision: &mut crate::vision::Vision,
    cfg: Option<&LoadedConfig>,
    config: &Config,
    camera: &str,
    fps: Option<f64>,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let source: CameraSource = camera
        .parse()
        .map_err(|e| anyhow::anyhow!("--camera {camera:?}: {e}"))?;
    let CameraSource::Replay(path) = source else {
        bail!("--camera must be file:DIR (a clip directory or a directory of frames)");
    };
    let dir = cfg.map_or(path.clone(), |c| c.path_of(&path));
    if !dir.is_dir() {
        bail!(
            "--camera {camera:?}: {} is not a directory of frames",
            dir.display()
        );
    }
    let (frames, fps, capture) = trace_source(&dir, fps, config)?;
    let setup = play::Setup {
        thresholds: &config.thresholds,
        liveness: &config.liveness,
        capture,
        fps,
    };
    if !json {
        writeln!(
            out,
            "{:>6} {:>7} {:>2} {:<14} {:>6} {:>6} {:>6} {:>5} {:>5} {:>5} {:>5} {:>21} {:<10} {:>2} done",
            "frame", "t_ms", "n", "placement", "yaw", "pitch", "roll", "eyeL", "eyeR", "mouth",
            "pass", "box", "baseline", "br"
        )?;
    }
    let f = |v: Option<f32>, p: usize| v.map_or("-".into(), |v| format!("{v:.p$}"));
    let (profile, _) = play::play(vision, &frames, &setup, |r| {
        if json {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        } else {
            let b = r.face_box.map_or("-".into(), |b| {
                format!("{:.0},{:.0},{:.0},{:.0}", b[0], b[1], b[2], b[3])
            });
            let done: Vec<&str> = r.completed.iter().map(|a| a.as_str()).collect();
            writeln!(
                out,
                "{:>6} {:>7} {:>2} {:<14} {:>6} {:>6} {:>6} {:>5} {:>5} {:>5} {:>5} {:>21} {:<10} {:>2} {}",
                r.frame, r.at_ms, r.faces, r.placement, f(r.yaw_deg, 1), f(r.pitch_deg, 1),
                f(r.roll_deg, 1), f(r.eye_left, 2), f(r.eye_right, 2), f(r.mouth, 2),
                f(r.passive, 2), b, r.baseline, r.track_breaks, done.join(",")
            )?;
        }
        Ok(())
    })?;
    if !json {
        writeln!(
            out,
            "{} frames at {fps} fps, placement by the {} rules",
            frames.len(),
            profile.as_str()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

//! `certpoint bench analysis`: per-frame analysis latency on a frame sequence, model
//! load time and peak memory — and, with `--python`, the Python reference pipeline
//! (bench/python_reference.py) on the same frames in the same run, as the peer to beat.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::vision::{Track, Vision, Wants};

pub struct BenchArgs {
    pub frames: Option<PathBuf>,
    pub threads: usize,
    pub min_frames: usize,
    pub python: Option<PathBuf>,
    pub models: PathBuf,
    pub json: bool,
}

pub(super) fn analysis(args: BenchArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let mut vision = Vision::load(&args.models, None, args.threads)?;
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let rss_after_load = rss_mib("VmRSS:");

    let tmp;
    let dir = match &args.frames {
        Some(d) => d.clone(),
        None => {
            // Default frames: a synthetic replay of a real photo performing every
            // challenge (640×480), so tracking sees head movement, not a still.
            tmp = tempdir()?;
            let photo =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/faces/obama_portrait.jpg");
            let img = image::open(&photo)
                .with_context(|| format!("cannot read {}", photo.display()))?
                .to_rgb8();
            let synth = crate::synth::Synth::from_photo(&mut vision, &img)?;
            use certpoint_protocol::Action::*;
            crate::synth::write_replay(
                &synth.replay(&[Blink, TurnLeft, LookUp, TurnRight, Blink]),
                &tmp,
            )?;
            tmp.clone()
        }
    };
    let frames = load_frames(&dir)?;
    // One untimed pass warms caches and ONNX Runtime's allocators, as in the Python script.
    let wants = Wants {
        liveness: true,
        embedding: false,
    };
    let mut track = Track::default();
    for f in &frames {
        vision.analyze_tracked(f, false, wants, &mut track)?;
    }
    let mut ms = Vec::with_capacity(args.min_frames.max(frames.len()));
    while ms.len() < args.min_frames.max(frames.len()) {
        track.reset();
        for f in &frames {
            let t = Instant::now();
            vision.analyze_tracked(f, false, wants, &mut track)?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let rust = summary(&mut ms);
    let mut report = json!({
        "pipeline": "rust (tracked: detect every 4th frame or on drift; passive liveness every 3rd frame, never on a detection frame; eyes and anti-spoofing on 2 cores)",
        "frames": ms.len(),
        "intra_op_threads": args.threads,
        "model_load_ms": round(load_ms),
        "p50_ms": rust.0,
        "p99_ms": rust.1,
        "mean_ms": rust.2,
        "rss_after_model_load_mib": rss_after_load,
        "peak_rss_mib": rss_mib("VmHWM:"),
        // The frames are decoded up front (as in the Python script) and count in the peak.
        "frames_in_memory_mib": round(frames.iter().map(|f| f.as_raw().len()).sum::<usize>() as f64 / 1048576.0),
        "runtime": crate::vision::runtime::ORT_VERSION,
    });
    if let Some(py) = &args.python {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/python_reference.py");
        let o = Command::new(py)
            .arg(&script)
            .arg(&dir)
            .args([
                "--models",
                &args.models.display().to_string(),
                "--threads",
                &args.threads.to_string(),
            ])
            .args([
                "--min-frames",
                &args.min_frames.max(frames.len()).to_string(),
            ])
            .output()
            .with_context(|| format!("cannot run {} {}", py.display(), script.display()))?;
        if !o.status.success() {
            bail!(
                "the Python reference failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let text = String::from_utf8_lossy(&o.stdout);
        let p: Value = serde_json::from_str(text.lines().last().unwrap_or("{}"))
            .with_context(|| format!("unexpected output from the Python reference: {text}"))?;
        if let Some(p50) = p["p50_ms"].as_f64() {
            report["speedup_p50"] = json!(round(p50 / rust.0));
        }
        report["python"] = p;
    }
    if args.json {
        writeln!(out, "{report}")?;
    } else {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn load_frames(dir: &Path) -> anyhow::Result<Vec<image::RgbImage>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the frame directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("jpg" | "jpeg" | "png")
            )
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("{} holds no JPEG or PNG frames", dir.display());
    }
    paths
        .iter()
        .map(|p| {
            Ok(image::open(p)
                .with_context(|| format!("cannot decode {}", p.display()))?
                .to_rgb8())
        })
        .collect()
}

/// (p50, p99, mean), rounded to 0.01 ms.
fn summary(ms: &mut [f64]) -> (f64, f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    (
        round(pct(0.5)),
        round(pct(0.99)),
        round(ms.iter().sum::<f64>() / ms.len() as f64),
    )
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A memory figure of this process from /proc/self/status (VmRSS now, VmHWM peak), MiB.
fn rss_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(round(kb / 1024.0))
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("certpoint-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

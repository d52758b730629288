//! `certpoint bench ui`: how long the UI thread takes per frame while the camera and
//! analysis threads run at full rate behind it.
//!
//! The kiosk's own [`Runtime`] runs for real (configured camera or replay, the models,
//! the flow driving a session in a throw-away data directory), and the real [`App`]
//! draws 1920×1080 frames on a headless egui context at 60 Hz. A frame's time is
//! everything the UI thread does: layout, the preview texture upload and tessellation;
//! the GPU's rasterisation is not included (it runs on the GPU on a kiosk PC, and in
//! software under Xvfb it would measure Mesa, not the kiosk).

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use serde_json::json;

use super::runtime::Runtime;
use super::view::Backend;
use super::{setup_context, App, UiState};
use crate::config::LoadedConfig;
use crate::flow::Event;
use crate::id_number::IdNumber;
use crate::kiosk::Kiosk;

/// A valid test ID number (GB 11643 example), for the scripted session.
const BENCH_ID: &str = "11010519491231002X";

pub fn run(
    cfg: &LoadedConfig,
    secs: f64,
    json_out: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let data = std::env::temp_dir().join(format!("certpoint-bench-ui-{}", std::process::id()));
    let mut cfg = cfg.clone();
    cfg.config.kiosk.data_dir = data.clone();
    // A replay plays as fast as the analysis takes frames, so the analysis runs at full
    // rate (a live camera delivers what it delivers).
    cfg.config.camera.replay_fps = 120;
    let result = measure(&cfg, secs);
    let _ = std::fs::remove_dir_all(&data);
    let r = result?;
    if json_out {
        writeln!(out, "{}", serde_json::to_string(&r)?)?;
    } else {
        writeln!(
            out,
            "UI frame time over {} frames at 1920×1080: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; analysis meanwhile: {:.1} frames/s, {:.1} ms/frame ({})",
            r["frames"], r["p50_ms"].as_f64().unwrap_or(0.0), r["p99_ms"].as_f64().unwrap_or(0.0),
            r["max_ms"].as_f64().unwrap_or(0.0), r["analysed_fps"].as_f64().unwrap_or(0.0),
            r["analysis_ms"].as_f64().unwrap_or(0.0), r["camera"].as_str().unwrap_or("")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn measure(cfg: &LoadedConfig, secs: f64) -> anyhow::Result<serde_json::Value> {
    let kiosk = Kiosk::start(cfg)?;
    let runtime = Runtime::start(kiosk, Box::new(super::voice::LogSpeaker), Arc::new(|| {}))?;
    let ctx = egui::Context::default();
    setup_context(&ctx);
    let mut app = App::new(runtime, UiState::new(&cfg.config.ui.language));
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    let started = Instant::now();
    let mut times = Vec::new();
    let mut seqs = std::collections::HashSet::new();
    let mut analysis_ms = Vec::new();
    let mut camera = String::new();
    let mut scanned_at: Option<Instant> = None;
    while started.elapsed().as_secs_f64() < secs {
        let t = Instant::now();
        let view = app.backend.view();
        // Keep a session going so every screen with a live preview gets drawn (offline,
        // a live session ends pending_match; a scan there starts the next at once).
        if matches!(
            view.state,
            crate::flow::State::Idle
                | crate::flow::State::Passed { .. }
                | crate::flow::State::PendingMatch { .. }
                | crate::flow::State::Failed { .. }
        ) && scanned_at.is_none_or(|s| s.elapsed() > Duration::from_secs(1))
        {
            let event = match view.state {
                crate::flow::State::Failed { .. } => Event::Retry,
                _ => Event::IdScanned {
                    source: certpoint_protocol::IdSource::Typed,
                    id: IdNumber::parse(BENCH_ID)?,
                    seed: rand::random(),
                },
            };
            app.backend.send(event);
            scanned_at = Some(Instant::now());
        }
        if let Some(p) = &view.preview {
            seqs.insert(p.seq);
        }
        if let Some(ms) = view.analysis_ms {
            analysis_ms.push(ms);
        }
        camera.clone_from(&view.camera.label);
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1920.0, 1080.0),
            )),
            time: Some(started.elapsed().as_secs_f64()),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| app.show(ui));
        // No GPU here: the texture changes (the preview) are built but not uploaded.
        output.textures_delta.clear();
        let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
        times.push(t.elapsed());
        if let Some(rest) = frame.checked_sub(t.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    let pct =
        |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    let mean = |v: &[f32]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f32>() / v.len() as f32
        }
    };
    Ok(json!({
        "frames": times.len(),
        "seconds": elapsed,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
        "analysed_fps": seqs.len() as f64 / elapsed,
        "analysis_ms": mean(&analysis_ms),
        "camera": camera,
    }))
}

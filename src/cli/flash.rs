//! `certpoint flash simulate`: the simulated pass rates the flash threshold is set
//! from (no real footage with the flash exists yet; see src/flash/sim.rs).

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use crate::config::FlashSection;
use crate::flash::sim::{pass_rate, Scene, Source};

pub(super) fn simulate(
    section: &FlashSection,
    trials: u32,
    seed: u64,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let settings = crate::flash::FlashSettings::from(section);
    let awb = Scene {
        awb_follows_screen: 0.5,
        ..Scene::default()
    };
    let cases: [(&str, Source, Scene); 10] = [
        (
            "live, 1% screen light",
            Source::Live { gain: 0.01 },
            Scene::default(),
        ),
        ("live, 1.5%", Source::Live { gain: 0.015 }, Scene::default()),
        ("live, 2%", Source::Live { gain: 0.02 }, Scene::default()),
        ("live, 3%", Source::Live { gain: 0.03 }, Scene::default()),
        (
            "live, 3%, white balance follows screen",
            Source::Live { gain: 0.03 },
            awb,
        ),
        ("noise only", Source::Noise, Scene::default()),
        (
            "replay (other session's flash)",
            Source::Replay { glass: 0.0 },
            Scene::default(),
        ),
        (
            "replay, white balance follows screen",
            Source::Replay { glass: 0.0 },
            awb,
        ),
        (
            "replay on glossy glass (0.5% reflection)",
            Source::Replay { glass: 0.005 },
            Scene::default(),
        ),
        (
            "phone (own light 50%, 0.5% reflection)",
            Source::Phone {
                emission: 0.5,
                glass: 0.005,
            },
            Scene::default(),
        ),
    ];
    let mut rows = Vec::new();
    for (i, (name, source, scene)) in cases.iter().enumerate() {
        let (passes, results) = pass_rate(*source, scene, &settings, trials, seed + i as u64);
        let mut scores: Vec<f32> = results.iter().filter_map(|c| c.score).collect();
        scores.sort_by(f32::total_cmp);
        let median = scores.get(scores.len() / 2).copied();
        let rate = f64::from(passes) / f64::from(trials.max(1));
        // With no pass in n trials, 3/n bounds the true rate at 95 % ("rule of three").
        let upper95 = if passes == 0 {
            3.0 / f64::from(trials.max(1))
        } else {
            rate + 1.96 * (rate * (1.0 - rate) / f64::from(trials)).sqrt()
        };
        rows.push(json!({
            "source": name,
            "trials": trials,
            "passes": passes,
            "pass_rate": rate,
            "pass_rate_upper95": upper95,
            "median_score": median,
        }));
    }
    let penalty = crate::flash::lag_penalty(
        settings.steps,
        settings.correlate.max_lag_ms,
        settings.fade_ms,
    );
    if json {
        writeln!(
            out,
            "{}",
            json!({"threshold": settings.correlate.threshold, "lag_penalty": penalty, "steps": settings.steps, "step_ms": settings.step_ms, "rows": rows})
        )?;
    } else {
        writeln!(out, "SIMULATED (src/flash/sim.rs), not measured on real kiosks: threshold {:.2} on the correlation minus the lag-search penalty {penalty:.3}; {} steps of {} ms; {trials} flashes per row", settings.correlate.threshold, settings.steps, settings.step_ms)?;
        for r in &rows {
            writeln!(
                out,
                "{:<45} pass {:>5}/{:<5} = {:>7.3}%  (95% upper {:.3}%)  median score {:.3}",
                r["source"].as_str().unwrap_or(""),
                r["passes"],
                r["trials"],
                r["pass_rate"].as_f64().unwrap_or(0.0) * 100.0,
                r["pass_rate_upper95"].as_f64().unwrap_or(0.0) * 100.0,
                r["median_score"].as_f64().unwrap_or(f64::NAN),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

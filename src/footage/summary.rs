//! Figures over many clips: per action, per negative kind, passive BPCER/APCER, attacks.
//! The JSON keys are documented in README.md ("Liveness on real footage") and kept stable.

use std::collections::BTreeMap;
use std::io::Write;

use certpoint_protocol::Action;
use serde::Serialize;

use super::score::{percentile, rate, ClipScore, Settings, NEGATIVE_KINDS};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionStats {
    /// Labelled events of this action on real clips.
    pub events: usize,
    pub detected: usize,
    pub detection_rate: Option<f64>,
    /// The same over the events whose prompt came after the person's baseline was
    /// known, as it always has at the kiosk (positioning comes first); a clip that
    /// opens with the movement leaves no time for one.
    pub events_with_baseline: usize,
    pub detected_with_baseline: usize,
    pub detection_rate_with_baseline: Option<f64>,
    /// The same over the promptable events (see `EventScore::promptable`): the ones a
    /// kiosk could have asked for, the face having been placed long enough before.
    pub events_promptable: usize,
    pub detected_promptable: usize,
    pub detection_rate_promptable: Option<f64>,
    /// Completions of this action inside negative stretches of real clips.
    pub false_detections: usize,
    /// Negative stretches of real clips, and how many saw this action complete.
    pub negative_stretches: usize,
    pub stretches_with_false_detection: usize,
    pub false_detection_rate: Option<f64>,
    pub time_to_detect_p50_ms: Option<u64>,
    pub time_to_detect_p90_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NegativeStats {
    pub stretches: usize,
    /// Stretches in which any action completed (a "pass" of that negative).
    pub with_detection: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassiveStats {
    pub threshold: f32,
    pub real_clips: usize,
    /// Real clips whose verdict is not live (BPCER's numerator).
    pub real_called_attack: usize,
    pub bpcer: Option<f64>,
    pub attack_clips: usize,
    /// Attack clips whose verdict is live (APCER's numerator).
    pub attack_called_live: usize,
    pub apcer: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttackStats {
    pub clips: usize,
    /// Live passive verdict and at least one completed action.
    pub passes: usize,
    pub passing_clips: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub clips: usize,
    pub real_clips: usize,
    pub attack_clips: usize,
    pub actions: BTreeMap<&'static str, ActionStats>,
    pub negatives: BTreeMap<&'static str, NegativeStats>,
    pub passive: PassiveStats,
    pub attacks: AttackStats,
}

pub fn summarise(clips: &[&ClipScore], s: &Settings) -> Summary {
    let real: Vec<&&ClipScore> = clips.iter().filter(|c| c.kind == "real").collect();
    let attack: Vec<&&ClipScore> = clips.iter().filter(|c| c.kind == "attack").collect();
    let negatives: Vec<_> = real.iter().flat_map(|c| &c.negatives).collect();
    let mut actions = BTreeMap::new();
    for action in Action::ALL {
        let events: Vec<_> = real
            .iter()
            .flat_map(|c| &c.events)
            .filter(|e| e.action == action)
            .collect();
        let detected = events.iter().filter(|e| e.detected).count();
        let based: Vec<_> = events.iter().filter(|e| e.baseline_at_prompt).collect();
        let detected_based = based.iter().filter(|e| e.detected).count();
        let promptable: Vec<_> = events.iter().filter(|e| e.promptable).collect();
        let detected_promptable = promptable.iter().filter(|e| e.detected).count();
        let times: Vec<u64> = events
            .iter()
            .filter(|e| e.detected)
            .filter_map(|e| e.time_to_detect_ms)
            .collect();
        let hits = |n: &&super::score::NegativeScore| {
            n.false_detections
                .iter()
                .filter(|c| c.action == action)
                .count()
        };
        let with = negatives.iter().filter(|n| hits(n) > 0).count();
        actions.insert(
            action.as_str(),
            ActionStats {
                events: events.len(),
                detected,
                detection_rate: rate(detected, events.len()),
                events_with_baseline: based.len(),
                detected_with_baseline: detected_based,
                detection_rate_with_baseline: rate(detected_based, based.len()),
                events_promptable: promptable.len(),
                detected_promptable,
                detection_rate_promptable: rate(detected_promptable, promptable.len()),
                false_detections: negatives.iter().map(hits).sum(),
                negative_stretches: negatives.len(),
                stretches_with_false_detection: with,
                false_detection_rate: rate(with, negatives.len()),
                time_to_detect_p50_ms: percentile(&times, 50.0),
                time_to_detect_p90_ms: percentile(&times, 90.0),
            },
        );
    }
    let mut by_kind = BTreeMap::new();
    for kind in NEGATIVE_KINDS {
        let mut st = NegativeStats {
            stretches: 0,
            with_detection: 0,
            seconds: 0.0,
        };
        for c in &real {
            for n in c.negatives.iter().filter(|n| n.kind == kind) {
                st.stretches += 1;
                st.with_detection += usize::from(!n.false_detections.is_empty());
                st.seconds += (n.end + 1 - n.start) as f64 / c.fps;
            }
        }
        by_kind.insert(kind, st);
    }
    let real_called_attack = real.iter().filter(|c| !c.passive.live).count();
    let attack_called_live = attack.iter().filter(|c| c.passive.live).count();
    let passing: Vec<String> = attack
        .iter()
        .filter(|c| c.attack_passes == Some(true))
        .map(|c| c.id.clone())
        .collect();
    Summary {
        clips: clips.len(),
        real_clips: real.len(),
        attack_clips: attack.len(),
        actions,
        negatives: by_kind,
        passive: PassiveStats {
            threshold: s.passive_threshold,
            real_clips: real.len(),
            real_called_attack,
            bpcer: rate(real_called_attack, real.len()),
            attack_clips: attack.len(),
            attack_called_live,
            apcer: rate(attack_called_live, attack.len()),
        },
        attacks: AttackStats {
            clips: attack.len(),
            passes: passing.len(),
            passing_clips: passing,
        },
    }
}

fn pct(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{:.1} %", 100.0 * r))
}

fn ms(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| format!("{v} ms"))
}

/// The human table of `liveness eval`.
pub fn print(out: &mut impl Write, title: &str, s: &Summary) -> std::io::Result<()> {
    writeln!(
        out,
        "{title}: {} clips ({} real, {} attack)",
        s.clips, s.real_clips, s.attack_clips
    )?;
    writeln!(
        out,
        "  {:<11} {:>6} {:>8} {:>8} {:>13} {:>13}  {:>15} {:>8}  {:>9} {:>9}",
        "action",
        "events",
        "detected",
        "rate",
        "with baseline",
        "promptable",
        "false/negatives",
        "rate",
        "ttd p50",
        "ttd p90"
    )?;
    for (name, a) in &s.actions {
        writeln!(
            out,
            "  {:<11} {:>6} {:>8} {:>8} {:>13} {:>13}  {:>15} {:>8}  {:>9} {:>9}",
            name,
            a.events,
            a.detected,
            pct(a.detection_rate),
            format!(
                "{}/{} {}",
                a.detected_with_baseline,
                a.events_with_baseline,
                pct(a.detection_rate_with_baseline)
            ),
            format!(
                "{}/{} {}",
                a.detected_promptable,
                a.events_promptable,
                pct(a.detection_rate_promptable)
            ),
            format!(
                "{}/{}",
                a.stretches_with_false_detection, a.negative_stretches
            ),
            pct(a.false_detection_rate),
            ms(a.time_to_detect_p50_ms),
            ms(a.time_to_detect_p90_ms)
        )?;
    }
    let negs: Vec<String> = s
        .negatives
        .iter()
        .map(|(k, n)| {
            format!(
                "{k} {}/{} ({:.0} s)",
                n.with_detection, n.stretches, n.seconds
            )
        })
        .collect();
    writeln!(out, "  negatives with any detection: {}", negs.join(", "))?;
    let p = &s.passive;
    writeln!(
        out,
        "  passive at {:.2}: BPCER {}/{} = {}; APCER {}/{} = {}",
        p.threshold,
        p.real_called_attack,
        p.real_clips,
        pct(p.bpcer),
        p.attack_called_live,
        p.attack_clips,
        pct(p.apcer)
    )?;
    writeln!(
        out,
        "  attacks passing (live passive + a completed action): {}/{}{}",
        s.attacks.passes,
        s.attacks.clips,
        if s.attacks.passing_clips.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.attacks.passing_clips.join(", "))
        }
    )
}

/// One line per clip, naming what went wrong in it.
pub fn print_clip(out: &mut impl Write, c: &ClipScore) -> std::io::Result<()> {
    let missed: Vec<String> = c
        .events
        .iter()
        .filter(|e| !e.detected)
        .map(|e| format!("{}@{}-{}", e.kind, e.start, e.end))
        .collect();
    let false_: Vec<String> = c
        .negatives
        .iter()
        .flat_map(|n| {
            n.false_detections
                .iter()
                .map(move |d| format!("{}@{} in {}", d.action.as_str(), d.frame, n.kind))
        })
        .collect();
    writeln!(
        out,
        "  {:<28} {:<6} {:<12} {}/{} events, passive {} ({}){}{}{}",
        c.id,
        c.kind,
        c.profile,
        c.events.iter().filter(|e| e.detected).count(),
        c.events.len(),
        c.passive.median.map_or("-".into(), |m| format!("{m:.2}")),
        if c.passive.live { "live" } else { "attack" },
        if missed.is_empty() {
            String::new()
        } else {
            format!("; missed {}", missed.join(" "))
        },
        if false_.is_empty() {
            String::new()
        } else {
            format!("; false {}", false_.join(" "))
        },
        match c.attack_passes {
            Some(true) => "; ATTACK PASSES",
            _ => "",
        }
    )
}

//! Scoring one played clip against its labels. Pure: frame rows and labels in, figures
//! out, so the rules below are unit-tested without a model.
//!
//! - **Action events.** The action is "prompted" `lead_in_ms` before the labelled start
//!   (clamped to the clip's start), as the kiosk asks and the person then moves. The
//!   event is detected when the detector completes that action in a frame from the
//!   labelled start to `match_slack_ms` after the labelled end (a movement completes
//!   when it is undone, and labels are a frame or two loose), no later than the
//!   challenge timeout after the prompt. Each completion answers at most one event.
//!   Time to detect = completion − prompt.
//! - **Negatives.** Labelled still, wink, eyes-closed-long and occlusion stretches,
//!   and every unlabelled stretch of at least [`MIN_UNLABELLED_MS`] (kept
//!   `match_slack_ms` away from any label): any completion there, of any action, is a
//!   false detection.
//! - **Passive verdict of a clip**, as the flow forms it for an attempt: the median of
//!   the per-frame scores over the frames showing exactly one face that counts (the
//!   challenge phase's rule; the flow drops non-finite scores), live when the median
//!   is at or above the threshold (the flow fails `score < threshold`). No score at
//!   all is not live (the flow fails such an attempt as unavailable).
//! - **An attack passes** when its passive verdict is live and it completes at least
//!   one action: the challenges it shows would be accepted.

use certpoint_protocol::Action;
use serde::Serialize;

use super::clip::{ClipKind, ClipMeta, EventKind};
use super::play::FrameTrace;

/// Unlabelled stretches shorter than this are not counted as negatives: between two
/// close labels there is no room for a movement, and tiny stretches would swell the
/// denominator of the false-detection rate.
pub const MIN_UNLABELLED_MS: u64 = 1_000;

/// The fixed rules of a run (`settings` in the JSON).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Settings {
    /// `challenges.timeout_secs` of the config, in ms.
    pub challenge_timeout_ms: u64,
    pub lead_in_ms: u64,
    pub match_slack_ms: u64,
    /// `thresholds.passive_liveness` of the config.
    pub passive_threshold: f32,
    /// How long the kiosk keeps a face well placed before it prompts anything (the
    /// flow's `stable_positioning_ms`): an event is *promptable* when its prompt comes
    /// at least this long after the clip's first face.
    pub positioning_ms: u64,
}

impl Settings {
    pub fn new(challenge_timeout_ms: u64, passive_threshold: f32) -> Settings {
        Settings {
            challenge_timeout_ms,
            lead_in_ms: 1_000,
            match_slack_ms: 500,
            passive_threshold,
            positioning_ms: crate::flow::FlowParams::default().stable_positioning_ms,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Completion {
    pub frame: usize,
    pub at_ms: u64,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventScore {
    /// The label (image-side turns).
    pub kind: &'static str,
    /// The kiosk action it was scored as (person's side).
    pub action: Action,
    pub start: usize,
    pub end: usize,
    pub prompt_ms: u64,
    /// Completed within the window and the challenge time.
    pub detected: bool,
    pub detected_frame: Option<usize>,
    pub time_to_detect_ms: Option<u64>,
    /// Whether the person's baseline was known at the prompt (the kiosk always has one
    /// by then; a clip starting with the movement does not).
    pub baseline_at_prompt: bool,
    /// Whether the kiosk could have prompted it: the prompt falls at least
    /// `positioning_ms` after the clip's first face. Unlike `baseline_at_prompt` this
    /// does not depend on the detectors, so a pipeline that never forms a baseline
    /// cannot shrink the set.
    pub promptable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NegativeScore {
    /// still | wink | eyes_closed_long | occlusion | unlabelled
    pub kind: &'static str,
    pub start: usize,
    pub end: usize,
    pub false_detections: Vec<Completion>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassiveVerdict {
    pub scored_frames: usize,
    pub median: Option<f32>,
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipScore {
    pub id: String,
    pub kind: &'static str,
    pub attack: Option<String>,
    pub capture: String,
    pub profile: &'static str,
    pub holdout: bool,
    pub fps: f64,
    pub frames: usize,
    /// Frames with exactly one face that counts.
    pub face_frames: usize,
    /// Frames placed well under the clip's profile.
    pub well_placed_frames: usize,
    pub baseline_at_ms: Option<u64>,
    pub events: Vec<EventScore>,
    pub negatives: Vec<NegativeScore>,
    /// Every completion in the clip.
    pub completions: Vec<Completion>,
    pub passive: PassiveVerdict,
    /// Attack clips: live passive verdict and at least one completed action.
    pub attack_passes: Option<bool>,
}

fn snake<T: std::fmt::Debug>(v: &T) -> String {
    // The enums' Debug names are the TOML's values in CamelCase.
    let mut out = String::new();
    for (i, c) in format!("{v:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

pub fn score_clip(
    meta: &ClipMeta,
    profile: super::profile::Profile,
    rows: &[FrameTrace],
    s: &Settings,
) -> ClipScore {
    let at = |i: usize| rows.get(i).map_or(0, |r| r.at_ms);
    let completions: Vec<Completion> = rows
        .iter()
        .flat_map(|r| {
            r.completed.iter().map(|a| Completion {
                frame: r.frame,
                at_ms: r.at_ms,
                action: *a,
            })
        })
        .collect();
    let baseline_at_ms = rows.iter().find(|r| r.baseline == "set").map(|r| r.at_ms);
    let first_face_ms = rows.iter().find(|r| r.faces == 1).map(|r| r.at_ms);
    let mut used = vec![false; completions.len()];
    let mut labels = meta.events.clone();
    labels.sort_by_key(|e| (e.start, e.end));

    let mut events = Vec::new();
    for e in labels.iter() {
        let Some(action) = e.kind.action() else {
            continue;
        };
        let prompt_ms = at(e.start).saturating_sub(s.lead_in_ms);
        let last_ms = at(e.end) + s.match_slack_ms;
        let hit = completions.iter().enumerate().find(|(i, c)| {
            !used[*i] && c.action == action && c.frame >= e.start && c.at_ms <= last_ms
        });
        let (detected_frame, ttd) = match hit {
            Some((i, c)) => {
                used[i] = true;
                (Some(c.frame), Some(c.at_ms - prompt_ms))
            }
            None => (None, None),
        };
        events.push(EventScore {
            kind: e.kind.as_str(),
            action,
            start: e.start,
            end: e.end,
            prompt_ms,
            detected: ttd.is_some_and(|t| t <= s.challenge_timeout_ms),
            detected_frame,
            time_to_detect_ms: ttd,
            baseline_at_prompt: baseline_at_ms.is_some_and(|b| b <= prompt_ms),
            promptable: first_face_ms
                .is_some_and(|f| at(e.start) >= f + s.positioning_ms + s.lead_in_ms),
        });
    }

    let mut stretches: Vec<(&'static str, usize, usize)> = labels
        .iter()
        .filter(|e| e.kind.action().is_none())
        .map(|e| (e.kind.as_str(), e.start, e.end))
        .collect();
    stretches.extend(
        unlabelled(meta, rows, s)
            .into_iter()
            .map(|(a, b)| ("unlabelled", a, b)),
    );
    let negatives = stretches
        .into_iter()
        .map(|(kind, start, end)| NegativeScore {
            kind,
            start,
            end,
            false_detections: completions
                .iter()
                .zip(&used)
                .filter(|(c, u)| !**u && (start..=end).contains(&c.frame))
                .map(|(c, _)| *c)
                .collect(),
        })
        .collect();

    let passive = passive_verdict(rows, s.passive_threshold);
    let attack_passes =
        (meta.kind == ClipKind::Attack).then_some(passive.live && !completions.is_empty());
    ClipScore {
        id: meta.id.clone(),
        kind: match meta.kind {
            ClipKind::Real => "real",
            ClipKind::Attack => "attack",
        },
        attack: meta.attack.as_ref().map(snake),
        capture: snake(&meta.capture),
        profile: profile.as_str(),
        holdout: meta.holdout,
        fps: meta.fps,
        frames: rows.len(),
        face_frames: rows.iter().filter(|r| r.faces == 1).count(),
        well_placed_frames: rows.iter().filter(|r| r.placement == "good").count(),
        baseline_at_ms,
        events,
        negatives,
        completions,
        passive,
        attack_passes,
    }
}

/// Maximal runs of frames at least `match_slack_ms` away from every label and at least
/// [`MIN_UNLABELLED_MS`] long, as inclusive frame ranges.
fn unlabelled(meta: &ClipMeta, rows: &[FrameTrace], s: &Settings) -> Vec<(usize, usize)> {
    let near_label = |r: &FrameTrace| {
        meta.events.iter().any(|e| {
            let at = |i: usize| rows.get(i).map_or(u64::MAX, |r| r.at_ms);
            let (a, b) = (at(e.start), at(e.end));
            r.at_ms.saturating_add(s.match_slack_ms) >= a
                && r.at_ms <= b.saturating_add(s.match_slack_ms)
        })
    };
    let mut runs = Vec::new();
    let mut start = None;
    for (i, r) in rows.iter().enumerate() {
        match (near_label(r), start) {
            (false, None) => start = Some(i),
            (true, Some(a)) => {
                runs.push((a, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(a) = start {
        runs.push((a, rows.len() - 1));
    }
    runs.retain(|&(a, b)| rows[b].at_ms - rows[a].at_ms >= MIN_UNLABELLED_MS);
    runs
}

/// The attempt rule of the flow (`flow::evidence::PassiveAggregate`) over a clip.
pub fn passive_verdict(rows: &[FrameTrace], threshold: f32) -> PassiveVerdict {
    let mut scores: Vec<f32> = rows
        .iter()
        .filter(|r| r.faces == 1)
        .filter_map(|r| r.passive)
        .filter(|v| v.is_finite())
        .collect();
    scores.sort_by(f32::total_cmp);
    let n = scores.len();
    let median = (n > 0).then(|| {
        if n % 2 == 1 {
            scores[n / 2]
        } else {
            (scores[n / 2 - 1] + scores[n / 2]) / 2.0
        }
    });
    PassiveVerdict {
        scored_frames: n,
        median,
        live: median.is_some_and(|m| m >= threshold),
    }
}

/// Nearest-rank percentile (`p` in 0..=100) of `values`; `None` when empty.
pub fn percentile(values: &[u64], p: f64) -> Option<u64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    Some(v[rank.clamp(1, n) - 1])
}

/// `num / den`, `None` when there is nothing to divide.
pub fn rate(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The labels whose kind is a negative, for reports.
pub const NEGATIVE_KINDS: [&str; 5] = [
    EventKind::Still.as_str(),
    EventKind::Wink.as_str(),
    EventKind::EyesClosedLong.as_str(),
    EventKind::Occlusion.as_str(),
    "unlabelled",
];

//! Liveness measured on recorded footage: `certpoint liveness eval` and `trace`.
//!
//! A labelled corpus (one directory per clip: `clip.toml` + `frames/`, see [`clip`]) is
//! played through the kiosk's own per-frame path ([`play`]: the vision pipeline, then
//! `driver::observe::observation` feeding the active-liveness detectors), and the
//! completions are scored against the labels ([`score`]), then summed up per action,
//! per negative kind and for passive anti-spoofing ([`summary`]).
//!
//! Nothing here changes what the kiosk does. Footage not filmed by a kiosk is judged
//! with its own placement rules ([`profile`]) so that phone selfies are not all "too
//! close"; the kiosk keeps its configured ones.

pub mod clip;
pub mod play;
pub mod profile;
pub mod score;
pub mod summary;

#[cfg(test)]
mod tests;

use std::path::Path;

use serde::Serialize;

pub use clip::{Clip, ClipMeta, EventKind};
pub use play::FrameTrace;
pub use profile::Profile;
pub use score::{ClipScore, Settings};
pub use summary::Summary;

use crate::config::Config;
use crate::vision::Vision;

/// Which clips an evaluation runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    All,
    /// `holdout = true` clips only: the figures tuning never saw.
    Holdout,
    /// `holdout = false` clips only: what thresholds may be tuned on.
    Tuning,
}

impl Selection {
    fn keeps(self, c: &Clip) -> bool {
        match self {
            Selection::All => true,
            Selection::Holdout => c.meta.holdout,
            Selection::Tuning => !c.meta.holdout,
        }
    }
}

/// The whole `liveness eval --json` answer.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub corpus: String,
    pub selection: Selection,
    pub settings: Settings,
    /// Over the selected clips.
    pub summary: Summary,
    /// The same figures over the tuning and the holdout clips among them.
    pub tuning: Summary,
    pub holdout: Summary,
    pub clips: Vec<ClipScore>,
}

/// Plays and scores every selected clip of `corpus` with `config`'s thresholds, liveness
/// parameters and challenge timeout. `progress` hears each clip's id as it starts.
pub fn evaluate(
    vision: &mut Vision,
    corpus: &Path,
    selection: Selection,
    config: &Config,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<Report> {
    let clips = clip::open_corpus(corpus)?;
    let settings = Settings::new(
        config.challenges.timeout_secs * 1000,
        config.thresholds.passive_liveness,
    );
    let mut scores = Vec::new();
    for c in clips.iter().filter(|c| selection.keeps(c)) {
        progress(&c.meta.id);
        let setup = play::Setup {
            thresholds: &config.thresholds,
            liveness: &config.liveness,
            capture: c.meta.capture,
            fps: c.meta.fps,
        };
        let (profile, rows) = play::play(vision, &c.frames, &setup, |_| Ok(()))?;
        scores.push(score::score_clip(&c.meta, profile, &rows, &settings));
    }
    let pick = |keep: &dyn Fn(&ClipScore) -> bool| -> Vec<&ClipScore> {
        scores.iter().filter(|c| keep(c)).collect()
    };
    Ok(Report {
        corpus: corpus.display().to_string(),
        selection,
        settings,
        summary: summary::summarise(&pick(&|_| true), &settings),
        tuning: summary::summarise(&pick(&|c| !c.holdout), &settings),
        holdout: summary::summarise(&pick(&|c| c.holdout), &settings),
        clips: scores,
    })
}

//! What an attempt gathers for its verdict and its record.

use certpoint_protocol::{
    Action, ChallengeResult, DepthCheck, FaceMatch, Outcome, Quality, Scored, ScreenFlash,
};
use chrono::{DateTime, FixedOffset};

use super::effect::{EndReason, Verdict};
use super::event::{DepthFigure, FrameObservation};
use super::params::FlowParams;

/// What an attempt has gathered so far, for its verdict and its record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence {
    pub challenges: Vec<ChallengeResult>,
    pub passive: PassiveAggregate,
    /// Quality figures of the sharpest single-face frame seen; the runner picks the same
    /// frame for the match and the stored crop.
    pub quality: Option<Quality>,
    /// The 3-D check's latest figure (the runner's running summary of the turns).
    pub depth: Option<DepthFigure>,
    /// The screen-flash result, when the flash ran and answered.
    pub screen_flash: Option<ScreenFlash>,
}

impl Evidence {
    /// Takes in a frame that shows exactly one face worth judging.
    pub fn observe(&mut self, frame: &FrameObservation) {
        if frame.depth.is_some() {
            self.depth = frame.depth;
        }
        if let Some(score) = frame.passive_liveness {
            self.passive.push(score);
        }
        if let Some(q) = frame.quality {
            if q.sharpness.is_finite()
                && self.quality.is_none_or(|best| q.sharpness > best.sharpness)
            {
                self.quality = Some(q);
            }
        }
    }

    /// What the screen flash says against the attempt, when the config requires it.
    pub fn flash_problem(&self, params: &FlowParams) -> Option<EndReason> {
        if params.screen_flash != super::params::FlashRule::Required {
            return None;
        }
        match &self.screen_flash {
            None => Some(EndReason::ScreenFlashUnavailable),
            Some(f) if f.correlation.is_none() => Some(EndReason::ScreenFlashUnavailable),
            Some(f) if !f.passed => Some(EndReason::ScreenFlash),
            Some(_) => None,
        }
    }

    pub fn passive_scored(&self, params: &FlowParams) -> Option<Scored> {
        self.passive.median().map(|score| Scored {
            score,
            threshold: params.passive_liveness_threshold,
        })
    }

    /// The 3-D check as recorded: the figure with the threshold in force, when the
    /// check is on and measured something.
    pub fn depth_check(&self, params: &FlowParams) -> Option<DepthCheck> {
        let threshold = params.depth_threshold?;
        self.depth.map(|d| DepthCheck {
            residual: d.residual,
            threshold,
            yaw_span_deg: d.yaw_span_deg,
            frames: d.frames,
        })
    }

    /// What the 3-D check says against this attempt: nothing when it is off or no
    /// head turn was passed; `DepthUnavailable` when a turn was passed but nothing
    /// measured (a picture must not escape by defeating the mesh); `DepthFlat` below
    /// the threshold (NaN counts as below).
    pub fn depth_problem(&self, params: &FlowParams) -> Option<EndReason> {
        let threshold = params.depth_threshold?;
        let turned = self
            .challenges
            .iter()
            .any(|c| c.passed && matches!(c.action, Action::TurnLeft | Action::TurnRight));
        if !turned {
            return None;
        }
        match self.depth {
            None => Some(EndReason::DepthUnavailable),
            Some(d) if d.frames == 0 => Some(EndReason::DepthUnavailable),
            Some(d) if d.residual.is_nan() || d.residual < threshold => Some(EndReason::DepthFlat),
            Some(_) => None,
        }
    }

    pub fn verdict(
        self,
        outcome: Outcome,
        reason: Option<EndReason>,
        ended_at: DateTime<FixedOffset>,
        face_match: FaceMatch,
        params: &FlowParams,
    ) -> Verdict {
        Verdict {
            outcome,
            reason,
            ended_at,
            depth_check: self.depth_check(params),
            passive_liveness: self.passive_scored(params),
            challenges: self.challenges,
            face_match,
            quality: self.quality,
            screen_flash: self.screen_flash,
        }
    }
}

/// Passive anti-spoofing scores of an attempt, judged by their median: a handful of
/// blurred or badly lit frames (frequent with tremor) must not sink a live person, and a
/// handful of lucky frames must not carry a replayed video.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PassiveAggregate {
    scores: Vec<f32>,
}

impl PassiveAggregate {
    /// Non-finite scores are dropped: a detector glitch is not evidence either way.
    pub fn push(&mut self, score: f32) {
        if score.is_finite() {
            self.scores.push(score);
        }
    }

    pub fn count(&self) -> usize {
        self.scores.len()
    }

    pub fn median(&self) -> Option<f32> {
        if self.scores.is_empty() {
            return None;
        }
        let mut sorted = self.scores.clone();
        sorted.sort_by(f32::total_cmp);
        let mid = sorted.len() / 2;
        Some(if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        })
    }
}

//! The screen-flash result in a record (issue 15 §3): additive, optional, schema 2.

use serde::{Deserialize, Serialize};

/// What the screen-flash check measured in one attempt: whether the face's colour
/// followed a random sequence of colours shown on the retiree's side of the screen.
///
/// An auditor gets the sequence itself (not the seed: the seed would also reveal the
/// session's challenge order, and the letters say everything that was shown), the
/// timing, how many frames could be measured, and the figures judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenFlash {
    /// The colours shown, one letter per step: `A` amber, `B` blue, `G` green, `P` pink.
    pub sequence: String,
    /// How long each colour was held, ms (cross-faded in).
    pub step_ms: u32,
    /// Frames with a measurable face and background during the flash.
    pub frames: u32,
    /// Best correlation (−1..1) of the face's chroma with the sequence over the lag
    /// window; absent when too few frames could be measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<f32>,
    /// `correlation` minus the penalty for searching the lag: what `threshold` judges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// The display-to-camera lag at which `correlation` was found, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<u32>,
    pub threshold: f32,
    pub passed: bool,
}

//! `[depth_check]`: the 3-D check during head turns (issue 15 §2), which fails an
//! attempt whose face turned like a picture (flat, tilted, curved or folded).

use serde::{Deserialize, Serialize};

/// `[depth_check]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DepthCheckSection {
    /// Run the check on attempts that ask for a head turn. Off, the face mesh never
    /// runs and records carry no `depth_check`.
    pub enabled: bool,
    /// Minimum median nose-tip parallax over the turned frames, in face widths
    /// (calibration: README, "3-D check during head turns").
    pub threshold: f32,
    /// Yaw change (degrees, the pose proxy) from the frontal frame before a frame counts.
    pub min_yaw_deg: f32,
}

/// The calibrated threshold (README, "3-D check during head turns"): real turns gave
/// 0.027–0.11 per clip, pictures turned as sheets 0.002–0.024 but for one folded sheet.
pub const DEFAULT_DEPTH_THRESHOLD: f32 = 0.02;

impl Default for DepthCheckSection {
    fn default() -> Self {
        DepthCheckSection {
            enabled: true,
            threshold: DEFAULT_DEPTH_THRESHOLD,
            min_yaw_deg: 12.0,
        }
    }
}

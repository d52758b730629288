//! The driver's share of the 3-D check during head turns: run the face mesh on the
//! frames the tracker wants while a turn is asked, and hand the points over. The
//! figure is computed in `crate::liveness::DepthTracker`; the flow decides on it.

use std::sync::Arc;

use certpoint_protocol::Action;
use image::RgbImage;

use super::Driver;
use crate::flow::State;
use crate::vision::{FaceAnalysis, Vision};

impl Driver {
    /// The 3-D check's share of a frame: only while a head turn is being asked, and
    /// only on the frames the tracker wants (near rest, or turned far enough), so the
    /// ~2 ms mesh stays off the normal frame rate. A mesh that fails is skipped, not
    /// fatal: too few measured frames fail the attempt in the flow anyway.
    pub(super) fn measure_depth(
        &mut self,
        vision: &mut Vision,
        image: &Arc<RgbImage>,
        face: &FaceAnalysis,
        yaw_deg: f32,
    ) {
        let Some(depth) = self.depth.as_mut() else {
            return;
        };
        let turning = matches!(
            &self.state,
            State::Challenges(c) if matches!(c.current(), Some(Action::TurnLeft | Action::TurnRight))
        );
        let Some(rest) = self.liveness.baseline().map(|b| b.yaw_deg) else {
            return;
        };
        if !turning || !depth.wants_mesh(yaw_deg, rest) {
            return;
        }
        match vision.face_mesh(image, face) {
            Ok(Some(mesh)) => depth.push(yaw_deg, rest, image, mesh.xy()),
            Ok(None) => {}
            Err(e) => tracing::warn!("the face mesh failed on a turn frame: {e}"),
        }
    }
}

//! Why a camera source could not start or stopped delivering frames.
//!
//! Every message names the thing that failed (the replay file, the device number) and
//! ends with what the administrator should do, because the text goes straight to the
//! journal and to the clerk's screen. The type is `Clone` (errors from the OS are kept as
//! text) so the one failure can travel through the [`FrameSlot`](super::FrameSlot) to
//! the consumer while the camera thread also logs it.

use std::path::PathBuf;

/// How a configured source is written in `kiosk-config.toml`, for the fixes below.
const SOURCE_FORMS: &str = "camera.source = \"auto\", \"demo\", \"device:N\" or \"file:PATH\"";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CameraError {
    #[error("the camera replay {path} does not exist. Check the path in camera.source = \"file:...\" (a relative path is read from the configuration file's directory)")]
    ReplayMissing { path: PathBuf },

    #[error(
        "the camera replay {path} cannot be read: {reason}. Check that the kiosk user may read it"
    )]
    ReplayUnreadable { path: PathBuf, reason: String },

    #[error("the camera replay directory {dir} holds no frames (.jpg, .jpeg or .png files). Put the recorded frames there, or point camera.source at the right directory")]
    ReplayEmpty { dir: PathBuf },

    #[error("the replay frame {path} is not a readable image: {reason}. Replace or delete that file (frames must be JPEG or PNG)")]
    BadFrame { path: PathBuf, reason: String },

    #[error("camera device {index} does not exist (cameras found: {found}). Plug the camera in and check `ls /dev/video*`, or set {SOURCE_FORMS}", found = list(.available))]
    DeviceNotFound { index: u32, available: Vec<u32> },

    #[error("camera device {index} is busy ({reason}). Close the other program using the camera (another kiosk instance, a video call), then start again")]
    DeviceBusy { index: u32, reason: String },

    #[error("camera device {index} may not be opened by this user ({reason}). Add the kiosk user to the \"video\" group, then log in again")]
    DevicePermission { index: u32, reason: String },

    #[error("camera device {index} offers no picture format certpoint can read (it needs MJPEG, YUYV or NV12): {reason}. It may not be a webcam (some /dev/video nodes carry only metadata): choose another device:N")]
    DeviceNoFormat { index: u32, reason: String },

    #[error("camera device {index} could not be opened: {reason}. Unplug and replug the camera, or set {SOURCE_FORMS}")]
    DeviceOpen { index: u32, reason: String },

    #[error("camera device {index} stopped delivering frames ({reason}); it was probably unplugged. Plug it back in and restart the camera")]
    DeviceLost { index: u32, reason: String },

    #[error("camera device {index} sent {count} unreadable frames in a row (last: {reason}). Try another USB port or cable, or a lower camera.width/height")]
    DeviceGarbled {
        index: u32,
        count: u32,
        reason: String,
    },

    #[error("the camera thread stopped unexpectedly (a bug: see the log for the panic). Restart the kiosk")]
    ThreadPanicked,
}

fn list(indices: &[u32]) -> String {
    if indices.is_empty() {
        "none".to_owned()
    } else {
        indices
            .iter()
            .map(|i| format!("device:{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_thing_and_the_fix() {
        let e = CameraError::DeviceNotFound {
            index: 7,
            available: vec![],
        };
        let text = e.to_string();
        assert!(text.contains("device 7"), "{text}");
        assert!(text.contains("cameras found: none"), "{text}");
        assert!(text.contains("camera.source"), "{text}");

        let e = CameraError::DeviceNotFound {
            index: 7,
            available: vec![0, 2],
        };
        assert!(e.to_string().contains("device:0, device:2"));

        let e = CameraError::BadFrame {
            path: "rec/0003.png".into(),
            reason: "bad header".into(),
        };
        let text = e.to_string();
        assert!(text.contains("rec/0003.png") && text.contains("Replace or delete"));
    }
}

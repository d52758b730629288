//! Device tests that need no camera: mode choice, frame decoding, error sorting.

use super::*;

fn mode(w: u32, h: u32, f: FrameFormat, fps: u32) -> CameraFormat {
    CameraFormat::new_from(w, h, f, fps)
}

#[test]
fn chooses_mjpeg_near_the_request_and_fast_enough() {
    use FrameFormat::*;
    let modes = [
        mode(640, 480, YUYV, 30),
        mode(1280, 720, YUYV, 10),
        mode(1280, 720, MJPEG, 30),
        mode(1920, 1080, MJPEG, 30),
        mode(1280, 720, GRAY, 30),
    ];
    assert_eq!(choose_format(&modes, 1280, 720, 30), Some(modes[2]));
    // Without MJPEG, a fast small mode beats a slow exact one.
    assert_eq!(choose_format(&modes[..2], 1280, 720, 30), Some(modes[0]));
    // Only unreadable formats: nothing.
    assert_eq!(choose_format(&modes[4..], 1280, 720, 30), None);
    // Same size and format: the nearest rate.
    let rates = [mode(640, 480, MJPEG, 60), mode(640, 480, MJPEG, 25)];
    assert_eq!(choose_format(&rates, 640, 480, 30), Some(rates[1]));
}

#[test]
fn decodes_yuyv_nv12_and_mjpeg() {
    // One YUYV macropixel = two pixels; Y=235/U=V=128 is white, Y=16 black.
    let res = Resolution::new(2, 1);
    let img = to_rgb(FrameFormat::YUYV, res, &[235, 128, 16, 128, 0, 0]).unwrap();
    assert_eq!(img.get_pixel(0, 0).0, [255, 255, 255]);
    assert_eq!(img.get_pixel(1, 0).0, [0, 0, 0]);
    assert!(to_rgb(FrameFormat::YUYV, res, &[235, 128])
        .unwrap_err()
        .contains("needs 4"));

    let nv12 = [235u8, 235, 235, 235, 128, 128];
    let img = to_rgb(FrameFormat::NV12, Resolution::new(2, 2), &nv12).unwrap();
    assert_eq!(img.dimensions(), (2, 2));

    let mut jpeg = Vec::new();
    RgbImage::from_pixel(16, 8, image::Rgb([200, 30, 30]))
        .write_to(&mut std::io::Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .unwrap();
    let img = to_rgb(FrameFormat::MJPEG, Resolution::new(16, 8), &jpeg).unwrap();
    assert_eq!(img.dimensions(), (16, 8));
    assert!(img.get_pixel(4, 4).0[0] > 150);
    assert!(to_rgb(FrameFormat::MJPEG, res, &jpeg[..20]).is_err());
    assert!(to_rgb(FrameFormat::GRAY, res, &[0, 0]).is_err());
}

#[test]
fn os_errors_map_to_the_right_fix() {
    let open = |msg: &str| open_error(4, &NokhwaError::OpenDeviceError("4".into(), msg.into()));
    assert!(matches!(
        open("V4L2 Error: Device or resource busy (os error 16)"),
        CameraError::DeviceBusy { index: 4, .. }
    ));
    assert!(matches!(
        open("V4L2 Error: Permission denied (os error 13)"),
        CameraError::DevicePermission { index: 4, .. }
    ));
    assert!(matches!(
        open("V4L2 Error: No such file or directory (os error 2)"),
        CameraError::DeviceNotFound { index: 4, .. }
    ));
    assert!(matches!(
        open("something else"),
        CameraError::DeviceOpen { index: 4, .. }
    ));
    let unfit = NokhwaError::GetPropertyError {
        property: "CameraFormat".into(),
        error: "Failed to Fufill".into(),
    };
    assert!(matches!(
        open_error(4, &unfit),
        CameraError::DeviceNoFormat { index: 4, .. }
    ));
}

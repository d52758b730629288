//! The kiosk command starts for real: configuration loaded, store opened, window open
//! on a virtual X display (Xvfb, installed by scripts/setup test), then closed on request.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn the_kiosk_opens_its_window_with_the_store_under_xvfb() {
    let display = format!(":{}", 90 + std::process::id() % 100);
    let mut xvfb = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "1280x720x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb is needed for this test: run scripts/setup test");
    std::thread::sleep(Duration::from_millis(800));

    let dir = tempfile::tempdir().unwrap();
    let (cfg, data) = common::shipped_config_in(dir.path());

    let out = Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(&cfg)
        .args(["run", "--windowed", "--exit-after-secs", "2"])
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("kiosk started") && stderr.contains("kiosk window open"),
        "{stderr}"
    );
    assert!(data.join("certpoint.sqlite").exists());
    let logs: Vec<_> = std::fs::read_dir(data.join("logs")).unwrap().collect();
    assert_eq!(logs.len(), 1, "one rotating log file");
}

#[test]
fn a_corrupt_model_stops_the_kiosk_before_any_window_with_the_file_and_fix() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    for f in std::fs::read_dir(root.join("models")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), models.join(f.file_name())).unwrap();
    }
    // A different file under the right name, as a botched manual update would leave.
    std::fs::copy(
        models.join("minifasnet_v1se_4.0_80x80.onnx"),
        models.join("minifasnet_v2_2.7_80x80.onnx"),
    )
    .unwrap();
    let cfg = dir.path().join("kiosk-config.toml");
    std::fs::write(&cfg, "[kiosk]\nid = \"K1\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n[voice]\nenabled = false\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(&cfg)
        .args(["run", "--windowed"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("minifasnet_v2_2.7_80x80.onnx") && stderr.contains("1f0fa56dad894005"),
        "{stderr}"
    );
    assert!(
        stderr.contains("build-models.sh") && !stderr.contains("display"),
        "{stderr}"
    );
}

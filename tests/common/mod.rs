//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes a copy of the shipped kiosk-config.toml into `dir`, with the data directory
/// inside `dir` and the model and voice directories pointing at the repository's, and
/// returns its path and the data directory. Panics if the shipped file stops setting
/// the lines it rewrites, so the tests cannot silently test something else.
pub fn shipped_config_in(dir: &Path) -> (PathBuf, PathBuf) {
    let shipped = std::fs::read_to_string(root().join("kiosk-config.toml")).unwrap();
    let data = dir.join("data");
    let rewrites = [
        (
            "data_dir = \"data\"",
            format!("data_dir = {:?}", data.to_str().unwrap()),
        ),
        (
            "dir = \"models\"",
            format!("dir = {:?}", root().join("models").to_str().unwrap()),
        ),
        (
            "dir = \"assets/voice\"",
            format!("dir = {:?}", root().join("assets/voice").to_str().unwrap()),
        ),
    ];
    let mut text = shipped;
    for (from, to) in rewrites {
        assert!(
            text.contains(from),
            "kiosk-config.toml must contain `{from}`"
        );
        text = text.replacen(from, &to, 1);
    }
    let cfg = dir.join("kiosk-config.toml");
    std::fs::write(&cfg, text).unwrap();
    (cfg, data)
}

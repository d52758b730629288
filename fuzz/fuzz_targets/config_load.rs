//! Arbitrary bytes as `kiosk-config.toml` through `config::check`, the exact entry point
//! of `certpoint check-config` (file read, UTF-8 check, both passes, problem locations).
//!
//! Invariants: no panic; a rejected file yields at least one problem, each naming the
//! file, a line and column inside the text, a message and a fix; an accepted file's
//! paths resolve without panicking.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use certpoint_fuzz::config;
use libfuzzer_sys::fuzz_target;

/// One directory per process, on tmpfs when there is one: the loader reads from a file,
/// and rewriting one small file per run costs a few microseconds there.
fn file() -> &'static PathBuf {
    static FILE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &FILE
        .get_or_init(|| {
            let dir = tempfile::Builder::new()
                .prefix("certpoint-fuzz-config")
                .tempdir_in("/dev/shm")
                .or_else(|_| tempfile::tempdir())
                .expect("a temporary directory");
            let path = dir.path().join("kiosk-config.toml");
            (dir, path)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let path = file();
    std::fs::write(path, data).expect("writing the input file");
    match config::check(path) {
        Ok(loaded) => {
            let _ = loaded.data_dir();
            let _ = loaded.models_dir();
            let _ = loaded.voice_dir();
            let _ = loaded.runtime_library();
            let _ = loaded.signing_key_path();
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "rejected without a problem");
            let text = String::from_utf8_lossy(data);
            let lines = text.split('\n').count();
            for p in &problems {
                assert_eq!(&p.file, path);
                assert!(
                    p.line >= 1 && p.line <= lines,
                    "line {} of {lines}: {p:?}",
                    p.line
                );
                assert!(p.column >= 1, "column 0: {p:?}");
                assert!(!p.message.is_empty() && !p.fix.is_empty(), "{p:?}");
                assert!(p.to_string().contains("kiosk-config.toml"));
            }
        }
    }
});

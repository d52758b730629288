//! Logging: human-readable lines to stderr and, for the kiosk, a daily-rotated file in
//! `<data_dir>/logs/` keeping the newest `max_files`.
//!
//! Personal data never goes to a log. Code logs ID numbers only through
//! `IdNumber::masked()`; the record types mask themselves in `Debug`; images are never
//! logged at all.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Keeps the file writer's background thread alive; drop it last, on exit, so the final
/// lines reach the disk.
pub struct LogGuard {
    _file: Option<WorkerGuard>,
}

/// Starts logging at `level` (overridable with `RUST_LOG`). With `log_dir`, also to a
/// rotating file there. Calling it twice is harmless (the second call changes nothing),
/// which keeps tests that start the kiosk more than once simple.
pub fn init(level: &str, log_dir: Option<(&Path, usize)>) -> anyhow::Result<LogGuard> {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter());
    let (file_layer, guard) = match log_dir {
        Some((dir, max_files)) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                anyhow::anyhow!("cannot create the log directory {}: {e}", dir.display())
            })?;
            let appender = tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("certpoint")
                .filename_suffix("log")
                .max_log_files(max_files)
                .build(dir)?;
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer)
        .try_init();
    Ok(LogGuard { _file: guard })
}

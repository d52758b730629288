//! `certpoint sync now` and `certpoint keys init|show`.
//!
//! `sync now` drains the outbox once in the foreground, retrying transient failures a
//! few times with backoff, and exits 0 only when nothing is left pending. It is what an
//! administrator runs after an outage, and what the kill -9 sync test interrupts.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use crate::config::LoadedConfig;
use crate::store::Store;
use crate::sync::client::{AgencyClient, ClientSettings};
use crate::sync::keys;
use crate::sync::status::{self, SyncState};
use crate::sync::{drain_once, Backoff, DrainStop, StatusHandle};

/// How many transient failures in a row `sync now` rides out before giving up.
const RETRIES: u32 = 4;

#[derive(Debug, Serialize)]
struct SyncNowReport {
    sent: u64,
    duplicates: u64,
    rejected: u64,
    pending: u64,
    /// Why it stopped: `done`, `server_unavailable` or `auth_failed`.
    result: &'static str,
    error: Option<String>,
}

pub(super) fn sync_now(
    cfg: &LoadedConfig,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let settings = ClientSettings::from_config(cfg)?;
    let client = AgencyClient::new(&settings)?;
    let key = keys::load_key(&cfg.signing_key_path())?;
    let mut store = Store::open_configured(cfg)?;
    let status = StatusHandle::default();
    let backoff = Backoff {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(8),
        max_retry_after: Duration::from_secs(30),
    };
    let mut total = SyncNowReport {
        sent: 0,
        duplicates: 0,
        rejected: 0,
        pending: 0,
        result: "done",
        error: None,
    };
    let mut failures = 0;
    loop {
        let r = drain_once(&mut store, &client, &key, &status, &|| false)?;
        total.sent += r.sent;
        total.duplicates += r.duplicates;
        total.rejected += r.rejected;
        total.pending = r.pending;
        match r.stop {
            DrainStop::Empty | DrainStop::Interrupted => break,
            DrainStop::AuthFailed { reason } => {
                total.result = "auth_failed";
                total.error = Some(reason);
                break;
            }
            DrainStop::Retry {
                reason,
                retry_after,
            } => {
                total.result = "server_unavailable";
                total.error = Some(reason);
                if r.sent > 0 || r.rejected > 0 {
                    failures = 0;
                }
                if failures >= RETRIES {
                    break;
                }
                std::thread::sleep(backoff.delay(failures, retry_after));
                failures += 1;
            }
        }
    }
    if total.pending == 0 {
        total.result = "done";
        total.error = None;
    }
    status.update(|s| {
        if total.pending == 0 {
            s.state = SyncState::Online;
            s.last_error = None;
        }
        s.retry_in_secs = None;
    });
    status::save(&cfg.data_dir(), &status.get());
    if json {
        writeln!(out, "{}", serde_json::to_string(&total)?)?;
    } else {
        writeln!(
            out,
            "sent: {} ({} already on the server)\nrejected: {}\nstill pending: {}",
            total.sent, total.duplicates, total.rejected, total.pending
        )?;
        if let Some(e) = &total.error {
            writeln!(out, "stopped: {e}")?;
        }
        if total.rejected > 0 {
            writeln!(
                out,
                "see the refused records with: certpoint queue list --state rejected"
            )?;
        }
    }
    Ok(if total.pending == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(Debug, Serialize)]
struct SyncStatusReport {
    queue: crate::store::QueueStatus,
    /// What the sync worker (or the last `sync now`) published, if it ever ran here.
    worker: Option<status::SyncStatus>,
}

/// `certpoint sync status`: the queue as it is now, and the last state the sync worker
/// (or `sync now`) published in the data directory.
pub(super) fn sync_status(
    cfg: &LoadedConfig,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let store = Store::open_configured(cfg)?;
    let report = SyncStatusReport {
        queue: store.status()?,
        worker: status::load(&cfg.data_dir()),
    };
    if json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let q = &report.queue;
    writeln!(
        out,
        "server: {}",
        if cfg.config.server.is_offline() {
            "none (offline mode)"
        } else {
            cfg.config.server.url.as_str()
        }
    )?;
    writeln!(
        out,
        "queue: {} pending, {} sent, {} rejected; oldest pending {}",
        q.pending,
        q.sent,
        q.rejected,
        q.oldest_pending_at.as_deref().unwrap_or("-")
    )?;
    match &report.worker {
        None => writeln!(out, "sync: has not run with this data directory yet")?,
        Some(w) => {
            writeln!(
                out,
                "sync: {} (as of {})",
                serde_json::to_value(w.state)?.as_str().unwrap_or("?"),
                w.updated_at.as_deref().unwrap_or("-")
            )?;
            if let Some(e) = &w.last_error {
                writeln!(out, "last error: {e}")?;
            }
            if let Some(t) = &w.last_success_at {
                writeln!(out, "last success: {t}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct KeyReport {
    path: String,
    public_key: String,
    kiosk_id: String,
}

pub(super) fn keys_init(
    cfg: &LoadedConfig,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let path = cfg.signing_key_path();
    let key = keys::init_key(&path)?;
    print_key(cfg, &key, json, true, out)
}

pub(super) fn keys_show(
    cfg: &LoadedConfig,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let key = keys::load_key(&cfg.signing_key_path())?;
    print_key(cfg, &key, json, false, out)
}

fn print_key(
    cfg: &LoadedConfig,
    key: &ed25519_dalek::SigningKey,
    json: bool,
    created: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let report = KeyReport {
        path: cfg.signing_key_path().display().to_string(),
        public_key: certpoint_protocol::public_key_b64(key),
        kiosk_id: cfg.config.kiosk.id.clone(),
    };
    if json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        if created {
            writeln!(out, "signing key created: {} (mode 0600)", report.path)?;
        }
        writeln!(out, "public key: {}", report.public_key)?;
        writeln!(
            out,
            "register it on the agency server with:\n  certpoint-agency kiosk add --id {} --public-key {}",
            report.kiosk_id, report.public_key
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

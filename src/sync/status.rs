//! What the sync worker publishes: one small struct behind a lock, read by the UI's
//! status panel and printed by `certpoint sync now`. Never holds a token, key or ID.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// File in the data directory where the last published status is kept, so that
/// `certpoint sync status` (another process) can show what the worker saw.
pub const STATUS_FILE: &str = "sync-status.json";

/// Where sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// No `server.url`: records stay queued here.
    Disabled,
    /// Not tried yet.
    Starting,
    /// The last exchange with the server succeeded.
    Online,
    /// The server could not be reached or answered 429/5xx; retrying with backoff.
    Offline,
    /// The server refused the kiosk's credentials (401/403) or the key is missing:
    /// sending has stopped until an administrator fixes it and restarts the kiosk.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub state: SyncState,
    pub pending: u64,
    pub sent: u64,
    pub rejected: u64,
    pub oldest_pending_at: Option<String>,
    /// The last failure, in words (an HTTP status and the server's reason, or the
    /// network error); cleared by the next success.
    pub last_error: Option<String>,
    pub last_success_at: Option<String>,
    /// Seconds until the next retry while offline.
    pub retry_in_secs: Option<f64>,
    /// When this status was published (RFC 3339).
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            state: SyncState::Starting,
            pending: 0,
            sent: 0,
            rejected: 0,
            oldest_pending_at: None,
            last_error: None,
            last_success_at: None,
            retry_in_secs: None,
            updated_at: None,
        }
    }
}

/// Writes `status` to `<data_dir>/sync-status.json` (via a temporary file and a rename,
/// so a reader never sees half a file). Best effort: a failure is only logged.
pub fn save(data_dir: &Path, status: &SyncStatus) {
    let mut s = status.clone();
    s.updated_at = Some(chrono::Local::now().to_rfc3339());
    let tmp = data_dir.join(format!("{STATUS_FILE}.tmp"));
    let result = serde_json::to_vec_pretty(&s)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, data_dir.join(STATUS_FILE)));
    if let Err(e) = result {
        tracing::warn!("cannot write the sync status file: {e}");
    }
}

/// The last status saved in `data_dir`, if any.
pub fn load(data_dir: &Path) -> Option<SyncStatus> {
    let bytes = std::fs::read(data_dir.join(STATUS_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A shared, cheaply cloned view of the worker's [`SyncStatus`].
#[derive(Debug, Clone, Default)]
pub struct StatusHandle(Arc<Mutex<SyncStatus>>);

impl StatusHandle {
    pub fn get(&self) -> SyncStatus {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn update(&self, f: impl FnOnce(&mut SyncStatus)) {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

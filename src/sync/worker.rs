//! The sync thread: drains the outbox whenever a record is stored, retries with
//! backoff while the server is away, stops on rejected credentials, and publishes its
//! [`SyncStatus`](super::SyncStatus) throughout.
//!
//! Stop and wake are one small type, [`Signal`], rather than flags scattered through
//! the loop: `wake` cuts an idle wait short (a new record was stored), `stop` ends any
//! wait. During a backoff wait a wake is remembered but does not cut it short, so a
//! queue filling up while the server is down does not hammer it, and a `Retry-After`
//! is honoured.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;

use super::backoff::Backoff;
use super::client::{AgencyClient, ClientError, ClientSettings};
use super::drain::{drain_once, DrainStop};
use super::keys;
use super::status::{StatusHandle, SyncState};
use crate::config::LoadedConfig;
use crate::store::{Store, STORE_FILE};

#[derive(Default)]
struct Flags {
    wake: bool,
    stop: bool,
}

/// Wake/stop signalling between the kiosk and the sync thread.
#[derive(Default)]
pub struct Signal {
    flags: Mutex<Flags>,
    cv: Condvar,
}

impl Signal {
    /// A new record is stored: send it now if the worker is idle.
    pub fn wake(&self) {
        self.lock().wake = true;
        self.cv.notify_all();
    }

    pub fn stop(&self) {
        self.lock().stop = true;
        self.cv.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        self.lock().stop
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Flags> {
        self.flags.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `done` holds, or `timeout` passes; returns the held flags.
    fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&Flags) -> bool,
    ) -> std::sync::MutexGuard<'_, Flags> {
        let deadline = Instant::now() + timeout;
        let mut f = self.lock();
        while !done(&f) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            f = self
                .cv
                .wait_timeout(f, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        f
    }

    /// Idle wait: until woken, stopped or `timeout`. Consumes the wake. `true` = stop.
    fn wait_idle(&self, timeout: Duration) -> bool {
        let mut f = self.wait_for(timeout, |f| f.wake || f.stop);
        f.wake = false;
        f.stop
    }

    /// Backoff wait: until stopped or `timeout`; a wake is kept for later. `true` = stop.
    pub(crate) fn sleep(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |f| f.stop).stop
    }

    /// Waits for stop only (after an auth failure).
    fn wait_stop(&self) {
        let mut f = self.lock();
        while !f.stop {
            f = self.cv.wait(f).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Everything the worker thread needs.
pub struct WorkerParts {
    /// The kiosk's data directory (the worker opens its own connection to the store).
    pub data_dir: PathBuf,
    /// The key file that seals the store's personal fields (`kiosk.store_key_file`).
    pub store_key: PathBuf,
    /// `retention.days`: the worker applies retention when the queue is empty.
    pub retention_days: u32,
    pub client: AgencyClient,
    /// `Err` when the key is missing or unreadable: the worker reports it and waits.
    pub key: Result<SigningKey, String>,
    pub backoff: Backoff,
    /// How often an idle worker looks at the queue without a wake (records written by
    /// another process, such as `certpoint certify`).
    pub idle_poll: Duration,
}

/// A running sync thread. Dropping it stops the thread and waits for it.
pub struct SyncWorker {
    signal: Arc<Signal>,
    status: StatusHandle,
    thread: Option<JoinHandle<()>>,
}

impl SyncWorker {
    /// Starts the worker for a configuration with a `server.url`.
    pub fn spawn_from_config(cfg: &LoadedConfig) -> Result<SyncWorker, ClientError> {
        let settings = ClientSettings::from_config(cfg)?;
        let client = AgencyClient::new(&settings)?;
        let key = keys::load_key(&cfg.signing_key_path()).map_err(|e| e.to_string());
        Ok(SyncWorker::spawn(WorkerParts {
            data_dir: cfg.data_dir(),
            store_key: cfg.store_key_path(),
            retention_days: cfg.config.retention.days,
            client,
            key,
            backoff: Backoff::default(),
            idle_poll: Duration::from_secs(30),
        }))
    }

    pub fn spawn(parts: WorkerParts) -> SyncWorker {
        let signal = Arc::new(Signal::default());
        let status = StatusHandle::default();
        let thread = {
            let signal = signal.clone();
            let status = status.clone();
            std::thread::Builder::new()
                .name("sync".into())
                .spawn(move || run(parts, &signal, &status))
                .expect("spawning the sync thread")
        };
        SyncWorker {
            signal,
            status,
            thread: Some(thread),
        }
    }

    /// The handle to call [`Signal::wake`] on after storing a record.
    pub fn signal(&self) -> Arc<Signal> {
        self.signal.clone()
    }

    pub fn wake(&self) {
        self.signal.wake();
    }

    pub fn status(&self) -> StatusHandle {
        self.status.clone()
    }

    /// Stops the thread (after the request in flight) and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.signal.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(parts: WorkerParts, signal: &Signal, status: &StatusHandle) {
    let key = match parts.key {
        Ok(k) => k,
        Err(e) => {
            status.update(|s| {
                s.state = SyncState::Stopped;
                s.last_error = Some(e);
            });
            super::status::save(&parts.data_dir, &status.get());
            signal.wait_stop();
            return;
        }
    };
    let mut store: Option<Store> = None;
    let mut attempt: u32 = 0;
    let mut last_purge: Option<Instant> = None;
    let mut last_beat: Option<Instant> = None;
    while !signal.is_stopped() {
        let outcome = match store.as_mut() {
            Some(s) => drain_once(s, &parts.client, &key, status, &|| signal.is_stopped())
                .map_err(|e| e.to_string()),
            None => {
                match Store::open_with_key(&parts.data_dir.join(STORE_FILE), &parts.store_key) {
                    Ok(s) => {
                        store = Some(s);
                        continue;
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        let stop = match outcome {
            Ok(report) => report.stop,
            Err(e) => {
                // A store error (disk full, locked): report it and retry later; the
                // connection is reopened in case the file was replaced.
                store = None;
                DrainStop::Retry {
                    reason: format!("record store: {e}"),
                    retry_after: None,
                }
            }
        };
        // Only after a pass the server answered in full: a heartbeat sent into a 429 or a
        // 5xx would ignore its Retry-After and add load to a server that asked for less.
        if let (DrainStop::Empty, Some(s)) = (&stop, store.as_ref()) {
            heartbeat_if_due(s, &parts.client, &mut last_beat);
        }
        match stop {
            DrainStop::Empty => {
                attempt = 0;
                if let Some(s) = store.as_mut() {
                    purge_if_due(s, parts.retention_days, &mut last_purge);
                }
                super::status::save(&parts.data_dir, &status.get());
                if signal.wait_idle(parts.idle_poll) {
                    break;
                }
            }
            DrainStop::Retry {
                reason,
                retry_after,
            } => {
                let delay = parts.backoff.delay(attempt, retry_after);
                attempt = attempt.saturating_add(1);
                status.update(|s| {
                    s.state = SyncState::Offline;
                    s.last_error = Some(reason);
                    s.retry_in_secs = Some(delay.as_secs_f64());
                });
                super::status::save(&parts.data_dir, &status.get());
                if signal.sleep(delay) {
                    break;
                }
            }
            DrainStop::AuthFailed { .. } => {
                super::status::save(&parts.data_dir, &status.get());
                signal.wait_stop();
                break;
            }
            DrainStop::Interrupted => break,
        }
    }
}

/// How often the worker tells the agency its version and queue.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(60);

/// Sends a heartbeat (app version, queue depth, oldest pending record) at most every
/// [`HEARTBEAT_EVERY`], after a drain pass that emptied the queue (records stored
/// meanwhile still count in the depth). A failure only waits for the next one: the back
/// office shows the last heartbeat's time, which is the point.
fn heartbeat_if_due(store: &Store, client: &AgencyClient, last: &mut Option<Instant>) {
    if last.is_some_and(|t| t.elapsed() < HEARTBEAT_EVERY) {
        return;
    }
    *last = Some(Instant::now());
    let queue = match store.status() {
        Ok(q) => q,
        Err(e) => {
            tracing::debug!("heartbeat skipped: the queue status failed: {e}");
            return;
        }
    };
    let beat = certpoint_protocol::Heartbeat {
        app_version: env!("CARGO_PKG_VERSION").into(),
        queue_depth: queue.pending,
        oldest_pending: queue
            .oldest_pending_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()),
    };
    if let Err(e) = client.heartbeat(&beat) {
        tracing::debug!("heartbeat not delivered: {e}");
    }
}

/// Retention needs day precision, so the idle worker applies it hourly rather than on
/// every poll. A failure is logged and retried next hour: sending matters more.
fn purge_if_due(store: &mut Store, retention_days: u32, last: &mut Option<Instant>) {
    const EVERY: Duration = Duration::from_secs(3600);
    if last.is_some_and(|t| t.elapsed() < EVERY) {
        return;
    }
    *last = Some(Instant::now());
    match store.purge(chrono::Local::now().fixed_offset(), retention_days) {
        Ok(report) if !report.is_empty() => {
            tracing::info!(?report, "retention applied to the record store")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "retention could not be applied; retrying in an hour"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::selftest::synthetic_record;

    #[test]
    fn the_idle_worker_applies_retention_at_most_hourly() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in(dir.path()).unwrap();
        let old = chrono::Local::now().fixed_offset() - chrono::TimeDelta::days(31);
        let sent_long_ago = |store: &mut Store| {
            let id = store
                .enqueue(synthetic_record("K1", 1), None)
                .unwrap()
                .record_id;
            store.mark_sent(&id, old).unwrap();
        };
        sent_long_ago(&mut store);
        let mut last = None;
        purge_if_due(&mut store, 30, &mut last);
        assert_eq!(store.status().unwrap().sent, 0, "deleted after 30 days");
        sent_long_ago(&mut store);
        purge_if_due(&mut store, 30, &mut last);
        assert_eq!(store.status().unwrap().sent, 1, "not again within the hour");
        // The last pass over an hour ago (None on a machine up for less than an
        // hour, which counts as due too).
        last = Instant::now().checked_sub(Duration::from_secs(3601));
        purge_if_due(&mut store, 30, &mut last);
        assert_eq!(store.status().unwrap().sent, 0);
    }
}

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
use crate::store::Store;

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
    fn sleep(&self, timeout: Duration) -> bool {
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
    while !signal.is_stopped() {
        let outcome = match store.as_mut() {
            Some(s) => drain_once(s, &parts.client, &key, status, &|| signal.is_stopped())
                .map_err(|e| e.to_string()),
            None => match Store::open_in(&parts.data_dir) {
                Ok(s) => {
                    store = Some(s);
                    continue;
                }
                Err(e) => Err(e.to_string()),
            },
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
        match stop {
            DrainStop::Empty => {
                attempt = 0;
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

//! certpoint-agency: the reference central agency server for certpoint kiosks.
//!
//! It is what integration tests run on 127.0.0.1 and what an office pilot would run:
//! real HTTP (axum on tokio), real storage (SQLite behind the [`Storage`] trait),
//! idempotent inserts keyed by record id, per-kiosk bearer tokens, ed25519 signature
//! checks over each record's canonical body, size limits and JSON errors. The protocol
//! is written down in `docs/protocol.md`; its types live in `certpoint-protocol`.
//!
//! - `parse`: request bodies and headers → typed values or 4xx, pure functions.
//! - `routes`: the endpoints.
//! - [`storage`]: the trait; [`sqlite`]: its backend.
//! - [`RunningServer`]: a server on its own runtime thread, for tests and benchmarks.
//! - [`bundle`]: the bundle-signing key and a region's signed reference-embedding
//!   bundle (the kiosks' offline cache).

pub mod bundle;
mod error;
pub mod parse;
mod routes;
pub mod sqlite;
pub mod storage;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

pub use error::ApiError;
pub use routes::router;
pub use sqlite::SqliteStorage;
pub use storage::{Kiosk, Reference, Storage, StorageError};

/// Serves on `listener` (plain TCP, or [`tls::TlsListener`]) until `shutdown` resolves.
pub async fn serve<L>(
    listener: L,
    storage: Arc<dyn Storage>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, router(storage))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Registers a kiosk: its id, its ed25519 public key (base64) and its bearer token
/// (only the token's sha256 is stored).
pub fn add_kiosk(
    storage: &dyn Storage,
    kiosk_id: &str,
    public_key_b64: &str,
    token: &str,
) -> anyhow::Result<()> {
    certpoint_protocol::parse_public_key(public_key_b64)
        .map_err(|e| anyhow::anyhow!("--public-key: {e} (copy it from `certpoint keys init`)"))?;
    anyhow::ensure!(
        !kiosk_id.is_empty() && kiosk_id.len() <= 64,
        "the kiosk id must be 1 to 64 characters (the kiosk's kiosk.id)"
    );
    anyhow::ensure!(
        token.len() >= 16,
        "the token must be at least 16 characters"
    );
    storage.add_kiosk(
        &Kiosk {
            kiosk_id: kiosk_id.to_owned(),
            public_key: public_key_b64.trim().to_owned(),
        },
        &parse::hex_sha256(token.as_bytes()),
    )?;
    Ok(())
}

/// Registers an auditor: a read-only token for `GET /v1/certifications/{id}` and
/// `GET /v1/kiosks/{id}/gaps` across all kiosks (only the token's sha256 is stored).
pub fn add_auditor(storage: &dyn Storage, name: &str, token: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty() && name.len() <= 64,
        "the auditor name must be 1 to 64 characters"
    );
    anyhow::ensure!(
        token.len() >= 16,
        "the token must be at least 16 characters (leave --token-file out to get a random one)"
    );
    storage.add_auditor(name, &parse::hex_sha256(token.as_bytes()))?;
    Ok(())
}

/// A server running on its own thread and tokio runtime; stopped on [`stop`](Self::stop)
/// or drop. Lets blocking code (the kiosk's tests and benchmarks) run one in-process.
pub struct RunningServer {
    pub addr: SocketAddr,
    https: bool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Binds `bind` (port 0 for any free port) and starts serving.
    pub fn start(bind: SocketAddr, storage: Arc<dyn Storage>) -> std::io::Result<RunningServer> {
        Self::start_with(bind, storage, None)
    }

    /// As [`start`](Self::start), speaking HTTPS with `tls` when given.
    pub fn start_with(
        bind: SocketAddr,
        storage: Arc<dyn Storage>,
        tls: Option<Arc<tls::ServerConfig>>,
    ) -> std::io::Result<RunningServer> {
        let https = tls.is_some();
        let std_listener = std::net::TcpListener::bind(bind)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("agency-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(std_listener)?;
                    let stop = async move {
                        let _ = rx.await;
                    };
                    match tls {
                        Some(config) => {
                            serve(tls::TlsListener::new(listener, config)?, storage, stop).await
                        }
                        None => serve(listener, storage, stop).await,
                    }
                })
            })?;
        Ok(RunningServer {
            addr,
            https,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

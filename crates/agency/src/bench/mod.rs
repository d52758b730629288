//! Load generators for a running agency (`certpoint-agency bench …`), the measuring
//! side of issue 12's targets:
//! - [`ingest`]: throwaway kiosks with real Ed25519 keys send signed records with
//!   ~30 KB photos concurrently, exactly as the kiosk's sync worker does (one record at
//!   a time per kiosk, in `seq` order, the same envelope, `Idempotency-Key` and retry
//!   rules), then every record is checked in storage: stored once, body and photo
//!   byte-identical.
//! - [`status`]: concurrent clients asking `GET /v1/persons/{id}/status` for random
//!   people of a roster file.
//! - [`roster`]: a synthetic roster file (valid ID numbers, names, regions) of any size,
//!   for `roster import` and `bench status`.
//!
//! There is no kiosk registration over HTTP, so the benches register their kiosks in
//! the server's storage, opened as every other command opens it (the same `--data`);
//! the kiosks are named `bench-…` and left registered (they hold no personal data).
//!
//! The ingest clients are plain threads with `ureq`, the kiosk's own HTTP client: a
//! kiosk's sync worker is one thread with one keep-alive connection, so a thread per
//! simulated kiosk is the honest model. The status clients are async tasks on one
//! thread (`client`): at tens of thousands of lookups a second, a thread each made the
//! load generator costlier than the server it measures.

mod client;
pub mod fleet;
mod http;
pub mod ingest;
pub mod roster;
mod stats;
pub mod status;

pub use http::{Backoff, HttpSettings};
pub use stats::{Latencies, LatencySummary};

use crate::service::ServiceError;
use crate::storage::StorageError;

/// Why a bench could not run (not: what it measured, which is its report).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("--url {0:?} is not an http:// or https:// URL")]
    BadUrl(String),
    #[error("cannot read the CA bundle: {0}")]
    CaBundle(String),
    #[error("registering the bench kiosks: {0}")]
    Register(#[from] ServiceError),
    #[error("reading the stored records back: {0}")]
    Storage(#[from] StorageError),
    #[error("{path}: {detail}")]
    File { path: String, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("cannot start a client thread: {0}")]
    Thread(std::io::Error),
}

/// `N` bytes from the operating system's generator: keys, tokens and seeds.
pub(crate) fn os_random<const N: usize>() -> Result<[u8; N], BenchError> {
    use std::io::Read;
    let mut buf = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| BenchError::File {
            path: "/dev/urandom".into(),
            detail: e.to_string(),
        })?;
    Ok(buf)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

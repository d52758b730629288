//! certpoint-agency: the reference central agency server for certpoint kiosks.
//!
//! It is what integration tests run on 127.0.0.1 and what an office pilot would run:
//! real HTTP (axum on tokio), real storage (SQLite or PostgreSQL behind the [`Storage`]
//! trait),
//! idempotent inserts keyed by record id, per-kiosk bearer tokens, ed25519 signature
//! checks over each record's canonical body, size limits and JSON errors; the roster,
//! app self-certifications, each person's status per period, versioned reference
//! photos with embeddings and the log of who read them; server-side matching of
//! `pending_match` records; the signed reference-embedding bundles of the kiosks'
//! offline cache. The protocol is written down in `docs/protocol.md`; its types live
//! in `certpoint-protocol`.
//!
//! Layers, outside in:
//! - [`cli`] and `http`: thin front ends (the command line; the endpoints, with
//!   [`router`]) that parse, authorise and render.
//! - [`service`]: the rules both front ends call — imports, status, region, read
//!   log, rate limits, matching, bundle publication.
//! - [`faces`]: the face engine (the kiosk's pipeline, `certpoint-face`) and its
//!   settings.
//! - [`storage`]: the one trait every backend implements; [`sqlite`] is the embedded
//!   one, [`pg`] the one for a province (`--database postgres://…`); both seal at
//!   rest with the key in [`vault`] and keep photos in the content-addressed
//!   [`photos`] store.
//! - [`parse`]: request bodies and headers → typed values or 4xx, pure functions.
//! - [`RunningServer`]: a server on its own runtime thread, for tests and benchmarks.
//! - [`admin`]: the back office, `/admin/…` (server-rendered pages over `service`).
//! - [`bundle`]: the bundle-signing key and a region's signed reference-embedding
//!   bundle (the kiosks' offline cache).
//! - [`bench`]: load generators (`bench ingest`, `bench status`) and a synthetic
//!   roster, for the throughput and latency figures.

pub mod admin;
pub mod bench;
pub mod bundle;
pub mod cli;
mod error;
pub mod faces;
mod http;
pub mod parse;
pub mod pg;
pub mod photos;
mod server;
pub mod service;
pub mod sqlite;
pub mod storage;
pub mod tls;
pub mod vault;

use std::sync::Arc;

pub use error::ApiError;
pub use http::{router, router_with, ServerOptions};
pub use pg::PgStorage;
pub use server::RunningServer;
pub use service::kiosks::{add_auditor, add_kiosk};
pub use service::rate_limit::RateLimit;
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
    serve_with(listener, storage, ServerOptions::default(), shutdown).await
}

/// As [`serve`], tuned by `options`.
pub async fn serve_with<L>(
    listener: L,
    storage: Arc<dyn Storage>,
    options: ServerOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, router_with(storage, options))
        .with_graceful_shutdown(shutdown)
        .await
}

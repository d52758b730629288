//! Sync: getting stored records to the central agency server, exactly once, in order.
//!
//! The outbox in [`crate::store`] is the source of truth; this module only moves
//! records from `pending` to `sent` (after a 2xx) or `rejected` (after a 400/409/422,
//! with the server's reason), and never deletes one. The protocol is in
//! `docs/protocol.md`; its types are shared with the reference server through
//! `certpoint-protocol`.
//!
//! - [`backoff`]: capped exponential backoff with full jitter, `Retry-After` honoured.
//! - [`client`]: one HTTP request → one classified [`SendOutcome`]; rustls TLS.
//! - [`keys`]: the kiosk's ed25519 signing key file (`certpoint keys init`).
//! - [`person`]: what a person-status answer means (decoded apart from the I/O).
//! - [`reference`]: the lookup at the scan (status, then reference), inline or on its
//!   own thread.
//! - [`drain`]: send pending records oldest first until empty or a failure says stop.
//! - [`status`]: what the worker publishes for the UI and `certpoint sync now`.
//! - [`worker`]: the sync thread and its wake/stop [`Signal`].

pub mod backoff;
pub mod client;
pub mod drain;
pub mod keys;
pub mod person;
pub mod reference;
pub mod status;
pub mod worker;

pub use backoff::Backoff;
pub use client::{AgencyClient, ClientError, SendOutcome};
pub use drain::{drain_once, DrainReport, DrainStop};
pub use status::{StatusHandle, SyncState, SyncStatus};
pub use worker::{Signal, SyncWorker};

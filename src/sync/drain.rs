//! One pass over the outbox: send pending records oldest first, one at a time (so the
//! server receives them in `seq` order), until the queue is empty or an answer says
//! to stop. Shared by the worker thread and `certpoint sync now`.
//!
//! A record leaves `pending` only on the server's word: 2xx → `sent`, 400/409/413/422 →
//! `rejected` with the reason. Acknowledged records are marked sent together at the end
//! of each batch of up to 32 (one fsync, not 32), and always before the next batch is
//! read or the pass returns. A crash between the server's 2xx and `mark_sent` leaves
//! it pending; the resend carries the same record id and body, and the server answers
//! 200 (duplicate) instead of storing it twice.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde::Serialize;

use super::client::{AgencyClient, SendOutcome};
use super::status::{StatusHandle, SyncState};
use crate::store::{Store, StoreError};

/// Why a pass ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DrainStop {
    /// Nothing pending is left.
    Empty,
    /// A transient failure; try again after backoff (at least `retry_after`).
    Retry {
        reason: String,
        #[serde(skip)]
        retry_after: Option<Duration>,
    },
    /// 401/403: the credentials are wrong; do not retry until an admin acts.
    AuthFailed { reason: String },
    /// The caller asked to stop.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrainReport {
    /// Records the server acknowledged in this pass (duplicates included).
    pub sent: u64,
    /// Of those, how many the server already had (a resend after a crash).
    pub duplicates: u64,
    /// Records parked as rejected in this pass.
    pub rejected: u64,
    /// Records still pending after the pass.
    pub pending: u64,
    pub stop: DrainStop,
}

/// How many records are read from the store at a time.
const BATCH: usize = 32;

/// Sends pending records until none is left or a failure stops the pass; `interrupted`
/// is polled between records.
pub fn drain_once(
    store: &mut Store,
    client: &AgencyClient,
    key: &SigningKey,
    status: &StatusHandle,
    interrupted: &dyn Fn() -> bool,
) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport {
        sent: 0,
        duplicates: 0,
        rejected: 0,
        pending: 0,
        stop: DrainStop::Empty,
    };
    let mut acked: Vec<String> = Vec::with_capacity(BATCH);
    let result = send_batches(
        store,
        client,
        key,
        status,
        interrupted,
        &mut report,
        &mut acked,
    );
    // Whatever ended the pass, what the server acknowledged is recorded as sent.
    if !acked.is_empty() {
        store.mark_sent_many(&acked, chrono::Local::now().fixed_offset())?;
    }
    result?;
    finish(store, status, report)
}

fn send_batches(
    store: &mut Store,
    client: &AgencyClient,
    key: &SigningKey,
    status: &StatusHandle,
    interrupted: &dyn Fn() -> bool,
    report: &mut DrainReport,
    acked: &mut Vec<String>,
) -> Result<(), StoreError> {
    'outer: loop {
        if !acked.is_empty() {
            store.mark_sent_many(acked, chrono::Local::now().fixed_offset())?;
            acked.clear();
        }
        let batch = store.next_pending(BATCH)?;
        if batch.is_empty() {
            break;
        }
        for rec in &batch {
            if interrupted() {
                report.stop = DrainStop::Interrupted;
                break 'outer;
            }
            let id = rec.record.record_id.to_string();
            match client.send(rec, key) {
                SendOutcome::Accepted { duplicate } => {
                    acked.push(id);
                    report.sent += 1;
                    report.duplicates += u64::from(duplicate);
                    status.update(|s| {
                        s.state = SyncState::Online;
                        s.last_error = None;
                        s.retry_in_secs = None;
                        s.last_success_at = Some(chrono::Local::now().to_rfc3339());
                    });
                }
                SendOutcome::Rejected {
                    status: code,
                    reason,
                } => {
                    let reason = format!("HTTP {code}: {reason}");
                    tracing::warn!(
                        record_id = id,
                        seq = rec.record.seq,
                        "server refused the record, parked: {reason}"
                    );
                    store.mark_rejected(&id, &reason)?;
                    report.rejected += 1;
                    status.update(|s| {
                        s.state = SyncState::Online;
                        s.last_error = Some(format!("record {id} rejected: {reason}"));
                    });
                }
                SendOutcome::AuthFailed {
                    status: code,
                    reason,
                } => {
                    let reason = format!("HTTP {code}: {reason}");
                    store.note_send_failure(&id, &reason)?;
                    tracing::error!(
                        "the server refused this kiosk's credentials, sync stopped: {reason}"
                    );
                    report.stop = DrainStop::AuthFailed { reason };
                    break 'outer;
                }
                SendOutcome::Retry {
                    reason,
                    retry_after,
                } => {
                    store.note_send_failure(&id, &reason)?;
                    tracing::info!("server unavailable, will retry: {reason}");
                    report.stop = DrainStop::Retry {
                        reason,
                        retry_after,
                    };
                    break 'outer;
                }
            }
        }
    }
    Ok(())
}

fn finish(
    store: &mut Store,
    status: &StatusHandle,
    mut report: DrainReport,
) -> Result<DrainReport, StoreError> {
    let q = store.status()?;
    report.pending = q.pending;
    status.update(|s| {
        s.pending = q.pending;
        s.sent = q.sent;
        s.rejected = q.rejected;
        s.oldest_pending_at = q.oldest_pending_at.clone();
        match &report.stop {
            DrainStop::Empty | DrainStop::Interrupted => {}
            DrainStop::Retry { reason, .. } => {
                s.state = SyncState::Offline;
                s.last_error = Some(reason.clone());
            }
            DrainStop::AuthFailed { reason } => {
                s.state = SyncState::Stopped;
                s.last_error = Some(reason.clone());
            }
        }
    });
    Ok(report)
}

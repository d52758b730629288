//! Turns the flow's account of an ended attempt into the record that is stored and sent.
//!
//! The flow knows what happened; only the kiosk knows where (kiosk and site ids), with
//! what (app version, model hashes) and for which certification period. Keeping that
//! out of the flow keeps the flow pure and its tests free of installation details.

use std::collections::BTreeMap;

use certpoint_protocol::{CertificationRecord, RECORD_SCHEMA_VERSION};
use uuid::Uuid;

use crate::flow::AttemptRecord;

/// Who and what produced a record: fixed for a running kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskIdentity {
    pub kiosk_id: String,
    pub site_code: String,
    pub app_version: String,
    /// Model name → sha256 of the file in use.
    pub models: BTreeMap<String, String>,
}

/// Builds the record for `attempt`. The store assigns `seq` and the photo reference
/// when it is enqueued; the record id is a fresh UUIDv7 (time-ordered, so ids sort the
/// way records were made).
pub fn build(attempt: AttemptRecord, kiosk: &KioskIdentity, period: &str) -> CertificationRecord {
    CertificationRecord {
        schema_version: RECORD_SCHEMA_VERSION,
        record_id: Uuid::now_v7(),
        seq: 0,
        kiosk_id: kiosk.kiosk_id.clone(),
        site_code: kiosk.site_code.clone(),
        id_number: attempt.id_number.as_str().to_owned(),
        period: period.to_owned(),
        started_at: attempt.started_at,
        ended_at: attempt.ended_at,
        outcome: attempt.outcome,
        reason: attempt.reason,
        method: attempt.method,
        attempt: attempt.attempt,
        challenges: attempt.challenges,
        passive_liveness: attempt.passive_liveness,
        face_match: attempt.face_match,
        quality: attempt.quality,
        photo: None,
        models: kiosk.models.clone(),
        app_version: kiosk.app_version.clone(),
        id_source: Some(attempt.id_source),
        excluded_actions: attempt.excluded_actions,
        depth_check: attempt.depth_check,
        screen_flash: attempt.screen_flash,
    }
}

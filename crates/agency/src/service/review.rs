//! The review queue: records a person has to look at — `pending_match` records the
//! server has not matched (no reference, no score, or a score below the threshold) and
//! clerks' manual passes — and the reviewers' decisions on them, which the status rule
//! then follows (`status::decide_reviewed`).
//!
//! No reference, no pass: a `pending_match` record is only confirmed when the person
//! has a reference photo and the record its face crop, i.e. when the reviewer had two
//! faces to compare. Without them the only decision is to reject (the person comes
//! again, or a reference is enrolled first and the server matches).

use chrono::{DateTime, Utc};

use certpoint_protocol::{mask_id_number, parse_period, Outcome, PersonStatus};

use super::status::person_status;
use super::{staff, ServiceError};
use crate::storage::{PeriodRecord, RecordMatch, ReviewDecision, StaffRole, Storage, Verdict};

/// One record in the queue, with what the reviewer needs beside the two photos.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub record: PeriodRecord,
    /// The record as the kiosk signed it (challenges, clerk, reason, kiosk's match).
    pub body: serde_json::Value,
    pub server_match: Option<RecordMatch>,
    pub decision: Option<ReviewDecision>,
    pub has_crop: bool,
    /// Version of the person's current reference photo, if any.
    pub reference_version: Option<String>,
}

impl ReviewItem {
    /// Whether a reviewer may confirm it (see the module documentation).
    pub fn confirmable(&self) -> bool {
        match self.record.outcome {
            Outcome::PendingMatch => self.has_crop && self.reference_version.is_some(),
            _ => true,
        }
    }
}

/// Whether a record needs a person: a manual pass, or a `pending_match` record the
/// server did not match at or above its threshold.
fn needs_review(outcome: Outcome, m: Option<&RecordMatch>) -> bool {
    match outcome {
        Outcome::ManualPassed => true,
        Outcome::PendingMatch => !m.is_some_and(RecordMatch::matched),
        _ => false,
    }
}

fn item(storage: &dyn Storage, record: PeriodRecord) -> Result<ReviewItem, ServiceError> {
    let stored = storage.certification(&record.record_id)?.ok_or_else(|| {
        ServiceError::NotFound(format!("no record {} is stored", record.record_id))
    })?;
    let decision = storage
        .review_decisions(&record.id_number, &record.period)?
        .into_iter()
        .find(|d| d.record_id == record.record_id);
    Ok(ReviewItem {
        server_match: storage.record_match(&record.record_id)?,
        reference_version: storage
            .current_reference(&record.id_number)?
            .map(|c| c.reference.version),
        has_crop: stored.photo_stored,
        body: stored.record,
        decision,
        record,
    })
}

/// The queue of a period: undecided items first (oldest first), then decided ones.
pub fn queue(storage: &dyn Storage, period: &str) -> Result<Vec<ReviewItem>, ServiceError> {
    parse_period(period)?;
    let mut out = Vec::new();
    for record in storage.period_records(period)? {
        if !matches!(
            record.outcome,
            Outcome::ManualPassed | Outcome::PendingMatch
        ) {
            continue;
        }
        let m = storage.record_match(&record.record_id)?;
        if needs_review(record.outcome, m.as_ref()) {
            out.push(item(storage, record)?);
        }
    }
    out.sort_by_key(|i| i.decision.is_some());
    Ok(out)
}

/// One record for the review page (any record a reviewer links to).
pub fn get(storage: &dyn Storage, record_id: &str) -> Result<ReviewItem, ServiceError> {
    let stored = storage
        .certification(record_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("no record {record_id} is stored")))?;
    let id_number = stored.record["id_number"].as_str().unwrap_or_default();
    let record = storage
        .person_records(id_number)?
        .into_iter()
        .find(|r| r.record_id == record_id)
        .ok_or_else(|| ServiceError::NotFound(format!("no record {record_id} is stored")))?;
    item(storage, record)
}

/// Longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// A reviewer's decision: checked, stored, audited; answers the person's new status.
pub fn decide(
    storage: &dyn Storage,
    reviewer: &str,
    role: StaffRole,
    record_id: &str,
    verdict: Verdict,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<PersonStatus, ServiceError> {
    if !role.may_decide() {
        return Err(ServiceError::Forbidden(format!(
            "the {} role may not decide reviews; an admin or reviewer must",
            role.as_str()
        )));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ServiceError::Invalid(format!(
            "the reason is required (1-{MAX_REASON_CHARS} characters)"
        )));
    }
    let it = get(storage, record_id)?;
    if !matches!(
        it.record.outcome,
        Outcome::ManualPassed | Outcome::PendingMatch
    ) {
        return Err(ServiceError::Invalid(format!(
            "record {record_id} is {}; only pending_match records and manual passes are reviewed",
            it.record.outcome.as_str()
        )));
    }
    if verdict == Verdict::Confirmed && !it.confirmable() {
        return Err(ServiceError::Invalid(format!(
            "record {record_id} cannot be confirmed: {}; reject it, or enrol the person's reference photo (`reference import`) so the server can match",
            if it.reference_version.is_none() {
                "the person has no reference photo to compare the face with"
            } else {
                "the kiosk's face crop was not stored"
            }
        )));
    }
    storage.set_review_decision(&ReviewDecision {
        record_id: record_id.to_owned(),
        verdict,
        reason: reason.to_owned(),
        reviewer: reviewer.to_owned(),
        at: now,
    })?;
    staff::audit(
        storage,
        reviewer,
        match verdict {
            Verdict::Confirmed => "review_confirm",
            Verdict::Rejected => "review_reject",
        },
        &format!(
            "record {record_id} of {}: {reason}",
            mask_id_number(&it.record.id_number)
        ),
    )?;
    person_status(storage, &it.record.id_number, &it.record.period)
}

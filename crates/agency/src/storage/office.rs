//! What the back office (`/admin/…`) keeps: staff accounts with their lockout counters,
//! the audit log of logins and decisions, reviewers' decisions on records, and the
//! kiosks' heartbeats. Plain data, like `types`.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};

use certpoint_protocol::{mask_id_number, Outcome};

/// What a back-office account may do. `admin` everything; `reviewer` the review queue
/// and every page; `auditor` read-only pages and exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    Admin,
    Reviewer,
    Auditor,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [StaffRole::Admin, StaffRole::Reviewer, StaffRole::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Admin => "admin",
            StaffRole::Reviewer => "reviewer",
            StaffRole::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<StaffRole> {
        StaffRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may confirm or reject records.
    pub fn may_decide(self) -> bool {
        matches!(self, StaffRole::Admin | StaffRole::Reviewer)
    }
}

/// A back-office account. The password is kept as an Argon2id PHC string only.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub name: String,
    pub role: StaffRole,
    pub password_hash: String,
    /// Failed logins since the last success (or since the last lockout ended).
    pub failed_logins: u32,
    /// No login is accepted before this time.
    pub locked_until: Option<DateTime<Utc>>,
}

impl fmt::Debug for StaffAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffAccount")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("failed_logins", &self.failed_logins)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

/// One line of the back-office audit log. `detail` never holds an ID number in the
/// clear (callers mask it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    /// The account name (or the name tried, for a failed login).
    pub actor: String,
    /// `login`, `login_failed`, `login_locked`, `logout`, `review_confirm`,
    /// `review_reject`, `export_missing`, `export_suspension`, `view_person`.
    pub action: String,
    pub detail: String,
}

/// A reviewer's verdict on one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The reviewer compared the kiosk's crop with the reference photo (or checked the
    /// clerk's manual pass) and it is this person: the record certifies.
    Confirmed,
    /// Not this person, or not acceptable: the record counts for nothing.
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Confirmed, Verdict::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// The decision taken on a record in the review queue (the latest one counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDecision {
    pub record_id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub reviewer: String,
    pub at: DateTime<Utc>,
}

/// A received record of a period, from the index columns (no body opened).
#[derive(Clone, PartialEq, Eq)]
pub struct PeriodRecord {
    pub record_id: String,
    pub kiosk_id: String,
    pub site_code: String,
    pub id_number: String,
    pub period: String,
    pub outcome: Outcome,
    pub ended_at: DateTime<FixedOffset>,
}

impl fmt::Debug for PeriodRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeriodRecord")
            .field("record_id", &self.record_id)
            .field("id_number", &mask_id_number(&self.id_number))
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// What a kiosk last said about itself (`POST /v1/heartbeat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskHeartbeat {
    pub kiosk_id: String,
    pub received_at: DateTime<Utc>,
    pub app_version: String,
    /// Records waiting in the kiosk's queue.
    pub queue_depth: u64,
    /// When the oldest of them was made.
    pub oldest_pending: Option<DateTime<FixedOffset>>,
}

/// One person on the roster with the facts of a period: what the dashboard and the
/// not-yet-certified list read for everyone at once (the same facts
/// [`Storage::person_facts`](super::Storage::person_facts) gives one by one).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonPeriod {
    pub entry: super::RosterEntry,
    pub facts: super::PersonFacts,
    /// Site of the person's latest record in the period (any outcome).
    pub site: Option<String>,
}

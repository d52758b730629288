//! What `certpoint cache status` and the clerk panel show: whether the cache can be
//! used for a pass now and, if not, why.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ReferenceCache;

/// Why the cache cannot be used for a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnusableReason {
    /// `reference_cache.enabled = false`.
    Disabled,
    /// No bundle installed yet.
    Absent,
    /// A stored bundle that does not open or verify (wrong key, another model, damage).
    Unreadable,
    /// Older than `max_age_days`.
    Stale,
}

/// The cache as it stands, for people and scripts (`--json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheStatus {
    pub enabled: bool,
    /// A bundle is installed and verified (whatever its age).
    pub present: bool,
    /// The bundle's region.
    pub scope: Option<String>,
    /// The region this kiosk requires.
    pub expected_scope: String,
    /// When the agency made the bundle (RFC 3339, UTC).
    pub generated_at: Option<String>,
    pub age_secs: Option<i64>,
    /// Age in days, one decimal (for the clerk panel).
    pub age_days: Option<f64>,
    pub max_age_days: i64,
    pub entries: Option<usize>,
    pub model_sha256: Option<String>,
    pub key_id: Option<String>,
    /// Whether a pass may be matched from it now.
    pub usable: bool,
    pub reason_code: Option<UnusableReason>,
    /// The reason and what to do, for a person.
    pub reason: Option<String>,
    /// A problem that does not stop the bundle in use (a newer stored file that was
    /// refused, the last refresh's failure).
    pub warning: Option<String>,
    pub file: String,
}

impl ReferenceCache {
    pub fn status(&self) -> CacheStatus {
        self.status_at(Utc::now())
    }

    pub fn status_at(&self, now: DateTime<Utc>) -> CacheStatus {
        let settings = self.settings();
        let bundle = self.current();
        let header = bundle.as_ref().map(|b| b.header().clone());
        let age = header.as_ref().map(|h| now - h.generated_at);
        let max_age_days = settings.max_age.num_days();
        let problem = super::lock(&self.shared.problem).clone();
        let file_exists = self.path().exists();
        let warning = header.as_ref().and(problem.clone());
        let (reason_code, reason) = if !settings.enabled {
            (
                Some(UnusableReason::Disabled),
                Some(format!(
                    "the offline reference cache is off (reference_cache.enabled = false){}",
                    if file_exists {
                        "; a stored bundle is kept but not loaded"
                    } else {
                        ""
                    }
                )),
            )
        } else if header.is_none() {
            match problem {
                Some(p) => (Some(UnusableReason::Unreadable), Some(p)),
                None => (
                    Some(UnusableReason::Absent),
                    Some("no reference bundle is installed yet: it comes with the next refresh while the server is reachable, or install a file with `certpoint cache import FILE`".to_owned()),
                ),
            }
        } else if age.is_some_and(|a| a > settings.max_age) {
            let days = age.map(|a| a.num_days()).unwrap_or_default();
            (
                Some(UnusableReason::Stale),
                Some(format!(
                    "the reference bundle is {days} days old, older than reference_cache.max_age_days ({max_age_days}): offline attempts are recorded as pending match until a newer bundle arrives (reconnect to the server, or `certpoint cache import` a current export)"
                )),
            )
        } else {
            (None, None)
        };
        CacheStatus {
            enabled: settings.enabled,
            present: header.is_some(),
            scope: header.as_ref().map(|h| h.scope.clone()),
            expected_scope: settings.scope.clone(),
            generated_at: header.as_ref().map(|h| {
                h.generated_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            }),
            age_secs: age.map(|a| a.num_seconds()),
            age_days: age.map(|a| (a.num_seconds() as f64 / 8640.0).round() / 10.0),
            max_age_days,
            entries: header.as_ref().map(|h| h.count),
            model_sha256: header.as_ref().map(|h| h.model_sha256.clone()),
            key_id: header.as_ref().map(|h| h.key_id.clone()),
            usable: reason_code.is_none(),
            reason_code,
            reason,
            warning,
            file: self.path().display().to_string(),
        }
    }
}

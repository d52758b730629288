//! `certpoint-agency photos sweep`: deletes the blobs of the photo store that no row
//! names.
//!
//! Why there are any: a blob is written and synced *before* the row naming it commits
//! (`photos`), so a crash, a killed server or a failed transaction between the two
//! leaves a blob nobody will ever read: a sealed face crop, personal data kept for no
//! purpose. Also a temporary file of a write cut short (directory store).
//!
//! Why a grace period: an ingest in flight has written its blob and not yet committed
//! its row; that blob is unreferenced for a moment and must not be taken. The store is
//! listed first, keeping only what is older than the grace period; the database's
//! names are read after, so any row committed before that read is seen, and a row
//! still to commit belongs to a blob younger than the grace period (a store write
//! refreshes the time of a blob it finds already there). The default, one hour, is
//! far longer than any transaction of the agency.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::photos::StoredBlob;
use crate::storage::{Storage, StorageError};

/// The default grace period.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// What a sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Blobs (and leftover temporary files) in the store.
    pub stored: u64,
    /// Of those, younger than the grace period: not considered.
    pub recent: u64,
    /// Names the database holds.
    pub referenced: u64,
    /// Old enough and named by no row.
    pub orphans: u64,
    pub orphan_bytes: u64,
    /// Deleted (0 with `dry_run`).
    pub deleted: u64,
    pub dry_run: bool,
}

/// Finds (and unless `dry_run`, deletes) the blobs older than `grace` that no row of
/// `storage` names.
pub fn sweep(
    storage: &dyn Storage,
    grace: Duration,
    dry_run: bool,
) -> Result<SweepReport, StorageError> {
    let cutoff = SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut report = SweepReport {
        dry_run,
        ..SweepReport::default()
    };
    // 1. The store, old blobs only.
    let mut candidates: Vec<StoredBlob> = Vec::new();
    storage.photo_store().list(&mut |blob| {
        report.stored += 1;
        if blob.modified <= cutoff {
            candidates.push(blob);
        } else {
            report.recent += 1;
        }
    })?;
    // 2. The database's names, read after the listing (see the module documentation).
    let mut referenced: HashSet<[u8; 32]> = HashSet::new();
    storage.photo_names(&mut |name| {
        if let Some(key) = name_key(name) {
            referenced.insert(key);
        }
    })?;
    report.referenced = referenced.len() as u64;
    // 3. The orphans.
    for blob in candidates {
        let named = blob
            .sha256
            .as_deref()
            .and_then(name_key)
            .is_some_and(|k| referenced.contains(&k));
        if named {
            continue;
        }
        report.orphans += 1;
        report.orphan_bytes += blob.bytes;
        if !dry_run {
            storage.photo_store().delete(&blob)?;
            report.deleted += 1;
            tracing::info!(blob = blob.location, "unreferenced photo blob deleted");
        }
    }
    Ok(report)
}

/// A sha256 name as 32 bytes (half the memory of the text, for a million names).
fn name_key(name: &str) -> Option<[u8; 32]> {
    if name.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(name.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

/// `--older-than`: a number with a unit, `s`, `m`, `h` or `d` (`90m`, `24h`, `7d`).
pub fn parse_grace(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.char_indices().last().map_or(0, |(i, _)| i);
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if scale > 0 => Ok(Duration::from_secs(n.saturating_mul(scale))),
        _ => Err(format!(
            "{text:?} is not a duration; write a number and s, m, h or d (e.g. 24h)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_periods_and_names() {
        assert_eq!(parse_grace("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_grace("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_grace("0s"), Ok(Duration::ZERO));
        for bad in ["", "h", "24", "-1h", "1w", "1.5h", "1小时"] {
            assert!(parse_grace(bad).is_err(), "{bad}");
        }
        let name = "ab".repeat(32);
        assert_eq!(name_key(&name), Some([0xab; 32]));
        assert_eq!(name_key("ab"), None);
        assert_eq!(name_key(&"zz".repeat(32)), None);
    }
}

//! The clerk registry: who may approve a manual pass, their PIN as an Argon2id hash,
//! and the wrong-PIN counter that locks a clerk out.
//!
//! A PIN is six or more digits, so the hash alone cannot make guessing impossible: a
//! million candidates at 60 ms or more each is most of a core-day for someone who copied the
//! file. What stops guessing at the kiosk is the lockout ([`PinPolicy`]), kept in the
//! store so a restart does not reset it; the hash keeps the PINs out of plain sight
//! and makes an offline search cost hours per clerk instead of a second.
//!
//! An unknown clerk id is answered exactly like a wrong PIN: the same Argon2 work (on
//! a dummy hash), the same counting and lockout (in `clerk_unknown_attempts`), so the
//! panel does not tell anyone which ids exist. The audit log, read by administrators
//! only, does say which it was. PINs are never logged or audited, only clerk ids.

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::audit::{append, redact_id_numbers, AuditEntry};
use super::{Store, StoreError};

mod pin_hash;

pub use pin_hash::{hash_pin, verify_pin, PIN_HASH_M_KIB, PIN_HASH_P, PIN_HASH_T};

/// Shortest and longest PIN `clerk add` accepts (digits only).
pub const PIN_MIN_DIGITS: usize = 6;
const PIN_MAX_DIGITS: usize = 32;
/// Longest clerk id; typed ids are cut to this before they are counted or audited.
const CLERK_ID_MAX: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ClerkError {
    #[error(
        "clerk id {0:?} cannot be used: write 1 to 32 letters, digits, '-' or '_' (e.g. C0042)"
    )]
    BadId(String),
    /// Never carries the PIN itself.
    #[error("the PIN cannot be used: {0}. Choose {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")]
    BadPin(&'static str),
    #[error("clerk {0} is already registered; to set a new PIN run `certpoint clerk remove {0}` first, then add it again")]
    Exists(String),
    #[error("no clerk {0} is registered (see `certpoint clerk list`)")]
    Unknown(String),
    #[error("the stored PIN hash of clerk {clerk_id} cannot be read ({detail}); run `certpoint clerk remove {clerk_id}` and add the clerk again")]
    BadHash { clerk_id: String, detail: String },
    #[error("cannot hash the PIN: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ClerkError {
    fn from(e: rusqlite::Error) -> Self {
        ClerkError::Store(e.into())
    }
}

pub type ClerkResult<T> = std::result::Result<T, ClerkError>;

/// When wrong PINs lock a clerk out (`[clerk]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPolicy {
    /// Consecutive wrong PINs that lock the clerk.
    pub max_attempts: u32,
    pub lockout: chrono::Duration,
}

impl From<&crate::config::ClerkSection> for PinPolicy {
    fn from(c: &crate::config::ClerkSection) -> PinPolicy {
        PinPolicy {
            max_attempts: c.max_pin_attempts,
            lockout: chrono::Duration::minutes(i64::from(c.lockout_minutes)),
        }
    }
}

/// The answer to one PIN check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum PinCheck {
    Accepted,
    Wrong {
        tries_left: u32,
    },
    /// Refused whatever the PIN, until then.
    Locked {
        until: DateTime<FixedOffset>,
    },
    /// No clerk is registered at all: nothing to check against.
    NoClerks,
}

/// One line of `certpoint clerk list`: never the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClerkInfo {
    pub clerk_id: String,
    pub created_at: String,
    pub failed_attempts: u32,
    pub locked_until: Option<String>,
}

fn check_pin_rules(pin: &str) -> ClerkResult<()> {
    if !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ClerkError::BadPin("it may hold digits only"));
    }
    if pin.len() < PIN_MIN_DIGITS {
        return Err(ClerkError::BadPin("it is too short"));
    }
    if pin.len() > PIN_MAX_DIGITS {
        return Err(ClerkError::BadPin("it is too long"));
    }
    Ok(())
}

fn check_id_rules(id: &str) -> ClerkResult<()> {
    let ok = !id.is_empty()
        && id.len() <= CLERK_ID_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    // An id that reads as a resident ID number would be masked in the audit log and
    // could never be checked against what was typed.
    if ok && redact_id_numbers(id) == id {
        Ok(())
    } else {
        Err(ClerkError::BadId(id.chars().take(40).collect()))
    }
}

/// A typed clerk id as it is counted and audited: trimmed, cut to a sane length, and
/// masked if it holds an ID number (typed into the wrong field), since unknown ids are
/// stored in `clerk_unknown_attempts`.
fn typed_id(id: &str) -> String {
    redact_id_numbers(&id.trim().chars().take(CLERK_ID_MAX).collect::<String>())
}

impl Store {
    /// Registers a clerk with the PIN's hash. The PIN must be [`PIN_MIN_DIGITS`]+ digits.
    pub fn add_clerk(
        &mut self,
        clerk_id: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> ClerkResult<()> {
        check_id_rules(clerk_id)?;
        check_pin_rules(pin)?;
        let hash = hash_pin(pin)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool = tx.query_row(
            "SELECT count(*) > 0 FROM clerks WHERE clerk_id = ?1",
            [clerk_id],
            |r| r.get(0),
        )?;
        if exists {
            return Err(ClerkError::Exists(clerk_id.to_owned()));
        }
        tx.execute(
            "INSERT INTO clerks (clerk_id, pin_hash, created_at) VALUES (?1, ?2, ?3)",
            params![clerk_id, hash, now.to_rfc3339()],
        )?;
        // Wrong guesses made while the id was unknown do not follow the new clerk.
        tx.execute(
            "DELETE FROM clerk_unknown_attempts WHERE clerk_id = ?1",
            [clerk_id],
        )?;
        let detail = format!("clerk {clerk_id} registered");
        audit(&tx, "admin", "clerk_added", &detail, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Every registered clerk, by id.
    pub fn clerks(&self) -> ClerkResult<Vec<ClerkInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT clerk_id, created_at, failed_attempts, locked_until FROM clerks
             ORDER BY clerk_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ClerkInfo {
                clerk_id: r.get(0)?,
                created_at: r.get(1)?,
                failed_attempts: r.get(2)?,
                locked_until: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn clerk_count(&self) -> ClerkResult<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM clerks", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Clears a clerk's wrong-PIN count and lockout.
    pub fn unlock_clerk(&mut self, clerk_id: &str, now: DateTime<FixedOffset>) -> ClerkResult<()> {
        self.admin_change(
            clerk_id,
            "UPDATE clerks SET failed_attempts = 0, locked_until = NULL WHERE clerk_id = ?1",
            "clerk_unlocked",
            now,
        )
    }

    pub fn remove_clerk(&mut self, clerk_id: &str, now: DateTime<FixedOffset>) -> ClerkResult<()> {
        self.admin_change(
            clerk_id,
            "DELETE FROM clerks WHERE clerk_id = ?1",
            "clerk_removed",
            now,
        )
    }

    fn admin_change(
        &mut self,
        clerk_id: &str,
        sql: &str,
        action: &str,
        now: DateTime<FixedOffset>,
    ) -> ClerkResult<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if tx.execute(sql, [clerk_id])? == 0 {
            return Err(ClerkError::Unknown(clerk_id.to_owned()));
        }
        audit(&tx, "admin", action, &format!("clerk {clerk_id}"), now)?;
        tx.commit()?;
        Ok(())
    }

    /// Checks a clerk's PIN at `now`, counting wrong ones and locking the clerk out
    /// after `policy.max_attempts` in a row. Takes one Argon2 verification (~0.1 s)
    /// whatever the outcome; call it off the UI thread.
    pub fn check_clerk_pin(
        &mut self,
        clerk_id: &str,
        pin: &str,
        policy: &PinPolicy,
        now: DateTime<FixedOffset>,
    ) -> ClerkResult<PinCheck> {
        if self.clerk_count()? == 0 {
            return Ok(PinCheck::NoClerks);
        }
        let clerk_id = typed_id(clerk_id);
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT pin_hash FROM clerks WHERE clerk_id = ?1",
                [&clerk_id],
                |r| r.get(0),
            )
            .optional()?;
        let known = stored.is_some();
        // Verified before the lockout is looked at, so a locked clerk's answer takes
        // as long as any other.
        let matches = pin_hash::verify_or_dummy(pin, stored.as_deref(), &clerk_id)?;

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let table = if known {
            "clerks"
        } else {
            "clerk_unknown_attempts"
        };
        let (failed, locked_until): (u32, Option<String>) = tx
            .query_row(
                &format!("SELECT failed_attempts, locked_until FROM {table} WHERE clerk_id = ?1"),
                [&clerk_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, None));
        let lock = locked_until
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let actor = format!("clerk:{clerk_id}");
        let who = if known { "" } else { " (unregistered id)" };
        let answer = match lock {
            Some(until) if now < until => {
                let detail = format!("PIN refused{who}: locked until {}", until.to_rfc3339());
                audit(&tx, &actor, "pin_refused_locked", &detail, now)?;
                PinCheck::Locked { until }
            }
            _ => {
                // An expired lockout starts a fresh count.
                let failed = if lock.is_some() { 0 } else { failed };
                if matches {
                    set_attempts(&tx, known, &clerk_id, 0, None)?;
                    audit(&tx, &actor, "pin_accepted", "PIN accepted", now)?;
                    PinCheck::Accepted
                } else {
                    let failed = failed + 1;
                    if failed >= policy.max_attempts {
                        let until = now + policy.lockout;
                        set_attempts(&tx, known, &clerk_id, failed, Some(until))?;
                        let detail = format!(
                            "wrong PIN{who}, {failed} in a row: locked until {}",
                            until.to_rfc3339()
                        );
                        audit(&tx, &actor, "pin_lockout", &detail, now)?;
                        PinCheck::Locked { until }
                    } else {
                        set_attempts(&tx, known, &clerk_id, failed, None)?;
                        let detail = format!(
                            "wrong PIN{who}, {failed} of {} before lockout",
                            policy.max_attempts
                        );
                        audit(&tx, &actor, "pin_rejected", &detail, now)?;
                        PinCheck::Wrong {
                            tries_left: policy.max_attempts - failed,
                        }
                    }
                }
            }
        };
        tx.commit()?;
        Ok(answer)
    }
}

fn set_attempts(
    conn: &Connection,
    known: bool,
    clerk_id: &str,
    failed: u32,
    until: Option<DateTime<FixedOffset>>,
) -> ClerkResult<()> {
    let until = until.map(|t| t.to_rfc3339());
    let sql = if known {
        "UPDATE clerks SET failed_attempts = ?2, locked_until = ?3 WHERE clerk_id = ?1"
    } else {
        "INSERT INTO clerk_unknown_attempts (clerk_id, failed_attempts, locked_until)
         VALUES (?1, ?2, ?3) ON CONFLICT (clerk_id) DO UPDATE
         SET failed_attempts = excluded.failed_attempts, locked_until = excluded.locked_until"
    };
    conn.execute(sql, params![clerk_id, failed, until])?;
    Ok(())
}

fn audit(
    conn: &Connection,
    actor: &str,
    action: &str,
    detail: &str,
    now: DateTime<FixedOffset>,
) -> ClerkResult<()> {
    append(
        conn,
        &AuditEntry {
            actor,
            action,
            detail,
        },
        now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;

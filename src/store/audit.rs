//! The append-only audit log: who did what, when.
//!
//! Entries never carry face images, and ID numbers only masked: [`Store::audit`] passes
//! every free-text detail through [`redact_id_numbers`], so a caller that slips a full
//! number into a message still cannot put it on disk. SQLite triggers refuse UPDATE and
//! DELETE on the table, and each entry is sealed into a hash chain as it is written
//! (see `chain`), which shows an edit made with the triggers out of the way.

use chrono::{DateTime, FixedOffset, Local};
use rusqlite::{params, Connection, TransactionBehavior};
use serde::Serialize;

use super::{chain, Result, Store};

/// One thing worth auditing. `actor` is e.g. `system`, `clerk:C01`, `admin`.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
    /// Hash of the entry before (the chain's genesis, 64 zeros, for the first).
    pub prev_hash: Option<String>,
    /// This entry's hash: SHA-256 over id, at, actor, action, detail and `prev_hash`.
    pub hash: Option<String>,
}

impl Store {
    /// Appends an entry to the audit log (durable on return).
    pub fn audit(&mut self, entry: &AuditEntry<'_>) -> Result<()> {
        // IMMEDIATE: the write lock is taken before the chain head is read, so a second
        // connection (sync worker, PIN checker, CLI) cannot append to the same head.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        append(&tx, entry, Local::now().fixed_offset())?;
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` audit entries, oldest first.
    pub fn audit_entries(&self, limit: usize) -> Result<Vec<AuditRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, action, detail, prev_hash, hash FROM
               (SELECT * FROM audit_log ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                detail: r.get(4)?,
                prev_hash: r.get(5)?,
                hash: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Writes one sealed entry. Call inside a transaction that already holds the write
/// lock (or takes it with this insert's statement), so the head read here is still the
/// head when the row goes in.
pub(super) fn append(
    conn: &Connection,
    entry: &AuditEntry<'_>,
    at: DateTime<FixedOffset>,
) -> Result<()> {
    let (id, prev) = chain::next_link(conn)?;
    let (at, actor, detail) = (
        at.to_rfc3339(),
        redact_id_numbers(entry.actor),
        redact_id_numbers(entry.detail),
    );
    let hash = chain::entry_hash(id, &at, &actor, entry.action, &detail, &prev);
    conn.execute(
        "INSERT INTO audit_log (id, at, actor, action, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, at, actor, entry.action, detail, prev, hash],
    )?;
    Ok(())
}

/// Masks anything in `text` that looks like a resident ID number: a run of 15 digits,
/// or 17 digits followed by a digit or X. Longer digit runs are masked whole: we cannot
/// tell which part is the number, and over-masking an audit line costs nothing.
pub fn redact_id_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i - start == 17 && i < chars.len() && matches!(chars[i], 'x' | 'X') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        match run.len() {
            15 | 18 => out.push_str(&certpoint_protocol::mask_id_number(&run)),
            n if n > 18 => out.push_str(&"*".repeat(n)),
            _ => out.push_str(&run),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_id_numbers;

    #[test]
    fn masks_id_numbers_inside_text_and_leaves_other_figures() {
        assert_eq!(
            redact_id_numbers("scan 11010519491231002x ok, seq 42, 110105491231002"),
            "scan 1101**********002x ok, seq 42, 1101*******1002"
        );
        assert_eq!(
            redact_id_numbers("score 0.87 at 2026-04-01"),
            "score 0.87 at 2026-04-01"
        );
        assert_eq!(redact_id_numbers("1234567890123456789012"), "*".repeat(22));
    }
}

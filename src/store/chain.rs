//! The audit log's hash chain: every entry carries the hash of the one before it, so an
//! entry edited or deleted after the fact (with the triggers dropped, as anyone with
//! the file can) breaks the chain where it happened, and [`Store::verify_audit_chain`]
//! says where.
//!
//! What a chain cannot see: entries cut off the end (the remaining chain is intact),
//! and a forger who recomputes every hash from the edit onwards (the hash has no key).
//! Both show only against a head recorded elsewhere: `certpoint audit verify` prints
//! the head (entry id and hash) for the administrator to note, and `--head ID:HASH`
//! checks a noted head is still there ([`Store::verify_audit_chain_since`]). The one
//! tail check made without it is SQLite's own AUTOINCREMENT counter, which a plain
//! `DELETE` does not lower (but an UPDATE of `sqlite_sequence` does).

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::outbox::hex_sha256;
use super::{Result, Store};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// At most this many problems are listed; the count says how many there were.
const MAX_LISTED: usize = 50;

/// SHA-256 (lowercase hex) of one entry. Every text field is length-prefixed and the id
/// is fixed-width, so no two different entries encode to the same bytes (a detail
/// ending in what looks like the next field cannot shift a boundary).
pub fn entry_hash(
    id: i64,
    at: &str,
    actor: &str,
    action: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut buf = Vec::with_capacity(96 + at.len() + actor.len() + action.len() + detail.len());
    buf.extend_from_slice(b"certpoint-audit-v1\0");
    buf.extend_from_slice(&id.to_be_bytes());
    for field in [at, actor, action, detail, prev_hash] {
        buf.extend_from_slice(&(field.len() as u64).to_be_bytes());
        buf.extend_from_slice(field.as_bytes());
    }
    hex_sha256(&buf)
}

/// The id the next entry gets and the hash it chains to. The id comes from SQLite's
/// AUTOINCREMENT counter when that is ahead of the table, so entries deleted off the
/// end leave a gap that the next entry makes visible.
pub(super) fn next_link(conn: &Connection) -> Result<(i64, String)> {
    let (next, last): (i64, Option<String>) = conn.query_row(
        "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0),
                    COALESCE((SELECT max(id) FROM audit_log), 0)) + 1,
                (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((next, last.unwrap_or_else(|| GENESIS.to_owned())))
}

/// Whether the audit log has the chain columns yet (false before that migration).
pub(super) fn has_chain_columns(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT count(*) = 2 FROM pragma_table_info('audit_log')
         WHERE name IN ('hash', 'prev_hash')",
        [],
        |r| r.get(0),
    )?)
}

/// Gives every entry without a hash its place in the chain, in id order, inside the
/// transaction of the migration step that added the chain columns.
pub(super) fn seal_unsealed(conn: &Connection) -> Result<()> {
    let mut stmt =
        conn.prepare("SELECT id, at, actor, action, detail, hash FROM audit_log ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut prev = GENESIS.to_owned();
    let mut update =
        conn.prepare("UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1")?;
    for row in rows {
        let (id, at, actor, action, detail, stored) = row?;
        prev = match stored {
            Some(hash) => hash,
            None => {
                let hash = entry_hash(id, &at, &actor, &action, &detail, &prev);
                update.execute(params![id, prev, hash])?;
                hash
            }
        };
    }
    Ok(())
}

/// How an entry breaks the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainFault {
    /// The entry's fields no longer give its stored hash.
    Edited,
    /// Entries before this one are missing (an id gap).
    Deleted,
    /// No id gap, but the entry does not chain to the one before it: that one was
    /// replaced with a recomputed hash, or rows were inserted out of order.
    Relinked,
    /// The entry has no hash (inserted with the triggers dropped).
    Unsealed,
    /// Entries after the last one are missing (SQLite's counter is ahead of the table).
    Truncated,
    /// The head noted at an earlier check is no longer in the log: entries were cut
    /// off the end (and the counter put back), or the log was replaced.
    NotedHeadMissing,
    /// The entry noted as head earlier has another hash now: the log was rewritten
    /// up to there with recomputed hashes.
    NotedHeadChanged,
}

/// A head noted at an earlier check, written `ID:HASH` as `audit verify` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotedHead {
    pub id: i64,
    pub hash: String,
}

impl std::str::FromStr for NotedHead {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let parsed = s.split_once(':').and_then(|(id, hash)| {
            let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
            Some(NotedHead {
                id: id.parse().ok().filter(|&id: &i64| id > 0)?,
                hash: hex.then(|| hash.to_ascii_lowercase())?,
            })
        });
        parsed.ok_or_else(|| {
            format!("{s:?} is not a noted head: write ENTRY_ID:HASH as `audit verify` printed it, e.g. 42:9f86d081…(64 hex digits)")
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainProblem {
    /// The entry where the break shows.
    pub id: i64,
    pub kind: ChainFault,
    pub detail: String,
}

/// What `audit verify` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    pub ok: bool,
    pub entries: u64,
    /// Id of the last entry (0 when the log is empty).
    pub head_id: i64,
    /// Stored hash of the last entry ([`GENESIS`] when the log is empty).
    pub head: String,
    /// The first [`MAX_LISTED`] problems, in id order.
    pub problems: Vec<ChainProblem>,
    pub problems_total: u64,
}

impl Store {
    /// Walks the whole audit log and reports every break in its hash chain.
    pub fn verify_audit_chain(&self) -> Result<ChainReport> {
        verify(&self.conn)
    }

    /// As [`Self::verify_audit_chain`], and checks that the head noted at an earlier
    /// check is still there, unchanged: the one way to see entries cut off the end.
    pub fn verify_audit_chain_since(&self, noted: &NotedHead) -> Result<ChainReport> {
        let mut report = verify(&self.conn)?;
        let now: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT hash FROM audit_log WHERE id = ?1",
                [noted.id],
                |r| r.get(0),
            )
            .optional()?;
        let id = noted.id;
        match now {
            None => found(
                &mut report,
                id,
                ChainFault::NotedHeadMissing,
                format!("entry {id}, the head noted earlier, is gone: entries were cut off the end or the log was replaced"),
            ),
            Some(hash) if hash.as_deref() != Some(noted.hash.as_str()) => found(
                &mut report,
                id,
                ChainFault::NotedHeadChanged,
                format!("entry {id} no longer has the hash noted earlier: the log was rewritten up to it"),
            ),
            Some(_) => {}
        }
        report.ok = report.problems_total == 0;
        Ok(report)
    }
}

pub(super) fn verify(conn: &Connection) -> Result<ChainReport> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut report = ChainReport {
        ok: true,
        entries: 0,
        head_id: 0,
        head: GENESIS.to_owned(),
        problems: Vec::new(),
        problems_total: 0,
    };
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let prev: Option<String> = r.get(5)?;
        let stored: Option<String> = r.get(6)?;
        report.entries += 1;
        let (Some(prev), Some(stored)) = (prev, stored) else {
            found(
                &mut report,
                id,
                ChainFault::Unsealed,
                format!("entry {id} has no chain hash: it was inserted with the triggers removed"),
            );
            report.head_id = id;
            continue;
        };
        let computed = entry_hash(
            id,
            &r.get::<_, String>(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
            &r.get::<_, String>(4)?,
            &prev,
        );
        if computed != stored {
            found(
                &mut report,
                id,
                ChainFault::Edited,
                format!("entry {id} was changed after it was written: its fields no longer give its stored hash"),
            );
        }
        if id != report.head_id + 1 {
            let missing = if id == report.head_id + 2 {
                format!("entry {} is missing", report.head_id + 1)
            } else {
                format!("entries {} to {} are missing", report.head_id + 1, id - 1)
            };
            found(&mut report, id, ChainFault::Deleted, missing);
        } else if prev != report.head {
            let detail = format!(
                "entry {id} does not chain to entry {}: that entry was replaced (hash recomputed) or the rows were reordered",
                report.head_id
            );
            found(&mut report, id, ChainFault::Relinked, detail);
        }
        report.head_id = id;
        report.head = stored;
    }
    let counter: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(counter) = counter.filter(|&c| c > report.head_id) {
        let detail = format!(
            "entries {} to {counter} were deleted from the end of the log",
            report.head_id + 1
        );
        found(&mut report, counter, ChainFault::Truncated, detail);
    }
    report.ok = report.problems_total == 0;
    Ok(report)
}

fn found(report: &mut ChainReport, id: i64, kind: ChainFault, detail: String) {
    report.problems_total += 1;
    if report.problems.len() < MAX_LISTED {
        report.problems.push(ChainProblem { id, kind, detail });
    }
}

#[cfg(test)]
mod tests;

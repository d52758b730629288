//! Schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry of [`MIGRATIONS`] moves the schema one version up and runs in its own
//! transaction. Existing entries are never edited once released: a kiosk in the field
//! may be at any version and must reach the newest by running the rest in order.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError};

pub(super) const MIGRATIONS: &[&str] = &[
    // v1: outbox, photos, per-kiosk sequence, append-only audit log.
    r#"
    CREATE TABLE records (
        record_id      TEXT PRIMARY KEY NOT NULL,
        kiosk_id       TEXT NOT NULL,
        seq            INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        outcome        TEXT NOT NULL,
        id_masked      TEXT NOT NULL,
        body           TEXT NOT NULL,
        state          TEXT NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'sent', 'rejected')),
        send_attempts  INTEGER NOT NULL DEFAULT 0,
        last_error     TEXT,
        next_attempt_at TEXT,
        sent_at        TEXT,
        rejected_reason TEXT,
        UNIQUE (kiosk_id, seq)
    );
    CREATE INDEX records_by_state ON records (state, seq);

    CREATE TABLE record_photos (
        record_id  TEXT PRIMARY KEY NOT NULL REFERENCES records (record_id),
        media_type TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        bytes      BLOB NOT NULL
    );

    CREATE TABLE kiosk_sequence (
        kiosk_id TEXT PRIMARY KEY NOT NULL,
        last_seq INTEGER NOT NULL
    );

    CREATE TABLE audit_log (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     TEXT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // v2: audit hash chain and clerk registry (issue 7). The v1 no-update trigger is
    // replaced by one that lets an entry change exactly once, from unsealed to sealed,
    // and only in its hash columns: that is how the rows written before this version
    // get their hashes (`chain::seal_unsealed`, in Rust, in this same transaction,
    // right after this SQL). Every later entry is inserted sealed, which the insert
    // trigger enforces, so after this migration no UPDATE of the table can succeed
    // while the triggers stand.
    r#"
    DROP TRIGGER audit_log_no_update;
    ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit_log ADD COLUMN hash TEXT;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        WHEN OLD.hash IS NOT NULL OR OLD.prev_hash IS NOT NULL
          OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.actor IS NOT OLD.actor
          OR NEW.action IS NOT OLD.action OR NEW.detail IS NOT OLD.detail
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_sealed BEFORE INSERT ON audit_log
        WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL
        BEGIN SELECT RAISE(ABORT, 'audit entries are inserted with their chain hash'); END;

    CREATE TABLE clerks (
        clerk_id        TEXT PRIMARY KEY NOT NULL,
        pin_hash        TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until    TEXT,
        created_at      TEXT NOT NULL
    );
    -- Wrong-PIN counts for clerk ids that are not registered, so that an unknown id
    -- is answered (tries left, lockout) exactly like a registered one.
    CREATE TABLE clerk_unknown_attempts (
        clerk_id        TEXT PRIMARY KEY NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until    TEXT
    );
    "#,
    // v3: personal data at rest. `sealed` = 1 when body and photo are encrypted with
    // the store key (rows written by v1 are sealed in place when the store opens);
    // `purged_at` = when the ID number and face crop were removed (after the server's
    // acknowledgement, or retention for rejected records); `rejected_at` starts the
    // retention clock of a rejected record. `store_key` remembers which key sealed the
    // rows, so a missing or swapped key file is refused instead of replaced.
    r#"
    ALTER TABLE records ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN purged_at TEXT;
    ALTER TABLE records ADD COLUMN rejected_at TEXT;
    CREATE TABLE store_key (
        id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
        fingerprint TEXT NOT NULL
    );
    "#,
    // Certificates of assistance are numbered per kiosk and period (`crate::assist`);
    // kept apart from `kiosk_sequence`, whose numbers the agency checks for gaps.
    r#"
    CREATE TABLE certificate_sequence (
        kiosk_id TEXT NOT NULL,
        period   TEXT NOT NULL,
        last_n   INTEGER NOT NULL,
        PRIMARY KEY (kiosk_id, period)
    );
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        let had_chain = super::chain::has_chain_columns(&tx)?;
        tx.execute_batch(sql)?;
        // Not tied to a version number (migrations may be reordered before release):
        // the step that adds the chain columns leaves unsealed rows, sealed here. Only
        // that step: a row slipped in unsealed later must stay visible to `verify`.
        if !had_chain && super::chain::has_chain_columns(&tx)? {
            super::chain::seal_unsealed(&tx)?;
        }
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

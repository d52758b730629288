//! The chain as an attacker with the file meets it: triggers dropped, rows edited,
//! deleted or cut off the end with plain SQL; and the v1 rows sealed by the migration.

use rusqlite::Connection;

use super::super::schema::MIGRATIONS;
use super::super::selftest::synthetic_record;
use super::super::{AuditEntry, Store, STORE_FILE};
use super::{ChainFault, NotedHead, GENESIS};

/// A store with six audit entries: three stored records and three clerk notes.
fn store_with_entries() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    for i in 0..3 {
        store.enqueue(synthetic_record("K1", 1), None).unwrap();
        store
            .audit(&AuditEntry {
                actor: "clerk:C7",
                action: "note",
                detail: &format!("note {i}"),
            })
            .unwrap();
    }
    (dir, store)
}

fn kinds(store: &Store) -> Vec<(i64, ChainFault)> {
    let report = store.verify_audit_chain().unwrap();
    assert_eq!(report.ok, report.problems.is_empty());
    report.problems.iter().map(|p| (p.id, p.kind)).collect()
}

#[test]
fn an_intact_chain_verifies_and_reports_its_head() {
    let (_dir, store) = store_with_entries();
    let report = store.verify_audit_chain().unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!((report.entries, report.head_id), (6, 6));
    let rows = store.audit_entries(10).unwrap();
    assert_eq!(rows[0].prev_hash.as_deref(), Some(GENESIS));
    for pair in rows.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(Some(report.head), rows[5].hash);
}

#[test]
fn an_edited_entry_is_caught() {
    let (_dir, store) = store_with_entries();
    store
        .conn
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET detail = 'note nothing' WHERE id = 4;",
        )
        .unwrap();
    assert_eq!(kinds(&store), [(4, ChainFault::Edited)]);
    let report = store.verify_audit_chain().unwrap();
    assert!(report.problems[0].detail.contains("entry 4 was changed"));
}

#[test]
fn an_edit_with_its_hash_recomputed_breaks_the_next_link() {
    let (_dir, store) = store_with_entries();
    let row = &store.audit_entries(10).unwrap()[2];
    let forged = super::entry_hash(
        row.id,
        &row.at,
        &row.actor,
        &row.action,
        "nothing happened",
        row.prev_hash.as_deref().unwrap(),
    );
    store
        .conn
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET detail = 'nothing happened', hash = '{forged}' WHERE id = 3;"
        ))
        .unwrap();
    assert_eq!(kinds(&store), [(4, ChainFault::Relinked)]);
}

#[test]
fn a_deleted_middle_entry_is_caught() {
    let (_dir, store) = store_with_entries();
    store
        .conn
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete;
             DELETE FROM audit_log WHERE id = 3;",
        )
        .unwrap();
    assert_eq!(kinds(&store), [(4, ChainFault::Deleted)]);
    let report = store.verify_audit_chain().unwrap();
    assert_eq!(report.problems[0].detail, "entry 3 is missing");
}

#[test]
fn entries_cut_off_the_end_are_caught_by_the_counter_and_by_the_next_entry() {
    let (_dir, mut store) = store_with_entries();
    store
        .conn
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete;
             DELETE FROM audit_log WHERE id > 4;",
        )
        .unwrap();
    assert_eq!(kinds(&store), [(6, ChainFault::Truncated)]);
    // The next entry takes id 7, so the gap stays visible even if the counter is
    // later put back.
    store
        .audit(&AuditEntry {
            actor: "admin",
            action: "note",
            detail: "after the cut",
        })
        .unwrap();
    assert_eq!(kinds(&store), [(7, ChainFault::Deleted)]);
}

#[test]
fn a_cut_with_the_counter_put_back_passes_the_chain_but_not_a_noted_head() {
    let (_dir, store) = store_with_entries();
    let report = store.verify_audit_chain().unwrap();
    let noted: NotedHead = format!("{}:{}", report.head_id, report.head)
        .parse()
        .unwrap();
    assert!(store.verify_audit_chain_since(&noted).unwrap().ok);
    store
        .conn
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete;
             DELETE FROM audit_log WHERE id > 4;
             UPDATE sqlite_sequence SET seq = 4 WHERE name = 'audit_log';",
        )
        .unwrap();
    // The limit of a chain alone: what is left is intact.
    assert!(store.verify_audit_chain().unwrap().ok);
    let report = store.verify_audit_chain_since(&noted).unwrap();
    assert!(!report.ok);
    assert_eq!(report.problems[0].kind, ChainFault::NotedHeadMissing);
    assert!("6:abc".parse::<NotedHead>().is_err());
    assert!(format!("0:{GENESIS}").parse::<NotedHead>().is_err());
}

#[test]
fn the_triggers_refuse_edits_and_unsealed_inserts() {
    let (_dir, store) = store_with_entries();
    for sql in [
        "UPDATE audit_log SET detail = 'x' WHERE id = 1",
        "UPDATE audit_log SET hash = NULL WHERE id = 1",
        "DELETE FROM audit_log WHERE id = 1",
        "INSERT INTO audit_log (at, actor, action, detail) VALUES ('t', 'a', 'b', 'c')",
    ] {
        let err = store.conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("audit"), "{sql}: {err}");
    }
    assert!(store.verify_audit_chain().unwrap().ok);
}

#[test]
fn entries_written_before_the_chain_existed_are_sealed_by_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STORE_FILE);
    {
        // A store as the v1 build left it: entries without hashes.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        for i in 0..4 {
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, 'system', 'old', ?2)",
                [format!("2026-04-0{}T09:00:00+08:00", i + 1), format!("v1 entry {i}")],
            )
            .unwrap();
        }
    }
    let mut store = Store::open(&path).unwrap();
    let report = store.verify_audit_chain().unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.entries, 4);
    let rows = store.audit_entries(10).unwrap();
    assert_eq!(rows[0].prev_hash.as_deref(), Some(GENESIS));
    assert_eq!(rows[3].detail, "v1 entry 3");
    // New entries chain on, and the sealed rows are frozen again.
    store.enqueue(synthetic_record("K1", 1), None).unwrap();
    assert!(store.verify_audit_chain().unwrap().ok);
    assert!(store
        .conn
        .execute("UPDATE audit_log SET detail = 'x' WHERE id = 2", [])
        .is_err());
}

#[test]
fn the_encoding_separates_fields() {
    // Moving text across a field boundary changes the hash.
    let a = super::entry_hash(1, "t", "ab", "c", "d", GENESIS);
    let b = super::entry_hash(1, "t", "a", "bc", "d", GENESIS);
    assert_ne!(a, b);
    assert_eq!(a.len(), 64);
}

use super::selftest::{synthetic_photo, synthetic_record};
use super::*;

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    (dir, store)
}

#[test]
fn enqueue_assigns_consecutive_seq_per_kiosk_and_keeps_photo() {
    let (_dir, mut store) = temp_store();
    let photo = synthetic_photo(1, 5000);
    let a = store
        .enqueue(synthetic_record("K1", 1), Some(&photo))
        .unwrap();
    let b = store.enqueue(synthetic_record("K1", 2), None).unwrap();
    let c = store.enqueue(synthetic_record("K2", 1), None).unwrap();
    assert_eq!((a.seq, b.seq, c.seq), (1, 2, 1));
    let (got, state) = store.get(&a.record_id).unwrap();
    assert_eq!(state, OutboxState::Pending);
    assert_eq!(got.record.seq, 1);
    assert_eq!(got.photo.as_deref(), Some(&photo[..]));
    assert_eq!(got.record.photo.as_ref().unwrap().bytes, 5000);
    assert_eq!(
        got.body,
        certpoint_protocol::canonical_json(&got.record).unwrap()
    );
}

#[test]
fn status_and_list_follow_the_outbox_states() {
    let (_dir, mut store) = temp_store();
    let ids: Vec<_> = (0..4)
        .map(|i| {
            store
                .enqueue(synthetic_record("K1", i + 1), None)
                .unwrap()
                .record_id
        })
        .collect();
    store
        .mark_sent(&ids[0], chrono::Local::now().fixed_offset())
        .unwrap();
    store
        .mark_rejected(&ids[1], "422: period 1999 is closed")
        .unwrap();
    store
        .note_send_failure(&ids[2], "connection refused")
        .unwrap();
    let s = store.status().unwrap();
    assert_eq!((s.pending, s.sent, s.rejected, s.last_seq), (2, 1, 1, 4));
    assert!(s.oldest_pending_at.is_some());

    let pending = store.next_pending(10).unwrap();
    assert_eq!(
        pending.iter().map(|p| p.record.seq).collect::<Vec<_>>(),
        vec![3, 4]
    );
    let rejected = store.list(Some(OutboxState::Rejected), 10).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        rejected[0].rejected_reason.as_deref(),
        Some("422: period 1999 is closed")
    );
    let all = store.list(None, 10).unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[2].send_attempts, 1);
    assert!(all.iter().all(|e| e.id_number == "1101**********002X"));
    assert!(matches!(
        store.mark_sent("nope", chrono::Local::now().fixed_offset()),
        Err(StoreError::UnknownRecord(_))
    ));
}

#[test]
fn audit_log_is_append_only_and_never_holds_a_full_id_number() {
    let (_dir, mut store) = temp_store();
    store.enqueue(synthetic_record("K1", 1), None).unwrap();
    store
        .audit(&AuditEntry {
            actor: "clerk:C7",
            action: "manual_override",
            detail: "checked card of 11010519491231002X",
        })
        .unwrap();
    let rows = store.audit_entries(10).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].action, "record_stored");
    assert!(
        rows.iter()
            .all(|r| !r.detail.contains("11010519491231002X")),
        "{rows:?}"
    );
    assert!(rows[1].detail.contains("1101**********002X"));
    let err = store
        .conn
        .execute("UPDATE audit_log SET detail = 'x'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = store.conn.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn reopening_keeps_records_and_continues_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open_in(dir.path()).unwrap();
        store.enqueue(synthetic_record("K1", 1), None).unwrap();
    }
    let mut store = Store::open_in(dir.path()).unwrap();
    assert_eq!(
        store.enqueue(synthetic_record("K1", 1), None).unwrap().seq,
        2
    );
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    let sync: i64 = store
        .conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(
        (mode.as_str(), sync),
        ("wal", 2),
        "WAL with synchronous=FULL"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STORE_FILE);
    let garbage: Vec<u8> = synthetic_photo(9, 8192);
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).err().expect("garbage must be refused");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("left untouched"));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    assert!(!dir.path().join("certpoint.sqlite-wal").exists());
}

#[test]
fn a_damaged_page_is_found_by_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STORE_FILE);
    {
        let mut store = Store::open(&path).unwrap();
        for i in 0..50 {
            store
                .enqueue(synthetic_record("K1", 1), Some(&synthetic_photo(i, 3000)))
                .unwrap();
        }
        store
            .conn
            .pragma_update(None, "journal_mode", "DELETE")
            .unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    // Scribble over the middle of the file, past the header, as a failing disk would.
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path)
        .err()
        .expect("damaged store must be refused");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "file must be left as found"
    );
}

#[test]
fn a_store_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STORE_FILE);
    {
        let store = Store::open(&path).unwrap();
        store.conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).err().unwrap();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn mark_sent_many_is_all_or_nothing() {
    let (_dir, mut store) = temp_store();
    let ids: Vec<String> = (0..3)
        .map(|_| {
            store
                .enqueue(synthetic_record("K1", 1), None)
                .unwrap()
                .record_id
        })
        .collect();
    let now = chrono::Local::now().fixed_offset();
    let mut with_unknown = ids[..2].to_vec();
    with_unknown.push("not-a-record".into());
    assert!(matches!(
        store.mark_sent_many(&with_unknown, now),
        Err(StoreError::UnknownRecord(_))
    ));
    assert_eq!(store.status().unwrap().pending, 3);
    store.mark_sent_many(&ids[..2], now).unwrap();
    let s = store.status().unwrap();
    assert_eq!((s.pending, s.sent), (1, 2));
}

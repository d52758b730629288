//! Personal data at rest (issue 7, "Privacy"): on real SQLite files, the full ID number
//! and the face crop never appear in the store's bytes, the records cannot be read
//! without the store key, acknowledged records lose their personal data at once and
//! their rows after `retention.days`. Key-file mistakes: tests/store_key.rs.

mod common;

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use certpoint::store::selftest::{synthetic_photo, synthetic_record};
use certpoint::store::{KeyError, OutboxState, Store, StoreError, KEY_FILE, STORE_FILE};
use certpoint_protocol::Quality;
use chrono::{FixedOffset, Local, TimeDelta};

const ID_NUMBER: &[u8] = b"11010519491231002X";

/// The store file and its WAL, as a disk image would show them.
fn raw_bytes(dir: &Path) -> Vec<u8> {
    let mut all = std::fs::read(dir.join(STORE_FILE)).unwrap();
    if let Ok(wal) = std::fs::read(dir.join(format!("{STORE_FILE}-wal"))) {
        all.extend(wal);
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether any 64-byte run of `secret` appears in `haystack`.
fn shares_a_64_byte_window(haystack: &[u8], secret: &[u8]) -> bool {
    let windows: HashSet<&[u8]> = secret.windows(64).collect();
    haystack.windows(64).any(|w| windows.contains(w))
}

fn now() -> chrono::DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

/// A raw connection to the store file, for what the Store API rightly does not offer:
/// reading ciphertext, back-dating rows, forgetting the key fingerprint.
fn raw(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(STORE_FILE)).unwrap()
}

#[test]
fn stored_records_are_unreadable_in_the_file_and_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let photo = synthetic_photo(3, 30 * 1024);
    let id = {
        let mut store = Store::open_in(dir.path()).unwrap();
        let id = store
            .enqueue(synthetic_record("K1", 1), Some(&photo))
            .unwrap()
            .record_id;
        // Read while the store is open, so the WAL holds the fresh commit.
        let bytes = raw_bytes(dir.path());
        assert!(bytes.len() > photo.len(), "the photo went somewhere");
        assert!(!contains(&bytes, ID_NUMBER), "full ID number on disk");
        assert!(
            !shares_a_64_byte_window(&bytes, &photo),
            "face crop on disk"
        );
        let (got, _) = store.get(&id).unwrap();
        assert_eq!(got.photo.as_deref(), Some(&photo[..]));
        assert_eq!(got.record.id_number.as_bytes(), ID_NUMBER);
        id
    };
    let key_path = dir.path().join(KEY_FILE);
    let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Another key file in its place: refused at open, naming the key file.
    std::fs::write(&key_path, [9u8; 32]).unwrap();
    let err = Store::open_in(dir.path())
        .err()
        .expect("a wrong key is refused");
    assert!(
        matches!(err, StoreError::Key(KeyError::Wrong { .. })),
        "{err}"
    );
    assert!(err.to_string().contains(&key_path.display().to_string()));

    // Even with the key check removed by hand, the other key opens nothing.
    raw(dir.path())
        .execute("DELETE FROM store_key", [])
        .unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    let err = store.get(&id).expect_err("ciphertext must not open");
    assert!(
        matches!(&err, StoreError::BadStoredRecord { detail, .. } if detail.contains("does not open")),
        "{err}"
    );
    assert!(store.next_pending(10).is_err());
}

#[test]
fn a_sealed_field_moved_to_another_record_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    let a = store.enqueue(synthetic_record("K1", 1), None).unwrap();
    let b = store.enqueue(synthetic_record("K1", 2), None).unwrap();
    raw(dir.path())
        .execute(
            "UPDATE records SET body = (SELECT body FROM records WHERE record_id = ?1)
             WHERE record_id = ?2",
            [&a.record_id, &b.record_id],
        )
        .unwrap();
    assert!(store.get(&a.record_id).is_ok());
    let err = store.get(&b.record_id).err().unwrap();
    assert!(matches!(err, StoreError::BadStoredRecord { .. }), "{err}");
}

#[test]
fn acknowledgement_removes_the_photo_and_the_id_number_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    let photo = synthetic_photo(5, 30 * 1024);
    let sent = store
        .enqueue(synthetic_record("K1", 1), Some(&photo))
        .unwrap()
        .record_id;
    let kept = store
        .enqueue(synthetic_record("K1", 2), Some(&photo))
        .unwrap()
        .record_id;
    let conn = raw(dir.path());
    let ciphertext = |id: &str| -> (Vec<u8>, Vec<u8>) {
        conn.query_row(
            "SELECT r.body, p.bytes FROM records r JOIN record_photos p USING (record_id)
             WHERE record_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let (sealed_body, sealed_photo) = ciphertext(&sent);
    drop(conn);
    // The check below can see ciphertext: before the acknowledgement it is there.
    let before = raw_bytes(dir.path());
    assert!(shares_a_64_byte_window(&before, &sealed_photo));
    assert!(shares_a_64_byte_window(&before, &sealed_body));

    store.mark_sent(&sent, now()).unwrap();

    let conn = raw(dir.path());
    let photos: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM record_photos WHERE record_id = ?1",
            [&sent],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(photos, 0, "the photo row is gone");
    let (body_len, state): (i64, String) = conn
        .query_row(
            "SELECT length(body), state FROM records WHERE record_id = ?1",
            [&sent],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (body_len, state.as_str()),
        (0, "sent"),
        "the row stays, empty"
    );
    drop(conn);
    let bytes = raw_bytes(dir.path());
    assert!(!contains(&bytes, ID_NUMBER));
    assert!(!shares_a_64_byte_window(&bytes, &photo));
    // After the next retention pass (kiosk start, idle worker), not even the
    // ciphertext is left in the file or the WAL.
    store.purge(now(), 30).unwrap();
    let bytes = raw_bytes(dir.path());
    assert!(!shares_a_64_byte_window(&bytes, &sealed_photo));
    assert!(!shares_a_64_byte_window(&bytes, &sealed_body));
    assert!(
        matches!(store.get(&sent), Err(StoreError::Purged { .. })),
        "a purged record says so"
    );
    // The other record is untouched, and the queue views still count the sent one.
    assert_eq!(
        store.get(&kept).unwrap().0.photo.as_deref(),
        Some(&photo[..])
    );
    let listed = store.list(None, 10).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].state, OutboxState::Sent);
    assert_eq!(listed[0].id_number, "1101**********002X");
    assert_eq!(store.status().unwrap().sent, 1);
}

#[test]
fn retention_deletes_old_acknowledged_rows_and_never_pending_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    let photo = synthetic_photo(8, 4096);
    let mut enqueue = |n| {
        store
            .enqueue(synthetic_record("K1", n), Some(&photo))
            .unwrap()
            .record_id
    };
    let (old_sent, new_sent, old_pending, old_rejected, new_rejected) =
        (enqueue(1), enqueue(2), enqueue(3), enqueue(4), enqueue(5));
    let t = now();
    store.mark_sent(&old_sent, t - TimeDelta::days(31)).unwrap();
    store.mark_sent(&new_sent, t - TimeDelta::days(29)).unwrap();
    store
        .mark_rejected(&old_rejected, "422: closed period")
        .unwrap();
    store
        .mark_rejected(&new_rejected, "422: closed period")
        .unwrap();
    let conn = raw(dir.path());
    let back_date = |col: &str, id: &str, days: i64| {
        conn.execute(
            &format!("UPDATE records SET {col} = ?2 WHERE record_id = ?1"),
            rusqlite::params![id, (t - TimeDelta::days(days)).to_rfc3339()],
        )
        .unwrap();
    };
    // A pending record a year old (a kiosk offline all that time) must survive.
    back_date("created_at", &old_pending, 365);
    back_date("created_at", &old_rejected, 365);
    back_date("rejected_at", &old_rejected, 40);
    back_date("created_at", &new_rejected, 365);

    let report = store.purge(t, 30).unwrap();
    assert_eq!(
        (
            report.sent_scrubbed,
            report.sent_deleted,
            report.rejected_scrubbed
        ),
        (0, 1, 1),
        "{report:?}"
    );
    assert!(matches!(
        store.get(&old_sent),
        Err(StoreError::UnknownRecord(_))
    ));
    assert!(matches!(
        store.get(&new_sent),
        Err(StoreError::Purged { .. })
    ));
    let (pending, state) = store.get(&old_pending).unwrap();
    assert_eq!(state, OutboxState::Pending);
    assert_eq!(pending.photo.as_deref(), Some(&photo[..]));
    assert!(matches!(
        store.get(&old_rejected),
        Err(StoreError::Purged { .. })
    ));
    let (young, state) = store.get(&new_rejected).unwrap();
    assert_eq!(state, OutboxState::Rejected);
    assert!(young.photo.is_some(), "kept for the administrator");
    let rejected = store.list(Some(OutboxState::Rejected), 10).unwrap();
    assert_eq!(
        rejected.len(),
        2,
        "rejected rows stay, only their data goes"
    );
    let photos: i64 = conn
        .query_row("SELECT COUNT(*) FROM record_photos", [], |r| r.get(0))
        .unwrap();
    assert_eq!(photos, 2, "the pending and the young rejected record");
    let s = store.status().unwrap();
    assert_eq!((s.pending, s.sent, s.rejected, s.last_seq), (1, 1, 2, 5));

    // Nothing left to do: a second pass removes nothing and writes no audit line.
    assert!(store.purge(t, 30).unwrap().is_empty());
    let purges = store
        .audit_entries(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "records_purged")
        .count();
    assert_eq!(purges, 1);
    // Even a retention far in the future never takes the pending record.
    store.purge(t + TimeDelta::days(3650), 1).unwrap();
    assert_eq!(store.status().unwrap().pending, 1);
    assert!(store.get(&old_pending).is_ok());
}

#[test]
fn a_record_with_a_nan_figure_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    let mut record = synthetic_record("K1", 1);
    record.quality = Some(Quality {
        brightness: 120.0,
        sharpness: f32::NAN,
        face_size: 0.2,
    });
    let err = store.enqueue(record, None).expect_err("NaN refused");
    assert!(
        matches!(
            err,
            StoreError::NonFiniteFigure {
                field: "quality.sharpness",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("quality.sharpness"));
    let mut record = synthetic_record("K1", 1);
    record.passive_liveness = Some(certpoint_protocol::Scored {
        score: f32::INFINITY,
        threshold: 0.5,
    });
    let err = store.enqueue(record, None).expect_err("infinity refused");
    assert!(
        matches!(
            err,
            StoreError::NonFiniteFigure {
                field: "passive_liveness.score",
                ..
            }
        ),
        "{err}"
    );
    let s = store.status().unwrap();
    assert_eq!(
        (s.pending, s.last_seq),
        (0, 0),
        "nothing stored, no seq used"
    );
}

#[test]
fn queue_purge_applies_retention_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_cfg, data) = common::shipped_config_in(dir.path());
    let (old, pending) = {
        let mut store = Store::open_in(&data).unwrap();
        let old = store.enqueue(synthetic_record("K1", 1), None).unwrap();
        let pending = store.enqueue(synthetic_record("K1", 2), None).unwrap();
        store
            .mark_sent(&old.record_id, now() - TimeDelta::days(31))
            .unwrap();
        (old.record_id, pending.record_id)
    };
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_certpoint"))
            .args(["queue", "purge", "--json"])
            .current_dir(dir.path())
            .env_remove("CERTPOINT_CONFIG")
            .output()
            .unwrap()
    };
    let o = run();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"sent_scrubbed": 0, "sent_deleted": 1, "rejected_scrubbed": 0})
    );
    let store = Store::open_in(&data).unwrap();
    assert!(matches!(store.get(&old), Err(StoreError::UnknownRecord(_))));
    assert!(store.get(&pending).is_ok());
    let v: serde_json::Value = serde_json::from_slice(&run().stdout).unwrap();
    assert_eq!(v["sent_deleted"], 0, "nothing left to purge");
}

#[test]
fn server_messages_quoting_the_id_number_are_stored_masked() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    let a = store.enqueue(synthetic_record("K1", 1), None).unwrap();
    let b = store.enqueue(synthetic_record("K1", 2), None).unwrap();
    store
        .mark_rejected(
            &a.record_id,
            "422: id_number 11010519491231002X is not on file",
        )
        .unwrap();
    store
        .note_send_failure(&b.record_id, "500: lookup of 11010519491231002X timed out")
        .unwrap();
    let listed = store.list(None, 10).unwrap();
    assert_eq!(
        listed[0].rejected_reason.as_deref(),
        Some("422: id_number 1101**********002X is not on file")
    );
    assert_eq!(
        listed[1].last_error.as_deref(),
        Some("500: lookup of 1101**********002X timed out")
    );
    assert!(!contains(&raw_bytes(dir.path()), ID_NUMBER));
}

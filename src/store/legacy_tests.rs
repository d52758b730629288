//! A store written by certpoint before encryption at rest (schema v1, body and photo
//! in the clear) is sealed in place when this version opens it.

use rusqlite::{params, Connection};

use certpoint_protocol::{canonical_json, mask_id_number, PhotoRef};

use super::selftest::{synthetic_photo, synthetic_record};
use super::*;

const ID_NUMBER: &[u8] = b"11010519491231002X";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn raw_bytes(path: &Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("sqlite-wal")) {
        all.extend(wal);
    }
    all
}

/// Writes a v1 store at `path` the way v1 did: one pending record with a photo and
/// one already acknowledged; returns the pending record's id.
fn write_v1_store(path: &Path, photo: &[u8]) -> String {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    let mut ids = Vec::new();
    for (seq, state) in [(1, "pending"), (2, "sent")] {
        let mut record = synthetic_record("K1", 1);
        record.seq = seq;
        record.photo = Some(PhotoRef {
            media_type: "image/jpeg".into(),
            bytes: photo.len() as u64,
            sha256: hex_sha256(photo),
        });
        let id = record.record_id.to_string();
        conn.execute(
            "INSERT INTO records (record_id, kiosk_id, seq, created_at, outcome, id_masked,
                                  body, state, sent_at)
             VALUES (?1, 'K1', ?2, ?3, 'abandoned', ?4, ?5, ?6,
                     CASE ?6 WHEN 'sent' THEN ?3 END)",
            params![
                id,
                seq as i64,
                record.started_at.to_rfc3339(),
                mask_id_number(&record.id_number),
                canonical_json(&record).unwrap(),
                state
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO record_photos (record_id, media_type, sha256, bytes)
             VALUES (?1, 'image/jpeg', ?2, ?3)",
            params![id, hex_sha256(photo), photo],
        )
        .unwrap();
        ids.push(id);
    }
    conn.execute("INSERT INTO kiosk_sequence VALUES ('K1', 2)", [])
        .unwrap();
    ids.swap_remove(0)
}

#[test]
fn a_v1_store_in_the_clear_is_sealed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STORE_FILE);
    let photo = synthetic_photo(11, 20_000);
    let pending = write_v1_store(&path, &photo);
    let before = raw_bytes(&path);
    assert!(
        contains(&before, ID_NUMBER),
        "the v1 file holds the ID in clear"
    );
    assert!(contains(&before, &photo[..64]));

    let mut store = Store::open(&path).unwrap();
    let version: i64 = store
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);
    let after = raw_bytes(&path);
    assert!(!contains(&after, ID_NUMBER), "ID number left in the file");
    let windows: std::collections::HashSet<&[u8]> = photo.windows(64).collect();
    assert!(
        !after.windows(64).any(|w| windows.contains(w)),
        "face crop left in the file"
    );
    let (got, state) = store.get(&pending).unwrap();
    assert_eq!(state, OutboxState::Pending);
    assert_eq!(got.photo.as_deref(), Some(&photo[..]));
    assert_eq!(got.record.id_number.as_bytes(), ID_NUMBER);
    assert_eq!(
        store.enqueue(synthetic_record("K1", 1), None).unwrap().seq,
        3
    );
    // The record v1 had already sent still carries its data until the first purge.
    let report = store
        .purge(chrono::Local::now().fixed_offset(), 30)
        .unwrap();
    assert_eq!((report.sent_scrubbed, report.sent_deleted), (1, 0));
    drop(store);
    // Reopening seals nothing twice and reads the same record.
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.get(&pending).unwrap().0.photo.as_deref(),
        Some(&photo[..])
    );
}

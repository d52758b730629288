//! The SQLite backend's own promises: old data directories migrate (records sealed and
//! indexed, reference photos become history), nothing personal is in the file in the
//! clear, and the key file is checked like the kiosk's.

mod storage_suite;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use certpoint_agency::sqlite::{DB_FILE, SCHEMA_VERSION};
use certpoint_agency::storage::{ReadResult, RosterStatus};
use certpoint_agency::vault::KEY_FILE;
use certpoint_agency::{SqliteStorage, Storage};
use certpoint_protocol::{canonical_json, FaceMatch, Outcome};
use storage_suite::*;

/// Every byte the data directory holds except the key (the photo store included).
fn raw_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all.extend(raw_bytes(&p));
        } else if p.file_name().unwrap() != KEY_FILE {
            all.extend(std::fs::read(&p).unwrap());
        }
    }
    all
}

/// The blobs in the data directory's photo store.
fn stored_photos(dir: &Path) -> usize {
    let root = dir.join(certpoint_agency::photos::PHOTOS_DIR);
    std::fs::read_dir(root)
        .map(|fan| {
            fan.map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
                .sum()
        })
        .unwrap_or(0)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The schema and rows a data directory had before numbered migrations (certpoint-agency
/// as of the protocol v2 commit): everything in the clear.
fn old_data_directory(dir: &Path, body: &str, record_id: &str) {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute_batch(
        r#"
        CREATE TABLE kiosks (kiosk_id TEXT PRIMARY KEY NOT NULL, public_key TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE, added_at TEXT NOT NULL);
        CREATE TABLE certifications (arrival INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL UNIQUE, kiosk_id TEXT NOT NULL REFERENCES kiosks (kiosk_id),
            seq INTEGER NOT NULL, body TEXT NOT NULL, signature TEXT NOT NULL,
            received_at TEXT NOT NULL);
        CREATE INDEX certifications_by_kiosk ON certifications (kiosk_id, seq);
        CREATE TABLE certification_photos (record_id TEXT PRIMARY KEY NOT NULL
            REFERENCES certifications (record_id), media_type TEXT NOT NULL,
            sha256 TEXT NOT NULL, bytes BLOB NOT NULL);
        CREATE TABLE auditors (name TEXT PRIMARY KEY NOT NULL, token_sha256 TEXT NOT NULL UNIQUE,
            added_at TEXT NOT NULL);
        CREATE TABLE reference_photos (id_number TEXT PRIMARY KEY NOT NULL, version TEXT NOT NULL,
            media_type TEXT NOT NULL, bytes BLOB NOT NULL, enrolled_at TEXT NOT NULL);
        INSERT INTO kiosks VALUES ('K-OLD', 'pk', 'sha-old', '2026-01-01T00:00:00Z');
        "#,
    )
    .unwrap();
    conn.execute(
        "INSERT INTO certifications (record_id, kiosk_id, seq, body, signature, received_at)
         VALUES (?1, 'K-OLD', 1, ?2, 'sig', '2026-04-02T01:31:00.000000Z')",
        [record_id, body],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO certification_photos VALUES (?1, 'image/jpeg', 'sha', X'FFD8FF4F4C44435255504F4C44')",
        [record_id],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO reference_photos VALUES (?1, 'old-v', 'image/jpeg', X'FFD8FF4F4C445245464F4C44', '2026-01-01T00:00:00Z')",
        [ID_A],
    )
    .unwrap();
}

#[test]
fn an_old_data_directory_is_migrated_sealed_and_indexed() {
    let dir = tempfile::tempdir().unwrap();
    // A schema-1 "passed" that was never matched: it proved liveness only.
    let mut r = record(
        "K-OLD",
        1,
        ID_A,
        Outcome::Failed,
        "2026-04-02T09:30:00+08:00",
    );
    r.schema_version = 1;
    r.outcome = Outcome::Passed;
    r.face_match = FaceMatch::PendingMatch;
    let body = canonical_json(&r).unwrap();
    let id = r.record_id.to_string();
    old_data_directory(dir.path(), &body, &id);

    let s = SqliteStorage::open_in(dir.path()).unwrap();
    let stored = s.certification(&id).unwrap().unwrap();
    assert_eq!(stored.signed_body, body);
    assert_eq!(s.photo(&id).unwrap().unwrap(), b"\xff\xd8\xffOLDCRUPOLD");
    assert_eq!(
        s.reference(ID_A).unwrap().unwrap().bytes,
        b"\xff\xd8\xffOLDREFOLD"
    );
    assert_eq!(s.reference_versions(ID_A).unwrap()[0].version, "old-v");
    assert_eq!(s.kiosk_by_token("sha-old").unwrap().unwrap().region, None);
    let facts = s.person_facts(ID_A, "2026").unwrap();
    assert_eq!(facts.records[0].outcome, Outcome::PendingMatch);
    // New data lands beside the migrated data.
    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Active)])
        .unwrap();
    drop(s);

    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let blobs: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('certification_photos') WHERE name = 'bytes'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(blobs, 0, "the photo bytes left the rows");
    drop(conn);
    assert_eq!(stored_photos(dir.path()), 2, "crop and reference moved out");
    let raw = raw_bytes(dir.path());
    assert!(!contains(&raw, ID_A.as_bytes()), "the ID number is sealed");
    assert!(!contains(&raw, b"OLDCRUPOLD"), "the face crop is sealed");
    assert!(
        !contains(&raw, b"OLDREFOLD"),
        "the reference photo is sealed"
    );

    // Opening again changes nothing.
    let s = SqliteStorage::open_in(dir.path()).unwrap();
    assert_eq!(s.certification(&id).unwrap().unwrap().signed_body, body);
}

#[test]
fn nothing_personal_is_in_the_file_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open_in(dir.path()).unwrap();
    registered(&s, "K1");
    s.import_roster(&[person(
        ID_A,
        "Zhang Sanfeng",
        "110105",
        RosterStatus::Active,
    )])
    .unwrap();
    let r = record(
        "K1",
        1,
        ID_A,
        Outcome::PendingMatch,
        "2026-04-02T09:30:00+08:00",
    );
    store(&s, &r, Some(b"\xff\xd8\xffCROPCROPCROP"));
    s.add_reference(
        ID_A,
        &photo("v1", b"\xff\xd8\xffREFREFREF"),
        Some(&embedding(0.5)),
    )
    .unwrap();
    s.log_reference_read("K1", ID_A, ReadResult::Served)
        .unwrap();
    drop(s);
    assert_eq!(
        stored_photos(dir.path()),
        2,
        "crop and reference in the store"
    );
    let raw = raw_bytes(dir.path());
    for (what, needle) in [
        ("ID number", ID_A.as_bytes()),
        ("name", b"Zhang Sanfeng".as_slice()),
        ("face crop", b"CROPCROPCROP".as_slice()),
        ("reference photo", b"REFREFREF".as_slice()),
        ("embedding", &embedding(0.5).to_bytes()[..]),
    ] {
        assert!(
            !contains(&raw, needle),
            "the {what} is in the file in the clear"
        );
    }
    assert!(
        contains(&raw, b"1101**********002X"),
        "the read log keeps the masked number"
    );
}

#[test]
fn the_key_file_is_checked_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join(KEY_FILE);
    let s = SqliteStorage::open_in(dir.path()).unwrap();
    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Active)])
        .unwrap();
    drop(s);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "made private");
    let message = |dir: &Path| {
        SqliteStorage::open_in(dir)
            .err()
            .expect("refused")
            .to_string()
    };

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let m = message(dir.path());
    assert!(
        m.contains(&key.display().to_string()) && m.contains("chmod 600"),
        "{m}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

    let original = std::fs::read(&key).unwrap();
    std::fs::write(&key, [9u8; 32]).unwrap();
    let m = message(dir.path());
    assert!(m.contains("not the key"), "{m}");

    std::fs::write(&key, b"short").unwrap();
    let m = message(dir.path());
    assert!(m.contains("5 bytes"), "{m}");

    std::fs::remove_file(&key).unwrap();
    let m = message(dir.path());
    assert!(
        m.contains("missing") && m.contains(&key.display().to_string()),
        "{m}"
    );
    assert!(!key.exists(), "no new key over sealed data");

    std::fs::write(&key, &original).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let s = SqliteStorage::open_in(dir.path()).unwrap();
    assert_eq!(s.roster_entry(ID_A).unwrap().unwrap().name, "A");
}

#[test]
fn a_database_from_a_newer_server_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStorage::open_in(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let m = SqliteStorage::open_in(dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(m.contains("newer certpoint-agency"), "{m}");
}

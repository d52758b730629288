//! The store key file (issue 7, "Privacy"): mistakes with it stop the store with the
//! file and the fix — never a new key over sealed records — and it may live outside the
//! data directory.

use std::os::unix::fs::PermissionsExt;

use certpoint::store::selftest::synthetic_record;
use certpoint::store::{KeyError, Store, StoreError, KEY_FILE, STORE_FILE};

#[test]
fn key_file_mistakes_are_refused_with_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join(KEY_FILE);
    {
        let mut store = Store::open_in(dir.path()).unwrap();
        store.enqueue(synthetic_record("K1", 1), None).unwrap();
    }
    let good = std::fs::read(&key_path).unwrap();
    let open_err = || Store::open_in(dir.path()).err().expect("must be refused");

    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = open_err();
    assert!(
        matches!(
            err,
            StoreError::Key(KeyError::Permissions { mode: 0o644, .. })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&format!("chmod 600 {}", key_path.display())),
        "{err}"
    );
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();

    std::fs::write(&key_path, &good[..31]).unwrap();
    let err = open_err();
    assert!(
        matches!(err, StoreError::Key(KeyError::Size { len: 31, .. })),
        "{err}"
    );

    std::fs::remove_file(&key_path).unwrap();
    let err = open_err();
    assert!(
        matches!(err, StoreError::Key(KeyError::Missing { .. })),
        "{err}"
    );
    assert!(err.to_string().contains(&key_path.display().to_string()));
    assert!(!key_path.exists(), "no new key over sealed records");

    std::fs::write(&key_path, &good).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    assert_eq!(
        store.next_pending(10).unwrap().len(),
        1,
        "the right key reads it"
    );
}

#[test]
fn the_key_can_live_outside_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("kiosk-store.key");
    let db = data.path().join(STORE_FILE);
    {
        let mut store = Store::open_with_key(&db, &key).unwrap();
        store.enqueue(synthetic_record("K1", 1), None).unwrap();
    }
    assert!(key.exists());
    assert!(!data.path().join(KEY_FILE).exists());
    // Opened with the default key location instead: refused, nothing created.
    let err = Store::open(&db).err().unwrap();
    assert!(
        matches!(err, StoreError::Key(KeyError::Missing { .. })),
        "{err}"
    );
    assert!(!data.path().join(KEY_FILE).exists());
    let store = Store::open_with_key(&db, &key).unwrap();
    assert_eq!(store.next_pending(10).unwrap().len(), 1);
}

//! The storage suite (`storage_suite/`) on the SQLite backend.

mod storage_suite;

fn sqlite() -> storage_suite::Subject {
    let dir = tempfile::tempdir().unwrap();
    let storage = certpoint_agency::SqliteStorage::open_in(dir.path()).unwrap();
    storage_suite::Subject {
        storage: Box::new(storage),
        guard: Box::new(dir),
    }
}

storage_suite::cases!(sqlite);

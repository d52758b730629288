//! The storage suite (`storage_suite/`) on the PostgreSQL backend, each case on a fresh
//! database of the cluster `scripts/test` starts (`CERTPOINT_TEST_POSTGRES`).

mod pg_support;
mod storage_suite;

fn postgres() -> storage_suite::Subject {
    let db = pg_support::FreshDatabase::new();
    let dir = tempfile::tempdir().unwrap();
    let storage = db.open(dir.path());
    storage_suite::Subject {
        storage: Box::new(storage),
        // Dropped after the storage (field order): its connections close first.
        guard: Box::new((db, dir)),
    }
}

storage_suite::cases!(postgres);

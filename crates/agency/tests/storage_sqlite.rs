//! The storage suite (`storage_suite/`) on the SQLite backend: with photos in the
//! data directory (the default), and again with them in an object store through the
//! `object_store` trait (its in-memory store: the code path `--photos s3://…` takes).

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

mod photos_in_an_object_store {
    use super::storage_suite;
    use certpoint_agency::photos::PhotoStore;

    fn sqlite() -> storage_suite::Subject {
        let dir = tempfile::tempdir().unwrap();
        let memory = std::sync::Arc::new(object_store::memory::InMemory::new());
        let photos = PhotoStore::over(memory, "agency/photos", "memory").unwrap();
        let storage = certpoint_agency::SqliteStorage::open(dir.path(), photos).unwrap();
        storage_suite::Subject {
            storage: Box::new(storage),
            guard: Box::new(dir),
        }
    }

    storage_suite::cases!(sqlite);
}

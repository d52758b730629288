//! The back office over real HTTP on 127.0.0.1 on the PostgreSQL backend: the same
//! cases as `admin_http.rs` (`admin_cases/`), each on a fresh database of the cluster
//! `scripts/test` starts (`CERTPOINT_TEST_POSTGRES`).

mod admin_cases;
mod office_support;
mod pg_support;
mod storage_suite;

use std::sync::Arc;

use certpoint_agency::Storage;

fn postgres() -> (Arc<dyn Storage>, Box<dyn std::any::Any>) {
    let db = pg_support::FreshDatabase::new();
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(db.open(dir.path()));
    // The guard drops after the storage (the case drops its store first): the
    // connections close before the database is dropped.
    (storage, Box::new((db, dir)))
}

admin_cases::office_cases!(postgres);

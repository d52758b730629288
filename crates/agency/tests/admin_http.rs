//! The back office over real HTTP on 127.0.0.1 on the SQLite backend: the cases of
//! `admin_cases/` (also run on PostgreSQL by `admin_http_postgres.rs`).

mod admin_cases;
mod office_support;
mod storage_suite;

use std::sync::Arc;

use certpoint_agency::{SqliteStorage, Storage};

fn sqlite() -> (Arc<dyn Storage>, Box<dyn std::any::Any>) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
    (storage, Box::new(dir))
}

admin_cases::office_cases!(sqlite);

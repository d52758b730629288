//! A fresh PostgreSQL database per test, on the throwaway cluster `scripts/test` starts
//! (`scripts/pg-cluster`), whose URL it exports as `CERTPOINT_TEST_POSTGRES`. Without
//! it the PostgreSQL tests fail with the fix, never pass silently.

#![allow(dead_code)]

use std::path::Path;

use certpoint_agency::PgStorage;

pub const ENV: &str = "CERTPOINT_TEST_POSTGRES";

/// The cluster's URL (any database on it; tests make their own).
pub fn cluster_url() -> String {
    std::env::var(ENV).unwrap_or_else(|_| {
        panic!(
            "{ENV} is not set: the PostgreSQL tests need a cluster. Run them through scripts/test \
             (it starts a throwaway one), or start one with `scripts/pg-cluster start` and export \
             {ENV}=<the URL it prints>"
        )
    })
}

/// An empty database of its own, dropped (with its connections) when this drops.
pub struct FreshDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl FreshDatabase {
    pub fn new() -> FreshDatabase {
        let admin_url = cluster_url();
        let name = format!("test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to {ENV}={admin_url}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = with_dbname(&admin_url, &name);
        FreshDatabase {
            admin_url,
            name,
            url,
        }
    }

    /// The backend on this database with its key in `data`.
    pub fn open(&self, data: &Path) -> PgStorage {
        PgStorage::open(&self.url, data).unwrap()
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// `url` with its database name replaced (the path after the host).
fn with_dbname(url: &str, name: &str) -> String {
    let (base, _) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let host_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    format!("{}/{name}", &base[..host_end])
}

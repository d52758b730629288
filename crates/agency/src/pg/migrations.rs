//! The schema on PostgreSQL: numbered SQL files in `crates/agency/migrations/postgres/`,
//! compiled in and applied at start, each in its own transaction with its row in
//! `schema_migrations`. Two servers starting at once against a new database would both
//! try migration 1; a session-level advisory lock makes the second wait and then find
//! nothing left to do. A database migrated by a newer server is refused.

use postgres::Client;

use super::backend;
use crate::storage::StorageError;

/// In order; file `NNNN_name.sql` is version `NNNN`.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "0001_schema.sql",
        include_str!("../../migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "0002_region_indexes.sql",
        include_str!("../../migrations/postgres/0002_region_indexes.sql"),
    ),
    (
        3,
        "0003_office_and_assistance.sql",
        include_str!("../../migrations/postgres/0003_office_and_assistance.sql"),
    ),
];

/// The schema version this build writes.
pub const LATEST: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Any constant the cluster's other users are unlikely to pick: "certpoint" in ASCII.
const LOCK_ID: i64 = 0x6365_7274_706f_696e;

/// Brings the database to [`LATEST`]; `shown` names it (without the password) in errors.
pub(super) fn run(client: &mut Client, shown: &str) -> Result<(), StorageError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_ID])
        .map_err(backend)?;
    let result = apply(client, shown);
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_ID]);
    result?;
    unlocked.map_err(backend)?;
    Ok(())
}

fn apply(client: &mut Client, shown: &str) -> Result<(), StorageError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .map_err(backend)?;
    let at: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .map_err(backend)?
        .get(0);
    if at > LATEST {
        return Err(StorageError::Backend(format!(
            "{shown} is at schema version {at}, written by a newer certpoint-agency (this one knows up to {LATEST}); run that version or restore a backup"
        )));
    }
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > at) {
        let mut tx = client.transaction().map_err(backend)?;
        tx.batch_execute(sql)
            .map_err(|e| StorageError::Backend(format!("{shown}: migration {name} failed: {e}")))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, &name],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        tracing::info!("{shown}: schema migration {name} applied");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_like_their_files() {
        for (i, (version, name, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version as usize, i + 1);
            assert!(name.starts_with(&format!("{version:04}_")), "{name}");
        }
    }
}

//! The SQLite backend: one file in the data directory, WAL, `synchronous=FULL` (a 201
//! means the record is on disk). Photos are sealed blobs in the photo store beside it
//! (`<data>/photos`, `photos`), written and synced before the row naming them commits.
//!
//! Personal data is sealed before it reaches the file (`vault`); people are indexed by
//! the keyed hash of their ID number. The schema is a numbered list of migrations
//! (`migrations`). The trait's methods are implemented by subject in `kiosks`,
//! `records`, `people`, `references` and `bundles`; this file opens the database and
//! binds the key.

mod bundles;
mod kiosks;
mod migrations;
mod office;
mod people;
mod records;
mod references;

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension};

use certpoint_protocol::{GapReport, StoredCertification};

use crate::photos::PhotoStore;
use crate::storage::*;
use crate::vault::{Vault, VaultError, KEY_FILE};

pub use migrations::LATEST as SCHEMA_VERSION;

/// File name inside `--data`.
pub const DB_FILE: &str = "agency.sqlite";

/// Why the data directory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Key(#[from] VaultError),
    /// `--database-ca` (or the system's CAs) for TLS to PostgreSQL.
    #[error(transparent)]
    DatabaseCa(#[from] crate::pg::tls::CaError),
}

pub struct SqliteStorage {
    conn: Mutex<Connection>,
    vault: Vault,
    photos: PhotoStore,
}

pub(crate) fn backend(e: rusqlite::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

pub(crate) use crate::storage::columns::{now, parse_time, parse_utc, utc_text};

/// [`Storage::parallelism`] for SQLite.
const SQLITE_PARALLELISM: usize = 8;

impl SqliteStorage {
    /// Opens (creating) `<data_dir>/agency.sqlite` with its key `<data_dir>/agency.key`
    /// (made on first use), and brings the schema up to date.
    pub fn open_in(data_dir: &Path) -> Result<SqliteStorage, OpenError> {
        SqliteStorage::open(data_dir, PhotoStore::in_data(data_dir))
    }

    /// As [`open_in`](Self::open_in), with the photos in `photos` (`--photos`).
    pub fn open(data_dir: &Path, photos: PhotoStore) -> Result<SqliteStorage, OpenError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StorageError::Backend(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join(DB_FILE);
        let shown = path.display().to_string();
        let mut conn = Connection::open(&path).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        // Freed pages are zeroed: a sealed blob replaced or deleted leaves no copy.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        // 64 MiB of page cache instead of 2: a province-size roster's indexes are
        // hundreds of MB, and status lookups and imports walk them.
        conn.pragma_update(None, "cache_size", -65536)
            .map_err(backend)?;
        // Query-planner stability: without it SQLite marks statements whose plan might
        // depend on a bound value and recompiles them on every new binding, so the
        // status lookup was parsed and planned afresh on each request (perf showed
        // `sqlite3Reprepare` under every `sqlite3_step`). Our statements are written for
        // one plan; the same plan for every binding is what we want.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(backend)?;
        let vault = bind_key(&conn, &data_dir.join(KEY_FILE), &shown)?;
        migrations::run(&mut conn, &vault, &photos, &shown)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        Ok(SqliteStorage {
            conn: Mutex::new(conn),
            vault,
            photos,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Loads (or makes) the key and records its fingerprint in the database. The table is
/// outside the migration list because the migrations need the key to seal old rows.
fn bind_key(conn: &Connection, key_file: &Path, shown: &str) -> Result<Vault, OpenError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS agency_key (
             id          INTEGER PRIMARY KEY CHECK (id = 1),
             fingerprint TEXT NOT NULL
         );",
    )
    .map_err(backend)?;
    let recorded = || -> Result<Option<String>, StorageError> {
        conn.query_row("SELECT fingerprint FROM agency_key WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(backend)
    };
    let before = recorded()?;
    let vault = Vault::bind(key_file, before.as_deref(), shown)?;
    if before.is_none() {
        // Another process opening the same new directory may record its key first
        // (it is the same file: key creation never overwrites); compare afterwards.
        conn.execute(
            "INSERT INTO agency_key (id, fingerprint) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
            [vault.fingerprint()],
        )
        .map_err(backend)?;
        if recorded()?.as_deref() != Some(vault.fingerprint()) {
            return Err(VaultError::Wrong {
                path: key_file.to_owned(),
                store: shown.to_owned(),
            }
            .into());
        }
    }
    Ok(vault)
}

impl Storage for SqliteStorage {
    fn parallelism(&self) -> usize {
        // One connection behind one lock, but a few callers queued at it start the next
        // statement without a wake-up from the async side: `bench status` (200 clients,
        // 3,000,000 people) had its best p99 at 4-8 (23-24 ms) against 29-38 ms unlimited
        // and 54 ms at 1.
        SQLITE_PARALLELISM
    }
    fn add_kiosk(&self, kiosk: &Kiosk, token_sha256: &str) -> Result<(), StorageError> {
        kiosks::add_kiosk(&self.conn(), kiosk, token_sha256)
    }
    fn set_kiosk_region(&self, kiosk_id: &str, region: &str) -> Result<(), StorageError> {
        kiosks::set_region(&self.conn(), kiosk_id, region)
    }
    fn kiosk_by_token(&self, token_sha256: &str) -> Result<Option<Kiosk>, StorageError> {
        kiosks::by_token(&self.conn(), token_sha256)
    }
    fn kiosks(&self) -> Result<Vec<Kiosk>, StorageError> {
        kiosks::all(&self.conn())
    }
    fn add_auditor(&self, name: &str, token_sha256: &str) -> Result<(), StorageError> {
        kiosks::add_auditor(&self.conn(), name, token_sha256)
    }
    fn auditor_by_token(&self, token_sha256: &str) -> Result<Option<String>, StorageError> {
        kiosks::auditor_by_token(&self.conn(), token_sha256)
    }

    fn insert_certification(&self, c: &NewCertification) -> Result<InsertOutcome, StorageError> {
        records::insert(&mut self.conn(), &self.vault, &self.photos, c)
    }
    fn certification(&self, record_id: &str) -> Result<Option<StoredCertification>, StorageError> {
        records::get(&self.conn(), &self.vault, record_id)
    }
    fn assistance_certificate(
        &self,
        serial: &str,
    ) -> Result<Option<AssistanceCertificate>, StorageError> {
        records::assistance_certificate(&self.conn(), serial)
    }
    fn records(&self, kiosk_id: Option<&str>) -> Result<Vec<RecordSummary>, StorageError> {
        records::list(&self.conn(), kiosk_id)
    }
    fn photo(&self, record_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        records::photo(&self.conn(), &self.vault, &self.photos, record_id)
    }
    fn photo_store(&self) -> &PhotoStore {
        &self.photos
    }
    fn photo_names(&self, each: &mut dyn FnMut(&str)) -> Result<(), StorageError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT blob_sha256 FROM certification_photos WHERE blob_sha256 IS NOT NULL
             UNION ALL SELECT photo_blob FROM reference_versions WHERE photo_blob IS NOT NULL",
            )
            .map_err(backend)?;
        let mut rows = stmt.query([]).map_err(backend)?;
        while let Some(r) = rows.next().map_err(backend)? {
            each(&r.get::<_, String>(0).map_err(backend)?);
        }
        Ok(())
    }
    fn gaps(&self, kiosk_id: &str) -> Result<GapReport, StorageError> {
        records::gaps(&self.conn(), kiosk_id)
    }
    fn records_awaiting_match(
        &self,
        id_number: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AwaitingMatch>, StorageError> {
        records::awaiting_match(&self.conn(), &self.vault, id_number, limit)
    }
    fn set_record_match(&self, m: &RecordMatch) -> Result<(), StorageError> {
        records::set_match(&self.conn(), m)
    }
    fn record_match(&self, record_id: &str) -> Result<Option<RecordMatch>, StorageError> {
        records::get_match(&self.conn(), record_id)
    }

    fn import_roster_batches(
        &self,
        batches: &mut (dyn Iterator<Item = Result<Vec<RosterEntry>, StorageError>> + Send),
    ) -> Result<ImportCounts, StorageError> {
        people::import_roster_batches(&mut self.conn(), &self.vault, batches)
    }
    fn roster_entry(&self, id_number: &str) -> Result<Option<RosterEntry>, StorageError> {
        people::roster_entry(&self.conn(), &self.vault, id_number)
    }
    fn import_self_certifications(
        &self,
        rows: &[SelfCertification],
    ) -> Result<SelfCertImport, StorageError> {
        people::import_self_certifications(&mut self.conn(), &self.vault, rows)
    }
    fn person_facts(&self, id_number: &str, period: &str) -> Result<PersonFacts, StorageError> {
        people::facts(&self.conn(), &self.vault, id_number, period)
    }
    fn kiosk_lookup(
        &self,
        token_sha256: &str,
        id_number: &str,
        period: &str,
    ) -> Result<Option<KioskLookup>, StorageError> {
        people::kiosk_lookup(&self.conn(), &self.vault, token_sha256, id_number, period)
    }
    fn not_certified_in_region(
        &self,
        region: &str,
        period: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<UncertifiedPage, StorageError> {
        people::not_certified(&self.conn(), &self.vault, region, period, limit, after)
    }

    fn add_reference(
        &self,
        id_number: &str,
        reference: &Reference,
        embedding: Option<&Embedding>,
    ) -> Result<ReferenceAdded, StorageError> {
        references::add(
            &mut self.conn(),
            &self.vault,
            &self.photos,
            id_number,
            reference,
            embedding,
        )
    }
    fn set_reference_embedding(
        &self,
        id_number: &str,
        version: &str,
        embedding: &Embedding,
    ) -> Result<bool, StorageError> {
        references::set_embedding(&self.conn(), &self.vault, id_number, version, embedding)
    }
    fn current_reference(&self, id_number: &str) -> Result<Option<CurrentReference>, StorageError> {
        references::current(&self.conn(), &self.vault, &self.photos, id_number)
    }
    fn reference_versions(
        &self,
        id_number: &str,
    ) -> Result<Vec<ReferenceVersionInfo>, StorageError> {
        references::versions(&self.conn(), &self.vault, id_number)
    }
    fn current_embeddings_in_region(
        &self,
        region: &str,
    ) -> Result<Vec<RegionEmbedding>, StorageError> {
        references::embeddings_in_region(&self.conn(), &self.vault, region)
    }
    fn log_reference_read(
        &self,
        kiosk_id: &str,
        id_number: &str,
        result: ReadResult,
    ) -> Result<(), StorageError> {
        references::log_read(&self.conn(), &self.vault, kiosk_id, id_number, result)
    }
    fn reference_reads(
        &self,
        id_number: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ReferenceRead>, StorageError> {
        references::reads(&self.conn(), &self.vault, id_number, limit)
    }

    fn bundle_publication(&self, region: &str) -> Result<Option<BundlePublication>, StorageError> {
        bundles::get(&self.conn(), region)
    }
    fn set_bundle_publication(&self, p: &BundlePublication) -> Result<(), StorageError> {
        bundles::set(&self.conn(), p)
    }

    fn add_staff(&self, account: &StaffAccount) -> Result<(), StorageError> {
        office::add_staff(&self.conn(), account)
    }
    fn staff(&self, name: &str) -> Result<Option<StaffAccount>, StorageError> {
        office::staff(&self.conn(), name)
    }
    fn set_staff_lockout(
        &self,
        name: &str,
        failed_logins: u32,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        office::set_lockout(&self.conn(), name, failed_logins, locked_until)
    }
    fn append_audit(&self, event: &AuditEvent) -> Result<(), StorageError> {
        office::append_audit(&self.conn(), event)
    }
    fn audit_events(&self, limit: usize) -> Result<Vec<AuditEvent>, StorageError> {
        office::audit(&self.conn(), limit)
    }
    fn roster(&self, region: Option<&str>) -> Result<Vec<RosterEntry>, StorageError> {
        office::roster(&self.conn(), &self.vault, region)
    }
    fn period_people(
        &self,
        period: &str,
        region: Option<&str>,
    ) -> Result<Vec<PersonPeriod>, StorageError> {
        office::period_people(&self.conn(), &self.vault, period, region)
    }
    fn period_records(&self, period: &str) -> Result<Vec<PeriodRecord>, StorageError> {
        office::period_records(&self.conn(), &self.vault, Some(period), None)
    }
    fn person_records(&self, id_number: &str) -> Result<Vec<PeriodRecord>, StorageError> {
        office::period_records(&self.conn(), &self.vault, None, Some(id_number))
    }
    fn set_review_decision(&self, d: &ReviewDecision) -> Result<(), StorageError> {
        office::set_review(&self.conn(), d)
    }
    fn review_decisions(
        &self,
        id_number: &str,
        period: &str,
    ) -> Result<Vec<ReviewDecision>, StorageError> {
        office::reviews(&self.conn(), &self.vault, Some(id_number), Some(period))
    }
    fn period_review_decisions(&self, period: &str) -> Result<Vec<ReviewDecision>, StorageError> {
        office::reviews(&self.conn(), &self.vault, None, Some(period))
    }
    fn set_heartbeat(&self, h: &KioskHeartbeat) -> Result<(), StorageError> {
        office::set_heartbeat(&self.conn(), h)
    }
    fn heartbeats(&self) -> Result<Vec<KioskHeartbeat>, StorageError> {
        office::heartbeats(&self.conn())
    }
}

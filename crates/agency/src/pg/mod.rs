//! The PostgreSQL backend (`--database postgres://…`): the same tables, sealing and
//! answers as the SQLite one, for a province's worth of people and offices.
//!
//! Connections come from a small pool (`pool`), each call takes one for its duration;
//! the trait is synchronous and called from `spawn_blocking` threads, where the
//! blocking client is at home. Personal data is sealed before it is sent (`vault`),
//! with the key in `<data>/agency.key` exactly as for SQLite, and people are indexed
//! by the keyed hash of their ID number. Photos are sealed blobs in the photo store
//! (`photos`, `<data>/photos` by default), named in the rows by sha256. The schema is a list of numbered SQL files
//! (`migrations`). Records are made idempotent by the unique record id itself
//! (`INSERT … ON CONFLICT DO NOTHING`), so two servers or two retries racing on the
//! same record cannot both store it. The link is TLS as the URL's `sslmode` says, the
//! server's certificate always verified (`tls`).

mod kiosks;
mod migrations;
mod office;
mod people;
mod pool;
mod records;
mod references;
pub mod tls;

use std::path::Path;

use postgres::Config;

use certpoint_protocol::{GapReport, StoredCertification};

use crate::photos::PhotoStore;
use crate::sqlite::OpenError;
use crate::storage::*;
use crate::vault::{Vault, VaultError, KEY_FILE};

pub use migrations::LATEST as SCHEMA_VERSION;

/// Connections per server by default (`--db-pool`). The HTTP layer runs at most this
/// many storage calls at once (the others wait for a connection), well under
/// PostgreSQL's default `max_connections` of 100 even with a few servers and the admin
/// commands.
pub const POOL_SIZE: usize = 16;

pub struct PgStorage {
    pool: pool::Pool,
    vault: Vault,
    photos: PhotoStore,
}

pub(crate) fn backend(e: postgres::Error) -> StorageError {
    // The server's own message (with its code) says more than the client's summary.
    match e.as_db_error() {
        Some(db) => StorageError::Backend(format!(
            "postgresql: {} ({})",
            db.message(),
            db.code().code()
        )),
        None => StorageError::Backend(format!("postgresql: {e}")),
    }
}

/// The database named without its password, for messages.
pub fn shown(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

impl PgStorage {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`, or the
    /// key=value form), brings the schema up to date and binds the key
    /// `<data_dir>/agency.key` (made on first use, recorded in the database).
    pub fn open(url: &str, data_dir: &Path) -> Result<PgStorage, OpenError> {
        PgStorage::open_with(url, data_dir, PhotoStore::in_data(data_dir))
    }

    /// As [`open`](Self::open), with the photos in `photos` (`--photos`).
    pub fn open_with(
        url: &str,
        data_dir: &Path,
        photos: PhotoStore,
    ) -> Result<PgStorage, OpenError> {
        PgStorage::open_pooled(url, data_dir, photos, POOL_SIZE, None)
    }

    /// As [`open_with`](Self::open_with), with at most `pool_size` connections
    /// (`--db-pool`) and the server's certificate checked against the CAs in `ca`
    /// (`--database-ca`; the system's CAs without it) when the URL's `sslmode` makes
    /// the link TLS.
    pub fn open_pooled(
        url: &str,
        data_dir: &Path,
        photos: PhotoStore,
        pool_size: usize,
        ca: Option<&Path>,
    ) -> Result<PgStorage, OpenError> {
        let config: Config = url.parse().map_err(|e| {
            StorageError::Backend(format!(
                "--database / CERTPOINT_AGENCY_DATABASE is not a PostgreSQL URL ({e}); write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            ))
        })?;
        let shown = shown(&config);
        let tls = tls::DatabaseTls::new(ca, config.get_ssl_mode())?;
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StorageError::Backend(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let pool = pool::Pool::new(config, tls, pool_size);
        let vault = {
            let mut client = pool.get().map_err(|e| match pool.tls_failure(&e) {
                Some(tls) => StorageError::Backend(format!("cannot connect to {shown}: {tls}")),
                None => StorageError::Backend(format!(
                    "cannot connect to {shown}: {}. Check that PostgreSQL runs there, that the database exists (createdb) and that the user may log in",
                    backend(e)
                )),
            })?;
            migrations::run(&mut client, &shown)?;
            bind_key(&mut client, &data_dir.join(KEY_FILE), &shown)?
        };
        Ok(PgStorage {
            pool,
            vault,
            photos,
        })
    }

    fn client(&self) -> Result<pool::Pooled<'_>, StorageError> {
        // A connection opened later (the pool growing, or healing after a restart) can
        // fail its handshake too: a certificate renewed with another CA or name.
        self.pool
            .get()
            .map_err(|e| match self.pool.tls_failure(&e) {
                Some(tls) => StorageError::Backend(format!("postgresql: {tls}")),
                None => backend(e),
            })
    }
}

/// Loads (or makes) the key and records its fingerprint, as the SQLite backend does.
fn bind_key(
    client: &mut postgres::Client,
    key_file: &Path,
    shown: &str,
) -> Result<Vault, OpenError> {
    let mut recorded = || -> Result<Option<String>, StorageError> {
        Ok(client
            .query_opt("SELECT fingerprint FROM agency_key WHERE id = 1", &[])
            .map_err(backend)?
            .map(|r| r.get(0)))
    };
    let before = recorded()?;
    let vault = Vault::bind(key_file, before.as_deref(), shown)?;
    if before.is_none() {
        client
            .execute(
                "INSERT INTO agency_key (id, fingerprint) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&vault.fingerprint()],
            )
            .map_err(backend)?;
        let now: Option<String> = client
            .query_opt("SELECT fingerprint FROM agency_key WHERE id = 1", &[])
            .map_err(backend)?
            .map(|r| r.get(0));
        if now.as_deref() != Some(vault.fingerprint()) {
            return Err(VaultError::Wrong {
                path: key_file.to_owned(),
                store: shown.to_owned(),
            }
            .into());
        }
    }
    Ok(vault)
}

impl Storage for PgStorage {
    fn parallelism(&self) -> usize {
        // One call per pooled connection; more would wait in the pool's condvar.
        self.pool.max()
    }
    fn add_kiosk(&self, kiosk: &Kiosk, token_sha256: &str) -> Result<(), StorageError> {
        kiosks::add_kiosk(&mut *self.client()?, kiosk, token_sha256)
    }
    fn set_kiosk_region(&self, kiosk_id: &str, region: &str) -> Result<(), StorageError> {
        kiosks::set_region(&mut *self.client()?, kiosk_id, region)
    }
    fn kiosk_by_token(&self, token_sha256: &str) -> Result<Option<Kiosk>, StorageError> {
        kiosks::by_token(&mut *self.client()?, token_sha256)
    }
    fn kiosks(&self) -> Result<Vec<Kiosk>, StorageError> {
        kiosks::all(&mut *self.client()?)
    }
    fn add_auditor(&self, name: &str, token_sha256: &str) -> Result<(), StorageError> {
        kiosks::add_auditor(&mut *self.client()?, name, token_sha256)
    }
    fn auditor_by_token(&self, token_sha256: &str) -> Result<Option<String>, StorageError> {
        kiosks::auditor_by_token(&mut *self.client()?, token_sha256)
    }

    fn insert_certification(&self, c: &NewCertification) -> Result<InsertOutcome, StorageError> {
        records::insert(&mut *self.client()?, &self.vault, &self.photos, c)
    }
    fn certification(&self, record_id: &str) -> Result<Option<StoredCertification>, StorageError> {
        records::get(&mut *self.client()?, &self.vault, record_id)
    }
    fn assistance_certificate(
        &self,
        serial: &str,
    ) -> Result<Option<AssistanceCertificate>, StorageError> {
        records::assistance_certificate(&mut *self.client()?, serial)
    }
    fn records(&self, kiosk_id: Option<&str>) -> Result<Vec<RecordSummary>, StorageError> {
        records::list(&mut *self.client()?, kiosk_id)
    }
    fn photo(&self, record_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        records::photo(&mut *self.client()?, &self.vault, &self.photos, record_id)
    }
    fn photo_store(&self) -> &PhotoStore {
        &self.photos
    }
    fn photo_names(&self, each: &mut dyn FnMut(&str)) -> Result<(), StorageError> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut client = self.client()?;
        // Streamed (a portal, not one result in memory): a million records are a
        // million names.
        let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        let mut rows = client
            .query_raw(
                "SELECT blob_sha256 FROM certification_photos WHERE blob_sha256 IS NOT NULL
             UNION ALL SELECT photo_blob FROM reference_versions WHERE photo_blob IS NOT NULL",
                params,
            )
            .map_err(backend)?;
        while let Some(r) = rows.next().map_err(backend)? {
            each(r.get::<_, &str>(0));
        }
        Ok(())
    }
    fn gaps(&self, kiosk_id: &str) -> Result<GapReport, StorageError> {
        records::gaps(&mut *self.client()?, kiosk_id)
    }
    fn records_awaiting_match(
        &self,
        id_number: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AwaitingMatch>, StorageError> {
        records::awaiting_match(&mut *self.client()?, &self.vault, id_number, limit)
    }
    fn set_record_match(&self, m: &RecordMatch) -> Result<(), StorageError> {
        records::set_match(&mut *self.client()?, m)
    }
    fn record_match(&self, record_id: &str) -> Result<Option<RecordMatch>, StorageError> {
        records::get_match(&mut *self.client()?, record_id)
    }

    fn import_roster_batches(
        &self,
        batches: &mut (dyn Iterator<Item = Result<Vec<RosterEntry>, StorageError>> + Send),
    ) -> Result<ImportCounts, StorageError> {
        people::import_roster_batches(&mut *self.client()?, &self.vault, batches)
    }
    fn roster_entry(&self, id_number: &str) -> Result<Option<RosterEntry>, StorageError> {
        people::roster_entry(&mut *self.client()?, &self.vault, id_number)
    }
    fn import_self_certifications(
        &self,
        rows: &[SelfCertification],
    ) -> Result<SelfCertImport, StorageError> {
        people::import_self_certifications(&mut *self.client()?, &self.vault, rows)
    }
    fn person_facts(&self, id_number: &str, period: &str) -> Result<PersonFacts, StorageError> {
        people::facts(&mut *self.client()?, &self.vault, id_number, period)
    }
    fn kiosk_lookup(
        &self,
        token_sha256: &str,
        id_number: &str,
        period: &str,
    ) -> Result<Option<KioskLookup>, StorageError> {
        people::kiosk_lookup(
            &mut self.client()?,
            &self.vault,
            token_sha256,
            id_number,
            period,
        )
    }
    fn not_certified_in_region(
        &self,
        region: &str,
        period: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<UncertifiedPage, StorageError> {
        people::not_certified(
            &mut *self.client()?,
            &self.vault,
            region,
            period,
            limit,
            after,
        )
    }

    fn add_reference(
        &self,
        id_number: &str,
        reference: &Reference,
        embedding: Option<&Embedding>,
    ) -> Result<ReferenceAdded, StorageError> {
        references::add(
            &mut *self.client()?,
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
        references::set_embedding(
            &mut *self.client()?,
            &self.vault,
            id_number,
            version,
            embedding,
        )
    }
    fn current_reference(&self, id_number: &str) -> Result<Option<CurrentReference>, StorageError> {
        references::current(&mut *self.client()?, &self.vault, &self.photos, id_number)
    }
    fn reference_versions(
        &self,
        id_number: &str,
    ) -> Result<Vec<ReferenceVersionInfo>, StorageError> {
        references::versions(&mut *self.client()?, &self.vault, id_number)
    }
    fn current_embeddings_in_region(
        &self,
        region: &str,
    ) -> Result<Vec<RegionEmbedding>, StorageError> {
        references::embeddings_in_region(&mut *self.client()?, &self.vault, region)
    }
    fn log_reference_read(
        &self,
        kiosk_id: &str,
        id_number: &str,
        result: ReadResult,
    ) -> Result<(), StorageError> {
        references::log_read(
            &mut *self.client()?,
            &self.vault,
            kiosk_id,
            id_number,
            result,
        )
    }
    fn reference_reads(
        &self,
        id_number: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ReferenceRead>, StorageError> {
        references::reads(&mut *self.client()?, &self.vault, id_number, limit)
    }

    fn bundle_publication(&self, region: &str) -> Result<Option<BundlePublication>, StorageError> {
        kiosks::bundle_publication(&mut *self.client()?, region)
    }
    fn set_bundle_publication(&self, p: &BundlePublication) -> Result<(), StorageError> {
        kiosks::set_bundle_publication(&mut *self.client()?, p)
    }

    fn add_staff(&self, account: &StaffAccount) -> Result<(), StorageError> {
        office::add_staff(&mut *self.client()?, account)
    }
    fn staff(&self, name: &str) -> Result<Option<StaffAccount>, StorageError> {
        office::staff(&mut *self.client()?, name)
    }
    fn set_staff_lockout(
        &self,
        name: &str,
        failed_logins: u32,
        locked_until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StorageError> {
        office::set_lockout(&mut *self.client()?, name, failed_logins, locked_until)
    }
    fn append_audit(&self, event: &AuditEvent) -> Result<(), StorageError> {
        office::append_audit(&mut *self.client()?, event)
    }
    fn audit_events(&self, limit: usize) -> Result<Vec<AuditEvent>, StorageError> {
        office::audit(&mut *self.client()?, limit)
    }
    fn roster(&self, region: Option<&str>) -> Result<Vec<RosterEntry>, StorageError> {
        office::roster(&mut *self.client()?, &self.vault, region)
    }
    fn period_people(
        &self,
        period: &str,
        region: Option<&str>,
    ) -> Result<Vec<PersonPeriod>, StorageError> {
        office::period_people(&mut *self.client()?, &self.vault, period, region)
    }
    fn period_records(&self, period: &str) -> Result<Vec<PeriodRecord>, StorageError> {
        office::period_records(&mut *self.client()?, &self.vault, Some(period), None)
    }
    fn person_records(&self, id_number: &str) -> Result<Vec<PeriodRecord>, StorageError> {
        office::period_records(&mut *self.client()?, &self.vault, None, Some(id_number))
    }
    fn set_review_decision(&self, d: &ReviewDecision) -> Result<(), StorageError> {
        office::set_review(&mut *self.client()?, d)
    }
    fn review_decisions(
        &self,
        id_number: &str,
        period: &str,
    ) -> Result<Vec<ReviewDecision>, StorageError> {
        office::reviews(
            &mut *self.client()?,
            &self.vault,
            Some(id_number),
            Some(period),
        )
    }
    fn period_review_decisions(&self, period: &str) -> Result<Vec<ReviewDecision>, StorageError> {
        office::reviews(&mut *self.client()?, &self.vault, None, Some(period))
    }
    fn set_heartbeat(&self, h: &KioskHeartbeat) -> Result<(), StorageError> {
        office::set_heartbeat(&mut *self.client()?, h)
    }
    fn heartbeats(&self) -> Result<Vec<KioskHeartbeat>, StorageError> {
        office::heartbeats(&mut *self.client()?)
    }
}

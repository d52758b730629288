//! Kiosk start-up: everything the GUI needs before its first frame — the checked
//! configuration, logging into the data directory, and the open record store.
//!
//! Each step fails with a message naming what to fix, before any window opens, so an
//! administrator looking at the journal sees the cause and not a blank screen.

use anyhow::Context;

use crate::cache::{ReferenceCache, Refresher};
use crate::config::LoadedConfig;
use crate::logging::{self, LogGuard};
use crate::store::{AuditEntry, Store};
use crate::sync::client::{AgencyClient, ClientSettings};
use crate::sync::reference::ReferenceLookup;
use crate::sync::SyncWorker;
use crate::vision::Vision;

/// A started kiosk: configuration, log file and store, ready for the UI.
pub struct Kiosk {
    pub config: LoadedConfig,
    pub store: Store,
    /// The face models, checked (sha256) and loaded at start so a missing or corrupt
    /// file stops the kiosk before a retiree stands in front of it.
    pub vision: Vision,
    /// What the clerk is told about the server link.
    pub server_label: String,
    /// The sync thread, when `server.url` is set; it drains the outbox on its own
    /// (waking early when told a record was stored) and publishes its status.
    pub sync: Option<SyncWorker>,
    /// Asks the server for reference photos off the analysis thread (with a server).
    pub reference: Option<ReferenceLookup>,
    /// The offline reference cache (empty when `reference_cache.enabled` is false):
    /// `lookup` when the server is unreachable, `status` for the clerk panel.
    pub reference_cache: ReferenceCache,
    /// Keeps the cache fresh while the server is reachable (with a server, cache on).
    _cache_refresh: Option<Refresher>,
    _log: LogGuard,
}

impl Kiosk {
    pub fn start(config: &LoadedConfig) -> anyhow::Result<Kiosk> {
        let cfg = &config.config;
        let data_dir = config.data_dir();
        crate::config::permissions::create_private_dir(&data_dir).with_context(|| {
            format!("cannot create the data directory {} (kiosk.data_dir in {}); create it and give the kiosk user write access", data_dir.display(), config.path.display())
        })?;
        let log = logging::init(
            &cfg.logging.level,
            Some((&data_dir.join("logs"), cfg.logging.file_max_files)),
        )?;
        let mut store = Store::open_configured(config)?;
        // Retention runs at every start as well as in the sync worker, so an offline
        // kiosk (no worker) still drops rejected records' personal data on time.
        let purged = store.purge(chrono::Local::now().fixed_offset(), cfg.retention.days)?;
        if !purged.is_empty() {
            tracing::info!(?purged, "retention applied to the record store");
        }
        let vision = Vision::load(
            &config.models_dir(),
            config.runtime_library().as_deref(),
            cfg.models.intra_threads,
        )?;
        let reference_cache = ReferenceCache::open_configured(config, &store);
        let mut cache_refresh = None;
        let (server_label, sync, reference) = if cfg.server.url.is_empty() {
            (
                "offline: no server configured, records queue locally".to_owned(),
                None,
                None,
            )
        } else {
            // A server that is configured but unusable (bad CA bundle, bad URL) is a
            // start-up error: a kiosk that silently never syncs would look healthy.
            let worker = SyncWorker::spawn_from_config(config).map_err(|e| {
                anyhow::anyhow!("server settings in {}: {e}", config.path.display())
            })?;
            let client = ClientSettings::from_config(config)
                .and_then(|s| AgencyClient::new(&s))
                .map_err(|e| {
                    anyhow::anyhow!("server settings in {}: {e}", config.path.display())
                })?;
            if cfg.reference_cache.enabled {
                cache_refresh = Some(Refresher::spawn(reference_cache.clone(), client.clone())?);
            }
            (
                format!("server {} (sync thread running)", cfg.server.url),
                Some(worker),
                Some(ReferenceLookup::spawn(client)?),
            )
        };
        for w in crate::config::permissions::check(config) {
            tracing::warn!("{w}");
            store.audit(&AuditEntry {
                actor: "system",
                action: "permissions_too_open",
                detail: &w.to_string(),
            })?;
        }
        let status = store.status()?;
        let cache = reference_cache.status();
        if cache.enabled {
            tracing::info!(
                usable = cache.usable,
                entries = ?cache.entries,
                age_days = ?cache.age_days,
                reason = cache.reason.as_deref().unwrap_or("-"),
                "offline reference cache"
            );
        }
        tracing::info!(
            kiosk = %cfg.kiosk.id,
            store = %store.path().display(),
            pending = status.pending,
            server = %server_label,
            "kiosk started"
        );
        store.audit(&AuditEntry {
            actor: "system",
            action: "kiosk_started",
            detail: &format!(
                "version {}, {} record(s) pending",
                env!("CARGO_PKG_VERSION"),
                status.pending
            ),
        })?;
        Ok(Kiosk {
            config: config.clone(),
            store,
            vision,
            server_label,
            sync,
            reference,
            reference_cache,
            _cache_refresh: cache_refresh,
            _log: log,
        })
    }
}

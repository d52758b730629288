//! The offline reference cache: the agency's signed bundle of reference embeddings for
//! this kiosk's region, kept sealed on disk and searched in memory, so a face can be
//! matched against *this person's* reference when the server cannot be reached
//! (records say source `kiosk_cache`).
//!
//! Why it is shaped so:
//! - **Trust.** A bundle is accepted only if it verifies with an agency key pinned in
//!   `[reference_cache]`, was made with this kiosk's embedding model and is for its
//!   region (`certpoint_protocol::bundle`). It is verified again at every load, so
//!   removing a key from the config stops a cache signed by it at once.
//! - **Never backwards.** A bundle replaces the current one only when it verifies *and*
//!   was generated later; a refused, damaged or older bundle leaves the current one in
//!   place, on disk and in memory.
//! - **Personal data at rest.** Embeddings tied to ID numbers are biometric data: the
//!   file (`<data_dir>/reference-cache.sealed`) is sealed with the record store's key and
//!   format (`crate::store::Sealer`), written to a temporary file, synced and renamed
//!   over the old one, so a power cut leaves the old or the new bundle, never half.
//! - **Compact.** The verified bytes are the index (sorted, fixed stride, int8 codes):
//!   ~550 bytes per person, one copy in memory, a lookup is a binary search.
//! - **Stale is unusable.** A bundle older than `max_age_days` is not used for a pass;
//!   [`ReferenceCache::status`] says why, for the clerk panel and `certpoint cache status`.
//!
//! The driver calls [`ReferenceCache::lookup`] when the server is unreachable; a
//! [`Refresher`] thread calls [`refresh`] every `refresh_interval_minutes` when the
//! kiosk has a server.

mod file;
mod refresh;
mod status;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use certpoint_protocol::bundle::{BundleError, BundleExpectations, VerifiedBundle};
use certpoint_protocol::ed25519_dalek::VerifyingKey;
use chrono::{DateTime, TimeDelta, Utc};

use crate::config::LoadedConfig;
use crate::store::{SealColumn, Sealer};

pub use file::CACHE_FILE;
pub use refresh::{refresh, RefreshOutcome, RefreshSchedule, Refresher};
pub use status::{CacheStatus, UnusableReason};

/// Bound into the sealed file's associated data (with the column name).
const SEAL_NAME: &str = "reference-cache";

/// Values per embedding of the kiosk's model (`models/face_embed_mobilefacenet.onnx`).
pub const EMBEDDING_DIM: usize = 512;

/// What the cache needs from the configuration.
#[derive(Clone)]
pub struct CacheSettings {
    pub enabled: bool,
    pub pinned_keys: Vec<VerifyingKey>,
    /// The region bundles must be for.
    pub scope: String,
    pub max_age: TimeDelta,
    pub refresh_interval: Duration,
    pub download_timeout: Duration,
    /// Hex sha256 of the kiosk's embedding model file.
    pub model_sha256: String,
    pub dimension: usize,
}

impl fmt::Debug for CacheSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheSettings")
            .field("enabled", &self.enabled)
            .field("pinned_keys", &self.pinned_keys.len())
            .field("scope", &self.scope)
            .field("max_age", &self.max_age)
            .field("refresh_interval", &self.refresh_interval)
            .finish_non_exhaustive()
    }
}

impl CacheSettings {
    /// From a loaded (so already validated) configuration.
    pub fn from_config(cfg: &LoadedConfig) -> CacheSettings {
        let rc = &cfg.config.reference_cache;
        CacheSettings {
            enabled: rc.enabled,
            pinned_keys: rc
                .agency_public_keys
                .iter()
                .filter_map(|k| certpoint_protocol::parse_public_key(k).ok())
                .collect(),
            scope: rc.scope(&cfg.config).to_owned(),
            max_age: TimeDelta::days(i64::from(rc.max_age_days)),
            refresh_interval: Duration::from_secs(u64::from(rc.refresh_interval_minutes) * 60),
            download_timeout: Duration::from_secs(rc.download_timeout_secs),
            model_sha256: crate::vision::runtime::EMBEDDER.sha256.to_owned(),
            dimension: EMBEDDING_DIM,
        }
    }

    fn expectations(&self) -> BundleExpectations<'_> {
        BundleExpectations {
            pinned_keys: &self.pinned_keys,
            model_sha256: &self.model_sha256,
            dimension: self.dimension,
            scope: Some(&self.scope),
        }
    }
}

/// A reference found in the cache, ready to match against.
#[derive(Clone)]
pub struct CachedReference {
    /// Unit length, the model's dimension.
    pub embedding: Vec<f32>,
    /// Goes into the record's `face_match.reference_version`.
    pub reference_version: String,
    /// When the agency made the bundle it came from.
    pub generated_at: DateTime<Utc>,
}

impl fmt::Debug for CachedReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedReference")
            .field("reference_version", &self.reference_version)
            .field("generated_at", &self.generated_at)
            .field("dimension", &self.embedding.len())
            .finish()
    }
}

/// Why a bundle was not installed. The current bundle stays in every case.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Refused(#[from] BundleError),
    #[error("the offered reference bundle was generated at {offered}, not after the installed one ({installed}); the installed bundle is kept. Get the agency's current export (certpoint-agency bundle export) or, to go back on purpose, remove {path} first")]
    NotNewer {
        offered: DateTime<Utc>,
        installed: DateTime<Utc>,
        path: PathBuf,
    },
    #[error("cannot write the reference cache {path}: {source}. Check free space and that the kiosk user may write to the data directory")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the reference cache {path} was written but does not load back: {detail}")]
    Reload { path: PathBuf, detail: String },
}

/// What [`ReferenceCache::install`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    pub scope: String,
    pub generated_at: DateTime<Utc>,
    pub entries: usize,
    /// The bundle it replaced (its generation time), if any.
    pub replaced: Option<DateTime<Utc>>,
    /// `true` when this exact bundle was installed already (nothing written).
    pub unchanged: bool,
}

/// The cache: cheap to clone, shared by the driver (lookups) and the sync worker
/// (refresh). Lookups never wait on a refresh: a new bundle is swapped in whole.
#[derive(Clone)]
pub struct ReferenceCache {
    shared: Arc<Shared>,
}

struct Shared {
    settings: CacheSettings,
    path: PathBuf,
    sealer: Sealer,
    current: RwLock<Option<Arc<VerifiedBundle>>>,
    /// Why the stored file is not in use (unreadable, refused at load), for the status.
    problem: Mutex<Option<String>>,
    /// The file as last loaded or written (modified time, length), to notice an
    /// import by another process.
    seen: Mutex<Option<file::Stamp>>,
    /// One install at a time in this process.
    installing: Mutex<()>,
}

impl fmt::Debug for ReferenceCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReferenceCache")
            .field("path", &self.shared.path)
            .field("current", &self.current().map(|b| b.header().clone()))
            .finish()
    }
}

impl ReferenceCache {
    /// Opens the cache of `<data_dir>`, loading the stored bundle when the cache is
    /// enabled. A stored bundle that cannot be used is not an error here: it is logged,
    /// shown by [`status`](Self::status), and replaced by the next good bundle.
    pub fn open(settings: CacheSettings, data_dir: &Path, sealer: Sealer) -> ReferenceCache {
        let cache = ReferenceCache {
            shared: Arc::new(Shared {
                path: data_dir.join(CACHE_FILE),
                settings,
                sealer,
                current: RwLock::new(None),
                problem: Mutex::new(None),
                seen: Mutex::new(None),
                installing: Mutex::new(()),
            }),
        };
        if cache.shared.settings.enabled {
            cache.reload_if_changed();
        }
        cache
    }

    /// [`open`](Self::open) with the configuration's settings and the store's key.
    pub fn open_configured(cfg: &LoadedConfig, store: &crate::store::Store) -> ReferenceCache {
        ReferenceCache::open(
            CacheSettings::from_config(cfg),
            &cfg.data_dir(),
            store.sealer(),
        )
    }

    pub fn settings(&self) -> &CacheSettings {
        &self.shared.settings
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The bundle in use, if any (whatever its age).
    pub fn current(&self) -> Option<Arc<VerifiedBundle>> {
        lock_read(&self.shared.current).clone()
    }

    /// The reference of `id_number` (18 characters), when the cache is usable for a
    /// pass now: enabled, a bundle installed, not older than `max_age_days`. `None`
    /// otherwise; [`status`](Self::status) says why.
    pub fn lookup(&self, id_number: &str) -> Option<CachedReference> {
        self.lookup_at(id_number, Utc::now())
    }

    /// [`lookup`](Self::lookup) as of `now`.
    pub fn lookup_at(&self, id_number: &str, now: DateTime<Utc>) -> Option<CachedReference> {
        let bundle = self.current()?;
        if !self.shared.settings.enabled || self.is_stale(&bundle, now) {
            return None;
        }
        let entry = bundle.get(id_number)?;
        Some(CachedReference {
            embedding: entry.embedding(),
            reference_version: entry.reference_version.to_owned(),
            generated_at: bundle.header().generated_at,
        })
    }

    fn is_stale(&self, bundle: &VerifiedBundle, now: DateTime<Utc>) -> bool {
        now - bundle.header().generated_at > self.shared.settings.max_age
    }

    /// Verifies `bytes` and, when it is newer than the installed bundle, seals it to
    /// disk and swaps it in. Anything else leaves the installed bundle as it was.
    pub fn install(&self, bytes: Vec<u8>) -> Result<Installed, InstallError> {
        let _one = self
            .shared
            .installing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let offered = VerifiedBundle::verify(bytes, &self.shared.settings.expectations())?;
        // What is installed: in memory, or (disabled, or not loaded yet) on disk.
        let installed = self
            .current()
            .or_else(|| self.load().ok().flatten().map(Arc::new));
        let header = offered.header().clone();
        if let Some(old) = &installed {
            if old.as_bytes().ends_with(signature_of(&offered)) {
                return Ok(Installed {
                    scope: header.scope,
                    generated_at: header.generated_at,
                    entries: header.count,
                    replaced: None,
                    unchanged: true,
                });
            }
            if header.generated_at <= old.header().generated_at {
                return Err(InstallError::NotNewer {
                    offered: header.generated_at,
                    installed: old.header().generated_at,
                    path: self.shared.path.clone(),
                });
            }
        }
        let replaced = installed.map(|b| b.header().generated_at);
        let sealed = self.shared.sealer.seal_in_place(
            SEAL_NAME,
            SealColumn::ReferenceCache,
            offered.into_bytes(),
        );
        let stamp = file::write_atomically(&self.shared.path, &sealed).map_err(|source| {
            InstallError::Write {
                path: self.shared.path.clone(),
                source,
            }
        })?;
        drop(sealed);
        // Read back what a restart would read, through the same checks.
        let reloaded = match self.load() {
            Ok(Some(b)) => b,
            Ok(None) => {
                return Err(InstallError::Reload {
                    path: self.shared.path.clone(),
                    detail: "the file vanished".into(),
                })
            }
            Err(detail) => {
                return Err(InstallError::Reload {
                    path: self.shared.path.clone(),
                    detail,
                })
            }
        };
        *lock(&self.shared.seen) = Some(stamp);
        *lock(&self.shared.problem) = None;
        if self.shared.settings.enabled {
            *self
                .shared
                .current
                .write()
                .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(reloaded));
        }
        tracing::info!(
            scope = %header.scope,
            generated_at = %header.generated_at,
            entries = header.count,
            "reference cache installed"
        );
        Ok(Installed {
            scope: header.scope,
            generated_at: header.generated_at,
            entries: header.count,
            replaced,
            unchanged: false,
        })
    }

    /// Loads the stored file again if it changed since it was last loaded or written
    /// (an import by `certpoint cache import` while the kiosk runs), keeping the bundle
    /// in use unless the file holds a newer one that verifies. Cheap when unchanged.
    pub fn reload_if_changed(&self) {
        let stamp = file::stamp(&self.shared.path);
        if stamp == *lock(&self.shared.seen) {
            return;
        }
        *lock(&self.shared.seen) = stamp;
        match self.load() {
            Ok(None) => {}
            Ok(Some(bundle)) => {
                let newer = self
                    .current()
                    .is_none_or(|cur| bundle.header().generated_at > cur.header().generated_at);
                if newer {
                    tracing::info!(
                        scope = %bundle.header().scope,
                        generated_at = %bundle.header().generated_at,
                        entries = bundle.len(),
                        "reference cache loaded"
                    );
                    *lock(&self.shared.problem) = None;
                    *self
                        .shared
                        .current
                        .write()
                        .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(bundle));
                }
            }
            Err(problem) => {
                tracing::warn!("the stored reference cache is not used: {problem}");
                *lock(&self.shared.problem) = Some(problem);
            }
        }
    }

    fn note_problem(&self, problem: String) {
        *lock(&self.shared.problem) = Some(problem);
    }

    /// Reads, opens and verifies the stored file; `Ok(None)` when there is none.
    fn load(&self) -> Result<Option<VerifiedBundle>, String> {
        let path = &self.shared.path;
        let Some(sealed) =
            file::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        else {
            return Ok(None);
        };
        let plain = self
            .shared
            .sealer
            .open_in_place(SEAL_NAME, SealColumn::ReferenceCache, sealed)
            .map_err(|e| format!("{} cannot be opened: {e}; it is replaced at the next refresh or `certpoint cache import`", path.display()))?;
        VerifiedBundle::verify(plain, &self.shared.settings.expectations())
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn signature_of(bundle: &VerifiedBundle) -> &[u8] {
    let bytes = bundle.as_bytes();
    &bytes[bytes.len() - certpoint_protocol::bundle::SIGNATURE_LEN..]
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn lock_read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}

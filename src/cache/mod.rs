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
//! The driver calls [`ReferenceCache::lookup`] (or, as a `ReferenceAnswer`,
//! [`ReferenceCache::or_cached`]) when the server is unreachable; a
//! [`Refresher`] thread calls [`refresh`] every `refresh_interval_minutes` when the
//! kiosk has a server.

mod file;
mod install;
mod refresh;
mod status;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use certpoint_protocol::bundle::{BundleExpectations, VerifiedBundle};
use certpoint_protocol::ed25519_dalek::VerifyingKey;
use chrono::{DateTime, TimeDelta, Utc};

use certpoint_protocol::ReferenceSource;

use crate::config::LoadedConfig;
use crate::driver::ReferenceAnswer;
use crate::id_number::IdNumber;
use crate::store::Sealer;

pub use file::CACHE_FILE;
pub use install::{InstallError, Installed};
pub use refresh::{refresh, RefreshOutcome, RefreshSchedule, Refresher};
pub use status::{CacheStatus, UnusableReason};

/// Bound into the sealed file's associated data (with the column name).
const SEAL_NAME: &str = "reference-cache";

/// Values per embedding of the kiosk's model (`models/face_embed_mobilefacenet.onnx`).
pub use crate::vision::EMBEDDING_DIM;

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
            model_sha256: crate::vision::EMBEDDING_MODEL_SHA256.to_owned(),
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

    /// The driver's answer from the cache for `id`: its cached embedding (source
    /// `kiosk_cache`), or `Unavailable` when the cache is unusable or does not hold them.
    pub fn offline_answer(&self, id: &IdNumber) -> ReferenceAnswer {
        match self.lookup(id.as_str()) {
            Some(r) => ReferenceAnswer::Embedding {
                embedding: r.embedding,
                version: r.reference_version,
                source: ReferenceSource::KioskCache,
            },
            None => ReferenceAnswer::Unavailable,
        }
    }

    /// `answer`, or the cache's answer when `answer` is `Unavailable` (the server could
    /// not be asked). Every other answer stands: a server that says "no reference" or
    /// "not eligible" is not overruled by an older bundle.
    pub fn or_cached(&self, answer: ReferenceAnswer, id: &IdNumber) -> ReferenceAnswer {
        match answer {
            ReferenceAnswer::Unavailable => self.offline_answer(id),
            other => other,
        }
    }

    fn is_stale(&self, bundle: &VerifiedBundle, now: DateTime<Utc>) -> bool {
        now - bundle.header().generated_at > self.shared.settings.max_age
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn lock_read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}

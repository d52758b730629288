//! Installing a bundle and (re)loading the stored one: the swap rules.
//!
//! A bundle goes in only after it verifies and only if it is newer than the installed
//! one; it is sealed, written atomically, then read back through the same checks a
//! restart would run, and only that read-back copy is swapped in. Anything else leaves
//! the installed bundle as it was, on disk and in memory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use certpoint_protocol::bundle::{BundleError, VerifiedBundle};
use chrono::{DateTime, Utc};

use super::{file, lock, ReferenceCache, SEAL_NAME};
use crate::store::SealColumn;

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

impl ReferenceCache {
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

    pub(super) fn note_problem(&self, problem: String) {
        *lock(&self.shared.problem) = Some(problem);
    }

    /// Reads, opens and verifies the stored file; `Ok(None)` when there is none.
    fn load(&self) -> Result<Option<VerifiedBundle>, String> {
        let path = &self.shared.path;
        let started = std::time::Instant::now();
        let Some(sealed) =
            file::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        else {
            return Ok(None);
        };
        let read = started.elapsed();
        let plain = self
            .shared
            .sealer
            .open_in_place(SEAL_NAME, SealColumn::ReferenceCache, sealed)
            .map_err(|e| format!("{} cannot be opened: {e}; it is replaced at the next refresh or `certpoint cache import`", path.display()))?;
        let opened = started.elapsed();
        let bundle = VerifiedBundle::verify(plain, &self.shared.settings.expectations())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let ms = |d: Duration| (d.as_secs_f64() * 1000.0).round();
        tracing::debug!(
            read_ms = ms(read),
            open_ms = ms(opened - read),
            verify_ms = ms(started.elapsed() - opened),
            entries = bundle.len(),
            "reference cache file loaded"
        );
        Ok(Some(bundle))
    }
}

fn signature_of(bundle: &VerifiedBundle) -> &[u8] {
    let bytes = bundle.as_bytes();
    &bytes[bytes.len() - certpoint_protocol::bundle::SIGNATURE_LEN..]
}

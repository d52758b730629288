//! Publishing the kiosks' offline cache bundle of a region (`GET /v1/reference-bundle`,
//! `certpoint-agency bundle export`): which references go in, and when a bundle is new.
//!
//! In: the current reference embedding of every *active* person on the region's roster,
//! computed by this server's embedding model (`certpoint_face::EMBEDDING_MODEL_SHA256`);
//! references embedded by another model, or not at all, are left out (a kiosk would
//! refuse the whole bundle for another model's vectors). `bundle::build_region_bundle`
//! signs it with the agency's bundle-signing key.
//!
//! When a bundle is new: its `generated_at` is what a kiosk's `If-Modified-Since` is
//! compared with, and what its `max_age_days` counts from. So a bundle keeps its time
//! while nothing in it changes (kiosks polling hourly get 304, not 100 MB), and a new
//! one is issued when its content changes (a reference imported, a person suspended or
//! deceased, another signing key) or when the published one is older than
//! `reissue_after` (so a kiosk's copy never goes stale while the server is reachable;
//! keep it well below the kiosks' `max_age_days`). `bundle export` always issues a new
//! one, so a file carried to an offline office starts with its full age allowance. The
//! publication (region, content digest, time) is stored, so a restart or an export
//! agrees with what kiosks already hold.
//!
//! The content digest covers the signing key, the model and every entry's ID number
//! and reference version, not the embedding values: a version names one photo, and one
//! photo through one model gives one embedding.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use certpoint_face::{EMBEDDING_DIM, EMBEDDING_MODEL_SHA256};

use super::ServiceError;
use crate::bundle::{
    build_region_bundle, BundleKey, BundleKeyError, BundleSpec, ReferenceEmbedding, RegionBundle,
};
use crate::storage::{BundlePublication, Kiosk, RegionEmbedding, Storage};

/// Default for `--bundle-reissue-hours`: a day, well below the kiosks' default
/// `max_age_days` of 7.
pub const DEFAULT_REISSUE_HOURS: u32 = 24;

/// Why no bundle could be published.
#[derive(Debug, thiserror::Error)]
pub enum BundleServiceError {
    /// No signing key yet (404 for kiosks: nothing is published).
    #[error(transparent)]
    NoKey(BundleKeyError),
    #[error(transparent)]
    Key(BundleKeyError),
    #[error("cannot build the reference bundle of region {region}: {source}")]
    Build {
        region: String,
        #[source]
        source: certpoint_protocol::bundle::BuildError,
    },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::storage::StorageError> for BundleServiceError {
    fn from(e: crate::storage::StorageError) -> Self {
        BundleServiceError::Service(e.into())
    }
}

/// What a kiosk gets.
#[derive(Debug)]
pub enum Publication {
    /// Its bundle is the current one (`If-Modified-Since` at or after `generated_at`).
    NotModified {
        generated_at: DateTime<Utc>,
    },
    Bundle(Arc<RegionBundle>),
}

/// The region a kiosk's bundle is for: its own. `asked` is the kiosk's `region`
/// query parameter (its `reference_cache.region`, else its site code); another region
/// is refused, so a misconfigured kiosk hears why instead of caching strangers.
pub fn region_for_kiosk(kiosk: &Kiosk, asked: Option<&str>) -> Result<String, ServiceError> {
    let Some(own) = kiosk.region.as_deref() else {
        return Err(ServiceError::Forbidden(format!(
            "kiosk {} has no roster region, so no reference bundle; give it one with `certpoint-agency kiosk set-region --id {} --region REGION`",
            kiosk.kiosk_id, kiosk.kiosk_id
        )));
    };
    match asked {
        Some(r) if r != own => Err(ServiceError::Forbidden(format!(
            "kiosk {} serves region {own}, not {r}; set reference_cache.region = \"{own}\" in its kiosk-config.toml (or ask the agency to move it with `kiosk set-region`)",
            kiosk.kiosk_id
        ))),
        _ => Ok(own.to_owned()),
    }
}

/// Publishes bundles from one data directory's key and storage; keeps the last signed
/// bundle of each region in memory, so kiosks asking for the same one share it.
pub struct Publisher {
    storage: Arc<dyn Storage>,
    data_dir: PathBuf,
    reissue_after: TimeDelta,
    signed: Mutex<HashMap<String, Arc<RegionBundle>>>,
}

impl Publisher {
    /// Bundles signed with the key in `data_dir` (`bundle key init`), reissued after
    /// `reissue_hours` even when unchanged.
    pub fn new(storage: Arc<dyn Storage>, data_dir: PathBuf, reissue_hours: u32) -> Publisher {
        Publisher {
            storage,
            data_dir,
            reissue_after: TimeDelta::hours(i64::from(reissue_hours.max(1))),
            signed: Mutex::new(HashMap::new()),
        }
    }

    /// The region's current bundle for a kiosk that holds one generated at
    /// `if_modified_since` (if any).
    pub fn current(
        &self,
        region: &str,
        now: DateTime<Utc>,
        if_modified_since: Option<DateTime<Utc>>,
    ) -> Result<Publication, BundleServiceError> {
        self.publish(region, now, false, if_modified_since)
    }

    /// A newly issued bundle of the region, whatever was published before
    /// (`bundle export`).
    pub fn issue(
        &self,
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<RegionBundle>, BundleServiceError> {
        match self.publish(region, now, true, None)? {
            Publication::Bundle(b) => Ok(b),
            Publication::NotModified { .. } => unreachable!("no If-Modified-Since was given"),
        }
    }

    fn publish(
        &self,
        region: &str,
        now: DateTime<Utc>,
        fresh: bool,
        if_modified_since: Option<DateTime<Utc>>,
    ) -> Result<Publication, BundleServiceError> {
        let key = BundleKey::load(&self.data_dir).map_err(|e| match e {
            BundleKeyError::Missing(_) => BundleServiceError::NoKey(e),
            e => BundleServiceError::Key(e),
        })?;
        let mut entries = self.storage.current_embeddings_in_region(region)?;
        entries.sort_by(|a, b| a.id_number.cmp(&b.id_number));
        let digest = content_digest(&key.key_id(), &entries);
        let published = self.storage.bundle_publication(region)?;
        let now = whole_seconds(now);
        let generated_at = match &published {
            Some(p)
                if !fresh
                    && p.content_sha256 == digest
                    && now - p.generated_at < self.reissue_after =>
            {
                p.generated_at
            }
            // Strictly later than the last one: a kiosk installs only a newer bundle.
            Some(p) => now.max(p.generated_at + TimeDelta::seconds(1)),
            None => now,
        };
        if published.as_ref().map(|p| p.generated_at) != Some(generated_at) {
            self.storage.set_bundle_publication(&BundlePublication {
                region: region.to_owned(),
                content_sha256: digest,
                generated_at,
            })?;
        }
        if if_modified_since.is_some_and(|t| t >= generated_at) {
            return Ok(Publication::NotModified { generated_at });
        }
        let mut signed = self.signed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = signed.get(region) {
            if b.generated_at == generated_at && b.key_id == key.key_id() {
                return Ok(Publication::Bundle(b.clone()));
            }
        }
        let spec = BundleSpec {
            region,
            model_sha256: EMBEDDING_MODEL_SHA256,
            dimension: EMBEDDING_DIM,
            generated_at,
        };
        let references = entries.into_iter().map(|e| ReferenceEmbedding {
            id_number: e.id_number,
            reference_version: e.version,
            embedding: e.embedding.values,
            model_sha256: e.embedding.model_sha256,
        });
        let bundle = Arc::new(
            build_region_bundle(&key, &spec, references).map_err(|source| {
                BundleServiceError::Build {
                    region: region.to_owned(),
                    source,
                }
            })?,
        );
        signed.insert(region.to_owned(), bundle.clone());
        Ok(Publication::Bundle(bundle))
    }
}

/// What a region's bundle is made of (see the module documentation); `entries` sorted
/// by ID number.
fn content_digest(key_id: &str, entries: &[RegionEmbedding]) -> String {
    let mut h = Sha256::new();
    h.update(b"certpoint-bundle-content-v1\0");
    h.update(key_id.as_bytes());
    h.update(b"\0");
    h.update(EMBEDDING_MODEL_SHA256.as_bytes());
    for e in entries {
        if e.embedding.model_sha256 != EMBEDDING_MODEL_SHA256 {
            continue;
        }
        h.update(b"\n");
        h.update(e.id_number.as_bytes());
        h.update(b"\0");
        h.update(e.version.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Embedding, Reference, RosterEntry, RosterStatus};
    use crate::SqliteStorage;

    const ID_A: &str = "11010519491231002X";
    const ID_B: &str = "110105194912310038";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn enrol(s: &dyn Storage, id: &str, version: &str, seed: f32) {
        let values = (0..EMBEDDING_DIM)
            .map(|i| ((i as f32 + seed) * 0.37).sin())
            .collect();
        s.add_reference(
            id,
            &Reference {
                version: version.into(),
                media_type: "image/jpeg".into(),
                bytes: version.as_bytes().to_vec(),
            },
            Some(&Embedding {
                values,
                model_sha256: EMBEDDING_MODEL_SHA256.into(),
            }),
        )
        .unwrap();
    }

    fn generated(p: Publication) -> DateTime<Utc> {
        match p {
            Publication::Bundle(b) => b.generated_at,
            Publication::NotModified { generated_at } => generated_at,
        }
    }

    #[test]
    fn a_bundle_keeps_its_time_until_it_changes_or_is_due_again() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
        let person = |id: &str| RosterEntry {
            id_number: id.into(),
            name: "N".into(),
            region: "110105".into(),
            status: RosterStatus::Active,
        };
        storage
            .import_roster(&[person(ID_A), person(ID_B)])
            .unwrap();
        enrol(storage.as_ref(), ID_A, "a1", 1.0);
        let publisher = Publisher::new(storage.clone(), dir.path().to_owned(), 24);
        let t0 = at("2026-04-02T08:00:00.700Z");
        assert!(matches!(
            publisher.current("110105", t0, None),
            Err(BundleServiceError::NoKey(_))
        ));
        BundleKey::init(dir.path()).unwrap();

        let g0 = generated(publisher.current("110105", t0, None).unwrap());
        assert_eq!(g0, at("2026-04-02T08:00:00Z"), "whole seconds");
        // Unchanged within the day: same time; 304 for a kiosk that has it.
        let later = at("2026-04-02T20:00:00Z");
        assert_eq!(
            generated(publisher.current("110105", later, None).unwrap()),
            g0
        );
        assert!(matches!(
            publisher.current("110105", later, Some(g0)).unwrap(),
            Publication::NotModified { .. }
        ));
        // A change: a new bundle at once.
        enrol(storage.as_ref(), ID_B, "b1", 2.0);
        let g1 = generated(publisher.current("110105", later, Some(g0)).unwrap());
        assert_eq!(g1, later);
        // Unchanged, but a day old: issued anew so kiosks' copies do not go stale.
        let next_day = at("2026-04-03T20:00:00Z");
        let g2 = generated(publisher.current("110105", next_day, Some(g1)).unwrap());
        assert_eq!(g2, next_day);
        // A suspended person leaves the bundle at once.
        storage
            .import_roster(&[RosterEntry {
                status: RosterStatus::Suspended,
                ..person(ID_B)
            }])
            .unwrap();
        let Publication::Bundle(b) = publisher.current("110105", next_day, Some(g2)).unwrap()
        else {
            panic!("a change is a new bundle")
        };
        assert_eq!(b.entries, 1);
        // Never backwards or equal, even within the same second: kiosks install only a
        // newer bundle.
        assert_eq!(b.generated_at, next_day + TimeDelta::seconds(1));
        let exported = publisher.issue("110105", next_day).unwrap();
        assert_eq!(exported.generated_at, next_day + TimeDelta::seconds(2));
    }

    #[test]
    fn a_kiosk_gets_its_own_regions_bundle_only() {
        let k = |region: Option<&str>| Kiosk {
            kiosk_id: "K1".into(),
            public_key: String::new(),
            region: region.map(str::to_owned),
        };
        assert_eq!(
            region_for_kiosk(&k(Some("110105")), None).unwrap(),
            "110105"
        );
        assert_eq!(
            region_for_kiosk(&k(Some("110105")), Some("110105")).unwrap(),
            "110105"
        );
        let e = region_for_kiosk(&k(Some("110105")), Some("310115")).unwrap_err();
        assert!(
            e.to_string()
                .contains("reference_cache.region = \"110105\""),
            "{e}"
        );
        let e = region_for_kiosk(&k(None), None).unwrap_err();
        assert!(e.to_string().contains("kiosk set-region --id K1"), "{e}");
    }
}

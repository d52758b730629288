//! The agency's side of the kiosks' offline reference cache: the bundle-signing key and
//! the build of one region's signed bundle of reference embeddings.
//!
//! The key is an ed25519 key of its own (not a kiosk's, not the TLS key): kiosks pin its
//! public key in `reference_cache.agency_public_keys`, so whoever holds it decides which
//! faces every kiosk of the agency accepts while offline. It lives in the data directory
//! as PKCS#8 PEM, mode 0600, is made once and never replaced by this code (a new key
//! means re-pinning every kiosk), and a copy readable by other users is refused.
//!
//! The bundle format is `certpoint_protocol::bundle`; this file only gathers the
//! references and signs. References whose embedding was computed by another model than
//! the bundle's are left out and counted: a kiosk would refuse the whole bundle for them.

use std::fmt;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use certpoint_protocol::bundle::{BuildError, BundleBuilder};
use certpoint_protocol::ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use certpoint_protocol::ed25519_dalek::SigningKey;
use chrono::{DateTime, Utc};

/// File name of the bundle-signing key inside the data directory.
pub const BUNDLE_KEY_FILE: &str = "bundle-signing.key";

#[derive(Debug, thiserror::Error)]
pub enum BundleKeyError {
    #[error("the bundle-signing key {0} already exists and is never replaced (its public key: certpoint-agency bundle key show). A new key must be pinned on every kiosk again: move the old one aside yourself only if you mean that")]
    Exists(PathBuf),
    #[error("no bundle-signing key at {0}: create one with `certpoint-agency bundle key init`, then pin its public key on the kiosks (reference_cache.agency_public_keys)")]
    Missing(PathBuf),
    #[error("the bundle-signing key {path} may be read by other users (mode {mode:03o}). Run `chmod 600 {path}`: whoever reads it can make kiosks accept any face")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("cannot write the bundle-signing key {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the bundle-signing key {path}: {detail}")]
    Read { path: PathBuf, detail: String },
}

/// The agency's bundle-signing key, loaded.
pub struct BundleKey {
    key: SigningKey,
    path: PathBuf,
}

impl fmt::Debug for BundleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleKey")
            .field("path", &self.path)
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl BundleKey {
    /// Creates `<data_dir>/bundle-signing.key` (mode 0600), refusing to replace one.
    pub fn init(data_dir: &Path) -> Result<BundleKey, BundleKeyError> {
        let path = data_dir.join(BUNDLE_KEY_FILE);
        let write_err = |source| BundleKeyError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(write_err)?;
        let mut seed = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut seed))
            .map_err(write_err)?;
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        let pem = key
            .to_pkcs8_pem(Default::default())
            .map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => BundleKeyError::Exists(path.clone()),
                _ => write_err(e),
            })?;
        f.write_all(pem.as_bytes()).map_err(write_err)?;
        f.sync_all().map_err(write_err)?;
        Ok(BundleKey { key, path })
    }

    /// Loads `<data_dir>/bundle-signing.key`.
    pub fn load(data_dir: &Path) -> Result<BundleKey, BundleKeyError> {
        let path = data_dir.join(BUNDLE_KEY_FILE);
        let read_err = |detail: String| BundleKeyError::Read {
            path: path.clone(),
            detail,
        };
        let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BundleKeyError::Missing(path.clone()),
            _ => read_err(e.to_string()),
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(BundleKeyError::Permissions { path, mode });
        }
        let text = std::fs::read_to_string(&path).map_err(|e| read_err(e.to_string()))?;
        let key = SigningKey::from_pkcs8_pem(&text)
            .map_err(|e| read_err(format!("not an ed25519 PKCS#8 PEM key ({e})")))?;
        Ok(BundleKey { key, path })
    }

    /// The public key, base64: what kiosks pin.
    pub fn public_key_b64(&self) -> String {
        certpoint_protocol::public_key_b64(&self.key)
    }

    /// The key id bundles carry (hex), to compare with a kiosk's `cache status`.
    pub fn key_id(&self) -> String {
        certpoint_protocol::key_id(&self.key.verifying_key())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// For tests and tools that sign with a key they already hold.
    pub fn from_signing_key(key: SigningKey, path: PathBuf) -> BundleKey {
        BundleKey { key, path }
    }
}

/// One person's current reference, as the agency stores it.
#[derive(Clone, PartialEq)]
pub struct ReferenceEmbedding {
    /// 18-character resident ID number.
    pub id_number: String,
    /// The reference's version (what a record's `face_match.reference_version` names).
    pub reference_version: String,
    pub embedding: Vec<f32>,
    /// Hex sha256 of the model file that computed `embedding`.
    pub model_sha256: String,
}

impl fmt::Debug for ReferenceEmbedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReferenceEmbedding")
            .field(
                "id_number",
                &certpoint_protocol::mask_id_number(&self.id_number),
            )
            .field("reference_version", &self.reference_version)
            .field("dimension", &self.embedding.len())
            .field("model_sha256", &self.model_sha256)
            .finish()
    }
}

/// What a bundle is for and made of.
#[derive(Debug, Clone, Copy)]
pub struct BundleSpec<'a> {
    /// The region code the kiosks of this bundle serve (their `kiosk.site_code`,
    /// or `reference_cache.region`).
    pub region: &'a str,
    /// Hex sha256 of the embedding model the kiosks run.
    pub model_sha256: &'a str,
    /// Values per embedding (512 for the kiosk's model).
    pub dimension: usize,
    pub generated_at: DateTime<Utc>,
}

/// A signed bundle, ready to serve or write to a file.
pub struct RegionBundle {
    pub bytes: Vec<u8>,
    pub region: String,
    pub generated_at: DateTime<Utc>,
    pub entries: usize,
    /// References left out because another model computed their embedding; they need
    /// recomputing with the kiosks' model before kiosks can match them offline.
    pub skipped_other_model: usize,
    pub key_id: String,
}

impl fmt::Debug for RegionBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegionBundle")
            .field("region", &self.region)
            .field("generated_at", &self.generated_at)
            .field("entries", &self.entries)
            .field("skipped_other_model", &self.skipped_other_model)
            .field("key_id", &self.key_id)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Builds and signs the bundle of `spec.region` from the region's current references.
/// The caller chooses the references (one per person, the current one, of persons in
/// the region who may still be certified); an invalid one fails the whole build with
/// its masked ID number, so a faulty roster is fixed rather than silently shipped.
pub fn build_region_bundle(
    key: &BundleKey,
    spec: &BundleSpec,
    references: impl IntoIterator<Item = ReferenceEmbedding>,
) -> Result<RegionBundle, BuildError> {
    let mut builder = BundleBuilder::new(
        spec.region,
        spec.generated_at,
        spec.model_sha256,
        spec.dimension,
    )?;
    let mut skipped_other_model = 0;
    for r in references {
        if !r
            .model_sha256
            .trim()
            .eq_ignore_ascii_case(spec.model_sha256.trim())
        {
            skipped_other_model += 1;
            continue;
        }
        builder.push(&r.id_number, &r.reference_version, &r.embedding)?;
    }
    let entries = builder.len();
    let bytes = builder.finish(&key.key)?;
    Ok(RegionBundle {
        bytes,
        region: spec.region.to_owned(),
        generated_at: spec.generated_at,
        entries,
        skipped_other_model,
        key_id: key.key_id(),
    })
}

#[cfg(test)]
mod tests {
    use certpoint_protocol::bundle::{BundleError, BundleExpectations, VerifiedBundle};

    use super::*;

    const MODEL: &str = "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581";

    fn reference(id: &str, model: &str, seed: f32) -> ReferenceEmbedding {
        ReferenceEmbedding {
            id_number: id.into(),
            reference_version: format!("ref-{seed}"),
            embedding: (0..16).map(|i| ((i as f32 + seed) * 0.37).sin()).collect(),
            model_sha256: model.into(),
        }
    }

    #[test]
    fn the_key_is_made_once_0600_and_refused_when_readable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("agency");
        let key = BundleKey::init(&data).unwrap();
        let path = data.join(BUNDLE_KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(
            BundleKey::init(&data),
            Err(BundleKeyError::Exists(_))
        ));
        let again = BundleKey::load(&data).unwrap();
        assert_eq!(again.public_key_b64(), key.public_key_b64());
        assert_eq!(again.key_id().len(), 16);
        certpoint_protocol::parse_public_key(&key.public_key_b64()).unwrap();
        assert!(!format!("{key:?}").contains("BEGIN"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = BundleKey::load(&data).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert!(matches!(
            BundleKey::load(dir.path()),
            Err(BundleKeyError::Missing(_))
        ));
    }

    #[test]
    fn a_region_bundle_verifies_with_the_pinned_key_and_leaves_out_other_models() {
        let dir = tempfile::tempdir().unwrap();
        let key = BundleKey::init(dir.path()).unwrap();
        let other = "1d88aa37a820636876157ff4443def3470efc360cab15053c679703d13d0e48c";
        let spec = BundleSpec {
            region: "110105",
            model_sha256: MODEL,
            dimension: 16,
            generated_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        };
        let built = build_region_bundle(
            &key,
            &spec,
            [
                reference("11010519491231002X", MODEL, 1.0),
                reference("110105195001010013", other, 2.0),
                reference("110105194501010016", MODEL, 3.0),
            ],
        )
        .unwrap();
        assert_eq!((built.entries, built.skipped_other_model), (2, 1));
        let pinned = [certpoint_protocol::parse_public_key(&key.public_key_b64()).unwrap()];
        let expect = BundleExpectations {
            pinned_keys: &pinned,
            model_sha256: MODEL,
            dimension: 16,
            scope: Some("110105"),
        };
        let v = VerifiedBundle::verify(built.bytes.clone(), &expect).unwrap();
        assert_eq!(v.header().key_id, built.key_id);
        assert_eq!(
            v.get("11010519491231002X").unwrap().reference_version,
            "ref-1"
        );
        assert!(v.get("110105195001010013").is_none());
        // Another agency key, though well-formed, is not the pinned one.
        let stranger = BundleKey::init(&dir.path().join("other")).unwrap();
        let forged = build_region_bundle(&stranger, &spec, []).unwrap();
        assert!(matches!(
            VerifiedBundle::verify(forged.bytes, &expect),
            Err(BundleError::UnknownKey { .. })
        ));
    }

    #[test]
    fn a_bad_reference_fails_the_build_with_its_masked_id() {
        let dir = tempfile::tempdir().unwrap();
        let key = BundleKey::init(dir.path()).unwrap();
        let spec = BundleSpec {
            region: "110105",
            model_sha256: MODEL,
            dimension: 16,
            generated_at: Utc::now(),
        };
        let mut bad = reference("11010519491231002X", MODEL, 1.0);
        bad.embedding.pop();
        let e = build_region_bundle(&key, &spec, [bad]).unwrap_err();
        assert!(matches!(e, BuildError::WrongLength { .. }));
        assert!(e.to_string().contains("1101**********002X"), "{e}");
        assert!(format!("{:?}", reference("11010519491231002X", MODEL, 1.0))
            .contains("1101**********002X"));
    }
}

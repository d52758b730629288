//! The kiosk's ed25519 signing key: created once by `certpoint keys init` (file mode
//! 0600, never overwritten), loaded by the sync worker. The public half, base64, is what
//! the agency registers with `certpoint-agency kiosk add --public-key`.
//!
//! The file is PKCS#8 PEM, so standard tools (`openssl pkey -in kiosk.key -text`) can
//! read it.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the signing key {0} already exists; it is never replaced (its public key: certpoint keys show). Move it aside first only if the agency is told the new public key")]
    Exists(PathBuf),
    #[error("no signing key at {0}: create one with `certpoint keys init` and register its public key with the agency")]
    Missing(PathBuf),
    #[error("cannot write the signing key {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the signing key {path}: {detail}")]
    Read { path: PathBuf, detail: String },
}

/// Creates a new key at `path` (refusing to replace one) and returns it.
pub fn init_key(path: &Path) -> Result<SigningKey, KeyError> {
    if path.exists() {
        return Err(KeyError::Exists(path.to_owned()));
    }
    let write_err = |source| KeyError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::config::permissions::create_private_dir(dir).map_err(write_err)?;
    }
    let seed: [u8; 32] = rand::random();
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(Default::default())
        .map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeyError::Exists(path.to_owned()),
            _ => write_err(e),
        })?;
    f.write_all(pem.as_bytes()).map_err(write_err)?;
    f.sync_all().map_err(write_err)?;
    Ok(key)
}

pub fn load_key(path: &Path) -> Result<SigningKey, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => KeyError::Missing(path.to_owned()),
        _ => KeyError::Read {
            path: path.to_owned(),
            detail: e.to_string(),
        },
    })?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| KeyError::Read {
        path: path.to_owned(),
        detail: format!("not an ed25519 PKCS#8 PEM key ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn init_writes_0600_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/kiosk.key");
        let key = init_key(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_key(&path).unwrap().to_bytes(), key.to_bytes());
        assert!(matches!(init_key(&path), Err(KeyError::Exists(_))));
        assert_eq!(load_key(&path).unwrap().to_bytes(), key.to_bytes());
        assert!(matches!(
            load_key(&dir.path().join("none")),
            Err(KeyError::Missing(_))
        ));
    }
}

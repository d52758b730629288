//! Files that hold secrets or personal data, checked for permissions that let other
//! local users read or change them.
//!
//! Reported, not refused: a kiosk that will not start leaves retirees waiting, and the
//! fix is one `chmod` an administrator can make at once. `check-config` prints these,
//! and the kiosk logs and audits them at every start. (The record-encryption key is the
//! exception: the store refuses a key file others can read.)

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::LoadedConfig;

/// One file or directory whose mode is more open than what it holds allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionWarning {
    pub path: PathBuf,
    pub mode: u32,
    /// What the file holds, e.g. "the kiosk's API token".
    pub holds: &'static str,
    /// Who could do what, e.g. "other users can read it".
    pub risk: &'static str,
    /// The mode to set.
    pub wanted: u32,
}

impl fmt::Display for PermissionWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: mode {:04o} — {} holds {}; chmod {:o} {}",
            self.path.display(),
            self.mode,
            self.risk,
            self.holds,
            self.wanted,
            self.path.display()
        )
    }
}

/// Creates `dir` (and missing parents) readable only by this user: the data directory
/// holds the record queue, keys and logs. An existing directory is left as it is
/// ([`check`] reports it if it is too open).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Bits that must be clear: group/other access for secrets and personal data; group or
/// other *write* for files that steer the kiosk.
const PRIVATE: u32 = 0o077;
const NOT_WRITABLE_BY_OTHERS: u32 = 0o022;

/// Everything the configuration points at that is too open. Files that do not exist
/// are skipped (the loader or the start-up reports those).
pub fn check(cfg: &LoadedConfig) -> Vec<PermissionWarning> {
    let server = &cfg.config.server;
    let data = cfg.data_dir();
    let mut found = Vec::new();
    let mut look = |path: &Path, forbidden: u32, holds, risk, wanted| {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & forbidden != 0 {
            found.push(PermissionWarning {
                path: path.to_owned(),
                mode,
                holds,
                risk,
                wanted,
            });
        }
    };
    // The configuration names the server, the CA to trust and the thresholds: whoever
    // can write it can send records elsewhere or lower the match threshold.
    let config_secret = !server.token.is_empty();
    look(
        &cfg.path,
        if config_secret {
            0o037
        } else {
            NOT_WRITABLE_BY_OTHERS
        },
        if config_secret {
            "the kiosk's settings and its API token (prefer server.token_file)"
        } else {
            "the kiosk's settings (server, CA, thresholds)"
        },
        if config_secret {
            "other users can read or change it, and it"
        } else {
            "other users can change it, and it"
        },
        0o640,
    );
    if let Some(token) = &server.token_file {
        look(
            &cfg.path_of(token),
            0o037,
            "the kiosk's API token",
            "other users can read or change it, and it",
            0o640,
        );
    }
    if let Some(ca) = &server.ca_bundle {
        look(
            &cfg.path_of(ca),
            NOT_WRITABLE_BY_OTHERS,
            "the certificates this kiosk trusts",
            "other users can change it, and it",
            0o644,
        );
    }
    look(
        &cfg.signing_key_path(),
        PRIVATE,
        "the key that signs this kiosk's records",
        "other users can read it, and it",
        0o600,
    );
    look(
        &data,
        PRIVATE,
        "the record queue (ID numbers, face crops), keys and logs",
        "other users can enter it, and it",
        0o700,
    );
    // The files inside (SQLite creates them 0644) are out of reach while the directory
    // is private, and their personal fields are sealed besides.
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn chmod(p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn kiosk(dir: &Path, server: &str) -> LoadedConfig {
        let path = dir.join("kiosk-config.toml");
        fs::write(
            &path,
            format!(
                "[kiosk]\nid = \"K-1\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\
                 [models]\ndir = \"models\"\n[voice]\nenabled = false\n[server]\n{server}\n"
            ),
        )
        .unwrap();
        fs::create_dir_all(dir.join("data")).unwrap();
        fs::create_dir_all(dir.join("models")).unwrap();
        super::super::load(&path).unwrap()
    }

    #[test]
    fn private_files_pass_and_open_ones_are_named_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("token"), "t0ken-0123456789abcdef\n").unwrap();
        let cfg = kiosk(dir.path(), "token_file = \"token\"");
        let data = cfg.data_dir();
        fs::write(data.join("kiosk.key"), "k").unwrap();
        chmod(&cfg.path, 0o640);
        chmod(&dir.path().join("token"), 0o600);
        chmod(&data.join("kiosk.key"), 0o600);
        chmod(&data, 0o700);
        assert_eq!(check(&cfg), []);

        chmod(&dir.path().join("token"), 0o644);
        chmod(&data, 0o755);
        chmod(&data.join("kiosk.key"), 0o640);
        chmod(&cfg.path, 0o666);
        let found = check(&cfg);
        let named: Vec<(&Path, u32)> = found.iter().map(|w| (w.path.as_path(), w.wanted)).collect();
        assert_eq!(
            named,
            [
                (cfg.path.as_path(), 0o640),
                (dir.path().join("token").as_path(), 0o640),
                (data.join("kiosk.key").as_path(), 0o600),
                (data.as_path(), 0o700),
            ]
        );
        let text = found[1].to_string();
        assert!(text.contains("mode 0644"), "{text}");
        assert!(text.contains("API token"), "{text}");
        assert!(text.ends_with(&format!("chmod 640 {}", dir.path().join("token").display())));
    }

    #[test]
    fn created_data_directories_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/b");
        create_private_dir(&data).unwrap();
        let mode = fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        create_private_dir(&data).unwrap();
    }

    #[test]
    fn a_token_inside_the_config_makes_the_config_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = kiosk(dir.path(), "token = \"t0ken-0123456789abcdef\"");
        chmod(&cfg.path, 0o644);
        chmod(&cfg.data_dir(), 0o700);
        let found = check(&cfg);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].holds.contains("API token"));
        // Without a token inside, a world-readable config is fine.
        let dir = tempfile::tempdir().unwrap();
        let cfg = kiosk(dir.path(), "");
        chmod(&cfg.path, 0o644);
        chmod(&cfg.data_dir(), 0o700);
        assert_eq!(check(&cfg), []);
    }
}

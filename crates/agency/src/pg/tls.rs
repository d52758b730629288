//! TLS to PostgreSQL: the rustls connector every pooled connection is made with, and
//! a failed handshake told in words an administrator can act on.
//!
//! The URL's `sslmode` decides whether TLS is used: `disable`, `prefer` (tokio-postgres'
//! default: TLS when the server offers it) or `require` (refused without it). Whenever
//! TLS is used the server's certificate is verified, against `--database-ca` or the
//! system's CA bundle, and its name against the URL's host (an IP address as an IP
//! SAN). There is no "encrypted but unchecked" mode as libpq's `prefer`/`require` have:
//! rustls does not offer one, and a link nobody checks is open to whoever sits on the
//! path between the server and the database host.

use std::error::Error as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};

/// Debian's bundle of the system's trusted CAs (the `ca-certificates` package), used
/// when `--database-ca` is not given.
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// What tokio-postgres says when the server answers `N` to the TLS request.
const SERVER_WITHOUT_TLS: &str = "server does not support TLS";

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("cannot read --database-ca {path}: {detail}; pass a readable PEM file with the certificate of the CA that signed the PostgreSQL server's certificate")]
    Read { path: PathBuf, detail: String },
    #[error("--database-ca {path} holds no certificate (no BEGIN CERTIFICATE block); pass the PEM file of the CA that signed the PostgreSQL server's certificate")]
    Empty { path: PathBuf },
    #[error("--database-ca {path}: certificate {index} cannot be used as a CA ({detail}); pass the PEM file of the CA that signed the PostgreSQL server's certificate")]
    Unusable {
        path: PathBuf,
        index: usize,
        detail: String,
    },
    #[error("--database asks for sslmode=require, and without --database-ca the server's certificate is checked against the system's CAs in {path}, which cannot be read ({detail}); pass --database-ca FILE with the CA that signed the server's certificate, or install the ca-certificates package")]
    NoSystemRoots { path: PathBuf, detail: String },
}

/// Where the trusted CAs came from, for messages.
#[derive(Debug, Clone)]
enum Roots {
    Flag(PathBuf),
    /// The system bundle; `unread` says why it gave no CA (then nothing verifies).
    System {
        unread: Option<String>,
    },
}

/// The connector for every connection of one storage, and where its CAs came from.
#[derive(Clone)]
pub struct DatabaseTls {
    connector: MakeRustlsConnect,
    roots: Roots,
    mode: SslMode,
}

impl DatabaseTls {
    /// The CAs of `ca` (`--database-ca`), else the system's. Under `sslmode=require`
    /// an unreadable system bundle is refused now; under `prefer` it only matters if
    /// the server offers TLS (then nothing verifies and the handshake says so), so a
    /// database on a local link without TLS keeps working on a host without the bundle.
    pub fn new(ca: Option<&Path>, mode: SslMode) -> Result<DatabaseTls, CaError> {
        let (roots, source) = match ca {
            Some(path) => (flag_roots(path)?, Roots::Flag(path.to_owned())),
            None if mode == SslMode::Disable => {
                (RootCertStore::empty(), Roots::System { unread: None })
            }
            None => match system_roots() {
                Ok(roots) => (roots, Roots::System { unread: None }),
                Err(detail) if mode == SslMode::Require => {
                    return Err(CaError::NoSystemRoots {
                        path: SYSTEM_ROOTS.into(),
                        detail,
                    })
                }
                Err(detail) => (
                    RootCertStore::empty(),
                    Roots::System {
                        unread: Some(detail),
                    },
                ),
            },
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(DatabaseTls {
            connector: MakeRustlsConnect::new(config),
            roots: source,
            mode,
        })
    }

    /// A connector for `postgres::Config::connect`.
    pub fn connector(&self) -> MakeRustlsConnect {
        self.connector.clone()
    }

    /// What went wrong and what to do, when `e` is a failed TLS handshake with `host`;
    /// `None` for any other error. Names no password: only the host and the CA file.
    pub fn explain(&self, e: &postgres::Error, host: &str) -> Option<String> {
        // tokio-postgres' TLS errors carry this prefix and the cause as their source.
        if !e.to_string().starts_with("error performing TLS handshake") {
            return None;
        }
        let cause = e.source()?;
        if cause.to_string() == SERVER_WITHOUT_TLS {
            return Some(format!(
                "the server at {host} does not offer TLS and --database asks for sslmode=require; turn TLS on in PostgreSQL (ssl = on, ssl_cert_file and ssl_key_file in postgresql.conf), or use sslmode=disable only on a link that never leaves the machine"
            ));
        }
        let rustls_error = cause
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        let Some(rustls::Error::InvalidCertificate(problem)) = rustls_error else {
            return Some(format!(
                "the TLS handshake with {host} failed ({cause}); check that the server speaks TLS on that port with a certificate for {host}"
            ));
        };
        // Under prefer (the default) a server that offers TLS is checked too, which a
        // libpq user may not expect of a local server with a self-signed certificate.
        let prefer = if self.mode == SslMode::Prefer {
            " (the URL's sslmode is prefer, the default: TLS offered is TLS checked; only on a link that never leaves the machine, sslmode=disable skips it)"
        } else {
            ""
        };
        Some(match problem {
            CertificateError::UnknownIssuer => format!(
                "the server's certificate is not signed by a CA in {}; {}{prefer}",
                self.where_roots(),
                match &self.roots {
                    Roots::Flag(_) => "--database-ca must hold the CA that signed the PostgreSQL server's certificate (the issuer of its ssl_cert_file)",
                    Roots::System { .. } => "pass --database-ca FILE with the CA that signed the PostgreSQL server's certificate (the issuer of its ssl_cert_file)",
                }
            ),
            CertificateError::NotValidForName
            | CertificateError::NotValidForNameContext { .. } => format!(
                "the server's certificate is not valid for the host name {host} of --database{}; connect by a name or address the certificate lists, or have the certificate issued for {host}",
                match problem {
                    CertificateError::NotValidForNameContext { presented, .. } => format!(
                        " (it lists {})",
                        presented.iter().map(|n| bare_name(n)).collect::<Vec<_>>().join(", ")
                    ),
                    _ => String::new(),
                }
            ),
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => format!(
                "the server's certificate is outside its validity dates ({problem}); renew the PostgreSQL server's certificate, or check this machine's clock"
            ),
            other => format!(
                "the server's certificate was refused ({other}); check the PostgreSQL server's ssl_cert_file against the CA in {}",
                self.where_roots()
            ),
        })
    }

    fn where_roots(&self) -> String {
        match &self.roots {
            Roots::Flag(path) => format!("--database-ca {}", path.display()),
            Roots::System { unread: None } => format!("the system's CA bundle {SYSTEM_ROOTS}"),
            Roots::System {
                unread: Some(detail),
            } => format!("the system's CA bundle {SYSTEM_ROOTS} (which cannot be read: {detail})"),
        }
    }
}

/// `localhost` for rustls' `DnsName("localhost")`, `127.0.0.1` for `IpAddress(127.0.0.1)`.
fn bare_name(presented: &str) -> &str {
    ["DnsName(\"", "IpAddress("]
        .iter()
        .find_map(|open| presented.strip_prefix(open))
        .map(|rest| rest.trim_end_matches(')').trim_end_matches('"'))
        .unwrap_or(presented)
}

/// Every certificate in the PEM file, each of which must be usable as a trust anchor.
fn flag_roots(path: &Path) -> Result<RootCertStore, CaError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| CaError::Read {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(CaError::Empty {
            path: path.to_owned(),
        });
    }
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots.add(cert).map_err(|e| CaError::Unusable {
            path: path.to_owned(),
            index: i + 1,
            detail: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// The system bundle; a certificate in it that webpki cannot use is skipped (the
/// bundle is not ours to fix), an unreadable or empty bundle is an error.
fn system_roots() -> Result<RootCertStore, String> {
    let certs = CertificateDer::pem_file_iter(SYSTEM_ROOTS)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| e.to_string())?;
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(certs);
    if roots.is_empty() {
        return Err("it holds no usable certificate".into());
    }
    Ok(roots)
}

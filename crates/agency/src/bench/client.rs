//! The status bench's client side: every simulated client is a task on one thread with
//! its own keep-alive HTTP/1.1 connection (hyper's client connection, the same HTTP
//! implementation the server runs; rustls for https).
//!
//! Why not a thread per client with `ureq`, as `bench ingest` has: measured on the
//! 2-core box (3,000,000-person roster, 200 clients), 200 blocking threads cost the load
//! generator ~160 µs of CPU per lookup against the server's ~90 µs, so the bench, not
//! the server, set the ceiling, and its own run queue (200 threads waking on 2 cores)
//! showed up as tail latency the server never caused. A kiosk's status question is one
//! request now and then, so nothing about the kiosk's own client is lost here.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use super::http::HttpSettings;
use super::BenchError;

/// Where the clients connect, parsed once.
pub(super) struct Target {
    /// `host:port` for the socket and the `Host` header.
    authority: String,
    /// A path the base URL already has (a server behind a prefix), without a trailing `/`.
    prefix: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    timeout: Duration,
}

impl Target {
    /// `base`: `http(s)://host[:port][/prefix]`, as `http::base_url` returns it.
    pub(super) fn new(base: &str, settings: &HttpSettings) -> Result<Target, BenchError> {
        let bad = || BenchError::BadUrl(base.to_owned());
        let uri: Uri = base.parse().map_err(|_| bad())?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad()),
        };
        let host = uri.host().ok_or_else(bad)?.to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tls = if https {
            let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                .map_err(|_| bad())?;
            let config = ClientConfig::builder()
                .with_root_certificates(roots(settings)?)
                .with_no_client_auth();
            Some((TlsConnector::from(Arc::new(config)), name))
        } else {
            None
        };
        Ok(Target {
            authority: format!("{host}:{port}"),
            prefix: uri.path().trim_end_matches('/').to_owned(),
            tls,
            timeout: settings.timeout,
        })
    }

    async fn connect(&self) -> Result<SendRequest<Empty<Bytes>>, String> {
        let tcp = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| io_kind(&e))?;
        // Small requests and answers: Nagle would only add a delayed-ACK wait to each.
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => handshake(tcp).await,
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| tls_kind(&e))?;
                handshake(tls).await
            }
        }
    }
}

async fn handshake<S>(io: S) -> Result<SendRequest<Empty<Bytes>>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("network: {e}"))?;
    // The connection's I/O runs beside the requests; it ends when the sender is dropped.
    tokio::spawn(conn);
    Ok(sender)
}

/// One simulated client: one connection, made again after any transport error.
pub(super) struct Client {
    target: Arc<Target>,
    sender: Option<SendRequest<Empty<Bytes>>>,
}

impl Client {
    pub(super) fn new(target: Arc<Target>) -> Client {
        Client {
            target,
            sender: None,
        }
    }

    /// `GET prefix + path` with the bearer token; the status code once the whole answer
    /// is read (so the connection is ready for the next one), or what went wrong, named
    /// as the other benches name it (`timeout`, `connection refused`, …).
    pub(super) async fn get(&mut self, path: &str, auth_header: &str) -> Result<u16, String> {
        let timeout = self.target.timeout;
        match tokio::time::timeout(timeout, self.exchange(path, auth_header)).await {
            Ok(Ok(status)) => Ok(status),
            Ok(Err(kind)) => {
                self.sender = None;
                Err(kind)
            }
            Err(_) => {
                self.sender = None;
                Err("timeout".to_owned())
            }
        }
    }

    async fn exchange(&mut self, path: &str, auth_header: &str) -> Result<u16, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.sender = Some(self.target.connect().await?);
        }
        let sender = self.sender.as_mut().expect("connected above");
        sender.ready().await.map_err(|e| format!("network: {e}"))?;
        let request = Request::get(format!("{}{path}", self.target.prefix))
            .header(hyper::header::HOST, &self.target.authority)
            .header(hyper::header::AUTHORIZATION, auth_header)
            .body(Empty::new())
            .map_err(|e| format!("request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| hyper_kind(&e))?;
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| hyper_kind(&e))?;
        Ok(status)
    }
}

/// `--ca-bundle`'s certificates, or the system's (`/etc/ssl/certs`), as the agency's
/// own PostgreSQL client trusts them.
fn roots(settings: &HttpSettings) -> Result<RootCertStore, BenchError> {
    let certs = match &settings.ca_bundle_pem {
        Some(pem) => CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BenchError::CaBundle(e.to_string()))?,
        None => CertificateDer::pem_file_iter(crate::pg::tls::SYSTEM_ROOTS)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                BenchError::CaBundle(format!(
                    "{}: {e}; give the agency's CA with --ca-bundle",
                    crate::pg::tls::SYSTEM_ROOTS
                ))
            })?,
    };
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(certs);
    if store.is_empty() {
        return Err(BenchError::CaBundle(
            "no usable PEM certificate in it".into(),
        ));
    }
    Ok(store)
}

fn io_kind(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection refused".to_owned(),
        ConnectionReset | BrokenPipe => "connection reset".to_owned(),
        UnexpectedEof => "connection closed".to_owned(),
        TimedOut => "timeout".to_owned(),
        kind => format!("io: {kind}"),
    }
}

fn tls_kind(e: &std::io::Error) -> String {
    let text = e.to_string();
    if text.contains("certificate") || text.contains("Certificate") {
        format!("tls: {text} (give the agency's CA with --ca-bundle)")
    } else {
        format!("tls: {text}")
    }
}

fn hyper_kind(e: &hyper::Error) -> String {
    if e.is_incomplete_message() || e.is_closed() {
        "connection closed".to_owned()
    } else if let Some(io) = std::error::Error::source(e).and_then(|s| s.downcast_ref()) {
        io_kind(io)
    } else {
        format!("network: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_splits_into_authority_and_prefix() {
        let s = HttpSettings::default();
        let t = Target::new("http://127.0.0.1:8443", &s).unwrap();
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("127.0.0.1:8443", "")
        );
        let t = Target::new("http://agency.example/api", &s).unwrap();
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("agency.example:80", "/api")
        );
        assert!(t.tls.is_none());
        assert!(matches!(
            Target::new("ftp://x", &s),
            Err(BenchError::BadUrl(_))
        ));
    }

    #[test]
    fn a_ca_bundle_without_certificates_is_refused() {
        let s = HttpSettings {
            ca_bundle_pem: Some(b"not a certificate".to_vec()),
            ..HttpSettings::default()
        };
        let e = Target::new("https://127.0.0.1:8443", &s).err().unwrap();
        assert!(e.to_string().contains("no usable PEM certificate"), "{e}");
    }

    /// Nothing listens: the kind is named, not a panic or a hang.
    #[test]
    fn a_refused_connection_is_named() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = Arc::new(
            Target::new(
                &format!("http://127.0.0.1:{port}"),
                &HttpSettings::default(),
            )
            .unwrap(),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let kind = rt
            .block_on(Client::new(target).get("/v1/health", "Bearer x"))
            .unwrap_err();
        assert_eq!(kind, "connection refused");
    }
}

//! The kiosk's HTTP client for the agency server: one request in, one classified
//! outcome out. What to *do* with an outcome (mark sent, park, back off, stop) is the
//! drain loop's business; this file only says which case it is.
//!
//! Blocking (`ureq`) because the sync worker is a plain thread. TLS is rustls; a
//! configured CA bundle replaces the built-in roots (a private agency CA). Plain http
//! is accepted only to this machine; certificate checks cannot be switched off.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use certpoint_protocol::{
    encode_submission, sign_body, Accepted, ErrorBody, PersonStatus, ReferencePhoto,
    IDEMPOTENCY_KEY_HEADER,
};
use ed25519_dalek::SigningKey;

use super::person::{decode_status, StatusError, MAX_STATUS_BODY};
use crate::config::{LoadedConfig, Secret};
use crate::store::PendingRecord;

/// The server's answer to a reference-bundle request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleAnswer {
    /// 200: the bundle's bytes, not yet verified.
    Bundle(Vec<u8>),
    /// 304: nothing newer than the kiosk's bundle.
    NotModified,
    /// 404: no bundle is published for the region.
    NotPublished,
}

/// What the server's answer to one record means for the kiosk.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// 201 (new) or 200 (the server already had this exact record): mark it sent.
    Accepted { duplicate: bool },
    /// 400, 409, 413 or 422: this record will never be accepted as it is. Park it with
    /// the reason; the others go on.
    Rejected { status: u16, reason: String },
    /// 401 or 403: the kiosk's credentials are wrong. Stop sending; an admin must act.
    AuthFailed { status: u16, reason: String },
    /// 429, 5xx, timeouts, refused or reset connections: try again later.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("server.url is empty: this kiosk is in offline mode, there is nothing to sync to")]
    NoServer,
    #[error("server.url {0:?} is not an http(s) URL")]
    BadUrl(String),
    #[error("server.url {0} is plain http to another machine; use https (with server.ca_bundle for a private CA)")]
    PlainHttp(String),
    #[error("cannot read the CA bundle {path}: {detail}")]
    CaBundle { path: String, detail: String },
    #[error("cannot read the server token file: {0}")]
    Token(std::io::Error),
}

/// Settings the client needs, taken from `[server]`.
#[derive(Clone)]
pub struct ClientSettings {
    pub base_url: String,
    pub token: Secret,
    pub timeout: Duration,
    pub ca_bundle_pem: Option<Vec<u8>>,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("ca_bundle", &self.ca_bundle_pem.as_ref().map(|b| b.len()))
            .finish()
    }
}

impl ClientSettings {
    pub fn from_config(cfg: &LoadedConfig) -> Result<ClientSettings, ClientError> {
        let server = &cfg.config.server;
        if server.url.trim().is_empty() {
            return Err(ClientError::NoServer);
        }
        let ca_bundle_pem = match &server.ca_bundle {
            Some(p) => {
                let path = cfg.path_of(p);
                Some(std::fs::read(&path).map_err(|e| ClientError::CaBundle {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })?)
            }
            None => None,
        };
        Ok(ClientSettings {
            base_url: server.url.trim().trim_end_matches('/').to_owned(),
            token: cfg.server_token().map_err(ClientError::Token)?,
            timeout: Duration::from_secs(server.request_timeout_secs.max(1)),
            ca_bundle_pem,
        })
    }
}

/// A connection pool to one agency server. Clones share the pool.
#[derive(Clone)]
pub struct AgencyClient {
    agent: ureq::Agent,
    base_url: String,
    auth_header: Secret,
}

fn is_loopback_host(rest: &str) -> bool {
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl AgencyClient {
    pub fn new(s: &ClientSettings) -> Result<AgencyClient, ClientError> {
        let url = s.base_url.as_str();
        if let Some(rest) = url.strip_prefix("http://") {
            if !is_loopback_host(rest) {
                return Err(ClientError::PlainHttp(url.to_owned()));
            }
        } else if !url.starts_with("https://") {
            return Err(ClientError::BadUrl(url.to_owned()));
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &s.ca_bundle_pem {
            let certs = ureq::tls::parse_pem(pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ClientError::CaBundle {
                    path: "server.ca_bundle".into(),
                    detail: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(ClientError::CaBundle {
                    path: "server.ca_bundle".into(),
                    detail: "no PEM certificate in it".into(),
                });
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .timeout_global(Some(s.timeout))
            .tls_config(tls.build())
            .user_agent(concat!("certpoint/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(AgencyClient {
            agent,
            base_url: s.base_url.clone(),
            auth_header: Secret::new(format!("Bearer {}", s.token.expose())),
        })
    }

    /// `POST /v1/certifications` for one stored record, signed now with `key`.
    pub fn send(&self, rec: &PendingRecord, key: &SigningKey) -> SendOutcome {
        let signature = sign_body(key, &rec.body);
        let envelope = encode_submission(&rec.body, &signature, rec.photo.as_deref());
        let result = self
            .agent
            .post(format!("{}/v1/certifications", self.base_url))
            .header("authorization", self.auth_header.expose())
            .header(IDEMPOTENCY_KEY_HEADER, rec.record.record_id.to_string())
            .content_type("application/json")
            .send(envelope.as_bytes());
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                return SendOutcome::Retry {
                    reason: transport_reason(&e),
                    retry_after: None,
                }
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| super::backoff::parse_retry_after(v, chrono::Utc::now()));
        let text = read_small(resp.body_mut());
        classify(status, &text, retry_after)
    }

    /// `GET /v1/persons/{id}/reference`: `Ok(None)` on 404.
    pub fn fetch_reference(&self, id_number: &str) -> Result<Option<ReferencePhoto>, String> {
        let mut resp = self
            .agent
            .get(format!(
                "{}/v1/persons/{id_number}/reference",
                self.base_url
            ))
            .header("authorization", self.auth_header.expose())
            .call()
            .map_err(|e| transport_reason(&e))?;
        match resp.status().as_u16() {
            200 => resp
                .body_mut()
                .with_config()
                .limit(4 * 1024 * 1024)
                .read_to_string()
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str::<ReferencePhoto>(&t).map_err(|e| e.to_string()))
                .map(Some)
                .map_err(|e| format!("unreadable reference answer: {e}")),
            404 => Ok(None),
            s => Err(format!(
                "HTTP {s}: {}",
                reason_of(&read_small(resp.body_mut()))
            )),
        }
    }

    /// `GET /v1/persons/{id}/status?period=YYYY`: the person's status for `period`
    /// (decoded and checked by [`decode_status`]).
    pub fn fetch_status(&self, id_number: &str, period: &str) -> Result<PersonStatus, StatusError> {
        let mut resp = self
            .agent
            .get(format!("{}/v1/persons/{id_number}/status", self.base_url))
            .query("period", period)
            .header("authorization", self.auth_header.expose())
            .call()
            .map_err(|e| StatusError::Unreachable(transport_reason(&e)))?;
        let status = resp.status().as_u16();
        // One byte over the limit is enough for decode_status to say "too long".
        let mut buf = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(MAX_STATUS_BODY as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| StatusError::Unreachable(format!("the answer broke off: {e}")))?;
        decode_status(status, &String::from_utf8_lossy(&buf), period)
    }

    /// `GET /v1/reference-bundle?region=R`, with `If-Modified-Since` set to the
    /// installed bundle's generation time so an unchanged bundle is not sent again.
    /// `timeout` replaces the request timeout: the body can be ~100 MB.
    pub fn fetch_reference_bundle(
        &self,
        region: &str,
        newer_than: Option<chrono::DateTime<chrono::Utc>>,
        timeout: Duration,
    ) -> Result<BundleAnswer, String> {
        let mut req = self
            .agent
            .get(format!("{}/v1/reference-bundle", self.base_url))
            .query("region", region)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("authorization", self.auth_header.expose());
        if let Some(t) = newer_than {
            req = req.header(
                "if-modified-since",
                t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            );
        }
        let mut resp = req.call().map_err(|e| transport_reason(&e))?;
        match resp.status().as_u16() {
            200 => {
                let limit = certpoint_protocol::bundle::MAX_BUNDLE_BYTES;
                let declared = resp.body().content_length().unwrap_or(0).min(limit);
                // Sized up front: a doubling buffer would briefly need twice ~100 MB.
                let mut bytes = Vec::with_capacity(declared as usize);
                resp.body_mut()
                    .with_config()
                    .limit(limit)
                    .reader()
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("the reference bundle download failed: {e}"))?;
                Ok(BundleAnswer::Bundle(bytes))
            }
            304 => Ok(BundleAnswer::NotModified),
            404 => Ok(BundleAnswer::NotPublished),
            s => Err(format!(
                "HTTP {s}: {}",
                reason_of(&read_small(resp.body_mut()))
            )),
        }
    }

    /// `POST /v1/heartbeat`: the app version and the queue, for the agency's back
    /// office (kiosks page). Best effort: an agency without the endpoint answers 404.
    pub fn heartbeat(&self, beat: &certpoint_protocol::Heartbeat) -> Result<(), String> {
        let body = serde_json::to_vec(beat).map_err(|e| e.to_string())?;
        let resp = self
            .agent
            .post(format!("{}/v1/heartbeat", self.base_url))
            .header("authorization", self.auth_header.expose())
            .content_type("application/json")
            .send(&body[..])
            .map_err(|e| transport_reason(&e))?;
        match resp.status().as_u16() {
            200..=299 => Ok(()),
            s => Err(format!("HTTP {s}")),
        }
    }

    /// `GET /v1/health`: `true` when the server answers 200.
    pub fn health(&self) -> bool {
        self.agent
            .get(format!("{}/v1/health", self.base_url))
            .call()
            .is_ok_and(|r| r.status().as_u16() == 200)
    }
}

/// Maps a status and body to what the kiosk does (see docs/protocol.md).
pub fn classify(status: u16, body: &str, retry_after: Option<Duration>) -> SendOutcome {
    match status {
        200..=299 => {
            let duplicate = serde_json::from_str::<Accepted>(body)
                .map(|a| a.duplicate)
                .unwrap_or(status == 200);
            SendOutcome::Accepted { duplicate }
        }
        401 | 403 => SendOutcome::AuthFailed {
            status,
            reason: reason_of(body),
        },
        400 | 409 | 413 | 422 => SendOutcome::Rejected {
            status,
            reason: reason_of(body),
        },
        // 408, 429, 5xx and anything unexpected: the record is fine, the moment is not.
        _ => SendOutcome::Retry {
            reason: format!("HTTP {status}: {}", reason_of(body)),
            retry_after,
        },
    }
}

/// The `error: message` of a protocol error body, or the start of whatever came.
fn reason_of(body: &str) -> String {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => format!("{}: {}", e.error, e.message),
        Err(_) => body.chars().take(200).collect(),
    }
}

fn read_small(body: &mut ureq::Body) -> String {
    let mut buf = Vec::new();
    let _ = body.as_reader().take(64 * 1024).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn transport_reason(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::ConnectionFailed => "cannot connect to the server".to_owned(),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "cannot connect to the server (connection refused)".to_owned()
        }
        ureq::Error::Io(io) => match tls_reason(&io.to_string()) {
            Some(reason) => reason,
            None => format!("network error: {}", io.kind()),
        },
        other => {
            tls_reason(&other.to_string()).unwrap_or_else(|| format!("network error: {other}"))
        }
    }
}

/// rustls reports a failed certificate check as an I/O error whose text names the
/// certificate; turn it into what an administrator can act on. The check itself is
/// never switched off: the fix is to trust the agency's CA, not to skip the check.
fn tls_reason(text: &str) -> Option<String> {
    text.contains("certificate").then(|| {
        format!(
            "the server's TLS certificate is not trusted ({text}); if the agency uses a \
             private CA, set server.ca_bundle to its PEM file"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_actions() {
        assert_eq!(
            classify(201, "{}", None),
            SendOutcome::Accepted { duplicate: false }
        );
        assert_eq!(
            classify(200, "", None),
            SendOutcome::Accepted { duplicate: true }
        );
        assert!(
            matches!(classify(422, r#"{"error":"invalid_record","message":"m"}"#, None),
            SendOutcome::Rejected { status: 422, reason } if reason == "invalid_record: m")
        );
        assert!(matches!(
            classify(409, "", None),
            SendOutcome::Rejected { .. }
        ));
        assert!(matches!(
            classify(401, "", None),
            SendOutcome::AuthFailed { .. }
        ));
        assert!(matches!(
            classify(403, "", None),
            SendOutcome::AuthFailed { .. }
        ));
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(s, "", None), SendOutcome::Retry { .. }),
                "{s}"
            );
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        let s = |url: &str| ClientSettings {
            base_url: url.into(),
            token: Secret::new("t"),
            timeout: Duration::from_secs(1),
            ca_bundle_pem: None,
        };
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:9/x",
            "https://agency.example",
        ] {
            assert!(AgencyClient::new(&s(ok)).is_ok(), "{ok}");
        }
        for plain in [
            "http://10.0.0.5",
            "http://agency.example",
            "http://127.0.0.1.evil.example",
        ] {
            assert!(
                matches!(AgencyClient::new(&s(plain)), Err(ClientError::PlainHttp(_))),
                "{plain}"
            );
        }
        assert!(matches!(
            AgencyClient::new(&s("ftp://x")),
            Err(ClientError::BadUrl(_))
        ));
    }

    #[test]
    fn debug_hides_the_token() {
        let s = ClientSettings {
            base_url: "https://a".into(),
            token: Secret::new("very-secret-token"),
            timeout: Duration::from_secs(1),
            ca_bundle_pem: None,
        };
        assert!(!format!("{s:?}").contains("very-secret-token"));
    }
}

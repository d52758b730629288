//! The benches' HTTP side: a `ureq` agent configured as the kiosk's (`src/sync/client.rs`
//! in the kiosk crate: no proxy, no redirects, one global timeout, rustls with an
//! optional private CA), the kiosk's reading of an answer to `POST /v1/certifications`,
//! and its retry schedule.

use std::io::Read;
use std::time::Duration;

use certpoint_protocol::{Accepted, ErrorBody, IDEMPOTENCY_KEY_HEADER};

use super::BenchError;

/// How the bench's clients talk to the server.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Per request, as the kiosk's `server.request_timeout_secs` (default 15 s).
    pub timeout: Duration,
    /// A PEM bundle that replaces the built-in roots (an agency's private CA).
    pub ca_bundle_pem: Option<Vec<u8>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(15),
            ca_bundle_pem: None,
        }
    }
}

/// The base URL without a trailing slash; http or https.
pub(super) fn base_url(url: &str) -> Result<String, BenchError> {
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_owned())
    } else {
        Err(BenchError::BadUrl(url.to_owned()))
    }
}

/// One agent: one connection pool. Each simulated kiosk or client gets its own, as each
/// kiosk has its own.
pub(super) fn agent(s: &HttpSettings) -> Result<ureq::Agent, BenchError> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(pem) = &s.ca_bundle_pem {
        let certs = ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BenchError::CaBundle(e.to_string()))?;
        if certs.is_empty() {
            return Err(BenchError::CaBundle("no PEM certificate in it".into()));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(s.timeout))
        .tls_config(tls.build())
        .user_agent(concat!(
            "certpoint-agency-bench/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .new_agent())
}

/// What an answer to one record means, as the kiosk's `classify` reads it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Answer {
    /// 201, or 200 when the server already had this exact record.
    Accepted { duplicate: bool },
    /// 400/409/413/422 (never accepted as it is) or 401/403 (credentials): the kiosk
    /// parks the record or stops; the bench counts it and moves on.
    Refused { status: u16, reason: String },
    /// 408, 429, 5xx, timeouts, refused or reset connections: back off, send it again.
    Retry {
        kind: String,
        retry_after: Option<Duration>,
    },
}

/// `POST /v1/certifications` with a ready envelope.
pub(super) fn post_record(
    agent: &ureq::Agent,
    base: &str,
    auth_header: &str,
    record_id: &str,
    envelope: &[u8],
) -> Answer {
    let result = agent
        .post(format!("{base}/v1/certifications"))
        .header("authorization", auth_header)
        .header(IDEMPOTENCY_KEY_HEADER, record_id)
        .content_type("application/json")
        .send(envelope);
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            return Answer::Retry {
                kind: transport_kind(&e),
                retry_after: None,
            }
        }
    };
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| certpoint_protocol::parse_retry_after(v, chrono::Utc::now()));
    let body = read_small(resp.body_mut());
    match status {
        200..=299 => Answer::Accepted {
            duplicate: serde_json::from_str::<Accepted>(&body)
                .map(|a| a.duplicate)
                .unwrap_or(status == 200),
        },
        400 | 401 | 403 | 409 | 413 | 422 => Answer::Refused {
            status,
            reason: reason_of(&body),
        },
        _ => Answer::Retry {
            kind: format!("HTTP {status}"),
            retry_after,
        },
    }
}

/// `GET path` (already carrying its query); the status and the body's first 64 KiB,
/// or the transport failure's kind.
pub(super) fn get(agent: &ureq::Agent, url: &str, auth_header: &str) -> Result<u16, String> {
    let mut resp = agent
        .get(url)
        .header("authorization", auth_header)
        .call()
        .map_err(|e| transport_kind(&e))?;
    // Read to the end so the connection goes back to the pool for the next request.
    let _ = read_small(resp.body_mut());
    Ok(resp.status().as_u16())
}

/// Checks, before the load starts, that the server knows a kiosk the bench has just
/// registered: a bench pointed at another data directory than the server's would
/// otherwise measure nothing but 401s.
pub(super) fn preflight(
    agent: &ureq::Agent,
    base: &str,
    kiosk_id: &str,
    auth_header: &str,
) -> Result<(), BenchError> {
    match get(
        agent,
        &format!("{base}/v1/kiosks/{kiosk_id}/gaps"),
        auth_header,
    ) {
        Ok(200) => Ok(()),
        Ok(401) => Err(BenchError::Invalid(format!(
            "the server at {base} does not know the kiosks this bench registered: run the bench \
             with the server's own storage options (the same --data, and --database if it has one)"
        ))),
        Ok(status) => Err(BenchError::Invalid(format!(
            "the server at {base} answered HTTP {status} to a registered kiosk's gap report"
        ))),
        Err(kind) => Err(BenchError::Invalid(format!(
            "cannot reach the server at {base}: {kind}"
        ))),
    }
}

fn read_small(body: &mut ureq::Body) -> String {
    let mut buf = Vec::new();
    let _ = body.as_reader().take(64 * 1024).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `error: message` of a protocol error body, or its start.
pub(super) fn reason_of(body: &str) -> String {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => format!("{}: {}", e.error, e.message),
        Err(_) => body.chars().take(200).collect(),
    }
}

/// A short, countable name for a transport failure.
fn transport_kind(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timeout".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
                "connection reset".to_owned()
            }
            std::io::ErrorKind::UnexpectedEof => "connection closed".to_owned(),
            kind => format!("io: {kind}"),
        },
        other => {
            let text = other.to_string();
            if text.contains("certificate") {
                format!("tls: {text} (give the agency's CA with --ca-bundle)")
            } else {
                format!("network: {text}")
            }
        }
    }
}

/// The kiosk's retry schedule (`src/sync/backoff.rs` in the kiosk crate): the n-th retry
/// waits a uniform random time in `[0, min(cap, base·2ⁿ)]` (full jitter), and never less
/// than the server's `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    /// The kiosk's base (500 ms); its cap is 5 minutes, which would stall a bench run
    /// on one unlucky record, so the bench caps at 10 s.
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    pub fn delay(&self, attempt: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        let ceiling = self.base.saturating_mul(factor).min(self.cap);
        let jittered = ceiling.mul_f64(unit.clamp(0.0, 1.0));
        match retry_after {
            Some(ra) => jittered.max(ra),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_cap() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(b.delay(0, 0.999_999, None).as_millis(), 99);
        assert_eq!(b.delay(3, 0.5, None), Duration::from_millis(400));
        assert_eq!(b.delay(40, 1.0, None), Duration::from_secs(1));
        assert_eq!(b.delay(0, 0.0, None), Duration::ZERO);
        assert_eq!(
            b.delay(0, 0.0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn urls_must_be_http() {
        assert_eq!(
            base_url("http://127.0.0.1:1/").unwrap(),
            "http://127.0.0.1:1"
        );
        assert!(base_url("127.0.0.1:8443").is_err());
    }
}

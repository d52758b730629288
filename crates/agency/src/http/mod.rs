//! The HTTP endpoints, one module per resource: `records` (certifications in, records
//! and gap reports out), `persons` (status and reference photos for kiosks) and
//! `bundles` (the offline cache bundle of a kiosk's region). A handler authenticates,
//! parses, calls `parse` or `service`, and renders; the rules live in `service`, the
//! data behind the [`Storage`](crate::Storage) trait, called on a blocking thread.

mod assistance;
mod bundles;
mod kiosks;
mod persons;
mod records;

use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Semaphore;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::{Json, Router};

use certpoint_protocol::{ErrorCode, Health};

use crate::error::ApiError;
use crate::faces::Faces;
use crate::parse::{self, hex_sha256};
use crate::service::bundles::{Publisher, DEFAULT_REISSUE_HOURS};
use crate::service::matching::{MatchWorker, Matcher};
use crate::service::rate_limit::{RateLimit, TokenBuckets};
use crate::storage::{Kiosk, Storage};

/// How the server is tuned (`certpoint-agency serve` flags).
#[derive(Clone)]
pub struct ServerOptions {
    /// Reference photo reads allowed per kiosk.
    pub reference_reads: RateLimit,
    /// The face engine for server-side matching, loaded. `None`: matching is off;
    /// `pending_match` records are stored unscored (their people `pending_review`)
    /// and scored by the start-up sweep of a server that has the engine.
    pub faces: Option<Arc<Faces>>,
    /// The data directory whose bundle-signing key (`bundle key init`) signs the
    /// offline cache bundles. `None`: `GET /v1/reference-bundle` answers 404.
    pub bundle_key_dir: Option<PathBuf>,
    /// A bundle is issued anew after this many hours even when nothing changed.
    pub bundle_reissue_hours: u32,
    /// The back office's cookies get `Secure` (set when the server speaks TLS).
    pub secure_cookies: bool,
    /// The back office's date (tests and demos of the suspension list); `None`:
    /// today in China.
    pub office_today: Option<chrono::NaiveDate>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            reference_reads: RateLimit::default(),
            faces: None,
            bundle_key_dir: None,
            bundle_reissue_hours: DEFAULT_REISSUE_HOURS,
            secure_cookies: false,
            office_today: None,
        }
    }
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("reference_reads", &self.reference_reads)
            .field("matching", &self.faces.is_some())
            .field("bundle_key_dir", &self.bundle_key_dir)
            .field("bundle_reissue_hours", &self.bundle_reissue_hours)
            .field("secure_cookies", &self.secure_cookies)
            .field("office_today", &self.office_today)
            .finish()
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// Admits [`Storage::parallelism`] storage calls at a time to the blocking pool.
    pub gate: Arc<Semaphore>,
    pub reference_reads: Arc<TokenBuckets>,
    /// Scores arriving `pending_match` records; `None` when matching is off.
    pub matching: Option<Arc<MatchWorker>>,
    pub bundles: Option<Arc<Publisher>>,
}

/// The API with default options.
pub fn router(storage: Arc<dyn Storage>) -> Router {
    router_with(storage, ServerOptions::default())
}

/// The API tuned by `options`. With a face engine, this starts the matching worker
/// (which first sweeps the records left unscored); it stops when the router is dropped.
pub fn router_with(storage: Arc<dyn Storage>, options: ServerOptions) -> Router {
    let matching = options.faces.and_then(|faces| {
        match MatchWorker::start(Matcher::new(storage.clone(), faces)) {
            Ok(w) => Some(Arc::new(w)),
            Err(e) => {
                tracing::error!(
                    "cannot start the matching thread: {e}; server-side matching is off"
                );
                None
            }
        }
    });
    let bundles = options.bundle_key_dir.map(|dir| {
        Arc::new(Publisher::new(
            storage.clone(),
            dir,
            options.bundle_reissue_hours,
        ))
    });
    let office = crate::admin::routes(crate::admin::AdminState {
        storage: storage.clone(),
        sessions: Default::default(),
        unknown: Default::default(),
        secure: options.secure_cookies,
        today: options.office_today,
    });
    let state = AppState {
        gate: Arc::new(Semaphore::new(storage.parallelism().max(1))),
        storage,
        reference_reads: Arc::new(TokenBuckets::new(options.reference_reads)),
        matching,
        bundles,
    };
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/certifications", post(records::post_certification))
        .route(
            "/v1/certifications/{record_id}",
            get(records::get_certification),
        )
        .route(
            "/v1/persons/{id_number}/reference",
            get(persons::get_reference),
        )
        .route("/v1/persons/{id_number}/status", get(persons::get_status))
        .route("/v1/kiosks/{kiosk_id}/gaps", get(records::get_gaps))
        .route("/v1/reference-bundle", get(bundles::get_reference_bundle))
        .route("/v1/heartbeat", post(kiosks::post_heartbeat))
        .route("/v1/assistance/{serial}", get(assistance::get_assistance))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such endpoint") })
        // Without these, axum answers a wrong method (405) and an undecodable path
        // segment (400) with an empty or plain-text body; the protocol promises JSON
        // errors with its own codes (found by the agency_request fuzz target).
        .method_not_allowed_fallback(|method: axum::http::Method| async move {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{method} is not served on this path; see docs/protocol.md"),
            )
        })
        // Bodies are read by hand with our own limit and JSON 413.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
        // The back office: its own state, the session cookie as its only credential,
        // axum's default body limit (forms are small).
        .merge(office)
}

/// A path segment axum could not decode (bad percent-encoding, not UTF-8).
pub(super) fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(s)| s).map_err(|_| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            "the path is not valid percent-encoded UTF-8",
        )
    })
}

/// Runs a storage call on the blocking pool once the gate admits it: callers beyond the
/// storage's parallelism wait here as tasks, first come first served, not as threads
/// parked on the backend's lock.
pub(super) async fn blocking<T: Send + 'static>(
    gate: &Semaphore,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let _admitted = gate
        .acquire()
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal, "the server is shutting down"))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal, "the request handler failed"))?
}

async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        matching: Some(
            if state.matching.is_some() {
                "ready"
            } else {
                "off"
            }
            .into(),
        ),
    })
}

/// The kiosk the bearer token belongs to.
pub(super) async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Kiosk, ApiError> {
    let hash = token_hash(headers)?;
    let storage = state.storage.clone();
    blocking(&state.gate, move || {
        kiosk_by_token_hash(storage.as_ref(), &hash)
    })
    .await
}

/// The sha256 of the bearer token, for [`kiosk_by_token_hash`].
pub(super) fn token_hash(headers: &HeaderMap) -> Result<String, ApiError> {
    let token = parse::bearer_token(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))?;
    Ok(hex_sha256(token.as_bytes()))
}

/// [`authenticate`] on the blocking thread a handler is already on: a handler that
/// goes on to storage anyway saves a second hop to the blocking pool (the hops, not
/// the queries, were most of a status lookup's cost under `bench status`).
pub(super) fn kiosk_by_token_hash(storage: &dyn Storage, hash: &str) -> Result<Kiosk, ApiError> {
    storage.kiosk_by_token(hash)?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "the token belongs to no registered kiosk",
        )
    })
}

/// Who may read a stored record or a gap report.
pub(super) enum Reader {
    Kiosk(Kiosk),
    Auditor,
}

impl Reader {
    /// A kiosk reads only what it sent; an auditor reads any kiosk's.
    pub(super) fn may_read(&self, kiosk_id: &str) -> bool {
        match self {
            Reader::Kiosk(k) => k.kiosk_id == kiosk_id,
            Reader::Auditor => true,
        }
    }
}

/// A kiosk's token, or an auditor's (read-only; see `certpoint-agency auditor add`).
pub(super) async fn authenticate_reader(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Reader, ApiError> {
    let token = parse::bearer_token(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))?;
    let hash = hex_sha256(token.as_bytes());
    let storage = state.storage.clone();
    blocking(&state.gate, move || {
        if let Some(k) = storage.kiosk_by_token(&hash)? {
            return Ok(Reader::Kiosk(k));
        }
        if let Some(name) = storage.auditor_by_token(&hash)? {
            tracing::info!(auditor = name, "audit read");
            return Ok(Reader::Auditor);
        }
        Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the token belongs to no registered kiosk or auditor",
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use crate::{RunningServer, SqliteStorage, Storage};

    /// Found by the agency_request fuzz target: axum's own answers to a wrong method and
    /// to an undecodable path segment were not the protocol's JSON error body.
    #[test]
    fn axum_rejections_are_json_errors() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
        let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), storage).unwrap();
        for (request, status, code) in [
            ("PUT /v1/certifications", 405, "method_not_allowed"),
            ("DELETE /v1/health", 405, "method_not_allowed"),
            ("GET /v1/certifications/%ff%fe", 400, "malformed_request"),
            ("GET /v1/kiosks/%c3/gaps", 400, "malformed_request"),
        ] {
            let mut s = std::net::TcpStream::connect(server.addr).unwrap();
            write!(
                s,
                "{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).unwrap();
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status} ")),
                "{request}: {answer}"
            );
            let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
            let err: certpoint_protocol::ErrorBody =
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{request}: {e}: {answer}"));
            assert_eq!(err.error.as_str(), code, "{request}");
        }
    }

    /// No more storage calls than the gate admits run at once; the others wait their
    /// turn and all of them finish.
    #[test]
    fn the_gate_admits_the_storage_parallelism() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let gate = Arc::new(super::Semaphore::new(3));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let done = rt.block_on(async {
            let calls = (0..12).map(|_| {
                let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    super::blocking(&gate, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
                })
            });
            let mut done = 0;
            for call in calls.collect::<Vec<_>>() {
                call.await.unwrap().unwrap();
                done += 1;
            }
            done
        });
        assert_eq!(done, 12);
        assert_eq!(
            most.load(Ordering::SeqCst),
            3,
            "the gate let more (or fewer) in"
        );
    }
}

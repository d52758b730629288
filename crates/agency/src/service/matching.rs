//! Server-side matching: the face crop of a `pending_match` record compared with the
//! person's current reference by the kiosk's own face pipeline ([`Faces`]), the result
//! stored beside the record, where the status rules (`status`) read it: at or above the
//! threshold the person is certified, below it `pending_review`, never certified.
//!
//! When it runs:
//! - on arrival: the HTTP handler hands each new `pending_match` record with a crop to
//!   the [`MatchWorker`], a thread fed by a channel, so the kiosk's 201 never waits for
//!   a model;
//! - at start: the worker first sweeps the records left unscored (a crash, a server
//!   that ran without models, a reference changed while its rescoring was cut short);
//! - after `certpoint-agency reference import`, in that process ([`Matcher::score_person`]).
//!
//! A record that cannot be compared stays unscored and its person `pending_review`:
//! no reference yet (the reference's import scores it), no face crop (a clerk reviews
//! it: there is nothing to compare), a reference photo without exactly one face, a
//! damaged crop ([`Unscored`] says which). An engine fault (model file missing or
//! altered, no ONNX Runtime) is the server's, not the record's: the record is left
//! for the next sweep, never judged on it. Logs name records by id and people by
//! masked ID number only.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use certpoint_face::{PhotoError, EMBEDDING_MODEL_SHA256};
use certpoint_protocol::{mask_id_number, Outcome};

use crate::faces::{Faces, FacesError, ReferenceEmbedding};
use crate::storage::{AwaitingMatch, Embedding, RecordMatch, RecordSummary, Storage, StorageError};

/// Records fetched per sweep query.
const SWEEP_BATCH: usize = 256;

/// What scoring one record came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Scoring {
    /// Compared; the result is stored beside the record.
    Scored(RecordMatch),
    /// Nothing could be compared; the record stays unscored (person `pending_review`).
    Unscored(Unscored),
}

/// Why a record could not be compared, in words for the administrator.
#[derive(Debug, Clone, PartialEq)]
pub enum Unscored {
    NoReference,
    NoCrop,
    /// The current reference photo gives no embedding (no face, several faces).
    ReferenceUnusable {
        version: String,
        reason: String,
    },
    /// The stored crop is not a kiosk's aligned face crop.
    CropUnusable(String),
}

impl Unscored {
    pub fn note(&self) -> String {
        match self {
            Unscored::NoReference => "no reference photo enrolled yet; `certpoint-agency reference import` scores it".into(),
            Unscored::NoCrop => "the record carries no face crop, so nothing can be compared; a clerk reviews it".into(),
            Unscored::ReferenceUnusable { version, reason } => format!(
                "reference version {version} cannot be embedded ({reason}); import a photo with exactly one face"
            ),
            Unscored::CropUnusable(reason) => format!("{reason}; a clerk reviews it"),
        }
    }
}

/// Why scoring did not finish. Neither judges the record: it stays for the next sweep.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the face engine failed: {0}")]
    Engine(FacesError),
}

/// What a run over several records did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Scored at or above the threshold.
    pub matched: usize,
    /// Scored below the threshold: for review.
    pub below_threshold: usize,
    /// Nothing to compare (see [`Unscored`]).
    pub unscored: usize,
    /// Left for a later retry: engine or storage fault.
    pub failed: usize,
}

impl Tally {
    fn add(&mut self, r: &Result<Scoring, MatchError>) {
        match r {
            Ok(Scoring::Scored(m)) if m.matched() => self.matched += 1,
            Ok(Scoring::Scored(_)) => self.below_threshold += 1,
            Ok(Scoring::Unscored(_)) => self.unscored += 1,
            Err(_) => self.failed += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.matched + self.below_threshold + self.unscored + self.failed
    }
}

/// Scores records against references with one face engine.
#[derive(Clone)]
pub struct Matcher {
    storage: Arc<dyn Storage>,
    faces: Arc<Faces>,
}

impl Matcher {
    pub fn new(storage: Arc<dyn Storage>, faces: Arc<Faces>) -> Matcher {
        Matcher { storage, faces }
    }

    pub fn faces(&self) -> &Faces {
        &self.faces
    }

    pub fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// Compares one record's crop with its person's current reference and stores the
    /// result. A current reference without an embedding of this server's model (enrolled
    /// with `reference add`, or by another model) is embedded from its photo first, and
    /// the embedding kept.
    pub fn score(&self, job: &AwaitingMatch) -> Result<Scoring, MatchError> {
        let Some(current) = self.storage.current_reference(&job.id_number)? else {
            return Ok(Scoring::Unscored(Unscored::NoReference));
        };
        let version = current.reference.version.clone();
        let reference = match current.embedding {
            Some(e) if e.model_sha256 == EMBEDDING_MODEL_SHA256 => ReferenceEmbedding {
                values: e.values,
                model_sha256: e.model_sha256,
            },
            _ => match self.faces.reference_photo(&current.reference.bytes) {
                Ok(e) => {
                    self.storage.set_reference_embedding(
                        &job.id_number,
                        &version,
                        &Embedding {
                            values: e.values.clone(),
                            model_sha256: e.model_sha256.clone(),
                        },
                    )?;
                    e
                }
                Err(PhotoError::Engine(e)) => {
                    return Err(MatchError::Engine(FacesError::Photo {
                        path: format!("reference version {version}"),
                        source: PhotoError::Engine(e),
                    }))
                }
                Err(e) => {
                    return Ok(Scoring::Unscored(Unscored::ReferenceUnusable {
                        version,
                        reason: e.to_string(),
                    }))
                }
            },
        };
        let Some(crop) = self.storage.photo(&job.record_id)? else {
            return Ok(Scoring::Unscored(Unscored::NoCrop));
        };
        let s = match self.faces.score_crop(&crop, &reference) {
            Ok(s) => s,
            Err(e) if e.is_server_fault() => return Err(MatchError::Engine(e)),
            Err(e) => return Ok(Scoring::Unscored(Unscored::CropUnusable(e.to_string()))),
        };
        let m = RecordMatch {
            record_id: job.record_id.clone(),
            score: s.score,
            threshold: s.threshold,
            reference_version: version,
            models: s.models,
            matched_at: chrono::Utc::now(),
        };
        self.storage.set_record_match(&m)?;
        Ok(Scoring::Scored(m))
    }

    /// [`score`](Self::score), logged (record id, masked ID number, result).
    pub fn score_logged(&self, job: &AwaitingMatch) -> Result<Scoring, MatchError> {
        let r = self.score(job);
        let who = mask_id_number(&job.id_number);
        match &r {
            Ok(Scoring::Scored(m)) => tracing::info!(
                record_id = job.record_id,
                id = who,
                score = m.score,
                threshold = m.threshold,
                reference_version = m.reference_version,
                "server match: {}",
                if m.matched() {
                    "matched"
                } else {
                    "below the threshold, for review"
                }
            ),
            Ok(Scoring::Unscored(u)) => tracing::info!(
                record_id = job.record_id,
                id = who,
                "server match not possible: {}",
                u.note()
            ),
            Err(e) => tracing::warn!(
                record_id = job.record_id,
                id = who,
                "server match left for later: {e}"
            ),
        }
        r
    }

    /// Scores every `pending_match` record of `id_number` that has a crop, matched
    /// before or not: what a new reference calls for.
    pub fn score_person(&self, id_number: &str) -> Result<Tally, StorageError> {
        let mut tally = Tally::default();
        for job in self
            .storage
            .records_awaiting_match(Some(id_number), usize::MAX)?
        {
            tally.add(&self.score_logged(&job));
        }
        Ok(tally)
    }

    /// Scores every record left unscored (see `Storage::records_awaiting_match`), each
    /// once, until none is left or `stop` is set. Stops at the first engine fault: the
    /// rest would fail the same way, and the next sweep retries them all.
    pub fn sweep(&self, stop: &AtomicBool) -> Result<Tally, StorageError> {
        let mut seen = HashSet::new();
        let mut tally = Tally::default();
        loop {
            // Records tried and still unscored stay at the front (oldest first): ask
            // for that many more, so every batch holds new ones if any are left.
            let batch = self
                .storage
                .records_awaiting_match(None, seen.len() + SWEEP_BATCH)?;
            let fresh: Vec<AwaitingMatch> = batch
                .into_iter()
                .filter(|j| !seen.contains(&j.record_id))
                .collect();
            if fresh.is_empty() {
                return Ok(tally);
            }
            for job in fresh {
                if stop.load(Ordering::Relaxed) {
                    return Ok(tally);
                }
                seen.insert(job.record_id.clone());
                let r = self.score_logged(&job);
                tally.add(&r);
                if matches!(r, Err(MatchError::Engine(_))) {
                    tracing::warn!("start-up sweep stopped at an engine fault; the records left are scored at the next start");
                    return Ok(tally);
                }
            }
        }
    }
}

/// The thread that scores records as they arrive, after sweeping what was left.
/// Dropping it stops the thread (after the record in hand); records still queued are
/// picked up by the next start's sweep, since they are stored unscored.
pub struct MatchWorker {
    tx: Mutex<Option<mpsc::Sender<AwaitingMatch>>>,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl MatchWorker {
    /// Starts the thread: the start-up sweep first, then records as submitted.
    pub fn start(matcher: Matcher) -> std::io::Result<MatchWorker> {
        let (tx, rx) = mpsc::channel::<AwaitingMatch>();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("server-match".into())
            .spawn(move || {
                match matcher.sweep(&stopped) {
                    Ok(t) if t.total() > 0 => tracing::info!(
                        matched = t.matched,
                        below_threshold = t.below_threshold,
                        unscored = t.unscored,
                        failed = t.failed,
                        "start-up sweep: {} record(s) left unscored were tried",
                        t.total()
                    ),
                    Ok(_) => tracing::info!("start-up sweep: no record was left unscored"),
                    Err(e) => tracing::warn!("start-up sweep failed: {e}"),
                }
                for job in rx {
                    if stopped.load(Ordering::Relaxed) {
                        break;
                    }
                    let _ = matcher.score_logged(&job);
                }
            })?;
        Ok(MatchWorker {
            tx: Mutex::new(Some(tx)),
            stop,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues a stored record for scoring; never blocks.
    pub fn submit(&self, job: AwaitingMatch) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = tx.as_ref() {
            // Fails only once the thread has ended; the record is stored unscored and
            // the next start's sweep scores it.
            let _ = tx.send(job);
        }
    }
}

impl Drop for MatchWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

/// Where a received record stands with server-side matching, for `records list`:
/// `None` for records that need no server match.
pub fn match_note(
    storage: &dyn Storage,
    r: &RecordSummary,
) -> Result<Option<String>, StorageError> {
    if r.outcome != Outcome::PendingMatch {
        return Ok(None);
    }
    if let Some(m) = storage.record_match(&r.record_id)? {
        let judged = if m.matched() {
            format!("{:.3} >= {:.2}: matched", m.score, m.threshold)
        } else {
            format!(
                "{:.3} < {:.2}: below the threshold, for review",
                m.score, m.threshold
            )
        };
        return Ok(Some(format!(
            "server match {judged} (reference {}, {})",
            m.reference_version,
            m.matched_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    if !r.photo {
        return Ok(Some(format!("unscored: {}", Unscored::NoCrop.note())));
    }
    let id_number = storage
        .certification(&r.record_id)?
        .and_then(|c| c.record["id_number"].as_str().map(str::to_owned));
    let has_reference = match id_number {
        Some(id) => storage.current_reference(&id)?.is_some(),
        None => false,
    };
    Ok(Some(if has_reference {
        "unscored: not scored yet; a server running with the face models scores it (on arrival or at start; its log says why if this stays)".into()
    } else {
        format!("unscored: {}", Unscored::NoReference.note())
    }))
}

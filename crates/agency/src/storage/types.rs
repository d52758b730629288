//! The values the [`Storage`](super::Storage) trait takes and returns. Plain data: every
//! backend produces the same ones, and the rules that read them (status, region, rate
//! limits) live in `service`, not in a backend.
//!
//! ID numbers travel in the clear between the service and a backend; what a backend
//! writes is its own business (the SQLite backend seals them and indexes a keyed hash,
//! see `vault`). `Debug` on anything holding one masks it.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};

use certpoint_protocol::{mask_id_number, Channel, Method, Outcome};

/// A registered kiosk. The token itself is never stored, only its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub kiosk_id: String,
    /// Ed25519 public key, base64 of 32 bytes.
    pub public_key: String,
    /// The roster region whose people this kiosk may look up (status, reference
    /// photos). `None` for kiosks registered before regions existed: they may look up
    /// nobody until `certpoint-agency kiosk set-region` gives them one.
    pub region: Option<String>,
}

/// What the index columns beside a received record hold, taken from the verified
/// record at insert so that status lookups never open record bodies.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordIndex<'a> {
    pub id_number: &'a str,
    pub period: &'a str,
    pub site_code: &'a str,
    /// `CertificationRecord::effective_outcome()`: a v1 `passed` without a scored
    /// match is indexed as `pending_match`.
    pub outcome: Outcome,
    pub ended_at: DateTime<FixedOffset>,
    /// `assistance` for a certificate of assistance, `onsite` for everything else a
    /// kiosk sends (the status rules name it).
    pub channel: Channel,
    /// A certificate of assistance's serial and the sha256 (hex) of its verification
    /// code, stored beside the record so `GET /v1/assistance/{serial}` finds it.
    pub assistance: Option<AssistanceIndex<'a>>,
}

/// What the agency keeps to verify a certificate of assistance: the code is kept only
/// as its sha256, so a copy of the index cannot print valid-looking certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistanceIndex<'a> {
    pub serial: &'a str,
    pub code_sha256: String,
}

impl<'a> RecordIndex<'a> {
    pub fn of(record: &'a certpoint_protocol::CertificationRecord) -> RecordIndex<'a> {
        let assistance = match &record.method {
            Method::Assistance {
                serial,
                verification_code,
                ..
            } => Some(AssistanceIndex {
                serial,
                code_sha256: code_sha256(verification_code),
            }),
            _ => None,
        };
        RecordIndex {
            id_number: &record.id_number,
            period: &record.period,
            site_code: &record.site_code,
            outcome: record.effective_outcome(),
            ended_at: record.ended_at,
            channel: if assistance.is_some() {
                Channel::Assistance
            } else {
                Channel::Onsite
            },
            assistance,
        }
    }
}

/// sha256 (hex) of a verification code, as [`AssistanceIndex`] keeps it.
pub fn code_sha256(code: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stored certificate of assistance (`Storage::assistance_certificate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistanceCertificate {
    pub serial: String,
    pub record_id: String,
    pub code_sha256: String,
}

impl fmt::Debug for RecordIndex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordIndex")
            .field("id_number", &mask_id_number(self.id_number))
            .field("period", &self.period)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// A verified submission, ready to store.
pub struct NewCertification<'a> {
    pub record_id: &'a str,
    pub kiosk_id: &'a str,
    pub seq: u64,
    /// The record's canonical JSON: compared byte for byte on a repeat.
    pub body: &'a str,
    pub signature: &'a str,
    /// Media type, sha256 (hex) and bytes of the face crop.
    pub photo: Option<(&'a str, &'a str, &'a [u8])>,
    pub index: RecordIndex<'a>,
}

/// What an insert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Created {
        received_at: String,
    },
    /// The same record id with the same body was already stored.
    Duplicate {
        received_at: String,
    },
    /// The same record id with a different body was already stored.
    Conflict,
}

/// One stored record as listed by `certpoint-agency records list` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    pub record_id: String,
    pub kiosk_id: String,
    pub seq: u64,
    pub received_at: String,
    /// The effective outcome (index column): a schema-1 `passed` without a scored
    /// match is `pending_match`.
    pub outcome: Outcome,
    /// Whether the face crop is stored (what the server-side matcher compares).
    pub photo: bool,
}

/// A person's standing on the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RosterStatus {
    Active,
    Suspended,
    Deceased,
}

impl RosterStatus {
    pub const ALL: [RosterStatus; 3] = [
        RosterStatus::Active,
        RosterStatus::Suspended,
        RosterStatus::Deceased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Active => "active",
            RosterStatus::Suspended => "suspended",
            RosterStatus::Deceased => "deceased",
        }
    }

    pub fn parse(s: &str) -> Option<RosterStatus> {
        RosterStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One roster row, validated (`service::roster`).
#[derive(Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// The normalised 18-character ID number.
    pub id_number: String,
    pub name: String,
    pub region: String,
    pub status: RosterStatus,
}

impl fmt::Debug for RosterEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RosterEntry")
            .field("id_number", &mask_id_number(&self.id_number))
            .field("region", &self.region)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// One app self-certification, validated (`service::selfcert`).
#[derive(Clone, PartialEq, Eq)]
pub struct SelfCertification {
    pub id_number: String,
    pub period: String,
    pub at: DateTime<FixedOffset>,
}

impl fmt::Debug for SelfCertification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfCertification")
            .field("id_number", &mask_id_number(&self.id_number))
            .field("period", &self.period)
            .field("at", &self.at)
            .finish()
    }
}

/// What an import did, row by row: new, changed, or already so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// The answer of a self-certification import: written, or refused because some rows
/// name people who are not on the roster (their indexes in the slice; nothing written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelfCertImport {
    Imported(ImportCounts),
    NotInRoster(Vec<usize>),
}

/// A reference photo as served to kiosks.
#[derive(Clone, PartialEq, Eq)]
pub struct Reference {
    /// Names this photo: served to kiosks and recorded in their face match.
    pub version: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reference")
            .field("version", &self.version)
            .field("media_type", &self.media_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A face embedding with the sha256 of the model file that computed it: an embedding
/// is only comparable with one from the same model.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    pub values: Vec<f32>,
    pub model_sha256: String,
}

impl Embedding {
    /// Little-endian f32s, as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// `None` when `bytes` is not a whole number of f32s.
    pub fn from_bytes(bytes: &[u8], model_sha256: &str) -> Option<Embedding> {
        if bytes.len() % 4 != 0 {
            return None;
        }
        Some(Embedding {
            values: bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            model_sha256: model_sha256.to_owned(),
        })
    }
}

/// What [`Storage::add_reference`](super::Storage::add_reference) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceAdded {
    /// A new version, now the current one.
    New,
    /// This version (same photo) was already the current one: nothing changed.
    Unchanged,
    /// An older version with this name and photo became the current one again.
    Restored,
}

/// The current reference of a person, with its embedding when one was computed.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentReference {
    pub reference: Reference,
    pub embedding: Option<Embedding>,
    pub enrolled_at: DateTime<Utc>,
}

/// One version in a person's reference history (no photo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceVersionInfo {
    pub version: String,
    pub media_type: String,
    pub enrolled_at: DateTime<Utc>,
    pub current: bool,
    /// sha256 of the embedding model, when the version has an embedding.
    pub embedding_model_sha256: Option<String>,
}

/// A current reference embedding of someone on a region's roster (for the kiosks'
/// offline cache bundle).
#[derive(Clone, PartialEq)]
pub struct RegionEmbedding {
    pub id_number: String,
    pub version: String,
    pub embedding: Embedding,
}

impl fmt::Debug for RegionEmbedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegionEmbedding")
            .field("id_number", &mask_id_number(&self.id_number))
            .field("version", &self.version)
            .field("model_sha256", &self.embedding.model_sha256)
            .finish_non_exhaustive()
    }
}

/// A `pending_match` record whose face crop the server has to compare.
#[derive(Clone, PartialEq, Eq)]
pub struct AwaitingMatch {
    pub record_id: String,
    pub id_number: String,
    pub period: String,
}

impl fmt::Debug for AwaitingMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwaitingMatch")
            .field("record_id", &self.record_id)
            .field("id_number", &mask_id_number(&self.id_number))
            .field("period", &self.period)
            .finish()
    }
}

/// The server's comparison of a record's face crop with a reference, stored beside
/// the record. `score < threshold` is a mismatch: the person goes to review.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordMatch {
    pub record_id: String,
    /// Cosine similarity; must be finite.
    pub score: f32,
    pub threshold: f32,
    pub reference_version: String,
    /// Model name → sha256 of the model files behind both embeddings.
    pub models: BTreeMap<String, String>,
    pub matched_at: DateTime<Utc>,
}

impl RecordMatch {
    pub fn matched(&self) -> bool {
        self.score.is_finite() && self.score >= self.threshold
    }
}

/// What the status rules need to know about one person and period
/// (`service::status::decide`).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFacts {
    /// `None`: not on the roster.
    pub roster: Option<RosterFacts>,
    /// The app self-certification for the period.
    pub self_certified_at: Option<DateTime<FixedOffset>>,
    /// Records of the period whose outcome may count: `passed`, `manual_passed` and
    /// `pending_match` (effective outcomes), with the server's match if any.
    pub records: Vec<RecordFact>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterFacts {
    pub region: String,
    pub status: RosterStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordFact {
    pub record_id: String,
    pub outcome: Outcome,
    pub ended_at: DateTime<FixedOffset>,
    /// `onsite`, or `assistance` for a certificate of assistance.
    pub channel: Channel,
    /// The server's comparison, for a `pending_match` record: `(score, threshold)`.
    pub server_match: Option<(f32, f32)>,
}

/// How a reference read ended, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadResult {
    Served,
    NotFound,
    Forbidden,
    RateLimited,
}

impl ReadResult {
    pub const ALL: [ReadResult; 4] = [
        ReadResult::Served,
        ReadResult::NotFound,
        ReadResult::Forbidden,
        ReadResult::RateLimited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReadResult::Served => "served",
            ReadResult::NotFound => "not_found",
            ReadResult::Forbidden => "forbidden",
            ReadResult::RateLimited => "rate_limited",
        }
    }

    pub fn parse(s: &str) -> Option<ReadResult> {
        ReadResult::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One line of the reference-read log. The ID number is kept masked only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceRead {
    pub at: DateTime<Utc>,
    pub kiosk_id: String,
    /// `1101**********002X`.
    pub id_masked: String,
    pub result: ReadResult,
}

/// The reference bundle last published for a region: what the kiosks' offline cache
/// holds when it is up to date. Kept so that an unchanged bundle keeps its
/// `generated_at` across requests, restarts and `bundle export` (a kiosk asking
/// `If-Modified-Since` gets 304, not 100 MB again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundlePublication {
    pub region: String,
    /// sha256 (hex) over what the bundle is made of: signing key, model, and every
    /// entry's ID number and reference version (`service::bundles`).
    pub content_sha256: String,
    /// The bundle's `generated_at`, whole seconds.
    pub generated_at: DateTime<Utc>,
}

/// Someone on a region's active roster who is not certified for a period: what
/// `service::status::decide` answers `not_certified` or `pending_review` for.
#[derive(Clone, PartialEq, Eq)]
pub struct Uncertified {
    pub id_number: String,
    pub name: String,
    /// A `pending_match` record awaits the server's match or a person's review
    /// (`pending_review`); otherwise nothing counting arrived (`not_certified`).
    pub pending_review: bool,
}

impl fmt::Debug for Uncertified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Uncertified")
            .field("id_number", &mask_id_number(&self.id_number))
            .field("pending_review", &self.pending_review)
            .finish_non_exhaustive()
    }
}

/// One page of [`Uncertified`] people, in a stable order (by person key, which says
/// nothing about the person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncertifiedPage {
    pub people: Vec<Uncertified>,
    /// Give this as `after` for the next page; `None` on the last one.
    pub next: Option<String>,
}

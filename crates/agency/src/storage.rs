//! What the server keeps, behind a small trait so that a PostgreSQL backend for a whole
//! province can follow the SQLite one without the HTTP layer changing.
//!
//! The trait is synchronous: the HTTP layer calls it from `spawn_blocking`, which suits
//! SQLite (a blocking library) and costs a PostgreSQL backend nothing it cannot wrap.

use certpoint_protocol::{GapReport, StoredCertification};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Backend(String),
    #[error("kiosk {0} is already registered")]
    KioskExists(String),
    #[error("auditor {0} is already registered (or the token is taken)")]
    AuditorExists(String),
}

/// A registered kiosk. The token itself is never stored, only its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub kiosk_id: String,
    /// Ed25519 public key, base64 of 32 bytes.
    pub public_key: String,
}

/// A verified submission, ready to store.
pub struct NewCertification<'a> {
    pub record_id: &'a str,
    pub kiosk_id: &'a str,
    pub seq: u64,
    /// The record's canonical JSON: compared byte for byte on a repeat.
    pub body: &'a str,
    pub signature: &'a str,
    pub photo: Option<(&'a str, &'a str, &'a [u8])>,
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

/// An enrolled reference photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub version: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// One stored record as listed by `certpoint-agency records list` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    pub record_id: String,
    pub kiosk_id: String,
    pub seq: u64,
    pub received_at: String,
}

pub trait Storage: Send + Sync + 'static {
    fn add_kiosk(&self, kiosk: &Kiosk, token_sha256: &str) -> Result<(), StorageError>;
    fn kiosk_by_token(&self, token_sha256: &str) -> Result<Option<Kiosk>, StorageError>;
    fn kiosks(&self) -> Result<Vec<Kiosk>, StorageError>;
    /// Registers an auditor: a read-only credential for support and audits, which may
    /// read any kiosk's records and gap reports but never submit.
    fn add_auditor(&self, name: &str, token_sha256: &str) -> Result<(), StorageError>;
    /// The auditor's name the token belongs to.
    fn auditor_by_token(&self, token_sha256: &str) -> Result<Option<String>, StorageError>;
    /// Stores a record idempotently: same id and body → `Duplicate`, other body → `Conflict`.
    fn insert_certification(&self, c: &NewCertification) -> Result<InsertOutcome, StorageError>;
    fn certification(&self, record_id: &str) -> Result<Option<StoredCertification>, StorageError>;
    /// Every record in arrival order (all kiosks when `kiosk_id` is `None`).
    fn records(&self, kiosk_id: Option<&str>) -> Result<Vec<RecordSummary>, StorageError>;
    /// The stored face crop of a record.
    fn photo(&self, record_id: &str) -> Result<Option<Vec<u8>>, StorageError>;
    fn gaps(&self, kiosk_id: &str) -> Result<GapReport, StorageError>;
    fn put_reference(&self, id_number: &str, reference: &Reference) -> Result<(), StorageError>;
    fn reference(&self, id_number: &str) -> Result<Option<Reference>, StorageError>;
}

/// Missing numbers of a sorted, de-duplicated list of sequence numbers starting at 1,
/// as inclusive ranges.
pub fn missing_ranges(seqs: &[u64]) -> Vec<[u64; 2]> {
    let mut out = Vec::new();
    let mut expect = 1u64;
    for &s in seqs {
        if s > expect {
            out.push([expect, s - 1]);
        }
        // Saturating: seq u64::MAX is the last possible number, nothing can be missing after it.
        expect = expect.max(s.saturating_add(1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_ranges_of_what_never_arrived() {
        assert_eq!(missing_ranges(&[]), Vec::<[u64; 2]>::new());
        assert_eq!(missing_ranges(&[1, 2, 3]), Vec::<[u64; 2]>::new());
        assert_eq!(missing_ranges(&[2, 3, 7]), vec![[1, 1], [4, 6]]);
    }

    /// Found by the agency_request fuzz target: `s + 1` overflowed on seq u64::MAX.
    #[test]
    fn the_largest_seq_does_not_overflow() {
        assert_eq!(missing_ranges(&[1, u64::MAX]), vec![[2, u64::MAX - 1]]);
    }
}

//! What the server keeps, behind one trait so that a PostgreSQL backend for a whole
//! province can follow the SQLite one without the HTTP layer, the CLI or the service
//! rules changing. Every backend runs the same test suite
//! (`crates/agency/tests/storage_suite/`).
//!
//! The trait is synchronous: the HTTP layer calls it from `spawn_blocking`, which suits
//! SQLite (a blocking library) and costs a PostgreSQL backend nothing it cannot wrap.
//!
//! Methods are grouped as the data is: kiosks and auditors; received records (with
//! their index columns and the server's match); the roster and app
//! self-certifications; reference photos (versioned, with embeddings) and the log of
//! who read them; the offline cache bundles published per region. A backend seals
//! personal data at rest; callers hand it ID numbers, names and photos in the clear
//! and get them back the same way.

pub mod columns;
pub mod import;
pub mod lookup;
mod office;
mod types;

pub use lookup::KioskLookup;
pub use office::*;
pub use types::*;

use certpoint_protocol::{GapReport, StoredCertification};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Backend(String),
    #[error("kiosk {0} is already registered")]
    KioskExists(String),
    #[error("auditor {0} is already registered (or the token is taken)")]
    AuditorExists(String),
    #[error("no kiosk {0} is registered")]
    NoSuchKiosk(String),
    #[error("reference version {version} of this person already exists with another photo; give the new photo another version")]
    ReferenceVersionTaken { version: String },
    #[error("no record {0} is stored")]
    NoSuchRecord(String),
    #[error("a match score must be a finite number (record {0})")]
    BadScore(String),
    #[error("a back-office account named {0} already exists")]
    StaffExists(String),
    #[error("certificate of assistance serial {0} is already stored with another record")]
    SerialTaken(String),
    /// The feeder of a batched import stopped it (a bad row); nothing was written.
    #[error("the import was stopped before it was committed; nothing was written")]
    ImportAborted,
}

pub trait Storage: Send + Sync + 'static {
    /// How many calls may usefully run at once: the HTTP layer lets no more than this
    /// onto blocking threads and queues the rest, in order, without a thread each
    /// (`http::blocking`). More would only park threads on the backend's own lock or
    /// pool and hand the connection out unfairly (measured: a longer p99).
    fn parallelism(&self) -> usize;

    // --- kiosks and auditors -------------------------------------------------------

    /// Registers a kiosk; `KioskExists` if its id is taken.
    fn add_kiosk(&self, kiosk: &Kiosk, token_sha256: &str) -> Result<(), StorageError>;
    /// Gives a kiosk its roster region (kiosks registered before regions had none).
    fn set_kiosk_region(&self, kiosk_id: &str, region: &str) -> Result<(), StorageError>;
    fn kiosk_by_token(&self, token_sha256: &str) -> Result<Option<Kiosk>, StorageError>;
    fn kiosks(&self) -> Result<Vec<Kiosk>, StorageError>;
    /// Registers an auditor: a read-only credential for support and audits, which may
    /// read any kiosk's records and gap reports but never submit.
    fn add_auditor(&self, name: &str, token_sha256: &str) -> Result<(), StorageError>;
    /// The auditor's name the token belongs to.
    fn auditor_by_token(&self, token_sha256: &str) -> Result<Option<String>, StorageError>;

    // --- received records ----------------------------------------------------------

    /// Stores a record idempotently: same id and body → `Duplicate`, other body →
    /// `Conflict`. The index columns (`c.index`) are written in the same transaction.
    fn insert_certification(&self, c: &NewCertification) -> Result<InsertOutcome, StorageError>;
    fn certification(&self, record_id: &str) -> Result<Option<StoredCertification>, StorageError>;
    /// Every record in arrival order (all kiosks when `kiosk_id` is `None`).
    fn records(&self, kiosk_id: Option<&str>) -> Result<Vec<RecordSummary>, StorageError>;
    /// The stored face crop of a record.
    fn photo(&self, record_id: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// The photo store the rows' blobs are in.
    fn photo_store(&self) -> &crate::photos::PhotoStore;
    /// Calls `each` with the name (sha256) of every blob a row names: records' face
    /// crops and every reference version's photo. What the sweep of unreferenced blobs
    /// keeps (`service::photo_sweep`).
    fn photo_names(&self, each: &mut dyn FnMut(&str)) -> Result<(), StorageError>;
    fn gaps(&self, kiosk_id: &str) -> Result<GapReport, StorageError>;
    /// The certificate of assistance stored under `serial` (written by
    /// `insert_certification` from `index.assistance`; a serial already stored with
    /// another record makes that insert fail with `SerialTaken`).
    fn assistance_certificate(
        &self,
        serial: &str,
    ) -> Result<Option<AssistanceCertificate>, StorageError>;

    // --- server-side matching ------------------------------------------------------

    /// `pending_match` records with a stored face crop that the server should compare,
    /// oldest first, at most `limit`:
    /// - `None`: every such record whose person has a current reference and that has
    ///   no match result against that reference yet (none at all, or one naming
    ///   another version: the reference changed and the rescoring was cut short).
    ///   Without a reference there is nothing to compare with; the reference's arrival
    ///   brings them back through `Some`;
    /// - `Some(id_number)`: every such record of that person, matched or not (a new
    ///   reference arrived: compare them all again).
    fn records_awaiting_match(
        &self,
        id_number: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AwaitingMatch>, StorageError>;
    /// Stores (or replaces) the server's comparison for a record.
    fn set_record_match(&self, m: &RecordMatch) -> Result<(), StorageError>;
    fn record_match(&self, record_id: &str) -> Result<Option<RecordMatch>, StorageError>;

    // --- roster and self-certifications -------------------------------------------

    /// Inserts or updates every entry in one transaction (all or nothing). Entries
    /// must have distinct ID numbers. People not in `entries` are left as they are.
    fn import_roster(&self, entries: &[RosterEntry]) -> Result<ImportCounts, StorageError> {
        self.import_roster_batches(&mut std::iter::once(Ok(entries.to_vec())))
    }
    /// [`import_roster`](Self::import_roster) fed in batches, all in one transaction:
    /// a file of millions of rows is never held whole. An `Err` from `batches` rolls
    /// the transaction back and is returned (`ImportAborted` when the feeder found a
    /// bad row). Entries must have distinct ID numbers across all batches.
    fn import_roster_batches(
        &self,
        batches: &mut (dyn Iterator<Item = Result<Vec<RosterEntry>, StorageError>> + Send),
    ) -> Result<ImportCounts, StorageError>;
    fn roster_entry(&self, id_number: &str) -> Result<Option<RosterEntry>, StorageError>;
    /// Inserts or updates app self-certifications (one per person and period) in one
    /// transaction; if any names a person not on the roster, writes nothing and says
    /// which.
    fn import_self_certifications(
        &self,
        rows: &[SelfCertification],
    ) -> Result<SelfCertImport, StorageError>;
    /// Roster standing, self-certification and counting records of one person and
    /// period: what `service::status::decide` turns into a status.
    fn person_facts(&self, id_number: &str, period: &str) -> Result<PersonFacts, StorageError>;
    /// The region's active people who are not certified for `period` (by the rules of
    /// `service::status::decide`), at most `limit`, after the cursor `after` (a page's
    /// `next`). Answered from indexes (roster by region, records by person and period)
    /// without opening records; only the page's names and ID numbers are opened.
    fn not_certified_in_region(
        &self,
        region: &str,
        period: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<UncertifiedPage, StorageError>;

    // --- reference photos ----------------------------------------------------------

    /// Adds a version of a person's reference photo (with its embedding, when
    /// computed) and makes it the current one; older versions are kept. The same
    /// version name with the same photo again changes nothing (or restores it as the
    /// current one); with another photo it is `ReferenceVersionTaken`.
    fn add_reference(
        &self,
        id_number: &str,
        reference: &Reference,
        embedding: Option<&Embedding>,
    ) -> Result<ReferenceAdded, StorageError>;
    /// Sets the embedding of one version (computed later, or again with another
    /// model); `false` when the person has no such version.
    fn set_reference_embedding(
        &self,
        id_number: &str,
        version: &str,
        embedding: &Embedding,
    ) -> Result<bool, StorageError>;
    fn current_reference(&self, id_number: &str) -> Result<Option<CurrentReference>, StorageError>;
    /// Every version, oldest first.
    fn reference_versions(
        &self,
        id_number: &str,
    ) -> Result<Vec<ReferenceVersionInfo>, StorageError>;
    /// Current reference embeddings of the region's *active* roster, by ID number:
    /// what an offline cache bundle for that region's kiosks is built from. People
    /// whose current version has no embedding are left out.
    fn current_embeddings_in_region(
        &self,
        region: &str,
    ) -> Result<Vec<RegionEmbedding>, StorageError>;
    /// Appends to the reference-read log (the ID number is kept masked and keyed-hashed,
    /// never in the clear).
    fn log_reference_read(
        &self,
        kiosk_id: &str,
        id_number: &str,
        result: ReadResult,
    ) -> Result<(), StorageError>;
    /// The log, newest first, at most `limit`: of one person, or of everyone.
    fn reference_reads(
        &self,
        id_number: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ReferenceRead>, StorageError>;

    // --- offline cache bundles ------------------------------------------------------

    /// The bundle last published for `region`, if any.
    fn bundle_publication(&self, region: &str) -> Result<Option<BundlePublication>, StorageError>;
    /// Records (or replaces) the bundle published for `p.region`.
    fn set_bundle_publication(&self, p: &BundlePublication) -> Result<(), StorageError>;

    // --- the back office (`/admin/…`) ---------------------------------------------

    /// Adds a staff account; `StaffExists` if the name is taken.
    fn add_staff(&self, account: &StaffAccount) -> Result<(), StorageError>;
    fn staff(&self, name: &str) -> Result<Option<StaffAccount>, StorageError>;
    /// Sets an account's failed-login count and lockout end.
    fn set_staff_lockout(
        &self,
        name: &str,
        failed_logins: u32,
        locked_until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StorageError>;
    fn append_audit(&self, event: &AuditEvent) -> Result<(), StorageError>;
    /// The audit log, newest first, at most `limit`.
    fn audit_events(&self, limit: usize) -> Result<Vec<AuditEvent>, StorageError>;
    /// The roster (of one region, or all), by region.
    fn roster(&self, region: Option<&str>) -> Result<Vec<RosterEntry>, StorageError>;
    /// Everyone on the roster (of one region, or all) with their facts for `period`
    /// and the site of their latest record in it: `person_facts` for all at once.
    fn period_people(
        &self,
        period: &str,
        region: Option<&str>,
    ) -> Result<Vec<PersonPeriod>, StorageError>;
    /// Every received record of a period (any outcome), by end time.
    fn period_records(&self, period: &str) -> Result<Vec<PeriodRecord>, StorageError>;
    /// Every received record of one person, all periods, by end time.
    fn person_records(&self, id_number: &str) -> Result<Vec<PeriodRecord>, StorageError>;
    /// Stores (or replaces) the review decision on a record; `NoSuchRecord` if unknown.
    fn set_review_decision(&self, d: &ReviewDecision) -> Result<(), StorageError>;
    /// Decisions on the records of one person and period.
    fn review_decisions(
        &self,
        id_number: &str,
        period: &str,
    ) -> Result<Vec<ReviewDecision>, StorageError>;
    /// Decisions on the records of a period, everyone's.
    fn period_review_decisions(&self, period: &str) -> Result<Vec<ReviewDecision>, StorageError>;
    /// Stores a kiosk's heartbeat (the last one replaces the one before).
    fn set_heartbeat(&self, h: &KioskHeartbeat) -> Result<(), StorageError>;
    fn heartbeats(&self) -> Result<Vec<KioskHeartbeat>, StorageError>;

    // --- conveniences over the above ----------------------------------------------

    /// `add_reference` without an embedding (`certpoint-agency reference add`).
    fn put_reference(
        &self,
        id_number: &str,
        reference: &Reference,
    ) -> Result<ReferenceAdded, StorageError> {
        self.add_reference(id_number, reference, None)
    }

    /// The current reference photo, as served to kiosks.
    fn reference(&self, id_number: &str) -> Result<Option<Reference>, StorageError> {
        Ok(self.current_reference(id_number)?.map(|c| c.reference))
    }

    /// A kiosk's status lookup: the kiosk `token_sha256` belongs to (`None`: no kiosk
    /// has it, and nothing else is read), with `person_facts` and the reviewers'
    /// verdicts of the person and period. The SQL backends answer it in one statement
    /// (`storage::lookup`), so the token is as fresh as the facts.
    fn kiosk_lookup(
        &self,
        token_sha256: &str,
        id_number: &str,
        period: &str,
    ) -> Result<Option<KioskLookup>, StorageError> {
        let Some(kiosk) = self.kiosk_by_token(token_sha256)? else {
            return Ok(None);
        };
        let facts = self.person_facts(id_number, period)?;
        let verdicts = self
            .review_decisions(id_number, period)?
            .into_iter()
            .map(|d| (d.record_id, d.verdict))
            .collect();
        Ok(Some(KioskLookup {
            kiosk,
            facts,
            verdicts,
        }))
    }
}

/// A kiosk's gap report from its distinct sequence numbers (sorted) and its count of
/// received records.
pub fn gap_report(kiosk_id: &str, seqs: &[u64], received: u64) -> GapReport {
    GapReport {
        kiosk_id: kiosk_id.to_owned(),
        received,
        max_seq: seqs.last().copied().unwrap_or(0),
        missing: missing_ranges(seqs),
    }
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

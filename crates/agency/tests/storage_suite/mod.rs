//! The storage test suite: what every [`Storage`] backend must do, written once.
//!
//! A backend's test file includes this module and names a factory that makes an
//! empty store:
//!
//! ```ignore
//! mod storage_suite;
//! fn sqlite() -> storage_suite::Subject { ... }
//! storage_suite::cases!(sqlite);
//! ```
//!
//! `cases!` expands to one `#[test]` per case, each on a fresh store, so a failure
//! names the rule that broke. The SQLite backend runs it in `tests/storage_sqlite.rs`;
//! a PostgreSQL backend runs the same cases against a throwaway cluster.

// Each test binary that includes the suite uses part of it.
#![allow(dead_code, unused_imports)]

mod assistance;
mod matching;
mod office;
mod people;
mod records;
mod references;
mod regions;
mod scale;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use certpoint_agency::storage::{NewCertification, RecordIndex, RosterEntry, RosterStatus};
use certpoint_agency::{Kiosk, Storage};
use certpoint_protocol::{
    canonical_json, CertificationRecord, FaceMatch, Method, Outcome, ReferenceSource,
};

pub use assistance::*;
pub use matching::*;
pub use office::*;
pub use people::*;
pub use records::*;
pub use references::*;
pub use regions::*;
pub use scale::*;

/// An empty store and whatever keeps it alive (a temporary directory, a database).
pub struct Subject {
    pub storage: Box<dyn Storage>,
    pub guard: Box<dyn std::any::Any>,
}

/// One `#[test]` per case, each on `$factory()`'s fresh store.
#[macro_export]
macro_rules! cases {
    ($factory:path) => {
        $crate::cases!(@each $factory;
            kiosks_and_auditors,
            kiosk_regions,
            records_are_idempotent,
            concurrent_inserts_store_a_record_once,
            records_keep_photos_and_gaps,
            roster_import_upserts,
            roster_import_is_all_or_nothing_per_call,
            self_certifications_need_the_roster,
            self_certifications_upsert,
            person_facts_come_from_the_index_columns,
            person_facts_join_the_servers_match,
            references_keep_their_history,
            reference_versions_are_names_for_one_photo,
            reference_embeddings,
            region_embeddings_list_the_active_roster,
            records_awaiting_match,
            match_results,
            bundle_publications,
            reference_reads_are_logged_masked,
            staff_accounts_and_lockout,
            audit_log_is_kept_newest_first,
            roster_and_records_are_listed,
            review_decisions_are_kept_per_record,
            heartbeats_keep_the_latest,
            period_people_equal_person_facts_one_by_one,
            assistance_serials_are_stored_beside_the_record,
            an_assistance_serial_belongs_to_one_record,
            person_facts_name_the_assistance_channel,
            not_certified_in_region_follows_the_status_rules,
            kiosk_lookup_equals_the_separate_reads,
            roster_import_in_batches_is_one_transaction,
            photo_sweep_takes_only_old_unreferenced_blobs,
        );
    };
    (@each $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let subject = $factory();
                storage_suite::$case(subject.storage.as_ref());
            }
        )*
    };
}
pub use cases;

pub const ID_A: &str = "11010519491231002X";
pub const ID_B: &str = "310115196002291236";
pub const ID_C: &str = "110101200002290026";

pub fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

pub fn kiosk(id: &str, region: Option<&str>) -> Kiosk {
    Kiosk {
        kiosk_id: id.into(),
        public_key: format!("key-of-{id}"),
        region: region.map(str::to_owned),
    }
}

pub fn person(id: &str, name: &str, region: &str, status: RosterStatus) -> RosterEntry {
    RosterEntry {
        id_number: id.into(),
        name: name.into(),
        region: region.into(),
        status,
    }
}

/// A valid record (schema 2) of `id` for period 2026.
pub fn record(
    kiosk: &str,
    seq: u64,
    id: &str,
    outcome: Outcome,
    ended_at: &str,
) -> CertificationRecord {
    let face_match = match outcome {
        Outcome::Passed => FaceMatch::Scored {
            score: 0.7,
            threshold: 0.4,
            reference_version: "v1".into(),
            source: Some(ReferenceSource::Server),
        },
        Outcome::PendingMatch => FaceMatch::PendingMatch,
        _ => FaceMatch::NotRun,
    };
    let record = CertificationRecord {
        schema_version: certpoint_protocol::RECORD_SCHEMA_VERSION,
        record_id: uuid::Uuid::now_v7(),
        seq,
        kiosk_id: kiosk.into(),
        site_code: "110105".into(),
        id_number: id.into(),
        period: "2026".into(),
        started_at: t(ended_at),
        ended_at: t(ended_at),
        outcome,
        reason: (outcome != Outcome::Passed).then(|| "no_reference".into()),
        method: match outcome {
            Outcome::ManualPassed => Method::ClerkManual {
                clerk_id: "C01".into(),
                reason: "card checked".into(),
            },
            _ => Method::FaceAuto,
        },
        attempt: 1,
        challenges: vec![],
        passive_liveness: None,
        face_match,
        quality: None,
        photo: None,
        models: BTreeMap::new(),
        app_version: "0.1.0".into(),
        id_source: None,
        excluded_actions: Vec::new(),
        depth_check: None,
        screen_flash: None,
    };
    record.validate().expect("the suite builds valid records");
    record
}

/// Stores `r` (with `photo` as its face crop, if any) from its kiosk; returns its id.
pub fn store(s: &dyn Storage, r: &CertificationRecord, photo: Option<&[u8]>) -> String {
    let body = canonical_json(r).unwrap();
    let id = r.record_id.to_string();
    let sha = photo.map(certpoint_agency::parse::hex_sha256);
    s.insert_certification(&NewCertification {
        record_id: &id,
        kiosk_id: &r.kiosk_id,
        seq: r.seq,
        body: &body,
        signature: "sig",
        photo: photo.map(|p| ("image/jpeg", sha.as_deref().unwrap(), p)),
        index: RecordIndex::of(r),
    })
    .unwrap();
    id
}

/// Registers kiosk `id` (records must come from a registered kiosk).
pub fn registered(s: &dyn Storage, id: &str) {
    s.add_kiosk(&kiosk(id, Some("110105")), &format!("token-sha-of-{id}"))
        .unwrap();
}

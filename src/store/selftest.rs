//! Synthetic records for the durability self-test and the enqueue benchmark.
//!
//! They go only into throw-away store files named on the command line, never into the
//! kiosk's own store: a synthetic record that reached the agency server would be a false
//! certification. Each carries reason `selftest` so one found anywhere is recognisable.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use certpoint_protocol::{CertificationRecord, FaceMatch, Method, Outcome, RECORD_SCHEMA_VERSION};
use chrono::Local;
use uuid::Uuid;

use super::Store;

/// A well-formed record for `kiosk_id` with the sample ID number of GB 11643's annex.
pub fn synthetic_record(kiosk_id: &str, attempt: u32) -> CertificationRecord {
    let now = Local::now().fixed_offset();
    CertificationRecord {
        schema_version: RECORD_SCHEMA_VERSION,
        record_id: Uuid::now_v7(),
        seq: 0,
        kiosk_id: kiosk_id.to_owned(),
        site_code: "110105".to_owned(),
        id_number: "11010519491231002X".to_owned(),
        period: now.format("%Y").to_string(),
        started_at: now,
        ended_at: now,
        outcome: Outcome::Abandoned,
        reason: Some("selftest".to_owned()),
        method: Method::FaceAuto,
        attempt,
        challenges: Vec::new(),
        passive_liveness: None,
        face_match: FaceMatch::NotRun,
        quality: None,
        photo: None,
        models: BTreeMap::new(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        id_source: None,
        excluded_actions: Vec::new(),
        depth_check: None,
        screen_flash: None,
    }
}

/// Deterministic pseudo-random bytes standing in for a JPEG face crop: every byte
/// depends on `n`, so a torn or swapped photo shows up as a hash mismatch.
pub fn synthetic_photo(n: u64, len: usize) -> Vec<u8> {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Writes `count` synthetic records with photos to the store at `db`, printing
/// `READY` once the store is open, then `ACK <seq> <record_id> <photo_sha256>` after
/// each record is durable. A test kills this
/// process at random moments and checks that every acknowledged record survived whole.
pub fn write_acknowledged(db: &Path, count: u64, out: &mut impl Write) -> anyhow::Result<()> {
    let mut store = Store::open(db)?;
    // Tells the test the store is open, so its kill lands in the write loop however
    // slowly the process started.
    writeln!(out, "READY")?;
    out.flush()?;
    for i in 0..count {
        let photo = synthetic_photo(
            i ^ std::process::id() as u64,
            2_000 + (i as usize * 997) % 30_000,
        );
        let done = store.enqueue(synthetic_record("SELFTEST", 1), Some(&photo))?;
        writeln!(
            out,
            "ACK {} {} {}",
            done.seq,
            done.record_id,
            super::outbox::hex_sha256(&photo)
        )?;
        out.flush()?;
    }
    Ok(())
}

//! Throwaway kiosks and the records they send.
//!
//! A [`Fleet`] registers `n` kiosks (`bench-<run>-<i>`, a fresh Ed25519 key and token
//! each, region `bench`) and can make any of their records again on demand:
//! [`Fleet::record`] is a pure function of the kiosk's seed and `seq`, so the ingest
//! bench, its verification and the crash test's "resend everything" all see the same
//! bytes without holding thousands of 30 KB photos in memory.
//!
//! Each record is what a kiosk writes for a live face matched offline: outcome
//! `passed`, `face_match` scored against a `kiosk_cache` reference, so the server stores
//! it without queueing it for its own face matcher (which would measure the model, not
//! the ingest path). The photo is JPEG-like: the JFIF header and trailer around random
//! bytes, as incompressible as a real crop; the server stores it, it never decodes a
//! `passed` record's photo.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, Utc};

use certpoint_protocol::ed25519_dalek::SigningKey;
use certpoint_protocol::{
    canonical_json, encode_submission, public_key_b64, sign_body, Action, CertificationRecord,
    ChallengeResult, FaceMatch, Method, Outcome, PhotoRef, Quality, ReferenceSource, Scored,
    RECORD_SCHEMA_VERSION,
};

use super::stats::SplitMix;
use super::{hex, os_random, BenchError};
use crate::parse::hex_sha256;
use crate::service::kiosks::add_kiosk;
use crate::storage::Storage;

/// The region the bench kiosks are registered for (no roster person is in it).
pub const BENCH_REGION: &str = "bench";

/// What the records look like.
#[derive(Debug, Clone)]
pub struct RecordSpec {
    /// Size of each record's photo in bytes (about 30 KB, as a kiosk's face crop).
    pub photo_bytes: usize,
    /// The certification period written into the records.
    pub period: String,
}

impl Default for RecordSpec {
    fn default() -> Self {
        RecordSpec {
            photo_bytes: 30 * 1024,
            period: Utc::now().format("%Y").to_string(),
        }
    }
}

/// One registered bench kiosk.
pub struct BenchKiosk {
    pub kiosk_id: String,
    /// `Bearer <token>`.
    pub(super) auth_header: String,
    key: SigningKey,
    seed: u64,
    /// Records this kiosk sends: `seq` 1 to `records`.
    pub records: u64,
}

/// The kiosks of one bench run.
pub struct Fleet {
    pub run_id: String,
    pub kiosks: Vec<BenchKiosk>,
    spec: RecordSpec,
    /// Start of the run: record times and UUIDv7 timestamps count from it.
    started: DateTime<FixedOffset>,
}

/// One record ready to send, and what verification compares.
pub struct PreparedRecord {
    pub record_id: String,
    pub seq: u64,
    /// The canonical JSON the signature covers.
    pub body: String,
    pub photo: Vec<u8>,
    /// The `POST /v1/certifications` body.
    pub envelope: String,
}

impl Fleet {
    /// Registers `kiosks` new kiosks in `storage` and shares `records` among them (the
    /// first kiosks get one more when it does not divide evenly).
    pub fn register(
        storage: &dyn Storage,
        kiosks: usize,
        records: u64,
        spec: RecordSpec,
    ) -> Result<Fleet, BenchError> {
        if kiosks == 0 {
            return Err(BenchError::Invalid("--kiosks must be at least 1".into()));
        }
        if spec.photo_bytes < 64 || spec.photo_bytes > certpoint_protocol::MAX_PHOTO_BYTES {
            return Err(BenchError::Invalid(format!(
                "the photo size must be 64 to {} bytes",
                certpoint_protocol::MAX_PHOTO_BYTES
            )));
        }
        let run_id = hex(&os_random::<4>()?);
        let started = Utc::now().fixed_offset();
        let mut fleet = Vec::with_capacity(kiosks);
        for i in 0..kiosks {
            let key = SigningKey::from_bytes(&os_random::<32>()?);
            let token = hex(&os_random::<32>()?);
            let kiosk_id = format!("bench-{run_id}-{i:04}");
            add_kiosk(
                storage,
                &kiosk_id,
                &public_key_b64(&key),
                &token,
                BENCH_REGION,
            )?;
            let share = records / kiosks as u64 + u64::from((i as u64) < records % kiosks as u64);
            fleet.push(BenchKiosk {
                kiosk_id,
                auth_header: format!("Bearer {token}"),
                key,
                seed: u64::from_le_bytes(os_random::<8>()?),
                records: share,
            });
        }
        Ok(Fleet {
            run_id,
            kiosks: fleet,
            spec,
            started,
        })
    }

    pub fn total_records(&self) -> u64 {
        self.kiosks.iter().map(|k| k.records).sum()
    }

    /// Record `seq` (1-based) of kiosk `kiosk`, always the same bytes.
    pub fn record(&self, kiosk: usize, seq: u64) -> PreparedRecord {
        let k = &self.kiosks[kiosk];
        let mut rng = SplitMix::new(k.seed ^ seq.wrapping_mul(0xA076_1D64_78BD_642F));
        let photo = jpeg_like(&mut rng, self.spec.photo_bytes);
        // A kiosk's records are minutes apart; UUIDv7 ids are time-ordered like its own.
        let started = self.started + ChronoDuration::seconds(seq as i64 * 120);
        let ended = started + ChronoDuration::seconds(40 + rng.below(60) as i64);
        let millis = u64::try_from(started.timestamp_millis()).unwrap_or(0);
        let mut random = [0u8; 10];
        rng.fill(&mut random);
        let record_id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
        let record = CertificationRecord {
            schema_version: RECORD_SCHEMA_VERSION,
            record_id,
            seq,
            kiosk_id: k.kiosk_id.clone(),
            site_code: "110105".into(),
            id_number: id_number(&mut rng),
            period: self.spec.period.clone(),
            started_at: started,
            ended_at: ended,
            outcome: Outcome::Passed,
            reason: None,
            method: Method::FaceAuto,
            attempt: 1,
            challenges: vec![
                challenge(&mut rng, Action::Blink),
                challenge(&mut rng, Action::TurnLeft),
                challenge(&mut rng, Action::LookUp),
            ],
            passive_liveness: Some(Scored {
                score: 0.80 + (rng.unit() as f32) * 0.19,
                threshold: 0.5,
            }),
            face_match: FaceMatch::Scored {
                score: 0.55 + (rng.unit() as f32) * 0.3,
                threshold: certpoint_face::DEFAULT_MATCH_THRESHOLD,
                reference_version: "bench-1".into(),
                source: Some(ReferenceSource::KioskCache),
            },
            quality: Some(Quality {
                brightness: 110.0 + (rng.unit() as f32) * 40.0,
                sharpness: 300.0 + (rng.unit() as f32) * 500.0,
                face_size: 0.3,
            }),
            photo: Some(PhotoRef {
                media_type: "image/jpeg".into(),
                bytes: photo.len() as u64,
                sha256: hex_sha256(&photo),
            }),
            models: BTreeMap::new(),
            app_version: concat!("certpoint-agency-bench/", env!("CARGO_PKG_VERSION")).into(),
            id_source: Some(certpoint_protocol::IdSource::Scanner),
            excluded_actions: Vec::new(),
            depth_check: None,
            screen_flash: None,
        };
        let body = canonical_json(&record).expect("a record of plain fields serialises");
        let envelope = encode_submission(&body, &sign_body(&k.key, &body), Some(&photo));
        PreparedRecord {
            record_id: record_id.to_string(),
            seq,
            body,
            photo,
            envelope,
        }
    }
}

fn challenge(rng: &mut SplitMix, action: Action) -> ChallengeResult {
    ChallengeResult {
        action,
        passed: true,
        duration_ms: 1200 + rng.below(3000),
    }
}

/// A valid 18-character ID number (region 110105, born 1930–1964): the server checks
/// only the shape, but a record should look like what a kiosk sends.
fn id_number(rng: &mut SplitMix) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(1930, 1, 1).expect("a real date")
        + ChronoDuration::days(rng.below(35 * 365) as i64);
    let first17 = format!("110105{}{:03}", day.format("%Y%m%d"), rng.below(1000));
    let check = certpoint_protocol::id_number::check_char(&first17);
    format!("{first17}{check}")
}

/// `len` bytes shaped like a baseline JPEG: SOI and a JFIF APP0 segment, entropy-coded
/// looking noise, EOI.
fn jpeg_like(rng: &mut SplitMix, len: usize) -> Vec<u8> {
    const HEAD: [u8; 20] = [
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00,
    ];
    let mut out = vec![0u8; len];
    out[..HEAD.len()].copy_from_slice(&HEAD);
    rng.fill(&mut out[HEAD.len()..len - 2]);
    out[len - 2..].copy_from_slice(&[0xFF, 0xD9]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStorage;

    #[test]
    fn records_are_valid_signed_and_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open_in(dir.path()).unwrap();
        let fleet = Fleet::register(&storage, 3, 7, RecordSpec::default()).unwrap();
        assert_eq!(
            fleet.kiosks.iter().map(|k| k.records).collect::<Vec<_>>(),
            [3, 2, 2]
        );
        assert_eq!(storage.kiosks().unwrap().len(), 3);
        let a = fleet.record(1, 2);
        let b = fleet.record(1, 2);
        assert_eq!(a.envelope, b.envelope);
        assert_ne!(a.record_id, fleet.record(1, 1).record_id);
        assert_eq!(a.photo.len(), 30 * 1024);
        assert_eq!(&a.photo[..4], &[0xFF, 0xD8, 0xFF, 0xE0]);
        // What the server will do with it: parse, validate, verify the signature.
        let sub = crate::parse::parse_submission(a.envelope.as_bytes()).unwrap();
        assert_eq!(sub.body, a.body);
        assert_eq!(sub.record.outcome, Outcome::Passed);
        assert!(sub.record.face_match.matched());
        let kiosk = &storage.kiosks().unwrap()[1];
        let public = certpoint_protocol::parse_public_key(&kiosk.public_key).unwrap();
        certpoint_protocol::verify_body(&public, &sub.body, &sub.signature).unwrap();
        certpoint_protocol::id_number::IdNumber::parse(&sub.record.id_number).unwrap();
    }
}

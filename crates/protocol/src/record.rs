//! The certification record: what one ended attempt at a kiosk says happened.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    ManualPassed,
    Abandoned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::ManualPassed => "manual_passed",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// Who decided the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// The kiosk's own face and liveness checks.
    FaceAuto,
    /// A clerk checked the physical ID card and vouched for the person.
    ClerkManual { clerk_id: String, reason: String },
}

/// One active-liveness action asked of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Blink,
    TurnLeft,
    TurnRight,
    LookUp,
    OpenMouth,
    Nod,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Blink,
        Action::TurnLeft,
        Action::TurnRight,
        Action::LookUp,
        Action::OpenMouth,
        Action::Nod,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Blink => "blink",
            Action::TurnLeft => "turn_left",
            Action::TurnRight => "turn_right",
            Action::LookUp => "look_up",
            Action::OpenMouth => "open_mouth",
            Action::Nod => "nod",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one challenge in the attempt, in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeResult {
    pub action: Action,
    pub passed: bool,
    pub duration_ms: u64,
}

/// A measured score next to the threshold it was judged against, so an auditor sees
/// both the figure and the rule in force at the time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scored {
    pub score: f32,
    pub threshold: f32,
}

/// The face comparison with the reference photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaceMatch {
    /// Compared on the kiosk.
    Scored {
        score: f32,
        threshold: f32,
        reference_version: String,
    },
    /// The kiosk was offline (or the server had no reference at the time): the server
    /// compares the stored face crop when the record arrives.
    PendingServerMatch,
    /// The attempt ended before a comparison could run.
    NotRun,
}

/// Image quality figures of the frame the match used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quality {
    /// Mean luma of the face region, 0–255.
    pub brightness: f32,
    /// Variance of the Laplacian over the face region.
    pub sharpness: f32,
    /// Face width as a fraction of the frame width.
    pub face_size: f32,
}

/// Describes the face crop stored beside the record (the bytes travel separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoRef {
    pub media_type: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One ended certification attempt. Field names are the wire names.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationRecord {
    pub schema_version: u32,
    /// UUIDv7; doubles as the idempotency key on the server.
    pub record_id: Uuid,
    /// Per-kiosk monotonic sequence number, so the server can see gaps.
    pub seq: u64,
    pub kiosk_id: String,
    pub site_code: String,
    /// The full, validated 18-character ID number. Never log it: `Debug` masks it.
    pub id_number: String,
    /// Certification period the attempt counts for, e.g. "2026".
    pub period: String,
    pub started_at: DateTime<FixedOffset>,
    pub ended_at: DateTime<FixedOffset>,
    pub outcome: Outcome,
    /// Machine-readable reason for anything but a pass, e.g. `challenge_timeout`.
    pub reason: Option<String>,
    pub method: Method,
    /// 1 for the first attempt of a session, counting up on retries.
    pub attempt: u32,
    pub challenges: Vec<ChallengeResult>,
    pub passive_liveness: Option<Scored>,
    pub face_match: FaceMatch,
    pub quality: Option<Quality>,
    pub photo: Option<PhotoRef>,
    /// Model name → sha256 of the model file used.
    pub models: BTreeMap<String, String>,
    pub app_version: String,
}

impl fmt::Debug for CertificationRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificationRecord")
            .field("record_id", &self.record_id)
            .field("seq", &self.seq)
            .field("kiosk_id", &self.kiosk_id)
            .field("id_number", &crate::mask_id_number(&self.id_number))
            .field("outcome", &self.outcome)
            .field("reason", &self.reason)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_full_id_number() {
        let r = sample();
        let shown = format!("{r:?}");
        assert!(!shown.contains("11010519491231002X"), "{shown}");
        assert!(shown.contains("1101**********002X"));
    }

    #[test]
    fn round_trips_through_canonical_json() {
        let r = sample();
        let text = crate::canonical_json(&r).unwrap();
        let back: CertificationRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        assert!(text.contains(
            r#""method":{"clerk_id":"C01","kind":"clerk_manual","reason":"card checked"}"#
        ));
    }

    fn sample() -> CertificationRecord {
        let t = DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap();
        CertificationRecord {
            schema_version: crate::RECORD_SCHEMA_VERSION,
            record_id: Uuid::now_v7(),
            seq: 7,
            kiosk_id: "K1".into(),
            site_code: "110105".into(),
            id_number: "11010519491231002X".into(),
            period: "2026".into(),
            started_at: t,
            ended_at: t,
            outcome: Outcome::ManualPassed,
            reason: Some("face_match_below_threshold".into()),
            method: Method::ClerkManual {
                clerk_id: "C01".into(),
                reason: "card checked".into(),
            },
            attempt: 2,
            challenges: vec![ChallengeResult {
                action: Action::Blink,
                passed: true,
                duration_ms: 1500,
            }],
            passive_liveness: Some(Scored {
                score: 0.9,
                threshold: 0.5,
            }),
            face_match: FaceMatch::PendingServerMatch,
            quality: None,
            photo: None,
            models: BTreeMap::new(),
            app_version: "0.1.0".into(),
        }
    }
}

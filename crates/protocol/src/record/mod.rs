//! The certification record: what one ended attempt at a kiosk says happened.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::assistance::Relation;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Live (active and passive liveness passed) *and* matched: a face match scored at
    /// or above the threshold against a reference whose source is recorded.
    Passed,
    Failed,
    /// Live, but no reference could be scored (none enrolled, server unreachable and
    /// nothing in the kiosk's cache): identity is not proven; the agency matches the
    /// face crop when a reference exists. Never a pass. (schema_version 2)
    PendingMatch,
    ManualPassed,
    Abandoned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::PendingMatch => "pending_match",
            Outcome::ManualPassed => "manual_passed",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// Who decided the outcome.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// The kiosk's own face and liveness checks.
    FaceAuto,
    /// A clerk checked the physical ID card and vouched for the person.
    ClerkManual { clerk_id: String, reason: String },
    /// A Certificate of Assistance: the retiree is bedridden, a relative came, and the
    /// clerk checked the relative's ID card and vouches (see [`crate::assistance`]).
    /// Always outcome `manual_passed` with face_match `not_run`; the agency counts it
    /// as channel `assistance`. Not a face pass: no face is compared at all.
    Assistance {
        clerk_id: String,
        /// The certificate's serial, unique per kiosk ([`crate::assistance_serial`]).
        serial: String,
        /// The random code printed on the certificate ([`crate::CODE_ALPHABET`]);
        /// `GET /v1/assistance/{serial}` needs it, so serials cannot be enumerated.
        verification_code: String,
        relation: Relation,
        /// The relative's validated 18-character ID number. `Debug` masks it.
        relative_id_number: String,
        relative_name: String,
        reason: String,
    },
}

impl Method {
    /// The clerk who vouched, if one did.
    pub fn clerk_id(&self) -> Option<&str> {
        match self {
            Method::FaceAuto => None,
            Method::ClerkManual { clerk_id, .. } | Method::Assistance { clerk_id, .. } => {
                Some(clerk_id)
            }
        }
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::FaceAuto => f.write_str("FaceAuto"),
            Method::ClerkManual { clerk_id, reason } => f
                .debug_struct("ClerkManual")
                .field("clerk_id", clerk_id)
                .field("reason", reason)
                .finish(),
            Method::Assistance {
                clerk_id,
                serial,
                relation,
                relative_id_number,
                ..
            } => f
                .debug_struct("Assistance")
                .field("clerk_id", clerk_id)
                .field("serial", serial)
                .field("relation", relation)
                .field(
                    "relative_id_number",
                    &crate::mask_id_number(relative_id_number),
                )
                .finish_non_exhaustive(),
        }
    }
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

/// The 3-D check during head turns (issue 15 §2): how far the nose tip left the
/// positions a flat or bent picture would give it (`residual`, in face widths, the
/// median over the `frames` turned frames), the threshold in force, and the largest
/// yaw change measured from the frontal frame (`yaw_span_deg`, the kiosk's pose
/// proxy). Below the threshold the face turned like a picture.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepthCheck {
    pub residual: f32,
    pub threshold: f32,
    pub yaw_span_deg: f32,
    pub frames: u32,
}

/// Where the reference a face was compared with came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceSource {
    /// The agency's enrolled photo, fetched for this session.
    Server,
    /// The kiosk's signed, sealed bundle of reference embeddings (offline).
    KioskCache,
    /// The photo on the ID card's chip.
    IdCardChip,
}

impl ReferenceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceSource::Server => "server",
            ReferenceSource::KioskCache => "kiosk_cache",
            ReferenceSource::IdCardChip => "id_card_chip",
        }
    }
}

/// Where the kiosk got the ID number from (additive, optional: absent in records of
/// kiosks that did not say, and then serialised exactly as before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdSource {
    /// Read off the ID card's chip by a GA 467 card reader.
    CardReader,
    /// A keyboard-wedge scanner typed it (a burst too fast for a hand).
    Scanner,
    /// The clerk typed it.
    Typed,
}

impl IdSource {
    pub const ALL: [IdSource; 3] = [IdSource::CardReader, IdSource::Scanner, IdSource::Typed];

    pub fn as_str(self) -> &'static str {
        match self {
            IdSource::CardReader => "card_reader",
            IdSource::Scanner => "scanner",
            IdSource::Typed => "typed",
        }
    }
}

/// Why the clerk took an action out of a person's challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// The person cannot turn or tilt the head (no turns, look up or nod).
    StiffNeck,
    /// An eye condition (drooping lids, a glass eye, …): no blink.
    EyeCondition,
}

impl ExclusionReason {
    pub const ALL: [ExclusionReason; 2] =
        [ExclusionReason::StiffNeck, ExclusionReason::EyeCondition];

    pub fn as_str(self) -> &'static str {
        match self {
            ExclusionReason::StiffNeck => "stiff_neck",
            ExclusionReason::EyeCondition => "eye_condition",
        }
    }
}

/// One action the clerk excluded for this person, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludedAction {
    pub action: Action,
    pub reason: ExclusionReason,
}

/// The face comparison with the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaceMatch {
    /// Compared on the kiosk.
    Scored {
        score: f32,
        threshold: f32,
        reference_version: String,
        /// Required from schema_version 2 (`validate`); v1 records did not say (their
        /// references all came from the server).
        #[serde(default)]
        source: Option<ReferenceSource>,
    },
    /// No scorable reference at the kiosk: the agency compares the stored face crop
    /// when it has a reference. v1 called this `pending_server_match`.
    #[serde(alias = "pending_server_match")]
    PendingMatch,
    /// The attempt ended before a comparison could run.
    NotRun,
}

impl FaceMatch {
    /// A score at or above its threshold against a known reference.
    pub fn matched(&self) -> bool {
        matches!(self, FaceMatch::Scored { score, threshold, .. } if score.is_finite() && score >= threshold)
    }
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
    /// Where the ID number came from. Optional and additive (still schema 2): absent,
    /// it is not serialised, so older records keep their canonical bytes and signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_source: Option<IdSource>,
    /// Actions the clerk took out of this person's challenges, and why. Additive like
    /// `id_source`: empty is not serialised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_actions: Vec<ExcludedAction>,
    /// The 3-D check during head turns, when one ran. Additive like `id_source`:
    /// absent, it is not serialised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_check: Option<DepthCheck>,
    /// The screen-flash check, when it ran (issue 15 §3). Additive like `id_source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_flash: Option<crate::ScreenFlash>,
}

/// Why a record breaks a rule of its schema version that serde cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordRuleError {
    #[error("schema_version {0} is not supported (this side reads 1 and 2)")]
    UnsupportedVersion(u32),
    #[error(
        "face_match.source is required from schema_version 2 (server, kiosk_cache or id_card_chip)"
    )]
    MissingSource,
    #[error("outcome passed needs a face match scored at or above its threshold (no reference, no pass); a live face without one is pending_match")]
    PassWithoutMatch,
    #[error(
        "outcome pending_match needs face_match {{\"status\":\"pending_match\"}} and a reason"
    )]
    PendingMatchShape,
    #[error("outcome pending_match does not exist in schema_version 1")]
    PendingMatchInV1,
    #[error("method assistance needs outcome manual_passed and face_match not_run (a certificate of assistance compares no face), schema_version 2")]
    AssistanceShape,
    #[error("method assistance: {0}")]
    AssistanceField(&'static str),
}

impl CertificationRecord {
    /// The rules of the record's schema version. Version 1 is still read: its
    /// `passed` without a scored match meant "live, server to match", which the
    /// agency now treats as [`Outcome::PendingMatch`] ([`Self::effective_outcome`]).
    pub fn validate(&self) -> Result<(), RecordRuleError> {
        match self.schema_version {
            1 => {
                if self.outcome == Outcome::PendingMatch {
                    return Err(RecordRuleError::PendingMatchInV1);
                }
                Ok(())
            }
            2 => {
                self.validate_assistance()?;
                if let FaceMatch::Scored { source: None, .. } = self.face_match {
                    return Err(RecordRuleError::MissingSource);
                }
                match self.outcome {
                    Outcome::Passed if !self.face_match.matched() => {
                        Err(RecordRuleError::PassWithoutMatch)
                    }
                    Outcome::PendingMatch
                        if self.face_match != FaceMatch::PendingMatch || self.reason.is_none() =>
                    {
                        Err(RecordRuleError::PendingMatchShape)
                    }
                    _ => Ok(()),
                }
            }
            v => Err(RecordRuleError::UnsupportedVersion(v)),
        }
    }

    /// The outcome as the agency counts it: a v1 `passed` whose face was never scored
    /// above the threshold proved liveness only, so it is `pending_match`.
    pub fn effective_outcome(&self) -> Outcome {
        match self.outcome {
            Outcome::Passed if !self.face_match.matched() => Outcome::PendingMatch,
            o => o,
        }
    }
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
pub(crate) mod tests;

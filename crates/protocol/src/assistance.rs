//! The Certificate of Assistance (协助认证证明): a bedridden retiree cannot come to the
//! office, a relative comes instead, and a clerk issues a certificate after checking
//! the relative's ID card and the reason. The kiosk records it as an ordinary record
//! with [`Method::Assistance`](crate::Method::Assistance) and outcome `manual_passed`;
//! the agency counts it as channel `assistance` and answers
//! `GET /v1/assistance/{serial}?code=…` with an [`AssistanceVerification`] so whoever
//! holds the paper can have it checked.
//!
//! No face is involved: "no reference, no pass" is about face outcomes, and this is a
//! clerk vouching, like `clerk_manual`, under the clerk's PIN and name.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::{CertificationRecord, FaceMatch, Method, Outcome, RecordRuleError};

/// The relative's relation to the retiree: a fixed list, so the agency can count and
/// the certificate can print it in Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    ChildInLaw,
    Grandchild,
    Sibling,
    Parent,
    Guardian,
    OtherRelative,
}

impl Relation {
    pub const ALL: [Relation; 8] = [
        Relation::Spouse,
        Relation::Child,
        Relation::ChildInLaw,
        Relation::Grandchild,
        Relation::Sibling,
        Relation::Parent,
        Relation::Guardian,
        Relation::OtherRelative,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::ChildInLaw => "child_in_law",
            Relation::Grandchild => "grandchild",
            Relation::Sibling => "sibling",
            Relation::Parent => "parent",
            Relation::Guardian => "guardian",
            Relation::OtherRelative => "other_relative",
        }
    }

    /// The printed (zh-CN) name.
    pub fn zh(self) -> &'static str {
        match self {
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::ChildInLaw => "儿媳/女婿",
            Relation::Grandchild => "(外)孙子女",
            Relation::Sibling => "兄弟姐妹",
            Relation::Parent => "父母",
            Relation::Guardian => "监护人",
            Relation::OtherRelative => "其他亲属",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest serial accepted (`{site}-{kiosk}-{period}-{n}`; kiosk ids are ≤ 64).
pub const MAX_SERIAL_LEN: usize = 96;
/// Characters of a verification code (Crockford base32, 50 bits).
pub const VERIFICATION_CODE_LEN: usize = 10;
/// The reason a clerk writes, in characters.
pub const MIN_REASON_CHARS: usize = 4;
pub const MAX_REASON_CHARS: usize = 200;
/// The relative's name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// Crockford's base32 alphabet: no I, L, O, U, so a code read off paper is not misread.
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A certificate's serial: `{site_code}-{kiosk_id}-{period}-{n:04}`, unique per kiosk
/// because `n` is the kiosk's own certificate counter.
pub fn assistance_serial(site_code: &str, kiosk_id: &str, period: &str, n: u64) -> String {
    format!("{site_code}-{kiosk_id}-{period}-{n:04}")
}

/// Letters, digits, `-` and `_`, 1 to [`MAX_SERIAL_LEN`]: safe in a URL path and on paper.
pub fn is_serial_shape(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SERIAL_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Exactly [`VERIFICATION_CODE_LEN`] characters of [`CODE_ALPHABET`].
pub fn is_code_shape(s: &str) -> bool {
    s.len() == VERIFICATION_CODE_LEN && s.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

/// A code as printed: `ABCDE-FGHJK`.
pub fn format_code(code: &str) -> String {
    if code.len() == VERIFICATION_CODE_LEN {
        format!("{}-{}", &code[..5], &code[5..])
    } else {
        code.to_owned()
    }
}

/// A code as typed or scanned back: dashes and spaces dropped, upper-cased, and the
/// letters Crockford maps (O→0, I/L→1) folded.
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// Masks a person's name for a verification answer: the first character kept, the
/// rest starred (`张**`), so a holder can compare it with the paper without the agency
/// publishing the name.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// What `GET /v1/assistance/{serial}?code=…` answers for a genuine certificate. ID
/// numbers and the relative's name are masked: the answer confirms a paper, it does
/// not disclose who the people are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistanceVerification {
    pub serial: String,
    /// Always `true` in a 200 answer (an unknown serial or wrong code is 404).
    pub valid: bool,
    pub period: String,
    pub issued_at: DateTime<FixedOffset>,
    pub site_code: String,
    pub kiosk_id: String,
    pub clerk_id: String,
    pub relation: Relation,
    pub pensioner_id_masked: String,
    pub relative_id_masked: String,
    pub relative_name_masked: String,
    /// When the agency received the record.
    pub received_at: String,
}

impl CertificationRecord {
    /// A certificate of assistance is a clerk's manual pass with no face compared,
    /// and its printed fields must be readable and checkable.
    pub(crate) fn validate_assistance(&self) -> Result<(), RecordRuleError> {
        let Method::Assistance {
            clerk_id,
            serial,
            verification_code,
            relative_id_number,
            relative_name,
            reason,
            ..
        } = &self.method
        else {
            return Ok(());
        };
        if self.outcome != Outcome::ManualPassed || self.face_match != FaceMatch::NotRun {
            return Err(RecordRuleError::AssistanceShape);
        }
        let field = |ok: bool, what| {
            if ok {
                Ok(())
            } else {
                Err(RecordRuleError::AssistanceField(what))
            }
        };
        field(
            !clerk_id.trim().is_empty() && clerk_id.len() <= 64,
            "clerk_id must be 1 to 64 characters",
        )?;
        field(
            is_serial_shape(serial),
            "serial must be 1 to 96 letters, digits, - or _",
        )?;
        // The prefix ties a serial to its kiosk and period, so serials of different
        // kiosks can never collide (the agency checks kiosk_id against the token).
        let prefix = format!("{}-{}-{}-", self.site_code, self.kiosk_id, self.period);
        field(
            serial
                .strip_prefix(&prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
            "serial must be {site_code}-{kiosk_id}-{period}-{number}",
        )?;
        field(
            is_code_shape(verification_code),
            "verification_code must be 10 characters of Crockford base32",
        )?;
        field(
            crate::id_number::IdNumber::parse(relative_id_number)
                .is_ok_and(|id| id.as_str() == relative_id_number),
            "relative_id_number must be a valid resident ID number",
        )?;
        field(
            relative_id_number != &self.id_number,
            "relative_id_number must not be the retiree's own",
        )?;
        let name = relative_name.trim().chars().count();
        field(
            (1..=MAX_NAME_CHARS).contains(&name),
            "relative_name must be 1 to 40 characters",
        )?;
        let why = reason.trim().chars().count();
        field(
            (MIN_REASON_CHARS..=MAX_REASON_CHARS).contains(&why),
            "reason must be 4 to 200 characters",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::sample;
    use crate::{FaceMatch, Method, Outcome, RecordRuleError};

    pub(crate) fn assistance_sample() -> CertificationRecord {
        let mut r = sample();
        r.outcome = Outcome::ManualPassed;
        r.reason = None;
        r.face_match = FaceMatch::NotRun;
        r.challenges = vec![];
        r.passive_liveness = None;
        r.method = Method::Assistance {
            clerk_id: "C01".into(),
            serial: "110105-K1-2026-0001".into(),
            verification_code: "ABCDE12345".into(),
            relation: Relation::Child,
            relative_id_number: "310115196002291236".into(),
            relative_name: "张小明".into(),
            reason: "长期卧床，无法到场".into(),
        };
        r
    }

    #[test]
    fn assistance_is_a_manual_pass_without_a_face() {
        let r = assistance_sample();
        assert_eq!(r.validate(), Ok(()));
        let text = crate::canonical_json(&r).unwrap();
        assert!(text.contains(r#""kind":"assistance""#), "{text}");
        assert!(text.contains(r#""relation":"child""#), "{text}");
        let back: CertificationRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        // Debug masks the relative's number as it does the retiree's.
        let shown = format!("{:?}", r.method);
        assert!(!shown.contains("310115196002291236"), "{shown}");
        assert!(shown.contains("3101**********1236"), "{shown}");

        let mut passed = r.clone();
        passed.outcome = Outcome::Passed;
        assert_eq!(passed.validate(), Err(RecordRuleError::AssistanceShape));
        let mut scored = r.clone();
        scored.face_match = FaceMatch::PendingMatch;
        assert_eq!(scored.validate(), Err(RecordRuleError::AssistanceShape));
    }

    #[test]
    fn assistance_fields_are_checked() {
        let with = |f: &dyn Fn(&mut Method)| {
            let mut r = assistance_sample();
            f(&mut r.method);
            r.validate()
        };
        let field = |m: &mut Method| match m {
            Method::Assistance { .. } => {}
            _ => unreachable!(),
        };
        assert_eq!(with(&field), Ok(()));
        macro_rules! set {
            ($name:ident = $value:expr) => {
                with(&|m: &mut Method| {
                    if let Method::Assistance { $name, .. } = m {
                        *$name = $value.into();
                    }
                })
            };
        }
        for (what, result) in [
            ("clerk", set!(clerk_id = " ")),
            ("serial", set!(serial = "a/b")),
            (
                "another kiosk's serial",
                set!(serial = "110105-K2-2026-0001"),
            ),
            (
                "another period's serial",
                set!(serial = "110105-K1-2025-0001"),
            ),
            ("serial without a number", set!(serial = "110105-K1-2026-")),
            ("code", set!(verification_code = "ABCDE1234I")),
            (
                "relative id",
                set!(relative_id_number = "310115196002291235"),
            ),
            ("own id", set!(relative_id_number = "11010519491231002X")),
            (
                "lowercase x",
                set!(relative_id_number = "11010519491231002x"),
            ),
            ("name", set!(relative_name = "")),
            ("reason", set!(reason = "卧床")),
        ] {
            assert!(
                matches!(result, Err(RecordRuleError::AssistanceField(_))),
                "{what}: {result:?}"
            );
        }
    }

    #[test]
    fn relations_round_trip_and_have_chinese_names() {
        for r in Relation::ALL {
            assert_eq!(Relation::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert!(!r.zh().is_ascii());
        }
        assert_eq!(Relation::parse("neighbour"), None);
    }

    #[test]
    fn serial_and_code_shapes() {
        let s = assistance_serial("110105", "K1", "2026", 7);
        assert_eq!(s, "110105-K1-2026-0007");
        assert!(is_serial_shape(&s));
        for bad in ["", "a/b", "x y", "序号", &"9".repeat(MAX_SERIAL_LEN + 1)] {
            assert!(!is_serial_shape(bad), "{bad}");
        }
        assert!(is_code_shape("0123456789"));
        assert!(is_code_shape("ABCDEFGHJK"));
        for bad in ["", "ABCDEFGHJ", "ABCDEFGHJKM", "ABCDEFGHIK", "abcdefghjk"] {
            assert!(!is_code_shape(bad), "{bad}");
        }
        assert_eq!(format_code("ABCDEFGHJK"), "ABCDE-FGHJK");
        assert_eq!(normalise_code("abcde-fghjk"), "ABCDEFGHJK");
        assert_eq!(normalise_code("O1LI0 ZZZZZ"), "01110ZZZZZ");
    }

    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("A"), "A");
        assert_eq!(mask_name(""), "");
    }
}

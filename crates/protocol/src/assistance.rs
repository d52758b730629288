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

#[cfg(test)]
mod tests {
    use super::*;

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

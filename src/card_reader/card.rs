//! The card as the kiosk uses it: the text block's fields interpreted (dates, sex,
//! nation, long-term validity), the ID number checked with [`crate::id_number`] and
//! against the card's own birth date and sex, and masked wherever it is shown.
//!
//! A chip is signed, so a number that fails GB 11643 or disagrees with the card's birth
//! date means a bad read or a card that is not genuine: the read is refused and the
//! clerk told to check the card by eye, rather than a wrong person being certified.

use std::fmt;

use chrono::NaiveDate;
use serde_json::Value;

use super::layout::{CardKind, Field, LayoutError, RawText};
use super::nation;
use crate::id_number::{self, IdError, IdNumber};

/// Sex as the card states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardSex {
    Male,
    Female,
    /// `0` (unknown) or `9` (not stated) on the chip.
    Unstated,
}

impl CardSex {
    pub fn as_str(self) -> &'static str {
        match self {
            CardSex::Male => "male",
            CardSex::Female => "female",
            CardSex::Unstated => "unstated",
        }
    }

    /// The chip's code character.
    pub fn code(self) -> &'static str {
        match self {
            CardSex::Male => "1",
            CardSex::Female => "2",
            CardSex::Unstated => "9",
        }
    }
}

/// The last day of validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidTo {
    Until(NaiveDate),
    /// 长期: cards issued to people over 46 never expire.
    LongTerm,
}

/// How the card writes long-term validity.
pub const LONG_TERM: &str = "长期";

impl fmt::Display for ValidTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidTo::Until(d) => write!(f, "{d}"),
            ValidTo::LongTerm => f.write_str(LONG_TERM),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardDataError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The value is not repeated: it may be personal data.
    #[error("the card's {field} field does not hold {expected}")]
    BadField {
        field: &'static str,
        expected: &'static str,
    },
    #[error("the ID number on the card is not valid ({0}); the read may be garbled or the card not genuine: check the physical card")]
    IdNumber(IdError),
    #[error("the card's birth date does not match the one inside its ID number; the card may not be genuine: check the physical card")]
    BirthDateMismatch,
    #[error("the card's sex does not match the one its ID number gives; the card may not be genuine: check the physical card")]
    SexMismatch,
}

/// One card's data. Debug masks the name and the number; there is no Display.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCard {
    pub kind: CardKind,
    /// The Chinese name (a foreigner's card may have none: then the Latin name).
    pub name: String,
    pub sex: CardSex,
    /// Resident: the two-digit GB/T 3304 code; foreigner: the ISO 3166 three-letter
    /// nationality; permit: none.
    pub nation: Option<String>,
    pub birth_date: NaiveDate,
    /// Empty on a foreigner's card.
    pub address: String,
    number: String,
    id: Option<IdNumber>,
    /// The issuing office (a foreigner's card holds the authority's code).
    pub authority: String,
    pub valid_from: NaiveDate,
    pub valid_to: ValidTo,
    /// Permit: the Mainland travel permit number and how many permits were issued.
    pub pass_number: Option<String>,
    pub issue_count: Option<u32>,
    /// Foreigner: the name in Latin letters and the card version.
    pub latin_name: Option<String>,
    pub version: Option<String>,
}

impl fmt::Debug for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCard")
            .field("kind", &self.kind)
            .field("name", &mask_name(&self.name))
            .field("number", &self.masked_number())
            .field("valid_to", &self.valid_to)
            .finish_non_exhaustive()
    }
}

impl IdCard {
    /// Interprets a decoded text block; `today` bounds the birth date (as in
    /// [`IdNumber::parse_as_of`]).
    pub fn from_text(raw: &RawText, today: NaiveDate) -> Result<IdCard, CardDataError> {
        let date = |field: Field, name: &'static str| {
            parse_date(raw.get(field)).ok_or(CardDataError::BadField {
                field: name,
                expected: "a date (YYYYMMDD)",
            })
        };
        let sex = match raw.get(Field::Sex) {
            "1" => CardSex::Male,
            "2" => CardSex::Female,
            "0" | "9" => CardSex::Unstated,
            _ => {
                return Err(CardDataError::BadField {
                    field: "sex",
                    expected: "1, 2, 0 or 9",
                })
            }
        };
        let valid_to = match raw.get(Field::ValidTo) {
            LONG_TERM => ValidTo::LongTerm,
            s => ValidTo::Until(parse_date(s).ok_or(CardDataError::BadField {
                field: "valid-to",
                expected: "a date (YYYYMMDD) or 长期",
            })?),
        };
        let birth_date = date(Field::BirthDate, "birth date")?;
        let number = raw.get(Field::Number).to_owned();
        let opt = |f: Field| Some(raw.get(f).to_owned()).filter(|s| !s.is_empty());
        let mut card = IdCard {
            kind: raw.kind,
            name: raw.get(Field::Name).to_owned(),
            sex,
            nation: None,
            birth_date,
            address: raw.get(Field::Address).to_owned(),
            id: None,
            authority: raw.get(Field::Authority).to_owned(),
            valid_from: date(Field::ValidFrom, "valid-from")?,
            valid_to,
            pass_number: None,
            issue_count: None,
            latin_name: None,
            version: None,
            number,
        };
        match raw.kind {
            CardKind::Resident | CardKind::Permit => {
                let id =
                    IdNumber::parse_as_of(&card.number, today).map_err(CardDataError::IdNumber)?;
                if id.birth_date() != birth_date {
                    return Err(CardDataError::BirthDateMismatch);
                }
                let id_sex = match id.sex() {
                    id_number::Sex::Male => CardSex::Male,
                    id_number::Sex::Female => CardSex::Female,
                };
                if sex != CardSex::Unstated && sex != id_sex {
                    return Err(CardDataError::SexMismatch);
                }
                // The normalised form (an `x` from a sloppy writer becomes `X`).
                card.number = id.as_str().to_owned();
                card.id = Some(id);
            }
            CardKind::Foreign => check_foreign_number(&card.number)?,
        }
        match raw.kind {
            CardKind::Resident => {
                let code = raw.get(Field::Nation);
                if nation::nation_name(code).is_none() {
                    return Err(CardDataError::BadField {
                        field: "nation",
                        expected: "a GB/T 3304 nation code (01 to 56, 97, 98)",
                    });
                }
                card.nation = Some(code.to_owned());
            }
            CardKind::Permit => {
                card.pass_number = opt(Field::PassNumber);
                card.issue_count = raw.get(Field::IssueCount).parse().ok();
            }
            CardKind::Foreign => {
                card.nation = opt(Field::Nation);
                card.latin_name = opt(Field::EnglishName);
                card.version = opt(Field::Version);
                card.authority = raw.get(Field::AuthorityCode).to_owned();
                if card.name.is_empty() {
                    card.name = card.latin_name.clone().unwrap_or_default();
                }
            }
        }
        Ok(card)
    }

    /// The number as printed on the card. Full: only for the record and the server.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The validated resident ID number: `Some` for resident cards and permits (their
    /// numbers are GB 11643 numbers), `None` for a foreigner's card.
    pub fn id_number(&self) -> Option<&IdNumber> {
        self.id.as_ref()
    }

    pub fn masked_number(&self) -> String {
        certpoint_protocol::mask_id_number(&self.number)
    }

    pub fn masked_name(&self) -> String {
        mask_name(&self.name)
    }

    /// True once the last day of validity is behind `today`.
    pub fn expired_on(&self, today: NaiveDate) -> bool {
        matches!(self.valid_to, ValidTo::Until(d) if d < today)
    }

    /// A resident card of the Mongolian nation (code 02): the clerk panel notes it and
    /// offers the Mongolian screens.
    pub fn is_mongolian(&self) -> bool {
        self.kind == CardKind::Resident && self.nation.as_deref() == Some(nation::MONGOLIAN)
    }

    /// The nation as people read it: the GB/T 3304 name on a resident card, the
    /// nationality code on a foreigner's card.
    pub fn nation_name(&self) -> Option<&str> {
        let code = self.nation.as_deref()?;
        match self.kind {
            CardKind::Resident => nation::nation_name(code),
            _ => Some(code),
        }
    }

    /// The `certpoint card read --json` object as a JSON value; the number masked
    /// unless `reveal`.
    pub fn to_json(&self, reveal: bool) -> Value {
        serde_json::to_value(self.json(reveal)).expect("plain strings serialise")
    }

    /// The same object with its keys in the documented order (a `Value` sorts them),
    /// for printing.
    pub fn json(&self, reveal: bool) -> CardJson<'_> {
        CardJson {
            kind: self.kind.as_str(),
            name: &self.name,
            sex: self.sex.as_str(),
            nation: self.nation_name(),
            birth_date: self.birth_date.to_string(),
            address: Some(self.address.as_str()).filter(|a| !a.is_empty()),
            id_number: if reveal {
                self.number.clone()
            } else {
                self.masked_number()
            },
            authority: &self.authority,
            valid_from: self.valid_from.to_string(),
            valid_to: self.valid_to.to_string(),
        }
    }
}

/// `certpoint card read --json`: exactly these keys, in this order.
#[derive(Debug, serde::Serialize)]
pub struct CardJson<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'a str,
    pub sex: &'static str,
    pub nation: Option<&'a str>,
    pub birth_date: String,
    pub address: Option<&'a str>,
    pub id_number: String,
    pub authority: &'a str,
    pub valid_from: String,
    pub valid_to: String,
}

/// `张三丰` → `张**`: enough for a clerk to see the card changed, not enough to log.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

/// A foreigner's permanent residence number in the 2004 form: three letters (the
/// nationality) and twelve digits, 15 characters, all the `I` layout has room for.
/// **Unverified against real cards**: the shape is checked, nothing more (the form has
/// no check character). The 2023 card's 18-character number does not fit this layout;
/// it presumably comes with another kind flag and is refused as an unknown kind.
fn check_foreign_number(number: &str) -> Result<(), CardDataError> {
    let b = number.as_bytes();
    let shaped = b.len() == 15
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && b[3..].iter().all(u8::is_ascii_digit);
    if shaped {
        Ok(())
    } else {
        Err(CardDataError::BadField {
            field: "permanent residence number",
            expected: "3 capital letters and 12 digits",
        })
    }
}

#[cfg(test)]
#[path = "card_tests.rs"]
pub(crate) mod tests;

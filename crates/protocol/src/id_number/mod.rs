//! Resident ID numbers (GB 11643-1999): parse, validate, mask.
//!
//! An 18-character number is six digits of region code, eight of birth date (YYYYMMDD),
//! three of sequence (odd for men, even for women) and one ISO 7064 MOD 11-2 check
//! character, which is a digit or `X` (for ten). Cards issued before 2004 carry a 15-digit
//! form with a two-digit year and no check character; [`IdNumber::parse`] upgrades it, so
//! the rest of the kiosk only ever sees the 18-character form.
//!
//! Validation checks what cannot change: the character set, the check character, that the
//! birth date exists and is plausible, and the province. It does not check the county part
//! of the region code (see `region.rs` for why). Errors say which part is wrong and what the
//! clerk should do, and never repeat the number, because error text ends up in logs.
//!
//! Privacy: `Debug` shows the masked form and there is deliberately no `Display`, so a
//! stray `{}` or `{:?}` cannot put a full number in a log line. Use [`IdNumber::as_str`]
//! where the full number is really needed (the record, the server request).

#[cfg(test)]
mod proptests;
mod region;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// Birth years before this are rejected as implausible: nobody born earlier is alive, so
/// such a date is a mis-keyed digit (and the kiosk must not certify a dead person).
pub const EARLIEST_BIRTH_YEAR: i32 = 1890;

/// ISO 7064 MOD 11-2 weights for the first 17 digits (2^(17-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// A validated 18-character resident ID number (check character upper-case).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// Why a string is not a valid resident ID number. Messages are meant for the clerk: they
/// name the faulty part and the fix, and never contain the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an ID number has 18 characters (or 15 digits for old cards); this has {found}")]
    Length { found: usize },
    /// `position` is 1-based, counted after surrounding whitespace is trimmed.
    #[error(
        "character {position} is '{}': only digits, and X as the last character, are allowed",
        found.escape_debug()
    )]
    BadCharacter { position: usize, found: char },
    /// `code` is the first two digits only.
    #[error(
        "the number starts with {code}, which is not a Chinese province-level region; \
         check the first two digits against the card"
    )]
    UnknownRegion { code: String },
    #[error("birth date {date} does not exist; check the birth-date digits against the card")]
    BadBirthDate { date: String },
    #[error("birth date {date} is in the future; check the birth-date digits against the card")]
    FutureBirthDate { date: String },
    #[error(
        "birth date {date} is before {EARLIEST_BIRTH_YEAR}, which is not plausible; \
         check the birth-date digits against the card"
    )]
    ImplausibleBirthDate { date: String },
    #[error(
        "wrong check character: the last character is '{found}' but the first 17 digits \
         give '{expected}'; re-scan or re-type the number"
    )]
    CheckCharacter { expected: char, found: char },
}

/// Sex as encoded by the parity of the 17th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

impl IdNumber {
    /// Parses and validates a number typed, scanned or pasted by a clerk, with "today"
    /// taken from the local clock (for the future-birth-date check).
    ///
    /// Surrounding whitespace is trimmed; `x` and full-width digits and X (as a Chinese
    /// input method produces) are accepted and normalised. The 15-digit legacy form is
    /// converted to 18 characters.
    pub fn parse(s: &str) -> Result<IdNumber, IdError> {
        Self::parse_as_of(s, chrono::Local::now().date_naive())
    }

    /// [`IdNumber::parse`] as if today were `today`: for tests and for replaying input
    /// recorded on another day.
    pub fn parse_as_of(s: &str, today: NaiveDate) -> Result<IdNumber, IdError> {
        let chars: Vec<char> = s.trim().chars().map(normalise_char).collect();
        let number = match chars.len() {
            18 => {
                check_characters(&chars, true)?;
                chars.iter().collect::<String>()
            }
            15 => {
                check_characters(&chars, false)?;
                // Legacy numbers are read as 19xx. (Sequence codes 996-999 once marked
                // centenarians born in the 1800s; none of them is alive now.)
                let mut n: String = chars[..6].iter().collect();
                n.push_str("19");
                n.extend(&chars[6..]);
                n.push(check_char(&n));
                n
            }
            found => return Err(IdError::Length { found }),
        };
        // Structural checks come before the check character: when a mis-keyed digit makes
        // the date or province impossible, naming that part tells the clerk where to look.
        let province = &number[..2];
        if region::province_name(province).is_none() {
            return Err(IdError::UnknownRegion {
                code: province.to_owned(),
            });
        }
        validate_birth_date(&number[6..14], today)?;
        let expected = check_char(&number[..17]);
        let found = char::from(number.as_bytes()[17]);
        if found != expected {
            return Err(IdError::CheckCharacter { expected, found });
        }
        Ok(IdNumber(number))
    }

    /// The full number. Only for where it must go (the record, the server request);
    /// anything shown or logged uses [`IdNumber::masked`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the first four and last four characters starred.
    pub fn masked(&self) -> String {
        crate::mask_id_number(&self.0)
    }

    /// The six-digit administrative region code of the place of first registration.
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    /// The province-level division (English pinyin name, e.g. "Beijing").
    pub fn province(&self) -> &'static str {
        region::province_name(&self.0[..2]).expect("province checked in parse")
    }

    pub fn birth_date(&self) -> NaiveDate {
        date_from_digits(&self.0[6..14]).expect("birth date checked in parse")
    }

    /// The three sequence digits (characters 15 to 17).
    pub fn sequence(&self) -> &str {
        &self.0[14..17]
    }

    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Completed years of age on `date`; 0 for a date before the birth date.
    ///
    /// Someone born on 29 February turns a year older on 1 March in common years, which is
    /// how Chinese civil law reckons it and what comparing (month, day) pairs gives.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date();
        if date < birth {
            return 0;
        }
        let years = date.year() - birth.year();
        let before_birthday = (date.month(), date.day()) < (birth.month(), birth.day());
        u32::try_from(years - i32::from(before_birthday)).unwrap_or(0)
    }
}

impl FromStr for IdNumber {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// The ISO 7064 MOD 11-2 check character for the first 17 digits of a number.
///
/// # Panics
/// If `first17` is not exactly 17 ASCII digits (a programming error: [`IdNumber::parse`]
/// validates before calling).
pub fn check_char(first17: &str) -> char {
    assert!(
        first17.len() == 17 && first17.bytes().all(|b| b.is_ascii_digit()),
        "check_char needs exactly 17 ASCII digits"
    );
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    char::from(CHECK_CHARS[(sum % 11) as usize])
}

/// Maps the ways a digit or X reaches us to ASCII: lower-case `x` (scanners and clerks
/// both produce it) and the full-width forms a Chinese input method types. Anything else
/// is returned unchanged, so errors can show what was actually typed.
pub fn normalise_char(c: char) -> char {
    match c {
        // The full-width forms sit exactly 0xFEE0 above their ASCII counterparts.
        '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        'x' | 'Ｘ' | 'ｘ' => 'X',
        _ => c,
    }
}

/// Every character must be a digit, except that an 18-character number may end in X.
fn check_characters(chars: &[char], x_last_allowed: bool) -> Result<(), IdError> {
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let ok = c.is_ascii_digit() || (c == 'X' && x_last_allowed && i == last);
        if !ok {
            return Err(IdError::BadCharacter {
                position: i + 1,
                found: c,
            });
        }
    }
    Ok(())
}

fn date_from_digits(yyyymmdd: &str) -> Option<NaiveDate> {
    let year = yyyymmdd[..4].parse().ok()?;
    let month = yyyymmdd[4..6].parse().ok()?;
    let day = yyyymmdd[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn validate_birth_date(yyyymmdd: &str, today: NaiveDate) -> Result<NaiveDate, IdError> {
    let date = || format!("{}-{}-{}", &yyyymmdd[..4], &yyyymmdd[4..6], &yyyymmdd[6..8]);
    let birth = date_from_digits(yyyymmdd).ok_or_else(|| IdError::BadBirthDate { date: date() })?;
    if birth.year() < EARLIEST_BIRTH_YEAR {
        return Err(IdError::ImplausibleBirthDate { date: date() });
    }
    if birth > today {
        return Err(IdError::FutureBirthDate { date: date() });
    }
    Ok(birth)
}

//! A simulated card reader for tests and demos: `certpoint card simulate --link PATH`
//! puts a reader on a pseudo-terminal, with a card described on the command line and
//! faults injected on request.
//!
//! [`device`] is the reader's behaviour on bytes (also used in-memory by the driver's
//! unit tests), [`faults`] the injectable faults, [`pty`] the terminal around them.

pub mod device;
pub mod faults;
pub mod pty;

use chrono::NaiveDate;

use super::card::LONG_TERM;
use super::layout::{CardKind, Field, LayoutError, RawText};
use super::nation;
use crate::id_number::check_char;

pub use device::{SimCard, SimReader};
pub use faults::{Fault, FaultKind};
pub use pty::{run, PtyOptions};

/// The card to simulate, as given on the command line; unset fields take the kind's
/// sample value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardSpec {
    pub kind: Option<CardKind>,
    pub id: Option<String>,
    pub name: Option<String>,
    /// `1`/`2`/`9` or male/female; default: from the ID number's parity.
    pub sex: Option<String>,
    /// Code (`01`) or name (`汉`); nationality (`CAN`) on a foreigner's card.
    pub nation: Option<String>,
    pub birth: Option<String>,
    pub address: Option<String>,
    pub authority: Option<String>,
    pub valid_from: Option<String>,
    /// A date or `长期` (also `long-term`).
    pub valid_to: Option<String>,
    /// The chip serial SELECT answers, 16 hex digits; default all zeros.
    pub serial: Option<String>,
}

impl CardSpec {
    /// The simulated card. Values are not validated beyond fitting the chip, so tests
    /// can present a card with a wrong check character or an odd date.
    pub fn build(&self) -> Result<SimCard, String> {
        let kind = self.kind.unwrap_or(CardKind::Resident);
        let id = match (&self.id, kind) {
            (Some(id), _) => id.clone(),
            (None, CardKind::Resident) => "11010519491231002X".to_owned(),
            (None, CardKind::Permit) => with_check("81000019500101001"),
            (None, CardKind::Foreign) => "CAN110050010101".to_owned(),
        };
        let digits_birth = || {
            let b = id.as_bytes();
            (b.len() == 18 && kind != CardKind::Foreign)
                .then(|| id[6..14].to_owned())
                .filter(|d| d.bytes().all(|c| c.is_ascii_digit()))
        };
        let birth = match &self.birth {
            Some(b) => date(b)?,
            None => digits_birth().unwrap_or_else(|| "19500101".to_owned()),
        };
        let sex = match self.sex.as_deref() {
            Some("male" | "1") => "1".to_owned(),
            Some("female" | "2") => "2".to_owned(),
            Some(s @ ("0" | "9")) => s.to_owned(),
            Some(other) => return Err(format!("--sex {other:?}: use male, female, 1, 2, 0 or 9")),
            None => match id.as_bytes().get(16) {
                Some(d) if d.is_ascii_digit() && kind != CardKind::Foreign => {
                    if (d - b'0') % 2 == 1 { "1" } else { "2" }.to_owned()
                }
                _ => "1".to_owned(),
            },
        };
        let valid_to = match self.valid_to.as_deref() {
            None => match kind {
                CardKind::Resident => LONG_TERM.to_owned(),
                _ => "20350101".to_owned(),
            },
            Some(LONG_TERM | "long-term") => LONG_TERM.to_owned(),
            Some(d) => date(d)?,
        };
        let valid_from = date(self.valid_from.as_deref().unwrap_or("2015-01-01"))?;
        let sample = |v: &Option<String>, resident: &str, permit: &str| -> String {
            v.clone().unwrap_or_else(|| match kind {
                CardKind::Permit => permit.to_owned(),
                _ => resident.to_owned(),
            })
        };
        let mut text = RawText::new(kind);
        let mut set = |f: Field, v: &str| -> Result<(), String> {
            text.set(f, v).map_err(|e: LayoutError| e.to_string())
        };
        set(Field::Sex, &sex)?;
        set(Field::Number, &id)?;
        set(Field::BirthDate, &birth)?;
        set(Field::ValidFrom, &valid_from)?;
        set(Field::ValidTo, &valid_to)?;
        match kind {
            CardKind::Resident | CardKind::Permit => {
                set(Field::Name, &sample(&self.name, "张秀英", "陈大文"))?;
                let address = "北京市朝阳区建国路1号";
                set(
                    Field::Address,
                    &sample(&self.address, address, "广东省深圳市福田区"),
                )?;
                let authority = "北京市公安局朝阳分局";
                set(
                    Field::Authority,
                    &sample(&self.authority, authority, "深圳市公安局"),
                )?;
            }
            CardKind::Foreign => {
                set(
                    Field::EnglishName,
                    self.name.as_deref().unwrap_or("CHAN, TAI MAN"),
                )?;
                set(
                    Field::AuthorityCode,
                    self.authority.as_deref().unwrap_or("1500"),
                )?;
                set(Field::Version, "01")?;
            }
        }
        match kind {
            CardKind::Resident => {
                let n = self.nation.as_deref().unwrap_or("01");
                let code = nation::nation_code(n).unwrap_or(n);
                set(Field::Nation, code)?;
            }
            CardKind::Permit => {
                set(Field::PassNumber, "H12345678")?;
                set(Field::IssueCount, "01")?;
            }
            CardKind::Foreign => set(Field::Nation, self.nation.as_deref().unwrap_or("CAN"))?,
        }
        let mut card = SimCard::new(text);
        if let Some(hex) = &self.serial {
            card.serial = parse_serial(hex)?;
        }
        Ok(card)
    }
}

fn with_check(first17: &str) -> String {
    format!("{first17}{}", check_char(first17))
}

/// `2030-01-01` or `20300101` → `20300101`.
fn date(s: &str) -> Result<String, String> {
    let compact: String = s.chars().filter(|c| *c != '-').collect();
    NaiveDate::parse_from_str(&compact, "%Y%m%d")
        .map(|_| compact)
        .map_err(|_| format!("{s:?} is not a date; write YYYY-MM-DD"))
}

fn parse_serial(hex: &str) -> Result<[u8; 8], String> {
    let bad = || format!("--serial {hex:?}: write 16 hex digits");
    if hex.len() != 16 {
        return Err(bad());
    }
    let mut out = [0u8; 8];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::card::IdCard;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn sample_cards_of_each_kind_decode() {
        for kind in [CardKind::Resident, CardKind::Permit, CardKind::Foreign] {
            let spec = CardSpec {
                kind: Some(kind),
                ..Default::default()
            };
            let card = spec.build().unwrap();
            let decoded =
                IdCard::from_text(&RawText::decode(&card.text.encode()).unwrap(), today())
                    .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(decoded.kind, kind);
        }
    }

    #[test]
    fn options_reach_the_chip() {
        let spec = CardSpec {
            id: Some("110105195001010012".into()),
            nation: Some("蒙古".into()),
            valid_to: Some("2020-06-30".into()),
            serial: Some("0102030405060708".into()),
            ..Default::default()
        };
        let card = spec.build().unwrap();
        assert_eq!(card.serial, [1, 2, 3, 4, 5, 6, 7, 8]);
        let t = &card.text;
        assert_eq!(t.get(Field::Nation), "02");
        assert_eq!(t.get(Field::BirthDate), "19500101", "from the number");
        assert_eq!(t.get(Field::Sex), "1", "odd 17th digit");
        assert_eq!(t.get(Field::ValidTo), "20200630");
        for bad in [
            CardSpec {
                valid_to: Some("soon".into()),
                ..Default::default()
            },
            CardSpec {
                sex: Some("x".into()),
                ..Default::default()
            },
            CardSpec {
                serial: Some("zz".into()),
                ..Default::default()
            },
            CardSpec {
                name: Some("名".repeat(16)),
                ..Default::default()
            },
        ] {
            assert!(bad.build().is_err(), "{bad:?}");
        }
    }
}

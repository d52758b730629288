//! The chip's 256-byte text block: where each field sits for each kind of card, and the
//! UCS-2 little-endian text in it (space-padded with `20 00`, trimmed on reading).
//!
//! One table per card kind serves both directions, so the simulator writes exactly what
//! the driver reads. The offsets are those the public drivers agree on
//! (`/work/shared/ID-CARD-READER.md`). **Unverified against a real card:** the
//! Hong Kong/Macao/Taiwan permit (`J`) and foreigner's card (`I`) layouts come from
//! fewer sources than the resident one, and newer card kinds (the 2023 foreigner's card)
//! may use another flag; such a block is refused as an unknown kind rather than
//! misread.

use std::collections::BTreeMap;
use std::fmt;

/// Bytes of text the chip holds.
pub const TEXT_LEN: usize = 256;
/// Where the card-kind flag sits (one UCS-2 character).
pub const KIND_OFFSET: usize = 248;

/// Which document the chip belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardKind {
    /// Second-generation resident ID card (居民身份证); flag `' '`.
    Resident,
    /// Residence permit for Hong Kong, Macao and Taiwan residents (港澳台居民居住证);
    /// flag `'J'`.
    Permit,
    /// Foreigner's permanent residence ID card (外国人永久居留身份证); flag `'I'`.
    Foreign,
}

impl CardKind {
    /// The name in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            CardKind::Resident => "resident",
            CardKind::Permit => "hkmo",
            CardKind::Foreign => "foreign",
        }
    }

    pub fn parse(s: &str) -> Option<CardKind> {
        [CardKind::Resident, CardKind::Permit, CardKind::Foreign]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The flag character at [`KIND_OFFSET`].
    pub fn flag(self) -> char {
        match self {
            CardKind::Resident => ' ',
            CardKind::Permit => 'J',
            CardKind::Foreign => 'I',
        }
    }

    fn from_flag(unit: u16) -> Option<CardKind> {
        match unit {
            // A resident card leaves the flag as padding; a NUL there is taken the same
            // way (unverified: seen in no trace, but harmless).
            0x0020 | 0x0000 => Some(CardKind::Resident),
            0x004A => Some(CardKind::Permit),
            0x0049 => Some(CardKind::Foreign),
            _ => None,
        }
    }
}

/// A field of the text block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Name,
    /// `1` male, `2` female, `0` or `9` not stated.
    Sex,
    /// Resident: the two-digit nation code; foreigner: the three-letter nationality.
    Nation,
    BirthDate,
    Address,
    /// The ID number (resident, permit) or permanent residence number (foreigner).
    Number,
    Authority,
    ValidFrom,
    /// `YYYYMMDD` or `长期` (long-term).
    ValidTo,
    /// Permit: the Mainland travel permit (回乡证 / 台胞证) number.
    PassNumber,
    /// Permit: how many permits were issued so far.
    IssueCount,
    /// Foreigner: the name in Latin letters (the Chinese name is [`Field::Name`]).
    EnglishName,
    /// Foreigner: the card version.
    Version,
    /// Foreigner: the issuing authority's code (written to [`Field::Authority`]).
    AuthorityCode,
}

/// (field, byte offset, byte length).
type Layout = &'static [(Field, usize, usize)];

const RESIDENT: Layout = &[
    (Field::Name, 0, 30),
    (Field::Sex, 30, 2),
    (Field::Nation, 32, 4),
    (Field::BirthDate, 36, 16),
    (Field::Address, 52, 70),
    (Field::Number, 122, 36),
    (Field::Authority, 158, 30),
    (Field::ValidFrom, 188, 16),
    (Field::ValidTo, 204, 16),
];

/// As resident, offset 32 reserved (no nation), two fields after the validity.
const PERMIT: Layout = &[
    (Field::Name, 0, 30),
    (Field::Sex, 30, 2),
    (Field::BirthDate, 36, 16),
    (Field::Address, 52, 70),
    (Field::Number, 122, 36),
    (Field::Authority, 158, 30),
    (Field::ValidFrom, 188, 16),
    (Field::ValidTo, 204, 16),
    (Field::PassNumber, 220, 18),
    (Field::IssueCount, 238, 4),
];

const FOREIGN: Layout = &[
    (Field::EnglishName, 0, 120),
    (Field::Sex, 120, 2),
    (Field::Number, 122, 30),
    (Field::Nation, 152, 6),
    (Field::Name, 158, 30),
    (Field::ValidFrom, 188, 16),
    (Field::ValidTo, 204, 16),
    (Field::BirthDate, 220, 16),
    (Field::Version, 236, 4),
    (Field::AuthorityCode, 240, 8),
];

fn layout(kind: CardKind) -> Layout {
    match kind {
        CardKind::Resident => RESIDENT,
        CardKind::Permit => PERMIT,
        CardKind::Foreign => FOREIGN,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("the card's text block has {0} bytes, not {TEXT_LEN}")]
    Length(usize),
    #[error("the card's kind flag is {0:#06x}, not one of ' ' (resident), 'J' (Hong Kong/Macao/Taiwan permit) or 'I' (foreigner); this kind of card is not supported yet")]
    UnknownKind(u16),
    #[error("a {kind} card has no field {field:?}")]
    NoSuchField { kind: &'static str, field: Field },
    #[error("{field:?} takes at most {max} characters, got {got}")]
    TooLong {
        field: Field,
        max: usize,
        got: usize,
    },
}

/// The text block as strings, before any field is interpreted. Debug prints only the
/// kind: the fields hold a name and an ID number.
#[derive(Clone, PartialEq, Eq)]
pub struct RawText {
    pub kind: CardKind,
    values: BTreeMap<Field, String>,
}

impl fmt::Debug for RawText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawText")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl RawText {
    pub fn new(kind: CardKind) -> RawText {
        RawText {
            kind,
            values: BTreeMap::new(),
        }
    }

    /// The field's text, trimmed; empty when absent.
    pub fn get(&self, field: Field) -> &str {
        self.values.get(&field).map_or("", String::as_str)
    }

    /// Sets a field (for the simulator); refuses a field this kind has not, or a value
    /// longer than its place on the chip.
    pub fn set(&mut self, field: Field, value: &str) -> Result<(), LayoutError> {
        let &(_, _, len) = layout(self.kind).iter().find(|(f, ..)| *f == field).ok_or(
            LayoutError::NoSuchField {
                kind: self.kind.as_str(),
                field,
            },
        )?;
        let got = value.encode_utf16().count();
        if got > len / 2 {
            return Err(LayoutError::TooLong {
                field,
                max: len / 2,
                got,
            });
        }
        if value.is_empty() {
            self.values.remove(&field);
        } else {
            self.values.insert(field, value.to_owned());
        }
        Ok(())
    }

    /// Reads a text block as the reader returns it.
    pub fn decode(block: &[u8]) -> Result<RawText, LayoutError> {
        if block.len() != TEXT_LEN {
            return Err(LayoutError::Length(block.len()));
        }
        let flag = u16::from_le_bytes([block[KIND_OFFSET], block[KIND_OFFSET + 1]]);
        let kind = CardKind::from_flag(flag).ok_or(LayoutError::UnknownKind(flag))?;
        // Blank fields are left out, as `set` leaves them out: a block decodes to the
        // RawText that encodes to it.
        let values = layout(kind)
            .iter()
            .map(|&(field, offset, len)| (field, ucs2(&block[offset..offset + len])))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        Ok(RawText { kind, values })
    }

    /// The block the chip would hold.
    pub fn encode(&self) -> [u8; TEXT_LEN] {
        let mut block = [0u8; TEXT_LEN];
        for pair in block.chunks_exact_mut(2) {
            pair.copy_from_slice(&[0x20, 0x00]);
        }
        for &(field, offset, _) in layout(self.kind) {
            for (i, unit) in self.get(field).encode_utf16().enumerate() {
                block[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&unit.to_le_bytes());
            }
        }
        let flag = self.kind.flag() as u16;
        block[KIND_OFFSET..KIND_OFFSET + 2].copy_from_slice(&flag.to_le_bytes());
        block
    }
}

/// UCS-2 LE text with the padding trimmed. A lone surrogate (never seen, but the bytes
/// come from a radio link) becomes U+FFFD rather than failing the whole card.
fn ucs2(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_matches(|c: char| c == ' ' || c == '\0' || c == '\u{3000}')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_fields_sit_at_the_documented_offsets() {
        let mut raw = RawText::new(CardKind::Resident);
        raw.set(Field::Name, "张三").unwrap();
        raw.set(Field::Sex, "1").unwrap();
        raw.set(Field::Nation, "01").unwrap();
        raw.set(Field::Number, "11010519491231002X").unwrap();
        raw.set(Field::ValidTo, "长期").unwrap();
        let block = raw.encode();
        assert_eq!(
            &block[0..4],
            &[0x20, 0x5F, 0x09, 0x4E],
            "张 = U+5F20, 三 = U+4E09"
        );
        assert_eq!(&block[4..6], &[0x20, 0x00], "space padding");
        assert_eq!(&block[30..32], &[b'1', 0]);
        assert_eq!(&block[32..36], &[b'0', 0, b'1', 0]);
        assert_eq!(&block[122..124], &[b'1', 0]);
        assert_eq!(&block[156..158], &[b'X', 0]);
        assert_eq!(&block[204..208], &[0x7F, 0x95, 0x1F, 0x67], "长期");
        assert_eq!(&block[248..250], &[0x20, 0x00], "resident flag is a space");
        assert_eq!(RawText::decode(&block).unwrap(), raw);
    }

    #[test]
    fn permit_and_foreigner_layouts_round_trip() {
        let mut permit = RawText::new(CardKind::Permit);
        permit.set(Field::PassNumber, "H12345678").unwrap();
        permit.set(Field::IssueCount, "01").unwrap();
        let block = permit.encode();
        assert_eq!(&block[248..250], &[b'J', 0]);
        assert_eq!(&block[220..222], &[b'H', 0]);
        assert_eq!(&block[32..36], &[0x20, 0, 0x20, 0], "offset 32 is reserved");
        assert_eq!(RawText::decode(&block).unwrap(), permit);
        assert!(permit.clone().set(Field::Nation, "01").is_err());

        let mut foreign = RawText::new(CardKind::Foreign);
        foreign.set(Field::EnglishName, "SMITH, JOHN").unwrap();
        foreign.set(Field::Nation, "CAN").unwrap();
        foreign.set(Field::BirthDate, "19500101").unwrap();
        let block = foreign.encode();
        assert_eq!(&block[248..250], &[b'I', 0]);
        assert_eq!(&block[152..154], &[b'C', 0]);
        assert_eq!(&block[220..222], &[b'1', 0]);
        assert_eq!(RawText::decode(&block).unwrap(), foreign);
    }

    #[test]
    fn padding_and_nuls_are_trimmed() {
        let mut block = RawText::new(CardKind::Resident).encode();
        block[0..6].copy_from_slice(&[0x4E, 0x67, 0x00, 0x00, 0x00, 0x30]);
        assert_eq!(RawText::decode(&block).unwrap().get(Field::Name), "李");
    }

    #[test]
    fn refuses_unknown_kinds_wrong_sizes_and_overlong_values() {
        let mut block = RawText::new(CardKind::Resident).encode();
        block[248] = b'Y';
        assert_eq!(RawText::decode(&block), Err(LayoutError::UnknownKind(0x59)));
        assert_eq!(RawText::decode(&[0; 255]), Err(LayoutError::Length(255)));
        let mut raw = RawText::new(CardKind::Resident);
        assert!(matches!(
            raw.set(Field::Name, &"张".repeat(16)),
            Err(LayoutError::TooLong {
                max: 15,
                got: 16,
                ..
            })
        ));
        assert!(raw.set(Field::PassNumber, "x").is_err());
    }

    #[test]
    fn debug_shows_no_field() {
        let mut raw = RawText::new(CardKind::Resident);
        raw.set(Field::Name, "张三").unwrap();
        assert!(!format!("{raw:?}").contains("张三"));
    }

    #[test]
    fn kinds_parse_by_name() {
        for k in [CardKind::Resident, CardKind::Permit, CardKind::Foreign] {
            assert_eq!(CardKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(CardKind::parse("passport"), None);
    }
}

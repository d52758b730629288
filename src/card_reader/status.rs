//! SW3, the reader's status byte, as an enum with a message a clerk understands and a
//! fix. Codes and meanings are those the public drivers agree on
//! (`/work/shared/ID-CARD-READER.md`); an unlisted code is kept as [`Status::Unknown`]
//! with its value, never guessed at.

/// What the reader said about the last command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Status {
    #[error("done")]
    Ok,
    #[error("the card has no such item")]
    NoContent,
    #[error("a card was found")]
    CardFound,
    #[error("the reader received a corrupted command (checksum error)")]
    ChecksumError,
    #[error("the reader received a command of the wrong length")]
    LengthError,
    #[error("the reader does not know the command")]
    CommandError,
    #[error("the reader refused the operation as unauthorised")]
    Unauthorised,
    #[error("the reader reported an unrecognised error")]
    Unrecognised,
    #[error("the card failed to authenticate the reader's security module (SAM)")]
    CardRejectedSam,
    #[error("the reader's security module (SAM) failed to authenticate the card")]
    SamRejectedCard,
    #[error("the card's data failed verification")]
    VerificationError,
    #[error("the card is not a type the reader knows")]
    UnknownCardType,
    #[error("reading the card failed")]
    ReadFailed,
    #[error("the card could not produce a random number for authentication")]
    RandomFailed,
    #[error("the reader's security module (SAM) failed its self-test")]
    SamSelfTestFailed,
    #[error("the reader's security module (SAM) is not authorised")]
    SamNotAuthorised,
    #[error("no card on the reader")]
    NoCard,
    #[error("the card on the reader could not be selected")]
    SelectFailed,
    #[error("the reader answered with the unknown status {0:#04x}")]
    Unknown(u8),
}

impl Status {
    pub fn from_code(code: u8) -> Status {
        use Status::*;
        match code {
            0x90 => Ok,
            0x91 => NoContent,
            0x9F => CardFound,
            0x10 => ChecksumError,
            0x11 => LengthError,
            0x21 => CommandError,
            0x23 => Unauthorised,
            0x24 => Unrecognised,
            0x31 => CardRejectedSam,
            0x32 => SamRejectedCard,
            0x33 => VerificationError,
            0x40 => UnknownCardType,
            0x41 => ReadFailed,
            0x47 => RandomFailed,
            0x60 => SamSelfTestFailed,
            0x66 => SamNotAuthorised,
            0x80 => NoCard,
            0x81 => SelectFailed,
            other => Unknown(other),
        }
    }

    pub fn code(self) -> u8 {
        use Status::*;
        match self {
            Ok => 0x90,
            NoContent => 0x91,
            CardFound => 0x9F,
            ChecksumError => 0x10,
            LengthError => 0x11,
            CommandError => 0x21,
            Unauthorised => 0x23,
            Unrecognised => 0x24,
            CardRejectedSam => 0x31,
            SamRejectedCard => 0x32,
            VerificationError => 0x33,
            UnknownCardType => 0x40,
            ReadFailed => 0x41,
            RandomFailed => 0x47,
            SamSelfTestFailed => 0x60,
            SamNotAuthorised => 0x66,
            NoCard => 0x80,
            SelectFailed => 0x81,
            Unknown(code) => code,
        }
    }

    /// What the clerk or the administrator should do about it.
    pub fn fix(self) -> &'static str {
        use Status::*;
        match self {
            Ok | CardFound | NoContent => "nothing",
            ChecksumError | LengthError => {
                "check the reader's cable and USB port; if it keeps happening, set \
                 [card_reader] baud to the speed the reader's manual gives"
            }
            CommandError | Unknown(_) => {
                "this reader may speak another protocol variant; check that it is a GA 467 \
                 (SAM) reader and note its model for the administrator"
            }
            Unauthorised | Unrecognised | RandomFailed => {
                "take the card off the reader and place it again"
            }
            CardRejectedSam | SamRejectedCard | VerificationError => {
                "place the card again; if it fails again the card may be damaged or not \
                 genuine: check the physical card by eye"
            }
            UnknownCardType => {
                "this is not a second-generation ID card (or a residence permit); check \
                 the card by eye and enter the number by hand"
            }
            ReadFailed | SelectFailed => {
                "hold the card flat and still on the reader until it is read"
            }
            SamSelfTestFailed | SamNotAuthorised => {
                "the reader needs service: contact its supplier; meanwhile scan or type \
                 the ID number"
            }
            NoCard => "place the ID card on the reader",
        }
    }

    /// Worth sending the same command again: the fault is in transit or in how the card
    /// lay on the reader, not in the card or the reader.
    pub fn is_transient(self) -> bool {
        use Status::*;
        matches!(
            self,
            ChecksumError
                | LengthError
                | ReadFailed
                | RandomFailed
                | Unrecognised
                | CardRejectedSam
                | VerificationError
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENTED: [u8; 18] = [
        0x90, 0x91, 0x9F, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60,
        0x66, 0x80, 0x81,
    ];

    #[test]
    fn every_documented_code_has_its_own_variant_message_and_fix() {
        let mut messages = std::collections::HashSet::new();
        for code in DOCUMENTED {
            let s = Status::from_code(code);
            assert!(!matches!(s, Status::Unknown(_)), "{code:02X}");
            assert_eq!(s.code(), code);
            assert!(
                messages.insert(s.to_string()),
                "message of {code:02X} repeats"
            );
            assert!(!s.fix().is_empty());
        }
    }

    #[test]
    fn unknown_codes_round_trip_and_name_the_value() {
        for code in 0..=255u8 {
            assert_eq!(Status::from_code(code).code(), code);
        }
        let s = Status::from_code(0x5A);
        assert_eq!(s, Status::Unknown(0x5A));
        assert!(s.to_string().contains("0x5a"), "{s}");
        assert!(s.fix().contains("protocol variant"));
    }

    #[test]
    fn transient_means_try_again_and_not_card_or_reader_faults() {
        assert!(Status::ChecksumError.is_transient());
        assert!(Status::ReadFailed.is_transient());
        assert!(!Status::NoCard.is_transient());
        assert!(!Status::SamSelfTestFailed.is_transient());
        assert!(!Status::UnknownCardType.is_transient());
        assert!(
            !Status::SamRejectedCard.is_transient(),
            "a forged card stays forged"
        );
    }

    #[test]
    fn messages_are_plain_words() {
        assert_eq!(Status::NoCard.to_string(), "no card on the reader");
        assert_eq!(
            Status::SamSelfTestFailed.to_string(),
            "the reader's security module (SAM) failed its self-test"
        );
    }
}

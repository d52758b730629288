//! The commands the kiosk sends, with the bytes, the status that means success and the
//! time a reader takes to answer (from the notes' command table; the slowest, reading
//! the card, runs the chip's authentication and sends 1,295 bytes).

use std::time::Duration;

use super::status::Status;

/// Line speeds a reader can be switched to, with their SET BAUD parameter.
pub const BAUD_RATES: [(u32, u8); 5] = [
    (115_200, 0x00),
    (57_600, 0x01),
    (38_400, 0x02),
    (19_200, 0x03),
    (9_600, 0x04),
];

/// The default line speed of GA 467 readers (some models use 9600).
pub const DEFAULT_BAUD: u32 = 115_200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Resets the reader's security module (SAM).
    ResetSam,
    /// Asks the SAM to report its state (60 = its self-test failed).
    SamStatus,
    /// The SAM's 16-byte id (vendors render it differently; keep the raw bytes).
    SamId,
    /// Looks for a card in the field.
    FindCard,
    /// Selects the card found; answers the chip serial (8 bytes).
    SelectCard,
    /// Reads the text block and the WLT photo.
    ReadBase,
    /// The address written on the card after a move (91 = none).
    AdditionalAddress,
    /// Switches the line speed; the parameter is from [`BAUD_RATES`].
    SetBaud(u8),
}

impl Command {
    /// (CMD, PARA).
    pub fn code(self) -> (u8, u8) {
        match self {
            Command::ResetSam => (0x10, 0xFF),
            Command::SamStatus => (0x11, 0xFF),
            Command::SamId => (0x12, 0xFF),
            Command::FindCard => (0x20, 0x01),
            Command::SelectCard => (0x20, 0x02),
            Command::ReadBase => (0x30, 0x01),
            Command::AdditionalAddress => (0x30, 0x03),
            Command::SetBaud(p) => (0x60, p),
        }
    }

    /// The command a request frame's CMD and PARA name (the simulator's side).
    pub fn from_code(cmd: u8, para: u8) -> Option<Command> {
        Some(match (cmd, para) {
            (0x10, 0xFF) => Command::ResetSam,
            (0x11, 0xFF) => Command::SamStatus,
            (0x12, 0xFF) => Command::SamId,
            (0x20, 0x01) => Command::FindCard,
            (0x20, 0x02) => Command::SelectCard,
            (0x30, 0x01) => Command::ReadBase,
            (0x30, 0x03) => Command::AdditionalAddress,
            (0x60, p) if BAUD_RATES.iter().any(|&(_, q)| q == p) => Command::SetBaud(p),
            _ => return None,
        })
    }

    /// The SET BAUD command for `baud`, if the reader offers that speed.
    pub fn set_baud(baud: u32) -> Option<Command> {
        BAUD_RATES
            .iter()
            .find(|&&(b, _)| b == baud)
            .map(|&(_, p)| Command::SetBaud(p))
    }

    /// The request frame.
    pub fn request(self) -> Vec<u8> {
        let (cmd, para) = self.code();
        super::frame::encode_request(cmd, para, &[])
    }

    /// How long a reader may take to answer: the longest the public drivers wait.
    pub fn timeout(self) -> Duration {
        Duration::from_millis(match self {
            Command::ResetSam | Command::SamStatus | Command::SamId => 300,
            Command::FindCard | Command::SelectCard => 500,
            Command::ReadBase => 3_500,
            Command::AdditionalAddress | Command::SetBaud(_) => 1_000,
        })
    }

    /// The status that means the command did what was asked.
    pub fn success(self) -> Status {
        match self {
            Command::FindCard => Status::CardFound,
            _ => Status::Ok,
        }
    }

    /// For messages: "find card", "read the card", ...
    pub fn name(self) -> &'static str {
        match self {
            Command::ResetSam => "reset",
            Command::SamStatus => "status",
            Command::SamId => "SAM id",
            Command::FindCard => "find card",
            Command::SelectCard => "select card",
            Command::ReadBase => "read card",
            Command::AdditionalAddress => "additional address",
            Command::SetBaud(_) => "set line speed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_round_trips_through_its_code() {
        let mut all = vec![
            Command::ResetSam,
            Command::SamStatus,
            Command::SamId,
            Command::FindCard,
            Command::SelectCard,
            Command::ReadBase,
            Command::AdditionalAddress,
        ];
        all.extend(BAUD_RATES.iter().map(|&(_, p)| Command::SetBaud(p)));
        for c in all {
            let (cmd, para) = c.code();
            assert_eq!(Command::from_code(cmd, para), Some(c));
            assert!(c.timeout() >= Duration::from_millis(300));
        }
        assert_eq!(Command::from_code(0x60, 0x09), None, "no such speed");
        assert_eq!(Command::from_code(0x01, 0xFF), None);
    }

    #[test]
    fn set_baud_parameters_are_the_documented_ones() {
        assert_eq!(Command::set_baud(115_200), Some(Command::SetBaud(0)));
        assert_eq!(Command::set_baud(9_600), Some(Command::SetBaud(4)));
        assert_eq!(Command::set_baud(4_800), None);
        assert_eq!(Command::SetBaud(4).request()[7..9], [0x60, 0x04]);
    }

    #[test]
    fn the_configuration_offers_exactly_these_speeds() {
        let speeds: Vec<u32> = BAUD_RATES.iter().map(|&(b, _)| b).collect();
        assert_eq!(speeds, crate::config::CARD_READER_BAUDS);
        assert_eq!(
            DEFAULT_BAUD,
            crate::config::CardReaderSection::default().baud
        );
    }

    #[test]
    fn find_succeeds_with_9f_and_the_rest_with_90() {
        assert_eq!(Command::FindCard.success().code(), 0x9F);
        assert_eq!(Command::ReadBase.success().code(), 0x90);
        assert_eq!(Command::ReadBase.timeout(), Duration::from_millis(3_500));
    }
}

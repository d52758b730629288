//! Why a read did not give a card. Every message says what happened and what to do; the
//! text goes to the clerk panel, the terminal and the log, so it never holds a name or
//! an ID number.

use std::path::PathBuf;

use super::card::CardDataError;
use super::layout::LayoutError;
use super::status::Status;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReaderError {
    #[error("no card reader at {}: the device does not exist. Plug the reader in, look for it with `ls -l /dev/ttyUSB* /dev/ttyACM*`, and set [card_reader] device to it", path.display())]
    NoDevice { path: PathBuf },

    #[error("this user may not open the card reader {} ({reason}). Add the kiosk user to the group that owns the device (usually: sudo usermod -aG dialout USER; `ls -l {}` shows the group), then log in again", path.display(), path.display())]
    Permission { path: PathBuf, reason: String },

    #[error("the card reader {} is in use by another program (the running kiosk, or another `certpoint card read`). Close that program, or stop the kiosk, and try again", path.display())]
    Busy { path: PathBuf },

    #[error("{} could not be opened as a serial port: {reason}. Check that [card_reader] device names the reader (e.g. /dev/ttyUSB0) and that baud is a speed it supports", path.display())]
    Open { path: PathBuf, reason: String },

    #[error("communication with the card reader failed ({reason}); it was probably unplugged. Plug it back in")]
    Io { reason: String },

    #[error("the card reader did not answer `{command}` ({tries} tries, {timeout_ms} ms each). Check that it is plugged in and powered, and that [card_reader] baud is its speed (115200 for most readers, 9600 for some)")]
    Silent {
        command: &'static str,
        tries: u32,
        timeout_ms: u64,
    },

    #[error("the card reader's answers to `{command}` were corrupted or cut short {tries} times in a row (checksum errors, partial frames). Check the cable, try another USB port, and check that [card_reader] baud is the reader's speed")]
    Corrupted { command: &'static str, tries: u32 },

    #[error("the card reader answered `{command}` with status {code:#04x}: {status}. To fix: {fix}", code = status.code(), fix = status.fix())]
    Status {
        command: &'static str,
        status: Status,
    },

    #[error("no card on the reader. Place the ID card flat on the reader (a card that was just read must be lifted and placed again)")]
    NoCard,

    #[error("the card reader's answer to `{command}` was not what the protocol says ({reason}); this reader may speak another protocol variant")]
    Malformed {
        command: &'static str,
        reason: String,
    },

    #[error(
        "{0} baud is not a speed ID card readers offer; use 115200, 57600, 38400, 19200 or 9600"
    )]
    UnsupportedBaud(u32),

    #[error(transparent)]
    Card(#[from] CardDataError),
}

impl From<LayoutError> for ReaderError {
    fn from(e: LayoutError) -> Self {
        ReaderError::Card(CardDataError::Layout(e))
    }
}

impl ReaderError {
    /// The reader itself is gone or unusable (as opposed to a problem with one card):
    /// the listener reopens the device instead of polling on.
    pub fn is_device_fault(&self) -> bool {
        matches!(
            self,
            ReaderError::NoDevice { .. }
                | ReaderError::Permission { .. }
                | ReaderError::Busy { .. }
                | ReaderError::Open { .. }
                | ReaderError::Io { .. }
                | ReaderError::Silent { .. }
        )
    }
}

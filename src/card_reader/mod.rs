//! Second-generation resident ID card readers (GA 467 "SAM" readers) on a serial or
//! USB-serial line: the retiree's card is placed on the reader and the kiosk gets the
//! number, name, validity and chip photo without anyone typing.
//!
//! The protocol is as public open-source drivers implement it (the notes in
//! `/work/shared/ID-CARD-READER.md`, summarised in the README); **none of it has been
//! tried against a real reader here**, and where the sources disagree the choice is
//! said in the module concerned.
//!
//! - [`frame`]: frames on the wire (preamble, length, XOR checksum), streaming decoder
//!   with resynchronisation; [`command`]: the commands, their timeouts;
//!   [`status`]: the SW3 status codes with messages and fixes.
//! - [`layout`]: the 256-byte text block per card kind; [`card`]: the fields read as
//!   dates, sex, nation, the ID number checked with [`crate::id_number`].
//! - [`transport`]: the byte line (trait; serial via `serialport`); [`reader`]: the
//!   driver (timeouts, retries, the card-left-on-the-reader rule).
//! - [`listener`]: the thread the kiosk runs while idle; [`photo`]: the chip photo
//!   through a configured vendor decoder.
//! - [`sim`]: `certpoint card simulate`, a reader on a pseudo-terminal for tests and
//!   demos.
//!
//! Names and ID numbers never reach a log unmasked: [`IdCard`]'s `Debug` masks them.

pub mod card;
pub mod command;
pub mod error;
pub mod frame;
pub mod layout;
pub mod listener;
pub mod nation;
pub mod photo;
pub mod reader;
pub mod sim;
pub mod status;
pub mod transport;

#[cfg(test)]
pub(crate) mod testing;

use std::path::PathBuf;
use std::time::Duration;

pub use card::{CardDataError, CardSex, IdCard, ValidTo};
pub use command::{Command, BAUD_RATES, DEFAULT_BAUD};
pub use error::ReaderError;
pub use layout::CardKind;
pub use listener::{CardEvent, CardListener, ListenerSettings, Offered, ReaderStatus};
pub use photo::{PhotoDecoder, PhotoError};
pub use reader::{CardRead, Poll, Reader, ReaderSettings};
pub use status::Status;
pub use transport::{SerialTransport, Transport};

use crate::config::LoadedConfig;

impl ListenerSettings {
    /// The listener as `[card_reader]` describes it (the kiosk checks `enabled`).
    pub fn from_config(cfg: &LoadedConfig) -> Result<ListenerSettings, PhotoError> {
        let c = &cfg.config.card_reader;
        Ok(ListenerSettings {
            device: cfg.path_of(&c.device),
            baud: c.baud,
            poll_interval: Duration::from_millis(c.poll_interval_ms),
            reopen_interval: Duration::from_secs(2),
            reader: ReaderSettings {
                retries: c.retries,
                removal_finds: c.removal_polls,
            },
            photo_decoder: photo_decoder(cfg)?,
        })
    }
}

/// `[card_reader] photo_decoder`, parsed, when set.
pub fn photo_decoder(cfg: &LoadedConfig) -> Result<Option<PhotoDecoder>, PhotoError> {
    let c = &cfg.config.card_reader;
    if c.photo_decoder.trim().is_empty() {
        return Ok(None);
    }
    PhotoDecoder::parse(
        &c.photo_decoder,
        &cfg.base_dir,
        Duration::from_secs(c.photo_decoder_timeout_secs),
    )
    .map(Some)
}

/// `[card_reader] device` resolved against the configuration's directory.
pub fn configured_device(cfg: &LoadedConfig) -> PathBuf {
    cfg.path_of(&cfg.config.card_reader.device)
}

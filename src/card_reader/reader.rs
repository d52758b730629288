//! The driver: commands over a [`Transport`], answers decoded, timeouts, retries, and
//! the rule that a card left on the reader is one person, not a new one every poll.
//!
//! One command is one exchange: drop stale input, send the request, collect bytes until
//! a whole frame arrives or the command's timeout passes. A missing answer, a corrupted
//! one and a transient status (the card moved, a checksum error on the reader's side)
//! are tried again up to `retries` more times; anything else is the answer.
//!
//! **The card left on the reader.** After a successful read, GA 467 readers stop finding
//! the card until it leaves the field, so polling does not re-read it. Some readers do
//! find it again; then the chip serial from SELECT (when not all zeros: the golden
//! trace's reader answered zeros) or, failing that, the ID number after reading tells
//! the same card. The card is remembered until FIND has failed `removal_finds` times in
//! a row, so a single missed find does not turn the same card into a new person.

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::card::IdCard;
use super::command::Command;
use super::error::ReaderError;
use super::frame::{Decoded, FrameDecoder};
use super::layout::{RawText, TEXT_LEN};
use super::status::Status;
use super::transport::Transport;

/// Bytes of the WLT photo in a base-info read.
pub const PHOTO_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderSettings {
    /// Further tries of a command whose answer was missing, corrupted or transient.
    pub retries: u32,
    /// Failed finds in a row after which a remembered card counts as taken away.
    pub removal_finds: u32,
}

impl Default for ReaderSettings {
    fn default() -> Self {
        ReaderSettings {
            retries: 2,
            removal_finds: 2,
        }
    }
}

/// A status and the data after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: Status,
    pub data: Vec<u8>,
}

/// One card read off the chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRead {
    pub card: IdCard,
    /// The proprietary WLT photo, as read (see [`super::photo`]).
    pub photo_wlt: Vec<u8>,
    /// From SELECT; all zeros on readers that do not report it.
    pub chip_serial: [u8; 8],
}

/// What one poll of the reader found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// No card (and none remembered).
    NoCard,
    /// A card not seen since the last one was taken away.
    NewCard(Box<CardRead>),
    /// The remembered card, still there (or not found for fewer than `removal_finds`
    /// polls).
    SameCard,
    /// The remembered card has not been found `removal_finds` times in a row: taken
    /// away. The next card read is new, even if it is the same one put back.
    CardGone,
}

/// What the reader remembers of the card last read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    serial: [u8; 8],
    number: String,
}

/// Why one exchange did not give an answer.
enum Miss {
    Silent,
    Corrupted,
}

pub struct Reader<T: Transport> {
    transport: T,
    settings: ReaderSettings,
    decoder: FrameDecoder,
    seen: Option<Seen>,
    missed_finds: u32,
}

impl<T: Transport> Reader<T> {
    pub fn new(transport: T, settings: ReaderSettings) -> Self {
        Reader {
            transport,
            settings,
            decoder: FrameDecoder::new(),
            seen: None,
            missed_finds: 0,
        }
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends `command` and returns the reader's answer, whatever its status, after
    /// retrying missing, corrupted and transient answers.
    pub fn transact(&mut self, command: Command) -> Result<Reply, ReaderError> {
        let tries = self.settings.retries + 1;
        let mut corrupted = 0;
        let mut last_status = None;
        for _ in 0..tries {
            match self.exchange(command)? {
                Ok(reply) if reply.status.is_transient() => last_status = Some(reply.status),
                Ok(reply) => return Ok(reply),
                Err(Miss::Corrupted) => corrupted += 1,
                Err(Miss::Silent) => {}
            }
        }
        Err(match last_status {
            Some(status) => ReaderError::Status {
                command: command.name(),
                status,
            },
            None if corrupted > 0 => ReaderError::Corrupted {
                command: command.name(),
                tries,
            },
            None => ReaderError::Silent {
                command: command.name(),
                tries,
                timeout_ms: command.timeout().as_millis() as u64,
            },
        })
    }

    /// Like [`transact`](Self::transact), but anything other than the command's
    /// success status is an error.
    fn expect(&mut self, command: Command) -> Result<Vec<u8>, ReaderError> {
        let reply = self.transact(command)?;
        if reply.status != command.success() {
            return Err(ReaderError::Status {
                command: command.name(),
                status: reply.status,
            });
        }
        Ok(reply.data)
    }

    /// One request and the wait for its answer. The outer `Err` is a transport failure
    /// (the device is gone); the inner one a try that gave no usable frame.
    fn exchange(&mut self, command: Command) -> Result<Result<Reply, Miss>, ReaderError> {
        let io = |e: std::io::Error| ReaderError::Io {
            reason: e.to_string(),
        };
        self.decoder.clear();
        self.transport.discard_input().map_err(io)?;
        self.transport.send(&command.request()).map_err(io)?;
        let deadline = Instant::now() + command.timeout();
        let mut buf = [0u8; 2048];
        loop {
            while let Some(decoded) = self.decoder.next() {
                match decoded {
                    Decoded::Frame(frame) => {
                        return Ok(match frame.as_response() {
                            Some((_, _, sw3, data)) => Ok(Reply {
                                status: Status::from_code(sw3),
                                data: data.to_vec(),
                            }),
                            None => Err(Miss::Corrupted),
                        })
                    }
                    // No second frame follows a corrupted answer: try again now rather
                    // than wait out the timeout.
                    Decoded::BadChecksum { .. } => {
                        tracing::debug!(command = command.name(), "checksum error in answer");
                        return Ok(Err(Miss::Corrupted));
                    }
                    Decoded::BadLength { len } => {
                        tracing::debug!(command = command.name(), len, "impossible length");
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            // Nothing within the time left (the transport's contract for 0) ends the
            // try; a frame begun and not finished counts as corrupted.
            let n = if left.is_zero() {
                0
            } else {
                self.transport.receive(&mut buf, left).map_err(io)?
            };
            if n == 0 {
                return Ok(Err(if self.decoder.pending() > 0 {
                    Miss::Corrupted
                } else {
                    Miss::Silent
                }));
            }
            self.decoder.push(&buf[..n]);
        }
    }

    pub fn reset(&mut self) -> Result<(), ReaderError> {
        self.expect(Command::ResetSam).map(drop)
    }

    /// Ok when the SAM reports itself well (60 = self-test failed is an error).
    pub fn sam_status(&mut self) -> Result<(), ReaderError> {
        self.expect(Command::SamStatus).map(drop)
    }

    /// The SAM's 16 raw bytes (vendors print them differently).
    pub fn sam_id(&mut self) -> Result<[u8; 16], ReaderError> {
        let data = self.expect(Command::SamId)?;
        data.try_into()
            .map_err(|d: Vec<u8>| ReaderError::Malformed {
                command: Command::SamId.name(),
                reason: format!("{} bytes of SAM id, not 16", d.len()),
            })
    }

    /// True when a card is in the field, false when none (status 80).
    pub fn find(&mut self) -> Result<bool, ReaderError> {
        let reply = self.transact(Command::FindCard)?;
        match reply.status {
            Status::CardFound => Ok(true),
            Status::NoCard => Ok(false),
            status => Err(ReaderError::Status {
                command: Command::FindCard.name(),
                status,
            }),
        }
    }

    /// Selects the card found and returns its chip serial.
    pub fn select(&mut self) -> Result<[u8; 8], ReaderError> {
        let data = self.expect(Command::SelectCard)?;
        data.try_into()
            .map_err(|d: Vec<u8>| ReaderError::Malformed {
                command: Command::SelectCard.name(),
                reason: format!("{} bytes of chip serial, not 8", d.len()),
            })
    }

    /// Reads the text block and the WLT photo of the selected card.
    pub fn read_base(&mut self) -> Result<(RawText, Vec<u8>), ReaderError> {
        let data = self.expect(Command::ReadBase)?;
        let malformed = |reason: String| ReaderError::Malformed {
            command: Command::ReadBase.name(),
            reason,
        };
        if data.len() < 4 {
            return Err(malformed(format!("{} bytes of data", data.len())));
        }
        let text_len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let photo_len = usize::from(u16::from_be_bytes([data[2], data[3]]));
        if text_len != TEXT_LEN || data.len() != 4 + text_len + photo_len {
            return Err(malformed(format!(
                "text {text_len} and photo {photo_len} bytes announced, {} bytes sent",
                data.len() - 4
            )));
        }
        let text = RawText::decode(&data[4..4 + TEXT_LEN])?;
        Ok((text, data[4 + TEXT_LEN..].to_vec()))
    }

    /// Switches reader and line to `baud` (a speed from [`super::BAUD_RATES`]).
    pub fn set_baud(&mut self, baud: u32) -> Result<(), ReaderError> {
        let command = Command::set_baud(baud).ok_or(ReaderError::UnsupportedBaud(baud))?;
        self.expect(command)?;
        self.transport.set_baud(baud).map_err(|e| ReaderError::Io {
            reason: e.to_string(),
        })
    }

    /// Find, select and read the card on the reader now: [`ReaderError::NoCard`] when
    /// none is found in `find_tries` finds (readers may need a few to wake a card).
    pub fn read_card(
        &mut self,
        today: NaiveDate,
        find_tries: u32,
        between: Duration,
    ) -> Result<CardRead, ReaderError> {
        for i in 0..find_tries.max(1) {
            if i > 0 {
                std::thread::sleep(between);
            }
            if self.find()? {
                return self.select_and_read(today);
            }
        }
        Err(ReaderError::NoCard)
    }

    fn select_and_read(&mut self, today: NaiveDate) -> Result<CardRead, ReaderError> {
        let chip_serial = self.select()?;
        let (text, photo_wlt) = self.read_base()?;
        let card = IdCard::from_text(&text, today)?;
        Ok(CardRead {
            card,
            photo_wlt,
            chip_serial,
        })
    }

    /// One poll for the kiosk: a new card is read and returned once; the same card left
    /// on the reader is not read again as a new person (see the module notes).
    pub fn poll(&mut self, today: NaiveDate) -> Result<Poll, ReaderError> {
        if !self.find()? {
            if self.seen.is_none() {
                return Ok(Poll::NoCard);
            }
            self.missed_finds += 1;
            if self.missed_finds < self.settings.removal_finds {
                return Ok(Poll::SameCard);
            }
            self.forget();
            return Ok(Poll::CardGone);
        }
        self.missed_finds = 0;
        let serial = self.select()?;
        if let Some(seen) = &self.seen {
            if serial != [0; 8] && serial == seen.serial {
                return Ok(Poll::SameCard);
            }
        }
        let (text, photo_wlt) = self.read_base()?;
        let card = IdCard::from_text(&text, today)?;
        if self
            .seen
            .as_ref()
            .is_some_and(|s| s.number == card.number())
        {
            return Ok(Poll::SameCard);
        }
        self.seen = Some(Seen {
            serial,
            number: card.number().to_owned(),
        });
        Ok(Poll::NewCard(Box::new(CardRead {
            card,
            photo_wlt,
            chip_serial: serial,
        })))
    }

    /// Forgets the remembered card (the next read is a new person).
    pub fn forget(&mut self) {
        self.seen = None;
        self.missed_finds = 0;
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;

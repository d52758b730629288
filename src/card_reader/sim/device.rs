//! The simulated reader's behaviour, without I/O: bytes of requests in, timed pieces of
//! answers out. The pty runner and the driver's unit tests both use it, so the tests
//! exercise the same reader that `certpoint card simulate` puts on a terminal.
//!
//! It answers as the notes describe readers: FIND answers 9F while a card lies there and
//! has not been read yet; after a read, FIND fails until the card is taken away and put
//! back (unless `refind`, for readers that find the same card again); SELECT needs a
//! found card and READ a selected one (a repeated READ is answered again, so a driver
//! that lost an answer can ask twice).

use std::time::Duration;

use super::faults::{Fault, FaultKind};
use crate::card_reader::command::Command;
use crate::card_reader::frame::{self, Decoded, FrameDecoder};
use crate::card_reader::layout::{RawText, TEXT_LEN};
use crate::card_reader::reader::PHOTO_LEN;
use crate::card_reader::status::Status;

/// A card as the simulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCard {
    pub text: RawText,
    pub serial: [u8; 8],
    pub photo: Vec<u8>,
}

impl SimCard {
    /// A card with the golden trace's all-zero chip serial and a stand-in WLT photo
    /// (the `WLf` header of real ones, then a pattern: it is opaque to the kiosk).
    pub fn new(text: RawText) -> SimCard {
        let mut photo = vec![0u8; PHOTO_LEN];
        photo[..4].copy_from_slice(b"WLf\0");
        for (i, b) in photo.iter_mut().enumerate().skip(4) {
            *b = (i % 251) as u8;
        }
        SimCard {
            text,
            serial: [0; 8],
            photo,
        }
    }

    fn read_reply_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(4 + TEXT_LEN + PHOTO_LEN);
        data.extend_from_slice(&(TEXT_LEN as u16).to_be_bytes());
        data.extend_from_slice(&(self.photo.len() as u16).to_be_bytes());
        data.extend_from_slice(&self.text.encode());
        data.extend_from_slice(&self.photo);
        data
    }
}

/// Where the card is in the reader's field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chip {
    Idle,
    Found,
    Selected,
    Read,
}

/// A piece of an answer and the pause before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub pause: Duration,
    pub bytes: Vec<u8>,
}

/// Per byte on a 9,600-baud 8N1 line (10 bits).
const SLOW_BYTE: Duration = Duration::from_micros(1_042);
/// Bytes per slow-write piece: the pause is per piece, so a 1,295-byte answer makes 81
/// sleeps rather than 1,295.
const SLOW_PIECE: usize = 16;
const PARTIAL_PAUSE: Duration = Duration::from_millis(40);

pub struct SimReader {
    card: SimCard,
    present: bool,
    chip: Chip,
    refind: bool,
    faults: Vec<Fault>,
    decoder: FrameDecoder,
    /// Requests answered (or left unanswered) so far.
    pub requests: u64,
}

impl SimReader {
    pub fn new(card: SimCard, present: bool, refind: bool, faults: Vec<Fault>) -> SimReader {
        SimReader {
            card,
            present,
            chip: Chip::Idle,
            refind,
            faults,
            decoder: FrameDecoder::new(),
            requests: 0,
        }
    }

    pub fn present(&self) -> bool {
        self.present
    }

    /// Puts the card on the reader or takes it off; either way it is a fresh card in the
    /// field afterwards.
    pub fn set_present(&mut self, present: bool) {
        self.present = present;
        self.chip = Chip::Idle;
    }

    /// Swaps the card for another (as if one was taken off and the other put down).
    pub fn set_card(&mut self, card: SimCard) {
        self.card = card;
        self.chip = Chip::Idle;
    }

    /// Takes bytes from the line; returns the answers to every request they complete,
    /// each as pieces to write (none when a fault silences it), with the command.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<(Option<Command>, Vec<Piece>)> {
        self.decoder.push(bytes);
        let mut out = Vec::new();
        while let Some(decoded) = self.decoder.next() {
            self.requests += 1;
            let (command, answer) = match decoded {
                Decoded::Frame(f) => match f.as_request() {
                    Some((cmd, para, _)) => match Command::from_code(cmd, para) {
                        Some(c) => (Some(c), self.answer(c)),
                        None => (
                            None,
                            frame::encode_response(Status::CommandError.code(), &[]),
                        ),
                    },
                    None => (
                        None,
                        frame::encode_response(Status::LengthError.code(), &[]),
                    ),
                },
                Decoded::BadChecksum { .. } => (
                    None,
                    frame::encode_response(Status::ChecksumError.code(), &[]),
                ),
                Decoded::BadLength { .. } => (
                    None,
                    frame::encode_response(Status::LengthError.code(), &[]),
                ),
            };
            out.push((command, self.shape(command, answer)));
        }
        out
    }

    /// The protocol: the answer frame to `command` in the present state.
    fn answer(&mut self, command: Command) -> Vec<u8> {
        let reply = |s: Status, data: &[u8]| frame::encode_response(s.code(), data);
        // Evaluated for SAM STATUS only, so a counted fault is spent there.
        let sam_failed = command == Command::SamStatus
            && self
                .faults
                .iter_mut()
                .any(|f| f.kind == FaultKind::SamFailure && f.hits(Some(command)));
        match command {
            Command::ResetSam | Command::SetBaud(_) => reply(Status::Ok, &[]),
            Command::SamStatus if sam_failed => reply(Status::SamSelfTestFailed, &[]),
            Command::SamStatus => reply(Status::Ok, &[]),
            Command::SamId => reply(Status::Ok, b"CERTPOINT-SIM-01"),
            Command::FindCard => {
                let fresh = self.chip != Chip::Read || self.refind;
                if self.present && fresh {
                    self.chip = Chip::Found;
                    reply(Status::CardFound, &[0; 4])
                } else {
                    reply(Status::NoCard, &[])
                }
            }
            Command::SelectCard => {
                if self.present && matches!(self.chip, Chip::Found | Chip::Selected) {
                    self.chip = Chip::Selected;
                    reply(Status::Ok, &self.card.serial)
                } else {
                    reply(Status::SelectFailed, &[])
                }
            }
            Command::ReadBase => {
                if self.present && matches!(self.chip, Chip::Selected | Chip::Read) {
                    self.chip = Chip::Read;
                    reply(Status::Ok, &self.card.read_reply_data())
                } else {
                    reply(Status::ReadFailed, &[])
                }
            }
            Command::AdditionalAddress => {
                if self.present && matches!(self.chip, Chip::Selected | Chip::Read) {
                    reply(Status::NoContent, &[])
                } else {
                    reply(Status::ReadFailed, &[])
                }
            }
        }
    }

    /// Applies the transit faults to one answer.
    fn shape(&mut self, command: Option<Command>, mut answer: Vec<u8>) -> Vec<Piece> {
        let mut hit = |kind: FaultKind| {
            self.faults
                .iter_mut()
                .any(|f| f.kind == kind && f.hits(command))
        };
        if hit(FaultKind::Silence) {
            return Vec::new();
        }
        if hit(FaultKind::BadChecksum) {
            if let Some(last) = answer.last_mut() {
                *last ^= 0x5A;
            }
        }
        if hit(FaultKind::Noise) {
            let mut noisy = vec![0x00, 0xAA, 0xAA, 0x96, 0x13, 0xAA];
            noisy.append(&mut answer);
            answer = noisy;
        }
        let piece = |pause, bytes: &[u8]| Piece {
            pause,
            bytes: bytes.to_vec(),
        };
        if hit(FaultKind::SlowWrites) {
            return answer
                .chunks(SLOW_PIECE)
                .map(|c| piece(SLOW_BYTE * c.len() as u32, c))
                .collect();
        }
        if hit(FaultKind::PartialFrames) && answer.len() > 8 {
            let mid = answer.len() / 2;
            return vec![
                piece(Duration::ZERO, &answer[..3]),
                piece(PARTIAL_PAUSE, &answer[3..mid]),
                piece(PARTIAL_PAUSE, &answer[mid..]),
            ];
        }
        vec![piece(Duration::ZERO, &answer)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::layout::CardKind;

    fn sim(faults: &[&str]) -> SimReader {
        let faults = faults.iter().map(|f| f.parse().unwrap()).collect();
        SimReader::new(
            SimCard::new(RawText::new(CardKind::Resident)),
            true,
            false,
            faults,
        )
    }

    /// The answer to `c` as one byte string (pauses ignored).
    fn ask(s: &mut SimReader, c: Command) -> Vec<u8> {
        let out = s.receive(&c.request());
        assert_eq!(out.len(), 1);
        out[0].1.iter().flat_map(|p| p.bytes.clone()).collect()
    }

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn answers_with_the_golden_replies() {
        let mut s = sim(&[]);
        let p = "AA AA AA 96 69";
        assert_eq!(
            ask(&mut s, Command::SamStatus),
            hex(&format!("{p} 00 04 00 00 90 94"))
        );
        assert_eq!(
            ask(&mut s, Command::SelectCard),
            hex(&format!("{p} 00 04 00 00 81 85"))
        );
        assert_eq!(
            ask(&mut s, Command::ReadBase),
            hex(&format!("{p} 00 04 00 00 41 45"))
        );
        assert_eq!(
            ask(&mut s, Command::FindCard),
            hex(&format!("{p} 00 08 00 00 9F 00 00 00 00 97"))
        );
        assert_eq!(
            ask(&mut s, Command::SelectCard),
            hex(&format!("{p} 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C"))
        );
        let read = ask(&mut s, Command::ReadBase);
        assert_eq!(read.len(), 1295);
        assert_eq!(read[..14], hex(&format!("{p} 05 08 00 00 90 01 00 04 00")));
        assert_eq!(
            ask(&mut s, Command::ReadBase).len(),
            1295,
            "a repeated read"
        );
        // Read: the card is no longer found until it leaves the field.
        assert_eq!(
            ask(&mut s, Command::FindCard),
            hex(&format!("{p} 00 04 00 00 80 84"))
        );
        s.set_present(false);
        s.set_present(true);
        assert_eq!(ask(&mut s, Command::FindCard)[9], 0x9F);
    }

    #[test]
    fn refind_finds_the_read_card_again() {
        let mut s = SimReader::new(
            SimCard::new(RawText::new(CardKind::Resident)),
            true,
            true,
            vec![],
        );
        for c in [Command::FindCard, Command::SelectCard, Command::ReadBase] {
            ask(&mut s, c);
        }
        assert_eq!(ask(&mut s, Command::FindCard)[9], 0x9F);
    }

    #[test]
    fn bad_requests_get_checksum_length_and_command_errors() {
        let mut s = sim(&[]);
        let mut bad = Command::FindCard.request();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(s.receive(&bad)[0].1[0].bytes[9], 0x10);
        assert_eq!(
            s.receive(&frame::encode_request(0x77, 0x01, &[]))[0].1[0].bytes[9],
            0x21
        );
        assert_eq!(
            s.receive(&frame::encode(&[0x20], &[]))[0].1[0].bytes[9],
            0x11
        );
    }

    #[test]
    fn faults_shape_the_answers() {
        let mut s = sim(&["silence", "bad-checksum@find"]);
        assert!(s.receive(&Command::SamStatus.request())[0].1.is_empty());
        assert_eq!(
            ask(&mut s, Command::SamStatus).len(),
            11,
            "only the first is silent"
        );
        let spoiled = ask(&mut s, Command::FindCard);
        let mut d = FrameDecoder::new();
        d.push(&spoiled);
        assert!(matches!(d.next(), Some(Decoded::BadChecksum { .. })));

        let mut s = sim(&["partial-frames", "noise"]);
        let pieces = &s.receive(&Command::SamStatus.request())[0].1;
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[1].pause, PARTIAL_PAUSE);
        let all: Vec<u8> = pieces.iter().flat_map(|p| p.bytes.clone()).collect();
        assert_eq!(all[..6], [0x00, 0xAA, 0xAA, 0x96, 0x13, 0xAA]);

        let mut s = sim(&["slow-writes"]);
        for c in [Command::FindCard, Command::SelectCard] {
            ask(&mut s, c);
        }
        let pieces = &s.receive(&Command::ReadBase.request())[0].1;
        assert_eq!(pieces.len(), 1295usize.div_ceil(SLOW_PIECE));
        let total: Duration = pieces.iter().map(|p| p.pause).sum();
        assert_eq!(total, SLOW_BYTE * 1295);

        let mut s = sim(&["sam-failure"]);
        assert_eq!(ask(&mut s, Command::SamStatus)[9], 0x60);
    }
}

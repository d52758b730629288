//! The reader's frames on the wire, as pure functions over bytes (no I/O here, so every
//! rule is unit-tested and the simulator speaks the very same encoding).
//!
//! ```text
//! request:  AA AA AA 96 69 | LEN_H LEN_L | CMD PARA     | DATA… | CHK
//! response: AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3  | DATA… | CHK
//! ```
//! LEN is big-endian and counts every byte after itself, the checksum included; CHK is
//! the XOR of every byte from LEN_H to the last data byte. Requests and responses share
//! the layout; only the meaning of the first bytes after LEN differs, so one decoder
//! serves the driver (responses) and the simulator (requests).
//!
//! Serial lines deliver bytes in arbitrary pieces and, after a glitch or a reply that
//! came too late, with junk in front. [`FrameDecoder`] takes bytes as they come, skips
//! anything before a preamble (resynchronisation) and yields a frame only when all LEN
//! bytes are there.

/// Every frame starts with these five bytes.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// Largest LEN accepted. The longest reply in the notes (base info with fingerprint) is
/// about 2,300 bytes; a LEN far beyond that is line noise that happened to follow a
/// preamble, and waiting for 60 KB of it would only delay the resynchronisation.
pub const MAX_LEN: usize = 4096;

/// XOR of `bytes` (LEN through the last data byte).
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

/// A whole frame: preamble, LEN, `head` and `data`, checksum. `head` is CMD PARA in a
/// request and SW1 SW2 SW3 in a response.
pub fn encode(head: &[u8], data: &[u8]) -> Vec<u8> {
    let len = head.len() + data.len() + 1;
    assert!(
        len <= MAX_LEN,
        "frame of {len} bytes is longer than MAX_LEN"
    );
    let mut out = Vec::with_capacity(PREAMBLE.len() + 2 + len);
    out.extend_from_slice(&PREAMBLE);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(head);
    out.extend_from_slice(data);
    out.push(checksum(&out[PREAMBLE.len()..]));
    out
}

/// A request: `cmd`, `para`, then `data` (empty for every command the kiosk sends).
pub fn encode_request(cmd: u8, para: u8, data: &[u8]) -> Vec<u8> {
    encode(&[cmd, para], data)
}

/// A response with SW1 = SW2 = 0 (as in every trace seen) and status `sw3`.
pub fn encode_response(sw3: u8, data: &[u8]) -> Vec<u8> {
    encode(&[0, 0, sw3], data)
}

/// A frame whose checksum matched: everything between LEN and CHK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub body: Vec<u8>,
}

impl RawFrame {
    /// As a response: `(sw1, sw2, sw3, data)`; `None` when shorter than the status.
    pub fn as_response(&self) -> Option<(u8, u8, u8, &[u8])> {
        match self.body.as_slice() {
            [sw1, sw2, sw3, data @ ..] => Some((*sw1, *sw2, *sw3, data)),
            _ => None,
        }
    }

    /// As a request: `(cmd, para, data)`; `None` when shorter than CMD PARA.
    pub fn as_request(&self) -> Option<(u8, u8, &[u8])> {
        match self.body.as_slice() {
            [cmd, para, data @ ..] => Some((*cmd, *para, data)),
            _ => None,
        }
    }
}

/// What the decoder found in the bytes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(RawFrame),
    /// A complete frame whose checksum did not match: `expected` is what the bytes give,
    /// `found` what the frame carried. The frame is dropped; decoding goes on after it.
    BadChecksum {
        expected: u8,
        found: u8,
    },
    /// A preamble followed by an impossible LEN (0 or above [`MAX_LEN`]); the decoder
    /// skipped that preamble and looks for the next one.
    BadLength {
        len: usize,
    },
}

/// Streaming decoder: [`push`](Self::push) bytes as they arrive, then call
/// [`next`](Self::next) until it returns `None` (needs more bytes).
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Bytes thrown away while looking for a preamble (for diagnostics).
    skipped: usize,
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes skipped so far because they were not part of a frame.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Bytes waiting (a partial frame, or junk not yet ruled out as a preamble start).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The next frame or fault, or `None` when the bytes so far end mid-frame.
    #[allow(clippy::should_implement_trait)] // not an Iterator: `None` means "not yet"
    pub fn next(&mut self) -> Option<Decoded> {
        self.resync();
        if self.buf.len() < PREAMBLE.len() + 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([self.buf[5], self.buf[6]]));
        if len == 0 || len > MAX_LEN {
            // Not a real frame: drop the first preamble byte so the search starts
            // again inside what looked like one.
            self.drop_front(1);
            return Some(Decoded::BadLength { len });
        }
        let total = PREAMBLE.len() + 2 + len;
        if self.buf.len() < total {
            return None;
        }
        let frame: Vec<u8> = self.buf.drain(..total).collect();
        let found = frame[total - 1];
        let expected = checksum(&frame[PREAMBLE.len()..total - 1]);
        if found != expected {
            return Some(Decoded::BadChecksum { expected, found });
        }
        Some(Decoded::Frame(RawFrame {
            body: frame[PREAMBLE.len() + 2..total - 1].to_vec(),
        }))
    }

    /// Drops bytes until the buffer starts with the preamble, or with a prefix of it at
    /// the very end (the rest may still come).
    fn resync(&mut self) {
        let mut start = 0;
        while start < self.buf.len() {
            let rest = &self.buf[start..];
            let n = rest.len().min(PREAMBLE.len());
            if rest[..n] == PREAMBLE[..n] {
                break;
            }
            start += 1;
        }
        self.drop_front(start);
    }

    fn drop_front(&mut self, n: usize) {
        self.buf.drain(..n);
        self.skipped += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn requests_match_the_documented_bytes() {
        // From the notes' command table.
        assert_eq!(
            encode_request(0x10, 0xFF, &[]),
            hex("AA AA AA 96 69 00 03 10 FF EC")
        );
        assert_eq!(encode_request(0x11, 0xFF, &[])[7..], hex("11 FF ED"));
        assert_eq!(encode_request(0x12, 0xFF, &[])[7..], hex("12 FF EE"));
        assert_eq!(encode_request(0x20, 0x01, &[])[7..], hex("20 01 22"));
        assert_eq!(encode_request(0x20, 0x02, &[])[7..], hex("20 02 21"));
        assert_eq!(encode_request(0x30, 0x01, &[])[7..], hex("30 01 32"));
        assert_eq!(encode_request(0x30, 0x10, &[])[7..], hex("30 10 23"));
        assert_eq!(encode_request(0x30, 0x03, &[])[7..], hex("30 03 30"));
    }

    #[test]
    fn golden_replies_encode_and_decode() {
        let golden = [
            ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, 4),
            ("AA AA AA 96 69 00 04 00 00 80 84", 0x80, 0),
            (
                "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C",
                0x90,
                8,
            ),
            ("AA AA AA 96 69 00 04 00 00 81 85", 0x81, 0),
            ("AA AA AA 96 69 00 04 00 00 41 45", 0x41, 0),
            ("AA AA AA 96 69 00 04 00 00 90 94", 0x90, 0),
        ];
        for (bytes, sw3, data_len) in golden {
            let bytes = hex(bytes);
            let data = vec![0; data_len];
            assert_eq!(encode_response(sw3, &data), bytes);
            let mut d = FrameDecoder::new();
            d.push(&bytes);
            let Some(Decoded::Frame(f)) = d.next() else {
                panic!("{bytes:02X?} did not decode")
            };
            assert_eq!(f.as_response(), Some((0, 0, sw3, data.as_slice())));
            assert_eq!(d.next(), None);
        }
    }

    #[test]
    fn a_successful_read_is_1295_bytes_with_the_documented_start() {
        let mut data = vec![0x01, 0x00, 0x04, 0x00];
        data.extend(vec![0x20; 256 + 1024]);
        let f = encode_response(0x90, &data);
        assert_eq!(f.len(), 1295);
        assert_eq!(f[..14], hex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00"));
    }

    #[test]
    fn frames_arrive_byte_by_byte() {
        let frame = encode_response(0x9F, &[1, 2, 3, 4]);
        let mut d = FrameDecoder::new();
        for (i, b) in frame.iter().enumerate() {
            assert_eq!(d.next(), None, "complete too early at byte {i}");
            d.push(&[*b]);
        }
        assert!(matches!(d.next(), Some(Decoded::Frame(_))));
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn junk_before_a_preamble_is_skipped() {
        // Includes a false start (AA AA 96) that must not swallow the real preamble.
        let mut bytes = hex("00 13 AA AA 96 AA");
        let frame = encode_response(0x90, &[]);
        bytes.extend(&frame);
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        assert_eq!(
            d.next(),
            Some(Decoded::Frame(RawFrame {
                body: vec![0, 0, 0x90]
            }))
        );
        assert_eq!(d.skipped(), 6);
    }

    #[test]
    fn a_preamble_split_across_pushes_is_kept() {
        let frame = encode_response(0x80, &[]);
        let mut d = FrameDecoder::new();
        d.push(&[0x55, 0xAA, 0xAA]);
        assert_eq!(d.next(), None);
        assert_eq!(d.pending(), 2, "the AA AA may start the preamble");
        d.push(&frame[2..]);
        assert!(matches!(d.next(), Some(Decoded::Frame(_))));
    }

    #[test]
    fn a_bad_checksum_is_reported_and_the_next_frame_still_decodes() {
        let mut bad = encode_response(0x90, &[]);
        *bad.last_mut().unwrap() ^= 0xFF;
        let good = encode_response(0x9F, &[0; 4]);
        let mut d = FrameDecoder::new();
        d.push(&bad);
        d.push(&good);
        assert_eq!(
            d.next(),
            Some(Decoded::BadChecksum {
                expected: 0x94,
                found: 0x6B
            })
        );
        assert!(matches!(d.next(), Some(Decoded::Frame(f)) if f.body[2] == 0x9F));
    }

    #[test]
    fn an_impossible_length_resynchronises() {
        let mut bytes = PREAMBLE.to_vec();
        bytes.extend([0xFF, 0xFF]);
        bytes.extend(encode_response(0x90, &[]));
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        assert_eq!(d.next(), Some(Decoded::BadLength { len: 0xFFFF }));
        assert!(matches!(d.next(), Some(Decoded::Frame(_))));
        let mut zero = PREAMBLE.to_vec();
        zero.extend([0, 0]);
        d.push(&zero);
        assert_eq!(d.next(), Some(Decoded::BadLength { len: 0 }));
    }

    #[test]
    fn requests_decode_for_the_simulator() {
        let mut d = FrameDecoder::new();
        d.push(&encode_request(0x60, 0x04, &[]));
        let Some(Decoded::Frame(f)) = d.next() else {
            panic!()
        };
        assert_eq!(f.as_request(), Some((0x60, 0x04, &[][..])));
        assert_eq!(RawFrame { body: vec![1] }.as_request(), None);
        assert_eq!(RawFrame { body: vec![1, 2] }.as_response(), None);
    }
}

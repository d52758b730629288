//! Keyboard-wedge scanner input: tells a scanned ID number from one the clerk typed.
//!
//! ID card readers and barcode scanners in "keyboard wedge" mode pretend to be a keyboard:
//! they type the number a few milliseconds per character and press Enter. The clerk types
//! into the same field by hand, at best every 100 ms or so. Timing is therefore the only
//! signal, and this parser is a pure function of timestamped key events (no clock, no
//! threads), so every rule below is tested with scripted sequences.
//!
//! Rules:
//! - A *fast run* is a sequence of keystrokes each within `max_gap_ms` of the previous one.
//!   A fast run of `min_len..=max_len` ID characters cannot come from a human hand, so it
//!   is a scan; followed by Enter within `max_gap_ms` it yields [`WedgeOutput::Scanned`].
//! - Everything else that ends in Enter yields [`WedgeOutput::Typed`]: any slow gap, any
//!   Backspace (a human correcting), a slow Enter, or too few characters.
//! - A scan arriving over half-typed input replaces it: the clerk started typing, then
//!   picked up the scanner instead. The replacement happens as soon as the run is long
//!   enough to be a scan, so the field shows what Enter will submit.
//! - A scan that is not closed by Enter (a scanner configured without the Enter suffix, or
//!   a dropped key) and is followed by a slow keystroke is discarded, and the slow key
//!   starts fresh input: appending a human's keys to a scan would only make garbage.
//!   A Backspace instead means the clerk is editing what was scanned, so it is kept.
//! - A fast run longer than `max_len` is not a scan (most likely a held key's auto-repeat,
//!   which is as fast as a scanner); it is treated as typed input. (On its way past
//!   `min_len` it has already replaced earlier input, as a scan would; the field shows
//!   that plainly and the clerk retypes.)
//! - Only digits and X are kept (`x` and full-width forms are normalised). Other characters
//!   (scanner prefixes and suffixes, spaces or hyphens a clerk adds) are dropped but still
//!   count for timing, so a prefix does not break a scan's fast run.
//! - Escape clears; [`Key::Other`] (arrows, function keys) is ignored entirely.
//!
//! The timing logic reads no clock. The one clock read is inside [`IdNumber::parse`], which
//! needs today's date to reject a birth date in the future.
//!
//! Privacy: `Debug` on the parser shows only the masked buffer, and on [`Key`] hides ID
//! characters, so logging events one by one cannot reassemble a number.

use std::fmt;

use crate::id_number::{normalise_char, IdError, IdNumber};

/// Stored characters are capped so a stuck key cannot grow the buffer without bound. 64
/// leaves room for a full scan on top of any half-typed number; beyond it the oldest keys
/// before the current run are dropped (then the run's own), and the result fails
/// validation rather than producing a wrong number.
const MAX_PENDING: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WedgeConfig {
    /// Longest gap between two keystrokes of one scan, and between its last character and
    /// its Enter.
    pub max_gap_ms: u64,
    /// Fewest ID characters in a fast run for it to count as a scan (15: legacy numbers).
    pub min_len: usize,
    /// Most ID characters in a fast run for it to count as a scan.
    pub max_len: usize,
}

impl Default for WedgeConfig {
    fn default() -> Self {
        // Scanners type every 2-15 ms; a quick human rarely gets under 80 ms between
        // keys, and never for 15 keys in a row. 50 ms sits safely between the two.
        WedgeConfig {
            max_gap_ms: 50,
            min_len: 15,
            max_len: 18,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Backspace,
    Escape,
    Other,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Char(c) if is_id_char(normalise_char(*c)) => f.write_str("Char(<id>)"),
            Key::Char(c) => write!(f, "Char({c:?})"),
            Key::Enter => f.write_str("Enter"),
            Key::Backspace => f.write_str("Backspace"),
            Key::Escape => f.write_str("Escape"),
            Key::Other => f.write_str("Other"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvent {
    /// Milliseconds on any monotonic clock; only differences matter.
    pub at_ms: u64,
    pub key: Key,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WedgeOutput {
    /// A fast burst ending in Enter: a scan. Already validated.
    Scanned(Result<IdNumber, IdError>),
    /// The clerk typed by hand and pressed Enter.
    Typed(Result<IdNumber, IdError>),
}

pub struct WedgeParser {
    cfg: WedgeConfig,
    /// The field's content: ID characters only, normalised.
    buf: Vec<char>,
    /// Where the current fast run starts in `buf`.
    run_start: usize,
    /// ID characters in the current fast run (those dropped at the cap included, so an
    /// over-long run is still recognised as one).
    run_len: usize,
    /// The content shows signs of a human: a slow gap inside it, or a Backspace.
    human: bool,
    /// Time of the previous keystroke, `None` at the start of fresh input.
    last_at: Option<u64>,
}

impl WedgeParser {
    pub fn new(cfg: WedgeConfig) -> Self {
        WedgeParser {
            cfg,
            buf: Vec::new(),
            run_start: 0,
            run_len: 0,
            human: false,
            last_at: None,
        }
    }

    /// Feeds one key event; returns a result when Enter completes an entry.
    pub fn push(&mut self, ev: KeyEvent) -> Option<WedgeOutput> {
        match ev.key {
            Key::Char(c) => {
                self.char(ev.at_ms, normalise_char(c));
                None
            }
            Key::Enter => self.enter(ev.at_ms),
            Key::Backspace => {
                self.buf.pop();
                self.last_at = Some(ev.at_ms);
                if self.buf.is_empty() {
                    self.clear();
                } else {
                    self.human = true;
                    self.start_run();
                }
                None
            }
            Key::Escape => {
                self.clear();
                None
            }
            Key::Other => None,
        }
    }

    /// Number of ID characters in the field.
    pub fn pending_len(&self) -> usize {
        self.buf.len()
    }

    /// The field's content for display: from 9 characters on, all but the first four and
    /// the last four are starred (the last four are what the clerk just typed, so they can
    /// still follow their own typing); shorter input reveals little and is shown as typed.
    pub fn pending_masked(&self) -> String {
        let n = self.buf.len();
        if n < 9 {
            return self.buf.iter().collect();
        }
        let mut s: String = self.buf[..4].iter().collect();
        s.extend(std::iter::repeat_n('*', n - 8));
        s.extend(&self.buf[n - 4..]);
        s
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.run_start = 0;
        self.run_len = 0;
        self.human = false;
        self.last_at = None;
    }

    fn is_fast(&self, at_ms: u64) -> bool {
        self.last_at
            .is_some_and(|last| at_ms.saturating_sub(last) <= self.cfg.max_gap_ms)
    }

    fn is_scan_run(&self) -> bool {
        (self.cfg.min_len..=self.cfg.max_len).contains(&self.run_len)
    }

    fn start_run(&mut self) {
        self.run_start = self.buf.len();
        self.run_len = 0;
    }

    fn char(&mut self, at_ms: u64, c: char) {
        if !self.is_fast(at_ms) {
            if self.is_scan_run() {
                self.clear();
            } else if !self.buf.is_empty() {
                self.human = true;
            }
            self.start_run();
        }
        self.last_at = Some(at_ms);
        if !is_id_char(c) {
            return;
        }
        self.run_len += 1;
        if self.buf.len() >= MAX_PENDING && self.run_start > 0 {
            // Room comes out of the input before this run, never out of the run: if the
            // run is a scan it replaces that input anyway, and must arrive whole.
            self.buf.remove(0);
            self.run_start -= 1;
        }
        if self.buf.len() < MAX_PENDING {
            self.buf.push(c);
        }
        if self.run_len == self.cfg.min_len && self.run_start > 0 {
            // A scan over half-typed input: the scan is what the clerk meant.
            self.buf.drain(..self.run_start);
            self.run_start = 0;
            self.human = false;
        }
    }

    fn enter(&mut self, at_ms: u64) -> Option<WedgeOutput> {
        if self.buf.is_empty() {
            self.clear();
            return None;
        }
        let scanned = self.is_fast(at_ms) && self.is_scan_run() && !self.human;
        let text: String = self.buf.iter().collect();
        self.clear();
        let result = IdNumber::parse(&text);
        Some(if scanned {
            WedgeOutput::Scanned(result)
        } else {
            WedgeOutput::Typed(result)
        })
    }
}

impl Default for WedgeParser {
    fn default() -> Self {
        WedgeParser::new(WedgeConfig::default())
    }
}

impl fmt::Debug for WedgeParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WedgeParser")
            .field("cfg", &self.cfg)
            .field("pending", &self.pending_masked())
            .field("run_len", &self.run_len)
            .field("human", &self.human)
            .finish_non_exhaustive()
    }
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_digit() || c == 'X'
}

#[cfg(test)]
mod tests;

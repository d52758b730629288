//! Arbitrary timed key-event sequences through the keyboard-wedge parser (`src/wedge.rs`),
//! each followed by a real scan.
//!
//! Invariants: no panic; the field never holds more than its cap; the masked field shows
//! at most the first and last four characters once it has nine; Escape and Enter empty
//! the field; keys that are not ID characters never add to it; an accepted number is
//! valid. And whatever came before, a clean scan (a slow gap, 18 characters 2-15 ms
//! apart, Enter) is reported as that scan: the module promises a scan replaces
//! half-typed input.

#![no_main]

use arbitrary::Arbitrary;
use certpoint_fuzz::id_number::IdNumber;
use certpoint_fuzz::wedge::{Key, KeyEvent, WedgeConfig, WedgeOutput, WedgeParser};
use libfuzzer_sys::fuzz_target;

/// Valid numbers from the unit tests (18-character and legacy 15-digit forms).
const SCANS: [&str; 4] = [
    "11010519491231002X",
    "310115196002291236",
    "650102193611118765",
    "110105491231002",
];

#[derive(Debug, Arbitrary)]
enum Stroke {
    Digit(u8),
    X,
    LowerX,
    FullWidthDigit(u8),
    Char(char),
    Enter,
    Backspace,
    Escape,
    Other,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// (milliseconds since the previous event, key): a monotonic clock.
    events: Vec<(u16, Stroke)>,
    scan: u8,
    scan_gaps: [u8; 4],
}

fuzz_target!(|input: Input| {
    let cfg = WedgeConfig::default();
    let mut p = WedgeParser::new(cfg);
    let mut at: u64 = 1_000;
    for (gap, stroke) in &input.events {
        at += u64::from(*gap);
        let key = match *stroke {
            Stroke::Digit(d) => Key::Char(char::from(b'0' + d % 10)),
            Stroke::X => Key::Char('X'),
            Stroke::LowerX => Key::Char('x'),
            Stroke::FullWidthDigit(d) => {
                Key::Char(char::from_u32(0xFF10 + u32::from(d % 10)).unwrap())
            }
            Stroke::Char(c) => Key::Char(c),
            Stroke::Enter => Key::Enter,
            Stroke::Backspace => Key::Backspace,
            Stroke::Escape => Key::Escape,
            Stroke::Other => Key::Other,
        };
        let before = p.pending_len();
        let out = p.push(KeyEvent { at_ms: at, key });
        check_field(&p);
        let id_char = matches!(
            stroke,
            Stroke::Digit(_) | Stroke::X | Stroke::LowerX | Stroke::FullWidthDigit(_)
        ) || matches!(stroke, Stroke::Char(c) if c.is_ascii_digit() || matches!(c, 'x' | 'X' | 'Ｘ' | 'ｘ' | '０'..='９'));
        match key {
            Key::Enter | Key::Escape => assert_eq!(p.pending_len(), 0),
            Key::Other => assert_eq!(p.pending_len(), before),
            Key::Backspace => assert_eq!(p.pending_len(), before.saturating_sub(1)),
            Key::Char(_) if !id_char => assert_eq!(p.pending_len(), before),
            Key::Char(_) => assert!(p.pending_len() >= 1 && p.pending_len() <= before + 1),
        }
        if let Some(WedgeOutput::Scanned(Ok(id)) | WedgeOutput::Typed(Ok(id))) = &out {
            assert!(IdNumber::parse(id.as_str()).is_ok());
        }
        if out.is_some() {
            assert!(before > 0, "output from an empty field");
        }
    }

    // A clean scan after whatever came before.
    let number = SCANS[usize::from(input.scan) % SCANS.len()];
    at += cfg.max_gap_ms + 1 + u64::from(input.scan_gaps[0]);
    let mut last = None;
    for (i, c) in number.chars().enumerate() {
        // 2-15 ms apart, as a scanner types.
        let gap = 2 + u64::from(input.scan_gaps[i % 4] % 14);
        if i > 0 {
            at += gap;
        }
        last = p.push(KeyEvent {
            at_ms: at,
            key: Key::Char(c),
        });
        assert!(last.is_none());
        check_field(&p);
    }
    let _ = last;
    let out = p.push(KeyEvent {
        at_ms: at + 5,
        key: Key::Enter,
    });
    let expected = IdNumber::parse(number).expect("the scanned numbers are valid");
    assert_eq!(
        out,
        Some(WedgeOutput::Scanned(Ok(expected))),
        "a clean scan after {} events was not reported as that scan",
        input.events.len()
    );
});

fn check_field(p: &WedgeParser) {
    let n = p.pending_len();
    assert!(n <= 64, "the field grew to {n}");
    let masked = p.pending_masked();
    assert_eq!(masked.chars().count(), n);
    if n >= 9 {
        let shown = masked.chars().filter(|&c| c != '*').count();
        assert_eq!(shown, 8, "the mask shows {shown} characters: {masked}");
        assert!(
            masked.chars().skip(4).take(n - 8).all(|c| c == '*'),
            "{masked}"
        );
    }
    let debug = format!("{p:?}");
    assert!(debug.contains(&masked));
}

//! Scripted key sequences with realistic timing: scanners at 2-15 ms per key, clerks at
//! 150-400 ms.

use proptest::prelude::*;

use super::*;

const ID: &str = "11010519491231002X";
const OTHER_ID: &str = "310115196002291236";

/// Builds timed events, advancing a clock through a cycle of gaps.
struct Script {
    at: u64,
    events: Vec<KeyEvent>,
}

impl Script {
    fn starting_at(at: u64) -> Self {
        Script {
            at,
            events: Vec::new(),
        }
    }

    fn key(mut self, gap: u64, key: Key) -> Self {
        self.at += gap;
        self.events.push(KeyEvent {
            at_ms: self.at,
            key,
        });
        self
    }

    fn text(mut self, text: &str, gaps: &[u64]) -> Self {
        for (c, gap) in text.chars().zip(gaps.iter().cycle()) {
            self = self.key(*gap, Key::Char(c));
        }
        self
    }

    fn scanned(self, text: &str) -> Self {
        self.text(text, SCANNER)
    }

    fn typed(self, text: &str) -> Self {
        self.text(text, HUMAN)
    }

    fn enter(self, gap: u64) -> Self {
        self.key(gap, Key::Enter)
    }

    /// Feeds everything to `p`, returning every output in order.
    fn run(self, p: &mut WedgeParser) -> Vec<WedgeOutput> {
        self.events
            .into_iter()
            .filter_map(|ev| p.push(ev))
            .collect()
    }

    /// Feeds everything to a fresh default parser, expecting exactly one output.
    fn one(self) -> WedgeOutput {
        let mut outputs = self.run(&mut WedgeParser::default());
        assert_eq!(outputs.len(), 1, "{outputs:?}");
        outputs.pop().unwrap()
    }
}

const SCANNER: &[u64] = &[5, 12, 8, 15, 6, 9];
const HUMAN: &[u64] = &[150, 400, 220, 310, 180];

fn id(s: &str) -> IdNumber {
    IdNumber::parse(s).unwrap()
}

#[test]
fn a_fast_burst_ending_in_enter_is_a_scan() {
    let out = Script::starting_at(1_000).scanned(ID).enter(8).one();
    assert_eq!(out, WedgeOutput::Scanned(Ok(id(ID))));
}

#[test]
fn the_same_digits_typed_by_hand_are_typed() {
    let out = Script::starting_at(1_000).typed(ID).enter(300).one();
    assert_eq!(out, WedgeOutput::Typed(Ok(id(ID))));
}

#[test]
fn a_slow_enter_after_a_fast_burst_is_typed() {
    // A scanner set up without the Enter suffix: the clerk confirms by hand.
    let out = Script::starting_at(0).scanned(ID).enter(900).one();
    assert_eq!(out, WedgeOutput::Typed(Ok(id(ID))));
}

#[test]
fn a_typo_corrected_with_backspace_is_typed() {
    let out = Script::starting_at(0)
        .typed("1101051949123100")
        .typed("7")
        .key(250, Key::Backspace)
        .typed("2x")
        .enter(200)
        .one();
    assert_eq!(out, WedgeOutput::Typed(Ok(id(ID))));
}

#[test]
fn backspace_on_a_scan_makes_it_typed() {
    let mut p = WedgeParser::default();
    let s = Script::starting_at(0)
        .scanned("110105194912310021")
        .key(600, Key::Backspace);
    assert!(s.run(&mut p).is_empty());
    assert_eq!(
        p.pending_len(),
        17,
        "the clerk is editing the scan, so it stays"
    );
    let out = Script::starting_at(2_000).typed("X").enter(200).run(&mut p);
    assert_eq!(out, vec![WedgeOutput::Typed(Ok(id(ID)))]);
}

#[test]
fn a_scan_with_a_wrong_check_character_is_still_a_scan() {
    let out = Script::starting_at(0)
        .scanned("110105194912310021")
        .enter(10)
        .one();
    let err = IdError::CheckCharacter {
        expected: 'X',
        found: '1',
    };
    assert_eq!(out, WedgeOutput::Scanned(Err(err)));
}

#[test]
fn lower_case_and_full_width_scans_are_normalised() {
    let out = Script::starting_at(0)
        .scanned("11010519491231002x")
        .enter(5)
        .one();
    assert_eq!(out, WedgeOutput::Scanned(Ok(id(ID))));
    let out = Script::starting_at(0)
        .scanned("１１０１０５１９４９１２３１００２Ｘ")
        .enter(5)
        .one();
    assert_eq!(out, WedgeOutput::Scanned(Ok(id(ID))));
}

#[test]
fn a_15_digit_legacy_scan_is_upgraded() {
    let out = Script::starting_at(0)
        .scanned("110105491231002")
        .enter(7)
        .one();
    assert_eq!(out, WedgeOutput::Scanned(Ok(id(ID))));
}

#[test]
fn scanner_prefixes_and_suffixes_are_dropped_without_breaking_the_run() {
    let out = Script::starting_at(0)
        .scanned(&format!("ID:{ID};"))
        .enter(5)
        .one();
    assert_eq!(out, WedgeOutput::Scanned(Ok(id(ID))));
    // Keys that are not characters at all do not even count for timing.
    let out = Script::starting_at(0)
        .key(0, Key::Other)
        .scanned(ID)
        .key(3, Key::Other)
        .enter(5)
        .one();
    assert_eq!(out, WedgeOutput::Scanned(Ok(id(ID))));
}

#[test]
fn a_scan_replaces_half_typed_input() {
    let mut p = WedgeParser::default();
    assert!(Script::starting_at(0)
        .typed("3101151")
        .run(&mut p)
        .is_empty());
    assert_eq!(p.pending_len(), 7);
    // The clerk gives up typing and picks up the scanner a few seconds later.
    let events = Script::starting_at(10_000).scanned(ID).enter(6).events;
    assert!(events[..15].iter().all(|ev| p.push(*ev).is_none()));
    assert_eq!(
        p.pending_len(),
        15,
        "the field shows only the scan once it is one"
    );
    let out: Vec<_> = events[15..].iter().filter_map(|ev| p.push(*ev)).collect();
    assert_eq!(out, vec![WedgeOutput::Scanned(Ok(id(ID)))]);
}

#[test]
fn a_scan_left_without_enter_is_dropped_by_the_next_slow_key() {
    let mut p = WedgeParser::default();
    assert!(Script::starting_at(0)
        .scanned(OTHER_ID)
        .run(&mut p)
        .is_empty());
    assert_eq!(p.pending_len(), 18);
    let out = Script::starting_at(5_000).typed(ID).enter(250).run(&mut p);
    assert_eq!(out, vec![WedgeOutput::Typed(Ok(id(ID)))]);
}

#[test]
fn a_long_idle_in_the_middle_keeps_the_input_but_makes_it_typed() {
    // A clerk interrupted for half a minute carries on where they stopped.
    let out = Script::starting_at(0)
        .typed(&ID[..9])
        .key(30_000, Key::Char('9'))
        .typed(&ID[10..])
        .enter(300)
        .one();
    assert_eq!(out, WedgeOutput::Typed(Ok(id(ID))));
    // A scanner that stalls before reaching `min_len`: not a clean scan, so not Scanned.
    let out = Script::starting_at(0)
        .scanned(&ID[..10])
        .key(5_000, Key::Char('1'))
        .scanned(&ID[11..])
        .enter(5)
        .one();
    assert_eq!(out, WedgeOutput::Typed(Ok(id(ID))));
}

#[test]
fn escape_clears_the_field() {
    let mut p = WedgeParser::default();
    let s = Script::starting_at(0)
        .typed("110105")
        .key(300, Key::Escape)
        .enter(300);
    assert!(
        s.run(&mut p).is_empty(),
        "Enter after Escape has nothing to submit"
    );
    assert_eq!(p.pending_len(), 0);
    let out = Script::starting_at(5_000).scanned(ID).enter(5).run(&mut p);
    assert_eq!(out, vec![WedgeOutput::Scanned(Ok(id(ID)))]);
}

#[test]
fn enter_on_empty_input_does_nothing() {
    let mut p = WedgeParser::default();
    assert!(Script::starting_at(0).enter(0).run(&mut p).is_empty());
    // Only non-ID characters typed: still nothing to submit.
    assert!(Script::starting_at(0)
        .typed("- ")
        .enter(200)
        .run(&mut p)
        .is_empty());
    // Backspacing everything away starts over.
    let s = Script::starting_at(0)
        .typed("11")
        .key(200, Key::Backspace)
        .key(200, Key::Backspace)
        .enter(200);
    assert!(s.run(&mut p).is_empty());
}

#[test]
fn too_few_characters_are_typed_even_when_fast() {
    let out = Script::starting_at(0).scanned("12345").enter(5).one();
    assert_eq!(out, WedgeOutput::Typed(Err(IdError::Length { found: 5 })));
    let out = Script::starting_at(0).typed("11010519491").enter(300).one();
    assert_eq!(out, WedgeOutput::Typed(Err(IdError::Length { found: 11 })));
}

#[test]
fn a_held_key_is_not_a_scan() {
    // Auto-repeat is as fast as a scanner but runs past `max_len`.
    let mut p = WedgeParser::default();
    let repeat: String = "1".repeat(25);
    assert!(Script::starting_at(0)
        .text(&repeat, &[33])
        .run(&mut p)
        .is_empty());
    // A slow key after it does not wipe the field, as it would after an unfinished scan.
    let out = Script::starting_at(5_000).typed("2").enter(300).run(&mut p);
    assert_eq!(
        out,
        vec![WedgeOutput::Typed(Err(IdError::Length { found: 26 }))]
    );
    let out = Script::starting_at(0).text(&repeat, &[33]).enter(10).one();
    assert_eq!(out, WedgeOutput::Typed(Err(IdError::Length { found: 25 })));
}

#[test]
fn the_buffer_is_bounded() {
    let mut p = WedgeParser::default();
    let flood: String = "7".repeat(500);
    assert!(Script::starting_at(0).typed(&flood).run(&mut p).is_empty());
    assert_eq!(p.pending_len(), MAX_PENDING);
}

/// Found by the wedge fuzz target: over a full field, the cap dropped the scan's own
/// characters before the scan could replace the field, so a good scan failed as too short.
#[test]
fn a_scan_over_a_full_field_arrives_whole() {
    let mut p = WedgeParser::default();
    let flood: String = "7".repeat(100);
    Script::starting_at(0).typed(&flood).run(&mut p);
    assert_eq!(p.pending_len(), MAX_PENDING);
    let out = Script::starting_at(100_000)
        .scanned(ID)
        .enter(8)
        .run(&mut p);
    assert_eq!(out, vec![WedgeOutput::Scanned(Ok(id(ID)))]);
}

#[test]
fn pending_input_is_masked_from_nine_characters() {
    let mut p = WedgeParser::default();
    Script::starting_at(0).typed("11010519").run(&mut p);
    assert_eq!(p.pending_masked(), "11010519");
    Script::starting_at(5_000).typed("4").run(&mut p);
    assert_eq!(p.pending_masked(), "1101*5194");
    Script::starting_at(9_000).typed(&ID[9..]).run(&mut p);
    assert_eq!(p.pending_masked(), "1101**********002X");
    assert_eq!(p.pending_len(), 18);
}

#[test]
fn debug_output_never_holds_the_number() {
    let mut p = WedgeParser::default();
    let s = Script::starting_at(0).typed(ID);
    let events = format!("{:?}", s.events);
    assert!(
        !events.contains("'1'") && !events.contains("'X'"),
        "{events}"
    );
    s.run(&mut p);
    let shown = format!("{p:?}");
    assert!(
        !shown.contains(ID) && shown.contains("1101**********002X"),
        "{shown}"
    );
    assert_eq!(format!("{:?}", Key::Char('x')), "Char(<id>)");
    assert_eq!(format!("{:?}", Key::Char('-')), "Char('-')");
}

proptest! {
    #[test]
    fn scanner_speed_is_always_scanned(gaps in prop::collection::vec(0..=50u64, 19)) {
        let out = Script::starting_at(0).text(ID, &gaps[..18]).enter(gaps[18]).one();
        prop_assert_eq!(out, WedgeOutput::Scanned(Ok(id(ID))));
    }

    #[test]
    fn human_speed_is_always_typed(gaps in prop::collection::vec(51..=2_000u64, 19)) {
        let out = Script::starting_at(0).text(ID, &gaps[..18]).enter(gaps[18]).one();
        prop_assert_eq!(out, WedgeOutput::Typed(Ok(id(ID))));
    }

    #[test]
    fn any_key_sequence_is_handled(
        keys in prop::collection::vec((0..200u64, 0..6u8, "[0-9xX a]"), 0..80)
    ) {
        let mut p = WedgeParser::default();
        let mut at = 0;
        for (gap, kind, c) in keys {
            at += gap;
            let key = match kind {
                0 => Key::Enter,
                1 => Key::Backspace,
                2 => Key::Escape,
                3 => Key::Other,
                _ => Key::Char(c.chars().next().unwrap()),
            };
            if p.push(KeyEvent { at_ms: at, key }).is_some() {
                prop_assert_eq!(p.pending_len(), 0);
            }
            prop_assert!(p.pending_len() <= MAX_PENDING);
        }
    }
}

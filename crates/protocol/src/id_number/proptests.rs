//! Properties of the MOD 11-2 scheme and of the parser, over generated numbers.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;

use super::region::PROVINCE_CODES;
use super::tests::{parse, today, with_check};
use super::*;

/// Any real number: a listed province, any county digits, a plausible date, any sequence.
fn valid_number() -> impl Strategy<Value = String> {
    let first = NaiveDate::from_ymd_opt(EARLIEST_BIRTH_YEAR, 1, 1).unwrap();
    let span = (today() - first).num_days() as u64;
    (
        prop::sample::select(&PROVINCE_CODES[..]),
        0..10_000u32,
        0..=span,
        0..1000u32,
    )
        .prop_map(move |(province, county, day, seq)| {
            let birth = first.checked_add_days(Days::new(day)).unwrap();
            with_check(&format!(
                "{province}{county:04}{}{seq:03}",
                birth.format("%Y%m%d")
            ))
        })
}

const ALPHABET: [char; 11] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_numbers_round_trip(number in valid_number()) {
        let id = parse(&number).unwrap();
        prop_assert_eq!(id.as_str(), number.as_str());
        prop_assert_eq!(parse(&number.to_lowercase()).unwrap(), id.clone());
        prop_assert_eq!(parse(&format!(" {number}\r\n")).unwrap(), id.clone());
        prop_assert_eq!(id.birth_date().format("%Y%m%d").to_string(), &number[6..14]);
        prop_assert!(id.age_on(today()) <= 136);
        let shown = format!("{id:?}");
        prop_assert!(!shown.contains(&number));
    }

    #[test]
    fn legacy_form_converts_to_the_same_number(number in valid_number()) {
        prop_assume!(&number[6..8] == "19");
        let legacy = format!("{}{}", &number[..6], &number[8..17]);
        let converted = parse(&legacy).unwrap();
        prop_assert_eq!(converted.as_str(), number.as_str());
    }

    /// MOD 11-2 weights are all non-zero mod the prime 11 and digit changes are below 11,
    /// so every single substitution changes the weighted sum: none can go unnoticed.
    #[test]
    fn any_single_substitution_is_rejected(number in valid_number(), pos in 0..18usize, k in 0..10usize) {
        let mut chars: Vec<char> = number.chars().collect();
        let others: Vec<char> = ALPHABET.iter().copied().filter(|&c| c != chars[pos]).collect();
        chars[pos] = others[k];
        let changed: String = chars.into_iter().collect();
        prop_assert!(parse(&changed).is_err(), "{} accepted", changed);
    }

    /// Adjacent weights (the check character's is 1) all differ mod 11, so swapping two
    /// different neighbours always changes the sum.
    #[test]
    fn any_adjacent_transposition_is_rejected(number in valid_number(), pos in 0..17usize) {
        let mut chars: Vec<char> = number.chars().collect();
        prop_assume!(chars[pos] != chars[pos + 1]);
        chars.swap(pos, pos + 1);
        let swapped: String = chars.into_iter().collect();
        prop_assert!(parse(&swapped).is_err(), "{} accepted", swapped);
    }

    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = IdNumber::parse_as_of(&s, today());
    }

    #[test]
    fn parse_never_panics_on_near_misses(s in "[0-9xX０-９Ｘ \u{3000}a-]{0,20}") {
        if let Ok(id) = IdNumber::parse_as_of(&s, today()) {
            prop_assert_eq!(id.as_str().len(), 18);
            prop_assert_eq!(parse(id.as_str()).unwrap(), id);
        }
    }
}

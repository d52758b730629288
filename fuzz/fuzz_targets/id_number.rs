//! Arbitrary text through the ID number parser (`crates/protocol/src/id_number`, used by
//! the kiosk and the agency).
//!
//! Invariants: no panic; a parsed number is 18 ASCII characters and parses back to
//! itself; its mask shows the first and last four characters and stars in between;
//! its parts (province, birth date, sex, age) are consistent; an error message never
//! repeats the number it rejects (error text ends up in logs).

#![no_main]

use certpoint_fuzz::id_number::{check_char, IdNumber};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A fixed "today" keeps every run reproducible (`parse` itself reads the clock).
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    match IdNumber::parse_as_of(text, today) {
        Ok(id) => check_valid(&id, text, today),
        Err(e) => {
            let message = e.to_string();
            let typed: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
            // Fifteen characters are enough to identify a person (the legacy form).
            if typed.chars().count() >= 15 {
                assert!(
                    !message.contains(&typed),
                    "the error repeats the number: {e:?}"
                );
            }
        }
    }
});

fn check_valid(id: &IdNumber, text: &str, today: NaiveDate) {
    let s = id.as_str();
    assert_eq!(s.len(), 18);
    assert!(s[..17].bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(s.chars().last(), Some(check_char(&s[..17])));
    assert_eq!(
        IdNumber::parse_as_of(s, today).as_ref(),
        Ok(id),
        "does not re-parse to itself"
    );

    let masked = id.masked();
    let expected = format!("{}{}{}", &s[..4], "*".repeat(10), &s[14..]);
    assert_eq!(
        masked, expected,
        "the mask reveals more or less than its layout"
    );
    let debug = format!("{id:?}");
    assert!(
        !debug.contains(s) && debug.contains(&masked),
        "Debug: {debug}"
    );

    // A 15-digit legacy number keeps its digits, with "19" inserted before the year.
    let digits: Vec<char> = text.trim().chars().collect();
    if digits.len() == 15 {
        assert_eq!(&s[6..8], "19");
    }
    assert_eq!(id.region_code(), &s[..6]);
    assert!(!id.province().is_empty());
    let born = id.birth_date();
    assert!(born <= today, "birth date in the future accepted");
    assert_eq!(id.sequence(), &s[14..17]);
    let age = id.age_on(today);
    assert!(age <= 2026 - 1890, "age {age}");
    assert_eq!(id.age_on(born), 0);
    let _ = id.sex().as_str();
}

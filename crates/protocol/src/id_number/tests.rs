//! Table tests: known numbers, every error variant, masking and age.

use chrono::{Days, NaiveDate};

use super::region::PROVINCE_CODES;
use super::*;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A fixed "today" so the tests do not change meaning as the calendar moves.
pub(super) fn today() -> NaiveDate {
    ymd(2026, 1, 1)
}

pub(super) fn parse(s: &str) -> Result<IdNumber, IdError> {
    IdNumber::parse_as_of(s, today())
}

pub(super) fn with_check(first17: &str) -> String {
    format!("{first17}{}", check_char(first17))
}

// Each check character below was computed independently (a short Python script) and
// agrees with `check_char`; the table pins both. Columns: number, province, birth date, sex.
const VALID: &[(&str, &str, &str, Sex)] = &[
    ("11010519491231002X", "Beijing", "1949-12-31", Sex::Female),
    ("310115196002291236", "Shanghai", "1960-02-29", Sex::Male),
    ("110101200002290026", "Beijing", "2000-02-29", Sex::Female),
    ("650102193611118765", "Xinjiang", "1936-11-11", Sex::Female),
    ("510107193003012351", "Sichuan", "1930-03-01", Sex::Male),
    ("150102195001010010", "Nei Mongol", "1950-01-01", Sex::Male),
    ("810000198001010014", "Hong Kong", "1980-01-01", Sex::Male),
    ("830000199001010020", "Taiwan", "1990-01-01", Sex::Female),
];

#[test]
fn known_valid_numbers_parse_with_their_parts() {
    for &(number, province, birth, sex) in VALID {
        let id = parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
        assert_eq!(id.as_str(), number);
        assert_eq!(id.region_code(), &number[..6]);
        assert_eq!(id.province(), province, "{number}");
        assert_eq!(id.birth_date().to_string(), birth, "{number}");
        assert_eq!(id.sequence(), &number[14..17], "{number}");
        assert_eq!(id.sex(), sex, "{number}");
        assert_eq!(check_char(&number[..17]), number.chars().last().unwrap());
    }
    let id = parse("310115196002291236").unwrap();
    assert_eq!(
        (id.region_code(), id.sequence(), id.sex().as_str()),
        ("310115", "123", "male")
    );
}

#[test]
fn check_char_follows_iso_7064_mod_11_2() {
    assert_eq!(check_char("11010519491231002"), 'X');
    // The standard's own worked example.
    assert_eq!(check_char("44052418800101001"), '4');
    // One number for every remainder, so every entry of the lookup string is exercised.
    let all: String = (0..10)
        .map(|d| check_char(&format!("1101051949123100{d}")))
        .collect();
    assert_eq!(all, "31X8642097");
}

#[test]
#[should_panic(expected = "17 ASCII digits")]
fn check_char_rejects_a_wrong_length() {
    check_char("1234");
}

#[test]
fn normalises_case_whitespace_and_full_width_forms() {
    let want = "11010519491231002X";
    for input in [
        "11010519491231002x",
        "  11010519491231002X\n",
        "\u{3000}11010519491231002X\t",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
    ] {
        assert_eq!(
            parse(input).map(|id| id.as_str().to_owned()),
            Ok(want.to_owned()),
            "{input:?}"
        );
    }
}

#[test]
fn converts_the_15_digit_legacy_form() {
    let id = parse("110105491231002").unwrap();
    assert_eq!(id.as_str(), "11010519491231002X");
    assert_eq!(id.birth_date(), ymd(1949, 12, 31));
    assert_eq!(parse("１１０１０５４９１２３１００２").unwrap(), id);
}

#[test]
fn wrong_check_character_names_the_expected_one() {
    let e = parse("110105194912310021").unwrap_err();
    assert_eq!(
        e,
        IdError::CheckCharacter {
            expected: 'X',
            found: '1'
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("'X'") && text.contains("'1'") && text.contains("re-scan"),
        "{text}"
    );
}

#[test]
fn wrong_lengths() {
    for (input, found) in [
        ("", 0),
        ("   ", 0),
        ("12345", 5),
        ("1101051949123100", 16),
        ("11010519491231002X0", 19),
    ] {
        assert_eq!(parse(input), Err(IdError::Length { found }), "{input:?}");
    }
    // Counted in characters, not bytes.
    assert_eq!(parse("１２３"), Err(IdError::Length { found: 3 }));
    let text = IdError::Length { found: 16 }.to_string();
    assert!(text.contains("18 characters") && text.contains("15 digits") && text.contains("16"));
}

#[test]
fn bad_characters_are_located() {
    let cases = [
        ("11010519491231002A", 18, 'A'),
        ("1101051949123X002X", 14, 'X'),
        ("110105 1949123100X", 7, ' '),
        ("A10105194912310021", 1, 'A'),
        ("11010549123100X", 15, 'X'), // old cards have no check character
        ("11010519491231002Ｙ", 18, 'Ｙ'),
    ];
    for (input, position, found) in cases {
        assert_eq!(
            parse(input),
            Err(IdError::BadCharacter { position, found }),
            "{input:?}"
        );
    }
    let text = IdError::BadCharacter {
        position: 5,
        found: 'a',
    }
    .to_string();
    assert_eq!(
        text,
        "character 5 is 'a': only digits, and X as the last character, are allowed"
    );
    let text = IdError::BadCharacter {
        position: 5,
        found: '\n',
    }
    .to_string();
    assert!(
        text.contains("'\\n'"),
        "control characters are shown escaped: {text}"
    );
}

#[test]
fn unknown_provinces_are_rejected_and_every_listed_one_accepted() {
    for code in [
        "00", "10", "16", "20", "24", "30", "38", "40", "47", "49", "55", "60", "66", "70", "72",
        "80", "84", "91", "99",
    ] {
        let number = with_check(&format!("{code}010519491231002"));
        assert_eq!(
            parse(&number),
            Err(IdError::UnknownRegion {
                code: code.to_owned()
            })
        );
    }
    for code in PROVINCE_CODES {
        let number = with_check(&format!("{code}010519491231002"));
        assert!(parse(&number).is_ok(), "{code}");
    }
    let text = IdError::UnknownRegion { code: "99".into() }.to_string();
    assert!(
        text.contains("99") && text.contains("first two digits"),
        "{text}"
    );
}

#[test]
fn birth_dates_must_exist() {
    for (digits, shown) in [
        ("19490230", "1949-02-30"),
        ("19000229", "1900-02-29"), // 1900 is not a leap year
        ("21000229", "2100-02-29"), // nor is 2100: "does not exist" wins over "future"
        ("19491301", "1949-13-01"),
        ("19490001", "1949-00-01"),
        ("19490100", "1949-01-00"),
        ("19490431", "1949-04-31"),
    ] {
        let number = with_check(&format!("110105{digits}002"));
        assert_eq!(
            parse(&number),
            Err(IdError::BadBirthDate {
                date: shown.to_owned()
            }),
            "{digits}"
        );
    }
    assert_eq!(
        IdError::BadBirthDate {
            date: "1949-02-30".into()
        }
        .to_string(),
        "birth date 1949-02-30 does not exist; check the birth-date digits against the card"
    );
    // 2000 is a leap year (divisible by 400), and so is 1960.
    assert!(parse(&with_check("11010520000229002")).is_ok());
    assert!(parse(&with_check("11010519600229002")).is_ok());
}

#[test]
fn birth_dates_must_be_plausible() {
    // The standard's worked example is a valid number, but nobody born in 1880 is alive.
    assert_eq!(
        parse("440524188001010014"),
        Err(IdError::ImplausibleBirthDate {
            date: "1880-01-01".into()
        })
    );
    assert_eq!(
        parse(&with_check("11010518891231002")),
        Err(IdError::ImplausibleBirthDate {
            date: "1889-12-31".into()
        })
    );
    assert!(parse(&with_check("11010518900101002")).is_ok());

    assert_eq!(
        parse(&with_check("11010520260102002")),
        Err(IdError::FutureBirthDate {
            date: "2026-01-02".into()
        })
    );
    let born_today = parse(&with_check("11010520260101002")).unwrap();
    assert_eq!(born_today.age_on(today()), 0);

    let text = IdError::ImplausibleBirthDate {
        date: "1880-01-01".into(),
    }
    .to_string();
    assert!(
        text.contains("1880-01-01") && text.contains("1890"),
        "{text}"
    );
    assert!(IdError::FutureBirthDate {
        date: "2030-01-01".into()
    }
    .to_string()
    .contains("future"));
}

#[test]
fn the_real_clock_is_used_by_parse() {
    assert!(IdNumber::parse("11010519491231002X").is_ok());
    let next_year = chrono::Local::now()
        .date_naive()
        .checked_add_days(Days::new(366))
        .unwrap();
    let future = with_check(&format!("110105{}002", next_year.format("%Y%m%d")));
    assert!(matches!(
        IdNumber::parse(&future),
        Err(IdError::FutureBirthDate { .. })
    ));
    assert_eq!(
        "11010519491231002x".parse::<IdNumber>().unwrap().as_str(),
        "11010519491231002X"
    );
}

#[test]
fn errors_never_contain_the_number() {
    let inputs = [
        "110105194912310021",
        "11010519491231002A",
        "990105194912310021",
        "110105194902300021",
    ];
    for input in inputs {
        let text = parse(input).unwrap_err().to_string();
        assert!(!text.contains(&input[..17]), "{text}");
        assert!(!text.contains("110105"), "{text}");
    }
}

#[test]
fn masked_and_debug_hide_the_middle() {
    let id = parse("11010519491231002X").unwrap();
    assert_eq!(id.masked(), "1101**********002X");
    assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
    assert_eq!(
        format!("{:?}", Ok::<_, IdError>(id)),
        "Ok(IdNumber(1101**********002X))"
    );
}

#[test]
fn age_counts_completed_years() {
    let id = parse("11010519491231002X").unwrap();
    assert_eq!(id.age_on(ymd(2026, 11, 25)), 76);
    assert_eq!(id.age_on(ymd(2025, 12, 30)), 75);
    assert_eq!(id.age_on(ymd(2025, 12, 31)), 76);
    assert_eq!(id.age_on(ymd(1950, 12, 30)), 0);
    assert_eq!(id.age_on(ymd(1950, 12, 31)), 1);
    assert_eq!(id.age_on(ymd(1949, 12, 31)), 0);
    assert_eq!(id.age_on(ymd(1949, 12, 30)), 0, "before birth");
    assert_eq!(id.age_on(ymd(1900, 1, 1)), 0, "long before birth");
}

#[test]
fn a_29_february_birthday_counts_on_1_march_in_common_years() {
    let id = parse("310115196002291236").unwrap();
    assert_eq!(id.age_on(ymd(2021, 2, 28)), 60);
    assert_eq!(id.age_on(ymd(2021, 3, 1)), 61);
    assert_eq!(id.age_on(ymd(2024, 2, 28)), 63);
    assert_eq!(id.age_on(ymd(2024, 2, 29)), 64);
    assert_eq!(id.age_on(ymd(2024, 3, 1)), 64);
    assert_eq!(id.age_on(ymd(1961, 2, 28)), 0);
    assert_eq!(id.age_on(ymd(1961, 3, 1)), 1);
}

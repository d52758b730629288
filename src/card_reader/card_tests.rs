use chrono::NaiveDate;

use super::*;
use crate::card_reader::layout::{CardKind, Field, RawText};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn today() -> NaiveDate {
    day(2026, 11, 27)
}

/// A number with the right check character for its first 17 digits.
pub(crate) fn number(first17: &str) -> String {
    format!("{first17}{}", id_number::check_char(first17))
}

fn resident() -> RawText {
    let mut raw = RawText::new(CardKind::Resident);
    for (f, v) in [
        (Field::Name, "张秀英"),
        (Field::Sex, "2"),
        (Field::Nation, "01"),
        (Field::BirthDate, "19491231"),
        (Field::Address, "北京市朝阳区建国路1号"),
        (Field::Number, "11010519491231002X"),
        (Field::Authority, "北京市公安局朝阳分局"),
        (Field::ValidFrom, "20100101"),
        (Field::ValidTo, "长期"),
    ] {
        raw.set(f, v).unwrap();
    }
    raw
}

fn with(mut raw: RawText, field: Field, value: &str) -> RawText {
    raw.set(field, value).unwrap();
    raw
}

#[test]
fn a_resident_card_decodes_every_field() {
    let raw = RawText::decode(&resident().encode()).unwrap();
    let card = IdCard::from_text(&raw, today()).unwrap();
    assert_eq!(card.kind, CardKind::Resident);
    assert_eq!(card.name, "张秀英");
    assert_eq!(card.sex, CardSex::Female);
    assert_eq!(card.nation.as_deref(), Some("01"));
    assert_eq!(card.nation_name(), Some("汉"));
    assert_eq!(card.birth_date, day(1949, 12, 31));
    assert_eq!(card.address, "北京市朝阳区建国路1号");
    assert_eq!(card.number(), "11010519491231002X");
    assert_eq!(
        card.id_number().map(|i| i.masked()),
        Some("1101**********002X".into())
    );
    assert_eq!(card.authority, "北京市公安局朝阳分局");
    assert_eq!(card.valid_from, day(2010, 1, 1));
    assert_eq!(card.valid_to, ValidTo::LongTerm);
    assert!(!card.expired_on(day(2999, 1, 1)), "long-term never expires");
}

#[test]
fn json_has_exactly_the_documented_keys_and_masks_unless_revealed() {
    let card = IdCard::from_text(&resident(), today()).unwrap();
    let v = card.to_json(false);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "address",
            "authority",
            "birth_date",
            "id_number",
            "name",
            "nation",
            "sex",
            "type",
            "valid_from",
            "valid_to"
        ]
    );
    assert_eq!(v["id_number"], "1101**********002X");
    assert_eq!(v["type"], "resident");
    assert_eq!(v["nation"], "汉");
    assert_eq!(v["valid_to"], "长期");
    assert_eq!(v["birth_date"], "1949-12-31");
    assert_eq!(card.to_json(true)["id_number"], "11010519491231002X");
}

#[test]
fn expiry_is_after_the_last_valid_day() {
    let raw = with(resident(), Field::ValidTo, "20200101");
    let card = IdCard::from_text(&raw, today()).unwrap();
    assert_eq!(card.valid_to, ValidTo::Until(day(2020, 1, 1)));
    assert!(!card.expired_on(day(2020, 1, 1)));
    assert!(card.expired_on(day(2020, 1, 2)));
    assert_eq!(card.to_json(false)["valid_to"], "2020-01-01");
}

#[test]
fn a_number_failing_gb11643_is_refused_without_repeating_it() {
    let raw = with(resident(), Field::Number, "110105194912310021");
    let err = IdCard::from_text(&raw, today()).unwrap_err();
    assert!(matches!(
        err,
        CardDataError::IdNumber(IdError::CheckCharacter { .. })
    ));
    let text = err.to_string();
    assert!(text.contains("check the physical card"), "{text}");
    assert!(!text.contains("110105194912310021"), "{text}");
}

#[test]
fn number_birth_date_and_sex_must_agree_with_the_card() {
    let raw = with(resident(), Field::BirthDate, "19491230");
    assert_eq!(
        IdCard::from_text(&raw, today()),
        Err(CardDataError::BirthDateMismatch)
    );
    let raw = with(resident(), Field::Sex, "1");
    assert_eq!(
        IdCard::from_text(&raw, today()),
        Err(CardDataError::SexMismatch)
    );
    let raw = with(resident(), Field::Sex, "9");
    assert_eq!(
        IdCard::from_text(&raw, today()).unwrap().sex,
        CardSex::Unstated
    );
}

#[test]
fn malformed_fields_name_the_field_only() {
    for (field, value, name) in [
        (Field::Sex, "x", "sex"),
        (Field::BirthDate, "1949123", "birth date"),
        (Field::ValidFrom, "20101301", "valid-from"),
        (Field::ValidTo, "永久", "valid-to"),
        (Field::Nation, "57", "nation"),
    ] {
        let err = IdCard::from_text(&with(resident(), field, value), today()).unwrap_err();
        assert!(
            matches!(err, CardDataError::BadField { field, .. } if field == name),
            "{err}"
        );
    }
}

#[test]
fn a_hong_kong_permit_has_no_nation_and_keeps_its_pass_number() {
    let id = number("81000019500101001");
    let mut raw = RawText::new(CardKind::Permit);
    for (f, v) in [
        (Field::Name, "陈大文"),
        (Field::Sex, "1"),
        (Field::BirthDate, "19500101"),
        (Field::Address, "广东省深圳市福田区"),
        (Field::Number, id.as_str()),
        (Field::Authority, "深圳市公安局"),
        (Field::ValidFrom, "20200101"),
        (Field::ValidTo, "20250101"),
        (Field::PassNumber, "H12345678"),
        (Field::IssueCount, "01"),
    ] {
        raw.set(f, v).unwrap();
    }
    let card = IdCard::from_text(&RawText::decode(&raw.encode()).unwrap(), today()).unwrap();
    assert_eq!(card.kind, CardKind::Permit);
    assert_eq!(card.nation, None);
    assert_eq!(card.pass_number.as_deref(), Some("H12345678"));
    assert_eq!(card.issue_count, Some(1));
    assert_eq!(card.id_number().unwrap().province(), "Hong Kong");
    let v = card.to_json(false);
    assert_eq!(v["type"], "hkmo");
    assert!(v["nation"].is_null());
    assert!(card.expired_on(today()));
}

#[test]
fn a_foreigners_card_uses_its_own_layout() {
    let mut raw = RawText::new(CardKind::Foreign);
    for (f, v) in [
        (Field::EnglishName, "SMITH, JOHN"),
        (Field::Sex, "1"),
        (Field::Number, "CAN110050010101"),
        (Field::Nation, "CAN"),
        (Field::ValidFrom, "20150101"),
        (Field::ValidTo, "20350101"),
        (Field::BirthDate, "19500101"),
        (Field::Version, "01"),
        (Field::AuthorityCode, "1500"),
    ] {
        raw.set(f, v).unwrap();
    }
    let card = IdCard::from_text(&raw, today()).unwrap();
    assert_eq!(card.name, "SMITH, JOHN", "no Chinese name: the Latin one");
    assert_eq!(card.id_number(), None, "not a GB 11643 number");
    assert_eq!(card.nation_name(), Some("CAN"));
    assert_eq!(card.authority, "1500");
    assert_eq!(card.masked_number(), "CAN1*******0101");
    for bad in ["CAN11005001010", "can110050010101", "CAN11005001010X"] {
        raw.set(Field::Number, bad).unwrap();
        assert!(IdCard::from_text(&raw, today()).is_err(), "{bad}");
    }
}

#[test]
fn debug_and_masks_hide_the_person() {
    let card = IdCard::from_text(&resident(), today()).unwrap();
    let shown = format!("{card:?}");
    assert!(!shown.contains("11010519491231002X"), "{shown}");
    assert!(!shown.contains("张秀英"), "{shown}");
    assert!(shown.contains("张**"), "{shown}");
    assert_eq!(mask_name(""), "");
    assert_eq!(mask_name("SMITH"), "S****");
}

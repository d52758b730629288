//! `certpoint id check`: tells a clerk or an administrator whether a number is valid,
//! and if not, exactly why.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use serde_json::json;

use crate::id_number::{IdError, IdNumber};

pub(super) fn check(
    number: &str,
    on: NaiveDate,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let report = match IdNumber::parse(number) {
        Ok(id) => {
            let age = id.age_on(on);
            if json {
                json!({
                    "valid": true,
                    "id_number": id.masked(),
                    "birth_date": id.birth_date().to_string(),
                    "age": age,
                    "age_on": on.to_string(),
                    "sex": id.sex().as_str(),
                    "region_code": id.region_code(),
                    "province": id.province(),
                    "converted_from_15_digits": number.trim().chars().count() == 15,
                })
                .to_string()
            } else {
                format!(
                    "valid: {}\n  birth date: {}\n  age: {age} (on {on})\n  sex: {}\n  region: {} ({})",
                    id.masked(),
                    id.birth_date(),
                    id.sex().as_str(),
                    id.region_code(),
                    id.province()
                )
            }
        }
        Err(e) => {
            let expected = match &e {
                IdError::CheckCharacter { expected, .. } => Some(expected.to_string()),
                _ => None,
            };
            let text = if json {
                json!({ "valid": false, "error": e.to_string(), "expected_check_character": expected }).to_string()
            } else {
                format!("invalid: {e}")
            };
            writeln!(out, "{text}")?;
            return Ok(ExitCode::FAILURE);
        }
    };
    writeln!(out, "{report}")?;
    Ok(ExitCode::SUCCESS)
}

//! Region names: what ties a kiosk to the roster entries it may look up.
//!
//! A region is whatever the province's roster uses to divide its pensioners (usually
//! the county's six-digit administrative code, e.g. `110105`); the agency only
//! compares them for equality, so it checks that one is printable and short.

/// Longest region name accepted.
pub const MAX_REGION_CHARS: usize = 64;

/// Checks a region name; the error says what is wrong with it.
pub fn check(region: &str) -> Result<(), String> {
    if region.is_empty() {
        return Err("the region is empty".into());
    }
    if region.chars().count() > MAX_REGION_CHARS {
        return Err(format!(
            "the region is longer than {MAX_REGION_CHARS} characters"
        ));
    }
    if region.trim() != region {
        return Err("the region starts or ends with a space".into());
    }
    if region.chars().any(char::is_control) {
        return Err("the region contains a control character".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_short_printable_names() {
        for ok in ["110105", "东城区", "R-1"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in ["", " 110105", "a\tb", &"9".repeat(65)] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }
}

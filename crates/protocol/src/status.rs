//! A person's certification status for a period, as the agency answers it
//! (`certpoint-agency status`, `GET /v1/persons/{id_number}/status?period=YYYY`).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Where a person stands for one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonState {
    /// Certified this period (on site with a match, by the app, or by assistance).
    Certified,
    /// On the roster, active, nothing certifying yet.
    NotCertified,
    /// A record needs a human: liveness proven but the match is missing or below the
    /// threshold, or a manual pass awaiting review. Not certified until confirmed.
    PendingReview,
    NotInRoster,
    Suspended,
    Deceased,
}

impl PersonState {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonState::Certified => "certified",
            PersonState::NotCertified => "not_certified",
            PersonState::PendingReview => "pending_review",
            PersonState::NotInRoster => "not_in_roster",
            PersonState::Suspended => "suspended",
            PersonState::Deceased => "deceased",
        }
    }

    /// Whether a kiosk may run an automatic certification for this person at all.
    pub fn may_certify_automatically(self) -> bool {
        matches!(self, PersonState::NotCertified | PersonState::PendingReview)
    }
}

/// How a certification was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// At a kiosk in an office.
    Onsite,
    /// Self-certification in the phone app.
    App,
    /// A relative with a Certificate of Assistance.
    Assistance,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Onsite => "onsite",
            Channel::App => "app",
            Channel::Assistance => "assistance",
        }
    }
}

/// `{"period","state","channel","at"}`: `channel` and `at` say how and when the
/// certifying (or, for `pending_review`, the awaiting) event happened; `null` otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonStatus {
    pub period: String,
    pub state: PersonState,
    pub channel: Option<Channel>,
    pub at: Option<DateTime<FixedOffset>>,
}

/// Why a string is not a certification period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the period must be a four-digit year from {FIRST_PERIOD} to {LAST_PERIOD} (the year the certification window opened, e.g. 2026), not {shown}")]
pub struct PeriodError {
    /// What was given, quoted and cut to 16 characters (it may be anything).
    shown: String,
}

/// The earliest and latest periods accepted: anything outside is a typo, not a year of
/// pension certification.
pub const FIRST_PERIOD: u16 = 2000;
pub const LAST_PERIOD: u16 = 2999;

/// Checks a certification period (`"2026"`): exactly four ASCII digits, a year from
/// [`FIRST_PERIOD`] to [`LAST_PERIOD`]. The kiosk writes the year its certification
/// window opened; the agency refuses anything else in status queries and imports.
pub fn parse_period(s: &str) -> Result<u16, PeriodError> {
    let year = (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<u16>().ok())
        .flatten()
        .filter(|y| (FIRST_PERIOD..=LAST_PERIOD).contains(y));
    year.ok_or_else(|| PeriodError {
        shown: format!("{:?}", s.chars().take(16).collect::<String>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_four_digit_years() {
        assert_eq!(parse_period("2026"), Ok(2026));
        assert_eq!(parse_period("2000"), Ok(2000));
        for bad in [
            "",
            "26",
            "20266",
            "1999",
            "３０２６",
            "+202",
            "202a",
            " 2026",
            "0226",
        ] {
            let e = parse_period(bad).unwrap_err();
            assert!(e.to_string().contains("four-digit year"), "{bad}: {e}");
        }
        let long = "2".repeat(100);
        assert!(parse_period(&long).unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn wire_shape() {
        let s = PersonStatus {
            period: "2026".into(),
            state: PersonState::Certified,
            channel: Some(Channel::App),
            at: Some(DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap()),
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"period":"2026","state":"certified","channel":"app","at":"2026-04-02T09:30:00+08:00"}"#
        );
        let none: PersonStatus = serde_json::from_str(
            r#"{"period":"2026","state":"not_in_roster","channel":null,"at":null}"#,
        )
        .unwrap();
        assert_eq!(none.state, PersonState::NotInRoster);
        assert!(!none.state.may_certify_automatically());
    }
}

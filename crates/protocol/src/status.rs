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

#[cfg(test)]
mod tests {
    use super::*;

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

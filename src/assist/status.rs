//! The retiree's status before a certificate is issued: asked of the agency as the
//! kiosk asks it at a scan (`GET /v1/persons/{id}/status`), and what refuses.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use certpoint_protocol::{Channel, PersonState, PersonStatus};

use crate::config::LoadedConfig;
use crate::id_number::IdNumber;
use crate::sync::client::{AgencyClient, ClientSettings};

/// What the agency said, or why it could not be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusCheck {
    Checked(PersonStatus),
    /// Offline mode, unreachable, or an answer that is not a status: the reason, in
    /// words for the clerk and the paper (never the ID number).
    Unchecked(String),
}

/// Why a certificate is refused, each its own JSON outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Refusal {
    AlreadyCertified {
        channel: Option<Channel>,
        at: Option<DateTime<FixedOffset>>,
    },
    Deceased,
    Suspended,
    NotInRoster,
}

impl Refusal {
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::AlreadyCertified { .. } => "already_certified",
            Refusal::Deceased => "deceased",
            Refusal::Suspended => "suspended",
            Refusal::NotInRoster => "not_in_roster",
        }
    }

    /// For the clerk.
    pub fn message(&self) -> String {
        match self {
            Refusal::AlreadyCertified { channel, at } => format!(
                "not issued: the retiree is already certified for this period{}{}; no certificate is needed",
                channel.map(|c| format!(" (channel {})", c.as_str())).unwrap_or_default(),
                at.map(|a| format!(" on {}", a.format("%Y-%m-%d"))).unwrap_or_default()
            ),
            Refusal::Deceased => "not issued: the agency's roster records the retiree as deceased; the relative should see the office's staff".into(),
            Refusal::Suspended => "not issued: the retiree's pension is suspended on the agency's roster; the relative should see the office's staff".into(),
            Refusal::NotInRoster => "not issued: the retiree is not on the agency's roster of this region; check the ID number against the card, else the relative should see the office's staff".into(),
        }
    }
}

/// What a status refuses; `None` for `not_certified` and `pending_review`.
pub fn refusal(s: &PersonStatus) -> Option<Refusal> {
    match s.state {
        PersonState::Certified => Some(Refusal::AlreadyCertified {
            channel: s.channel,
            at: s.at,
        }),
        PersonState::Deceased => Some(Refusal::Deceased),
        PersonState::Suspended => Some(Refusal::Suspended),
        PersonState::NotInRoster => Some(Refusal::NotInRoster),
        PersonState::NotCertified | PersonState::PendingReview => None,
    }
}

/// Asks the configured agency (blocking, up to `server.request_timeout_secs`).
pub fn check_status(cfg: &LoadedConfig, id: &IdNumber, period: &str) -> StatusCheck {
    let client = match ClientSettings::from_config(cfg).and_then(|s| AgencyClient::new(&s)) {
        Ok(c) => c,
        Err(e) => return StatusCheck::Unchecked(format!("no agency to ask: {e}")),
    };
    match client.fetch_status(id.as_str(), period) {
        Ok(s) => StatusCheck::Checked(s),
        Err(e) => {
            tracing::warn!(id = %id.masked(), period, "status unknown at a certificate of assistance: {e}");
            StatusCheck::Unchecked(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: PersonState) -> PersonStatus {
        PersonStatus {
            period: "2026".into(),
            state,
            channel: Some(Channel::App),
            at: None,
        }
    }

    #[test]
    fn only_not_certified_and_pending_review_go_on() {
        assert_eq!(refusal(&status(PersonState::NotCertified)), None);
        assert_eq!(refusal(&status(PersonState::PendingReview)), None);
        for (state, outcome) in [
            (PersonState::Certified, "already_certified"),
            (PersonState::Deceased, "deceased"),
            (PersonState::Suspended, "suspended"),
            (PersonState::NotInRoster, "not_in_roster"),
        ] {
            let r = refusal(&status(state)).unwrap();
            assert_eq!(r.as_str(), outcome);
            assert!(r.message().starts_with("not issued"), "{}", r.message());
            let json = serde_json::to_value(&r).unwrap();
            assert_eq!(json["outcome"], outcome);
        }
    }
}

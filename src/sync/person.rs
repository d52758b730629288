//! The person-status answer (`GET /v1/persons/{id}/status?period=YYYY`, served by
//! certpoint-agency): what an HTTP answer means, decoded apart from the I/O so every
//! case is unit-tested on bytes.
//!
//! Anything but a well-formed status for the period asked is "status unknown", never a
//! guess: an old agency without the endpoint (404), a server error, a body that does
//! not parse, or a status for another period. Each case keeps its own reason for the
//! log, because "the kiosk went offline" and "the agency sends garbage" need different
//! people to act.

use certpoint_protocol::PersonStatus;

/// A status answer is about 100 bytes; anything much longer is not one.
pub const MAX_STATUS_BODY: usize = 4 * 1024;

/// Why the kiosk does not know the person's status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// The request did not get an answer (refused, reset, timed out, TLS): the server
    /// is unreachable, so asking it for the reference as well would only wait again.
    #[error("the server is unreachable: {0}")]
    Unreachable(String),
    /// 404: the agency does not serve the status endpoint (an older certpoint-agency).
    #[error("the server does not answer person status (HTTP 404); upgrade certpoint-agency")]
    NotServed,
    /// Any other non-200 answer.
    #[error("the server answered the status request with HTTP {status}: {reason}")]
    Http { status: u16, reason: String },
    /// 200, but not a `PersonStatus`.
    #[error("the server's status answer is not a person status ({0}); it is ignored")]
    Garbage(String),
    /// 200 and well-formed, but for another period than the one asked.
    #[error(
        "the server answered for period {got:?}, the kiosk asked for {asked:?}; it is ignored"
    )]
    WrongPeriod { asked: String, got: String },
}

impl StatusError {
    /// Whether the server itself could not be reached (as opposed to answering badly).
    pub fn unreachable(&self) -> bool {
        matches!(self, StatusError::Unreachable(_))
    }
}

/// The meaning of one status answer: HTTP status `status` with body `body`, to the
/// question about `period`.
pub fn decode_status(status: u16, body: &str, period: &str) -> Result<PersonStatus, StatusError> {
    match status {
        200 => {
            if body.len() > MAX_STATUS_BODY {
                return Err(StatusError::Garbage(format!(
                    "{} bytes, more than {MAX_STATUS_BODY}",
                    body.len()
                )));
            }
            let s: PersonStatus = serde_json::from_str(body).map_err(|e| {
                StatusError::Garbage(format!("{e}; body starts {:?}", preview(body)))
            })?;
            if s.period != period {
                return Err(StatusError::WrongPeriod {
                    asked: period.to_owned(),
                    got: s.period,
                });
            }
            Ok(s)
        }
        404 => Err(StatusError::NotServed),
        status => Err(StatusError::Http {
            status,
            reason: preview(body),
        }),
    }
}

/// The start of a body, for a log line. A status body never holds an ID number (the
/// endpoint puts it in the path only), but a garbage one could be anything: keep it
/// short and strip control characters.
fn preview(body: &str) -> String {
    body.chars()
        .take(80)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use certpoint_protocol::{Channel, PersonState};

    #[test]
    fn a_status_for_the_period_asked_is_taken() {
        let body = r#"{"period":"2026","state":"certified","channel":"app","at":"2026-04-02T09:30:00+08:00"}"#;
        let s = decode_status(200, body, "2026").unwrap();
        assert_eq!(
            (s.state, s.channel),
            (PersonState::Certified, Some(Channel::App))
        );
        let s = decode_status(
            200,
            r#"{"period":"2026","state":"deceased","channel":null,"at":null}"#,
            "2026",
        )
        .unwrap();
        assert_eq!(s.state, PersonState::Deceased);
    }

    #[test]
    fn anything_else_is_status_unknown_with_its_own_reason() {
        assert_eq!(decode_status(404, "", "2026"), Err(StatusError::NotServed));
        assert!(matches!(
            decode_status(503, r#"{"error":"internal"}"#, "2026"),
            Err(StatusError::Http { status: 503, .. })
        ));
        for garbage in [
            "",
            "<html>proxy login</html>",
            r#"{"period":"2026","state":"alive","channel":null,"at":null}"#,
            r#"{"period":"2026","state":"certified","channel":null,"at":null,"extra":1}"#,
            r#"{"period":2026}"#,
        ] {
            let e = decode_status(200, garbage, "2026").unwrap_err();
            assert!(matches!(e, StatusError::Garbage(_)), "{garbage}: {e:?}");
            assert!(!e.unreachable());
        }
        assert_eq!(
            decode_status(
                200,
                r#"{"period":"2025","state":"certified","channel":"onsite","at":null}"#,
                "2026"
            ),
            Err(StatusError::WrongPeriod {
                asked: "2026".into(),
                got: "2025".into()
            })
        );
        assert!(StatusError::Unreachable("timed out".into()).unreachable());
    }

    #[test]
    fn a_garbage_reason_is_short_and_printable() {
        let body = format!("\u{1b}[31m{}", "x".repeat(500));
        let StatusError::Garbage(why) = decode_status(200, &body, "2026").unwrap_err() else {
            panic!()
        };
        assert!(why.len() < 300, "{why}");
        assert!(!why.contains('\u{1b}'));
    }
}

//! What the kiosk asks the agency server at the scan: the person's status for the
//! period, then — only when they may certify — their reference photo.
//!
//! [`ask`] is the blocking pair of requests, decoded into the driver's
//! [`ReferenceAnswer`]; the headless `certify` calls it inline. The window's analysis
//! thread must not wait up to twice `server.request_timeout_secs` on it, so there
//! [`ReferenceLookup`] asks on a thread of its own and the analysis loop picks the
//! answer up when it comes. Nothing is cached here: the driver keeps the photo's
//! embedding for the one session that asked.
//!
//! What the status means to the kiosk ([`after_status`]):
//! - `certified` → already certified (when and by which channel): no attempt.
//! - `deceased`, `suspended`, `not_in_roster` → not eligible: no attempt, nothing
//!   stored, the clerk is told why.
//! - `not_certified`, `pending_review` → ask for the reference and go on.
//! - status unknown (an agency without the endpoint, an error, a garbage body) → ask
//!   for the reference anyway: a scored match still proves identity, and without one
//!   the attempt ends `pending_match`. Unreachable → [`ReferenceAnswer::Unavailable`]
//!   without a second request that would only time out again. The kiosk's offline
//!   cache (`crate::cache`) then answers with the person's cached embedding, source
//!   `kiosk_cache`, when it holds them and is fresh ([`ReferenceLookup`] and the
//!   headless `certify` both consult it; it never overrules a server's answer).

use std::sync::mpsc::{self, Receiver, Sender};

use certpoint_protocol::{PersonState, PersonStatus, ReferenceSource};

use super::person::StatusError;
use super::AgencyClient;
use crate::driver::ReferenceAnswer;
use crate::flow::Ineligibility;
use crate::id_number::IdNumber;

/// Asks the status for `period`, then the reference when the person may certify.
pub fn ask(client: &AgencyClient, id: &IdNumber, period: &str) -> ReferenceAnswer {
    let status = client.fetch_status(id.as_str(), period);
    if let Err(e) = &status {
        tracing::warn!(id = %id.masked(), period, "person status unknown: {e}");
    }
    match after_status(status) {
        Some(answer) => answer,
        None => reference(client, id),
    }
}

/// What a status answer settles on its own; `None` when the reference is to be asked.
pub fn after_status(status: Result<PersonStatus, StatusError>) -> Option<ReferenceAnswer> {
    let s = match status {
        Ok(s) => s,
        Err(e) if e.unreachable() => return Some(ReferenceAnswer::Unavailable),
        Err(_) => return None,
    };
    let not_eligible = |why| Some(ReferenceAnswer::NotEligible(why));
    match s.state {
        PersonState::Certified => Some(ReferenceAnswer::AlreadyCertified {
            at: s.at,
            channel: s.channel,
        }),
        PersonState::Deceased => not_eligible(Ineligibility::Deceased),
        PersonState::Suspended => not_eligible(Ineligibility::Suspended),
        PersonState::NotInRoster => not_eligible(Ineligibility::NotInRoster),
        PersonState::NotCertified | PersonState::PendingReview => None,
    }
}

/// `GET …/reference`: 200 → the decoded photo (source `server`), 404 → none enrolled,
/// anything else (network, server error, an undecodable photo) → unavailable.
fn reference(client: &AgencyClient, id: &IdNumber) -> ReferenceAnswer {
    match client.fetch_reference(id.as_str()) {
        Ok(Some(r)) => {
            let decoded = certpoint_protocol::b64_decode(&r.photo)
                .map_err(|e| e.to_string())
                .and_then(|b| image::load_from_memory(&b).map_err(|e| e.to_string()));
            match decoded {
                Ok(img) => ReferenceAnswer::Photo {
                    photo: img.to_rgb8(),
                    version: r.version,
                    source: ReferenceSource::Server,
                },
                Err(e) => {
                    tracing::warn!("the server's reference photo is unreadable: {e}");
                    ReferenceAnswer::Unavailable
                }
            }
        }
        Ok(None) => ReferenceAnswer::NotFound,
        Err(e) => {
            tracing::warn!("cannot ask the server for the reference photo: {e}");
            ReferenceAnswer::Unavailable
        }
    }
}

/// A thread that answers lookups one at a time, newest first.
pub struct ReferenceLookup {
    requests: Sender<(IdNumber, String)>,
    answers: Receiver<(IdNumber, ReferenceAnswer)>,
}

impl ReferenceLookup {
    /// `cache` answers for a person when the server cannot be asked.
    pub fn spawn(
        client: AgencyClient,
        cache: crate::cache::ReferenceCache,
    ) -> std::io::Result<ReferenceLookup> {
        let (requests, inbox) = mpsc::channel::<(IdNumber, String)>();
        let (outbox, answers) = mpsc::channel();
        // Not joined on drop: a request in flight may take the whole request timeout,
        // and shutting the kiosk down must not wait for it. The thread ends when this
        // handle (the only sender) is gone.
        std::thread::Builder::new()
            .name("reference".into())
            .spawn(move || {
                while let Ok(mut next) = inbox.recv() {
                    // Requests that queued up behind a slow one are for people who
                    // have already been replaced at the kiosk: answer the newest only.
                    while let Ok(newer) = inbox.try_recv() {
                        next = newer;
                    }
                    let (id, period) = next;
                    let answer = cache.or_cached(ask(&client, &id, &period), &id);
                    if outbox.send((id, answer)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(ReferenceLookup { requests, answers })
    }

    /// Queues a lookup for `period`; the answer comes through
    /// [`try_answer`](Self::try_answer).
    pub fn request(&self, id: &IdNumber, period: &str) {
        let _ = self.requests.send((id.clone(), period.to_owned()));
    }

    /// An answer that has arrived, if any. Never blocks.
    pub fn try_answer(&self) -> Option<(IdNumber, ReferenceAnswer)> {
        self.answers.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certpoint_protocol::Channel;

    fn status(state: PersonState) -> Result<PersonStatus, StatusError> {
        Ok(PersonStatus {
            period: "2026".into(),
            state,
            channel: Some(Channel::App),
            at: None,
        })
    }

    #[test]
    fn only_a_person_who_may_certify_gets_a_reference_request() {
        assert!(matches!(
            after_status(status(PersonState::Certified)),
            Some(ReferenceAnswer::AlreadyCertified {
                channel: Some(Channel::App),
                at: None
            })
        ));
        for (state, why) in [
            (PersonState::Deceased, Ineligibility::Deceased),
            (PersonState::Suspended, Ineligibility::Suspended),
            (PersonState::NotInRoster, Ineligibility::NotInRoster),
        ] {
            assert!(
                matches!(after_status(status(state)), Some(ReferenceAnswer::NotEligible(w)) if w == why),
                "{state:?}"
            );
        }
        for state in [PersonState::NotCertified, PersonState::PendingReview] {
            assert!(after_status(status(state)).is_none(), "{state:?}");
        }
    }

    #[test]
    fn an_unknown_status_still_asks_for_the_reference_unless_the_server_is_unreachable() {
        for e in [
            StatusError::NotServed,
            StatusError::Garbage("x".into()),
            StatusError::Http {
                status: 500,
                reason: "boom".into(),
            },
        ] {
            assert!(after_status(Err(e)).is_none());
        }
        assert!(matches!(
            after_status(Err(StatusError::Unreachable("refused".into()))),
            Some(ReferenceAnswer::Unavailable)
        ));
    }
}

//! Asking the agency server for a person's reference photo.
//!
//! [`ask`] is the blocking request, decoded into the driver's [`ReferenceAnswer`]; the
//! headless `certify` calls it inline. The window's analysis thread must not wait up to
//! `server.request_timeout_secs` on it, so there [`ReferenceLookup`] asks on a thread of
//! its own and the analysis loop picks the answer up when it comes. Nothing is cached:
//! the driver keeps the photo's embedding for the one session that asked.

use std::sync::mpsc::{self, Receiver, Sender};

use super::AgencyClient;
use crate::driver::ReferenceAnswer;
use crate::id_number::IdNumber;

/// Asks once: 200 → the decoded photo, 404 → not enrolled, anything else (network,
/// server error, an undecodable photo) → unavailable, so the server matches later.
pub fn ask(client: &AgencyClient, id: &IdNumber) -> ReferenceAnswer {
    match client.fetch_reference(id.as_str()) {
        Ok(Some(r)) => {
            let decoded = certpoint_protocol::b64_decode(&r.photo)
                .map_err(|e| e.to_string())
                .and_then(|b| image::load_from_memory(&b).map_err(|e| e.to_string()));
            match decoded {
                Ok(img) => ReferenceAnswer::Found {
                    photo: img.to_rgb8(),
                    version: r.version,
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

/// A thread that answers reference requests one at a time, newest first.
pub struct ReferenceLookup {
    requests: Sender<IdNumber>,
    answers: Receiver<(IdNumber, ReferenceAnswer)>,
}

impl ReferenceLookup {
    pub fn spawn(client: AgencyClient) -> std::io::Result<ReferenceLookup> {
        let (requests, inbox) = mpsc::channel::<IdNumber>();
        let (outbox, answers) = mpsc::channel();
        // Not joined on drop: a request in flight may take the whole request timeout,
        // and shutting the kiosk down must not wait for it. The thread ends when this
        // handle (the only sender) is gone.
        std::thread::Builder::new()
            .name("reference".into())
            .spawn(move || {
                while let Ok(mut id) = inbox.recv() {
                    // Requests that queued up behind a slow one are for people who
                    // have already been replaced at the kiosk: answer the newest only.
                    while let Ok(newer) = inbox.try_recv() {
                        id = newer;
                    }
                    let answer = ask(&client, &id);
                    if outbox.send((id, answer)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(ReferenceLookup { requests, answers })
    }

    /// Queues a request; the answer comes through [`try_answer`](Self::try_answer).
    pub fn request(&self, id: &IdNumber) {
        let _ = self.requests.send(id.clone());
    }

    /// An answer that has arrived, if any. Never blocks.
    pub fn try_answer(&self) -> Option<(IdNumber, ReferenceAnswer)> {
        self.answers.try_recv().ok()
    }
}

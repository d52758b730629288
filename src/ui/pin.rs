//! The clerk PIN check behind the manual pass, on a thread of its own.
//!
//! One check is an Argon2 verification (~60 ms with the kiosk's cores busy) plus a
//! durable write of the count and the audit entry. The UI thread must not spend that
//! (the panel would freeze for several frames), and the analysis thread should not
//! either (the preview would stall), so the panel hands the PIN to this thread and
//! picks the answer up on a later frame. The thread has its own connection to the
//! store; SQLite's locking keeps its writes and the analysis thread's apart.

use std::sync::mpsc::{self, Receiver, Sender};

use chrono::Local;

use super::runtime::Repaint;
use crate::store::{redact_id_numbers, PinCheck, PinPolicy, Store};

/// What the panel shows after a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinAnswer {
    Checked(PinCheck),
    /// The check itself failed (store error); the message names the cause, never the PIN.
    Failed(String),
}

/// A manual pass waiting for its PIN check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPass {
    pub clerk_id: String,
    pub reason: String,
}

struct Request {
    clerk_id: String,
    pin: String,
}

/// The UI thread's handle: submit a PIN, poll for the answer; neither blocks.
pub struct PinGate {
    requests: Sender<Request>,
    answers: Receiver<PinAnswer>,
    pending: Option<PendingPass>,
    /// Whether any clerk was registered at the last look (start, then every answer).
    clerks_registered: bool,
}

impl PinGate {
    /// Starts the checking thread on `store` (a connection of its own).
    pub fn start(store: Store, policy: PinPolicy, repaint: Repaint) -> anyhow::Result<PinGate> {
        let clerks_registered = store.clerk_count()? > 0;
        let (requests, inbox) = mpsc::channel::<Request>();
        let (outbox, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("pin-check".into())
            .spawn(move || check_loop(store, policy, inbox, outbox, repaint))?;
        Ok(PinGate {
            requests,
            answers,
            pending: None,
            clerks_registered,
        })
    }

    /// Hands a PIN to the checker; the pass waits until [`Self::poll`] has the answer.
    /// False when the checker thread is gone (it only ends if the window does).
    pub fn submit(&mut self, pass: PendingPass, pin: String) -> bool {
        let request = Request {
            clerk_id: pass.clerk_id.clone(),
            pin,
        };
        let sent = self.requests.send(request).is_ok();
        if sent {
            self.pending = Some(pass);
        }
        sent
    }

    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    pub fn clerks_registered(&self) -> bool {
        self.clerks_registered
    }

    /// The answer to the PIN in flight, once there is one, with the pass it was for.
    pub fn poll(&mut self) -> Option<(PinAnswer, PendingPass)> {
        let answer = self.answers.try_recv().ok()?;
        match &answer {
            PinAnswer::Checked(PinCheck::NoClerks) => self.clerks_registered = false,
            PinAnswer::Checked(_) => self.clerks_registered = true,
            PinAnswer::Failed(_) => {}
        }
        Some((answer, self.pending.take()?))
    }
}

fn check_loop(
    mut store: Store,
    policy: PinPolicy,
    inbox: Receiver<Request>,
    outbox: Sender<PinAnswer>,
    repaint: Repaint,
) {
    for Request { clerk_id, pin } in inbox {
        let now = Local::now().fixed_offset();
        // Whatever was typed as the clerk id goes to the log masked, like everything else.
        let shown = redact_id_numbers(&clerk_id);
        let answer = match store.check_clerk_pin(&clerk_id, &pin, &policy, now) {
            Ok(check) => {
                tracing::info!(clerk = %shown, ?check, "clerk PIN checked");
                PinAnswer::Checked(check)
            }
            Err(e) => {
                tracing::error!(clerk = %shown, "clerk PIN check failed: {e}");
                PinAnswer::Failed(e.to_string())
            }
        };
        drop(pin);
        if outbox.send(answer).is_err() {
            return;
        }
        repaint();
    }
}

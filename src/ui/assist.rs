//! The clerk panel's certificate-of-assistance desk and receipt printer, on a thread of
//! their own.
//!
//! Issuing checks a PIN (Argon2, ~0.1 s), may ask the agency the retiree's status (up
//! to `server.request_timeout_secs`), writes the record and the PDF and runs `lp`: far
//! too slow for the UI thread. The panel hands a request to this thread and picks up
//! the answer on a later frame, as with the manual pass's PIN (`super::pin`). The
//! thread has its own store connection.

use std::sync::mpsc::{self, Receiver, Sender};

use chrono::Local;

use super::runtime::Repaint;
use crate::assist::{self, Checked, IssueOutcome};
use crate::config::LoadedConfig;
use crate::paper::print::Delivery;
use crate::paper::receipt::Standing;
use crate::store::Store;

/// What the panel shows after a request.
#[derive(Debug, Clone, PartialEq)]
pub enum DeskAnswer {
    Issue(IssueOutcome),
    Receipt {
        standing: Standing,
        delivery: Delivery,
    },
    /// The request failed (store, PDF, configuration); the message names the cause.
    Failed(String),
}

enum Request {
    Issue {
        app: Box<Checked>,
        pin: String,
    },
    /// The receipt of the record stored last.
    Receipt,
}

/// The UI thread's handle; neither call blocks.
pub struct AssistDesk {
    requests: Sender<Request>,
    answers: Receiver<DeskAnswer>,
    busy: bool,
}

impl AssistDesk {
    pub fn start(cfg: LoadedConfig, store: Store, repaint: Repaint) -> anyhow::Result<AssistDesk> {
        let (requests, inbox) = mpsc::channel::<Request>();
        let (outbox, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("assist-desk".into())
            .spawn(move || desk_loop(cfg, store, inbox, outbox, repaint))?;
        Ok(AssistDesk {
            requests,
            answers,
            busy: false,
        })
    }

    /// Hands a certificate to the desk. False when its thread is gone.
    pub fn issue(&mut self, app: Checked, pin: String) -> bool {
        self.send(Request::Issue {
            app: Box::new(app),
            pin,
        })
    }

    /// Prints the receipt of the record stored last. False when the thread is gone.
    pub fn receipt(&mut self) -> bool {
        self.send(Request::Receipt)
    }

    fn send(&mut self, r: Request) -> bool {
        let sent = self.requests.send(r).is_ok();
        self.busy |= sent;
        sent
    }

    pub fn busy(&self) -> bool {
        self.busy
    }

    pub fn poll(&mut self) -> Option<DeskAnswer> {
        let answer = self.answers.try_recv().ok()?;
        self.busy = false;
        Some(answer)
    }
}

fn desk_loop(
    cfg: LoadedConfig,
    mut store: Store,
    inbox: Receiver<Request>,
    outbox: Sender<DeskAnswer>,
    repaint: Repaint,
) {
    for request in inbox {
        let answer = match request {
            Request::Issue { app, pin } => {
                let now = Local::now().fixed_offset();
                match assist::issue(&cfg, &mut store, &app, &pin, None, now, |id, period| {
                    assist::check_status(&cfg, id, period)
                }) {
                    Ok(out) => {
                        tracing::info!(
                            outcome = outcome_name(&out),
                            "certificate of assistance asked at the clerk panel"
                        );
                        DeskAnswer::Issue(out)
                    }
                    Err(e) => {
                        tracing::error!("certificate of assistance failed: {e:#}");
                        DeskAnswer::Failed(format!("{e:#}"))
                    }
                }
            }
            Request::Receipt => match crate::paper::print_receipt(&cfg, &store, None, None) {
                Ok((receipt, delivery)) => DeskAnswer::Receipt {
                    standing: receipt.standing,
                    delivery,
                },
                Err(e) => DeskAnswer::Failed(format!("{e:#}")),
            },
        };
        if outbox.send(answer).is_err() {
            return;
        }
        repaint();
    }
}

fn outcome_name(o: &IssueOutcome) -> &'static str {
    match o {
        IssueOutcome::Issued(_) => "issued",
        IssueOutcome::Refused(r) => r.as_str(),
        IssueOutcome::Pin(_) => "pin_not_accepted",
    }
}

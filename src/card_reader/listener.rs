//! Listening while the kiosk is idle: a thread polls the reader and offers each new card
//! in a newest-only slot, like the camera's frame slot.
//!
//! The UI (or the analysis thread) calls [`CardListener::take`] on its tick; it only
//! locks a mutex for a pointer swap, so it never waits on the serial line. The `notify`
//! callback given at spawn runs after each offer (e.g. `egui::Context::request_repaint`
//! or a channel send) so the consumer need not poll fast. A card read while nobody took
//! the previous one replaces it: the newest card is the one on the reader.
//!
//! While a session runs the kiosk calls [`CardListener::set_listening`]`(false)`: the
//! thread stops polling and the slot is emptied, so a card read before the session
//! cannot start another one afterwards. The device is opened lazily and reopened every
//! `reopen_interval` after a fault (unplugged, permission, silent), with the fault kept
//! in [`CardListener::status`] for the clerk panel.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use image::RgbImage;

use super::error::ReaderError;
use super::photo::{PhotoDecoder, PhotoError};
use super::reader::{CardRead, Poll, Reader, ReaderSettings};
use super::transport::{SerialTransport, Transport};
use crate::id_number::IdNumber;

pub struct ListenerSettings {
    pub device: std::path::PathBuf,
    pub baud: u32,
    pub poll_interval: Duration,
    pub reopen_interval: Duration,
    pub reader: ReaderSettings,
    /// When set, each card's WLT photo is decoded before the card is offered.
    pub photo_decoder: Option<PhotoDecoder>,
}

/// A card read off the reader: what the kiosk starts a session with.
#[derive(Debug, Clone)]
pub struct CardEvent {
    /// Counts reads since the listener started (1, 2, …).
    pub seq: u64,
    /// The validated number (resident cards and permits; `None` for a foreigner's card).
    pub id: Option<IdNumber>,
    pub read: CardRead,
    /// The card's validity ended before the day it was read: a clerk notice.
    pub expired: bool,
    /// The decoded chip photo, when a decoder is configured (a reference of source
    /// `id_card_chip`), or why decoding failed.
    pub photo: Option<Result<Arc<RgbImage>, PhotoError>>,
}

/// What the slot offers.
#[derive(Debug, Clone)]
pub enum Offered {
    Card(Box<CardEvent>),
    /// A card was there but could not be read (the message is for the clerk). The same
    /// failure is offered once, not at every poll.
    Failed(ReaderError),
}

/// The reader's state for the clerk panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderStatus {
    Starting,
    /// Open, the SAM reports well, looking for a card.
    Ready,
    /// Not polling: a session runs.
    Paused,
    /// Missing or failing; reopened every `reopen_interval`. The message says why.
    Fault(String),
    Stopped,
}

struct State {
    offered: Option<Offered>,
    status: ReaderStatus,
    listening: bool,
    stop: bool,
    seq: u64,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    notify: Box<dyn Fn() + Send + Sync>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a plain assignment: a poisoned lock holds consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_status(&self, status: ReaderStatus) {
        self.lock().status = status;
    }

    fn offer(&self, offered: Offered) {
        {
            let mut s = self.lock();
            if !s.listening || s.stop {
                return;
            }
            s.offered = Some(offered);
        }
        self.changed.notify_all();
        (self.notify)();
    }

    /// Sleeps `d` unless stopped meanwhile; true when stopped.
    fn pause(&self, d: Duration) -> bool {
        let s = self.lock();
        let (s, _) = self
            .changed
            .wait_timeout_while(s, d, |s| !s.stop)
            .unwrap_or_else(|p| p.into_inner());
        s.stop
    }
}

/// The running listener. Dropping it stops the thread and waits for it.
pub struct CardListener {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl CardListener {
    /// Listens on the serial reader `settings.device`.
    pub fn spawn(settings: ListenerSettings, notify: impl Fn() + Send + Sync + 'static) -> Self {
        let (device, baud) = (settings.device.clone(), settings.baud);
        Self::spawn_with(
            move || SerialTransport::open(&device, baud),
            settings,
            notify,
        )
    }

    /// Listens on whatever `open` connects to (tests pass an in-memory reader).
    pub fn spawn_with<T, F>(
        open: F,
        settings: ListenerSettings,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Self
    where
        T: Transport + 'static,
        F: FnMut() -> Result<T, ReaderError> + Send + 'static,
    {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                offered: None,
                status: ReaderStatus::Starting,
                listening: true,
                stop: false,
                seq: 0,
            }),
            changed: Condvar::new(),
            notify: Box::new(notify),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("card-reader".into())
                .spawn(move || run(open, &settings, &shared))
                .expect("spawning the card reader thread")
        };
        CardListener {
            shared,
            thread: Some(thread),
        }
    }

    /// The newest offer, if any, without waiting.
    pub fn take(&self) -> Option<Offered> {
        self.shared.lock().offered.take()
    }

    /// The newest offer, waiting at most `timeout` (tests and the CLI).
    pub fn wait(&self, timeout: Duration) -> Option<Offered> {
        let s = self.shared.lock();
        let (mut s, _) = self
            .shared
            .changed
            .wait_timeout_while(s, timeout, |s| s.offered.is_none() && !s.stop)
            .unwrap_or_else(|p| p.into_inner());
        s.offered.take()
    }

    pub fn status(&self) -> ReaderStatus {
        self.shared.lock().status.clone()
    }

    /// Turns polling on (idle) or off (a session runs). Off also empties the slot.
    pub fn set_listening(&self, on: bool) {
        {
            let mut s = self.shared.lock();
            s.listening = on;
            if !on {
                s.offered = None;
            }
        }
        self.shared.changed.notify_all();
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for CardListener {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run<T, F>(mut open: F, settings: &ListenerSettings, shared: &Shared)
where
    T: Transport,
    F: FnMut() -> Result<T, ReaderError>,
{
    let mut reader: Option<Reader<T>> = None;
    let mut last_failure: Option<ReaderError> = None;
    // Set while paused, so the panel says "ready" again when listening resumes.
    let mut was_paused = false;
    loop {
        {
            let s = shared.lock();
            if s.stop {
                break;
            }
            if !s.listening {
                drop(s);
                shared.set_status(ReaderStatus::Paused);
                was_paused = true;
                let s = shared.lock();
                let _ = shared
                    .changed
                    .wait_timeout_while(s, settings.poll_interval, |s| !s.listening && !s.stop);
                continue;
            }
        }
        let r = match &mut reader {
            Some(r) => r,
            None => match open().and_then(|t| {
                let mut r = Reader::new(t, settings.reader);
                r.sam_status()?;
                Ok(r)
            }) {
                Ok(r) => {
                    tracing::info!(device = %settings.device.display(), "card reader ready");
                    shared.set_status(ReaderStatus::Ready);
                    reader.insert(r)
                }
                Err(e) => {
                    report_fault(shared, &e);
                    if shared.pause(settings.reopen_interval) {
                        break;
                    }
                    continue;
                }
            },
        };
        if std::mem::take(&mut was_paused) {
            shared.set_status(ReaderStatus::Ready);
        }
        let today = chrono::Local::now().date_naive();
        match r.poll(today) {
            Ok(Poll::NewCard(read)) => {
                last_failure = None;
                let seq = {
                    let mut s = shared.lock();
                    s.seq += 1;
                    s.seq
                };
                tracing::info!(seq, card = ?read.card, "card read");
                let photo = settings
                    .photo_decoder
                    .as_ref()
                    .map(|d| d.decode(&read.photo_wlt).map(Arc::new));
                if let Some(Err(e)) = &photo {
                    tracing::warn!("chip photo not decoded: {e}");
                }
                shared.offer(Offered::Card(Box::new(CardEvent {
                    seq,
                    id: read.card.id_number().cloned(),
                    expired: read.card.expired_on(today),
                    read: *read,
                    photo,
                })));
            }
            Ok(Poll::NoCard | Poll::CardGone) => last_failure = None,
            Ok(Poll::SameCard) => {}
            Err(e) if e.is_device_fault() => {
                report_fault(shared, &e);
                reader = None;
                if shared.pause(settings.reopen_interval) {
                    break;
                }
                continue;
            }
            Err(e) => {
                if last_failure.as_ref() != Some(&e) {
                    tracing::warn!("card not read: {e}");
                    last_failure = Some(e.clone());
                    shared.offer(Offered::Failed(e));
                }
            }
        }
        if shared.pause(settings.poll_interval) {
            break;
        }
    }
    shared.set_status(ReaderStatus::Stopped);
}

fn report_fault(shared: &Shared, e: &ReaderError) {
    let text = e.to_string();
    let changed = shared.lock().status != ReaderStatus::Fault(text.clone());
    if changed {
        tracing::warn!("card reader: {text}");
    }
    shared.set_status(ReaderStatus::Fault(text));
}

#[cfg(test)]
#[path = "listener_tests.rs"]
mod tests;

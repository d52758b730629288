//! The kiosk's threads behind the window.
//!
//! ```text
//! camera thread ──FrameSlot (newest only)──▶ analysis thread ──Arc<View>──▶ UI thread
//!                                            (Vision, Track, Driver,        (draws, sends
//!                                             store, voice)   ◀──Events──    events)
//! ```
//!
//! The analysis thread owns everything slow — the models, the liveness detectors, the
//! flow driver, the SQLite store, the voice — and after every frame, event or tick it
//! publishes a fresh [`View`] and asks the window to repaint. The UI thread only swaps
//! an `Arc` and pushes events onto a channel, so it never waits on camera, model, disk
//! or network (DESIGN.md, "Threads and data flow").
//!
//! Camera faults: when the slot closes (unplugged, replay finished, driver error) the
//! flow gets [`Event::CameraLost`] (any running attempt is recorded as abandoned and the
//! clerk sees the fault screen) and the camera is reopened every [`RECONNECT_EVERY`]
//! until it delivers again, then [`Event::CameraRestored`]. A camera missing at start is
//! the same fault from the first frame on.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Local;

use super::link::{CameraLink, KioskHost};
use super::view::{Backend, CameraView, Preview, View};
use super::voice::Speaker;
use crate::card_reader::{CardEvent, CardListener, ListenerSettings, Offered};
use crate::deadline::Deadline;
use crate::driver::{self, Driver, Host};
use crate::flow::{ClerkNotice, Event, Now, State};
use crate::kiosk::Kiosk;
use crate::record::KioskIdentity;
use crate::store::QueueStatus;
use crate::vision::{Track, Wants};

/// Time between reconnect attempts of a lost camera.
pub const RECONNECT_EVERY: Duration = Duration::from_secs(2);
/// Flow ticks (deadlines fire even without frames).
const TICK: Duration = Duration::from_millis(100);
/// How long the analysis thread waits for a frame before it looks at its other work.
const FRAME_WAIT: Duration = Duration::from_millis(20);
/// How often the queue status is read from the store.
const QUEUE_EVERY: Duration = Duration::from_secs(2);
pub(super) const MAX_NOTICES: usize = 4;
/// Longest time between two published views when nothing changes.
const HEARTBEAT: Duration = Duration::from_millis(250);

/// What the window calls to be redrawn (`egui::Context::request_repaint`).
pub type Repaint = Arc<dyn Fn() + Send + Sync>;

/// Handle to the running analysis thread; the UI's [`Backend`] in the kiosk.
pub struct Runtime {
    view: Arc<Mutex<Arc<View>>>,
    events: Sender<Event>,
    stop: Arc<AtomicBool>,
    epoch: Instant,
    handle: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Starts the analysis thread (which opens the camera). Returns at once.
    pub fn start(
        kiosk: Kiosk,
        speaker: Box<dyn Speaker>,
        repaint: Repaint,
    ) -> anyhow::Result<Runtime> {
        let epoch = Instant::now();
        let params = driver::flow_params(&kiosk.config.config);
        let mut first = View::idle(params);
        first.mirror = kiosk.config.config.camera.mirror;
        let view = Arc::new(Mutex::new(Arc::new(first)));
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = {
            let view = Arc::clone(&view);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("analysis".into())
                .spawn(move || {
                    let mut worker = Worker::new(kiosk, speaker, view, rx, repaint, epoch);
                    worker.run(&stop);
                })?
        };
        Ok(Runtime {
            view,
            events: tx,
            stop,
            epoch,
            handle: Some(handle),
        })
    }
}

impl Backend for Runtime {
    fn view(&mut self) -> Arc<View> {
        Arc::clone(&self.view.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn send(&mut self, event: Event) {
        // A dead analysis thread has already logged why; the screen shows its last view.
        let _ = self.events.send(event);
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct Worker {
    kiosk: Kiosk,
    speaker: Box<dyn Speaker>,
    driver: Driver,
    track: Track,
    camera: CameraLink,
    view: Arc<Mutex<Arc<View>>>,
    events: Receiver<Event>,
    repaint: Repaint,
    epoch: Instant,
    notices: VecDeque<ClerkNotice>,
    queue: Option<QueueStatus>,
    sync: Option<crate::sync::SyncStatus>,
    reference_cache: Option<crate::cache::CacheStatus>,
    placement: Option<crate::flow::Placement>,
    face_box: Option<[f32; 4]>,
    preview: Option<Preview>,
    analysis_ms: VecDeque<f32>,
    /// Name of the state last published, to log screen changes.
    last_screen: &'static str,
    /// The ID card reader, listening while the kiosk waits for the next person.
    card: Option<CardListener>,
    /// Whether the listener was last told to listen.
    card_listening: bool,
    /// A manual check ran with the camera down.
    manual_while_down: bool,
}

impl Worker {
    fn new(
        kiosk: Kiosk,
        speaker: Box<dyn Speaker>,
        view: Arc<Mutex<Arc<View>>>,
        events: Receiver<Event>,
        repaint: Repaint,
        epoch: Instant,
    ) -> Worker {
        let cfg = &kiosk.config;
        let identity = KioskIdentity {
            kiosk_id: cfg.config.kiosk.id.clone(),
            site_code: cfg.config.kiosk.site_code.clone(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            models: kiosk.vision.model_hashes.clone(),
        };
        let driver = Driver::new(cfg, identity, cfg.config.liveness.clone());
        let camera = CameraLink::open(cfg).unwrap_or_else(|why| {
            tracing::warn!(%why, "camera cannot be opened; retrying every {RECONNECT_EVERY:?}");
            CameraLink::lost(why)
        });
        let card = start_card_reader(cfg, &repaint);
        Worker {
            kiosk,
            speaker,
            driver,
            track: Track::default(),
            camera,
            view,
            events,
            repaint,
            epoch,
            notices: VecDeque::new(),
            queue: None,
            sync: None,
            reference_cache: None,
            placement: None,
            face_box: None,
            preview: None,
            analysis_ms: VecDeque::new(),
            last_screen: "",
            card,
            card_listening: true,
            manual_while_down: false,
        }
    }

    /// Listens while a read card would start a session (idle and the result screens,
    /// where a scan starts the next person), and takes what the reader offers.
    fn card_reader(&mut self) -> bool {
        let Some(card) = &self.card else {
            return false;
        };
        let listen = matches!(
            self.driver.state,
            State::Idle
                | State::Passed { .. }
                | State::PendingMatch { .. }
                | State::AlreadyCertified { .. }
                | State::NotEligible { .. }
                | State::CameraFault { .. }
        );
        if listen != self.card_listening {
            card.set_listening(listen);
            self.card_listening = listen;
        }
        let Some(offered) = card.take() else {
            return false;
        };
        match offered {
            Offered::Card(ev) => {
                let CardEvent {
                    id,
                    read,
                    expired,
                    photo,
                    ..
                } = *ev;
                let Some(id) = id else {
                    let why = "this card has no resident ID number (a foreigner's card): type the number instead";
                    self.drive("card", |_, host, _, _| {
                        host.notify(&ClerkNotice::CardReadFailed(why.to_owned()));
                        Ok(())
                    });
                    return true;
                };
                let (facts, chip) = driver::card_facts(&read, expired, photo);
                let seed = rand::random();
                self.drive("card read", |d, host, vision, now| {
                    d.card_read(host, vision, now, id, seed, facts, chip)
                });
            }
            Offered::Failed(e) => {
                let why = e.to_string();
                self.drive("card", |_, host, _, _| {
                    host.notify(&ClerkNotice::CardReadFailed(why));
                    Ok(())
                });
            }
        }
        true
    }

    fn now(&self) -> Now {
        Now {
            mono_ms: self.epoch.elapsed().as_millis() as u64,
            wall: Local::now().fixed_offset(),
        }
    }

    /// Runs one driver call with the window's [`Host`]. A failure is a store failure
    /// (the record was not written): the clerk must know.
    fn drive(
        &mut self,
        what: &str,
        call: impl FnOnce(
            &mut Driver,
            &mut dyn Host,
            &mut crate::vision::Vision,
            Now,
        ) -> anyhow::Result<()>,
    ) {
        let now = self.now();
        let mut host = KioskHost {
            store: &mut self.kiosk.store,
            sync: self.kiosk.sync.as_ref(),
            reference: self.kiosk.reference.as_ref(),
            cache: &self.kiosk.reference_cache,
            speaker: self.speaker.as_mut(),
            notices: &mut self.notices,
        };
        if let Err(e) = call(&mut self.driver, &mut host, &mut self.kiosk.vision, now) {
            tracing::error!("flow {what} failed: {e:#}");
            host.notify(&ClerkNotice::MatchError(format!("{e:#}")));
        }
    }

    fn event(&mut self, event: Event) {
        self.drive("event", |d, host, vision, now| {
            d.event(host, vision, now, event)
        });
    }

    /// Feeds the server's answer about a reference photo, when one has come.
    fn reference_answer(&mut self) -> bool {
        let Some((id, answer)) = self.kiosk.reference.as_ref().and_then(|r| r.try_answer()) else {
            return false;
        };
        self.drive("reference answer", |d, host, vision, now| {
            d.reference_arrived(host, vision, now, &id, answer)
        });
        true
    }

    fn run(&mut self, stop: &AtomicBool) {
        if !self.camera.connected() {
            self.event(Event::CameraLost);
        }
        let mut last_tick = Instant::now();
        let mut last_queue = Instant::now() - QUEUE_EVERY;
        let mut last_publish = Instant::now();
        let mut stored_seen = 0;
        while !stop.load(Ordering::Relaxed) {
            // Publish (and repaint) only when something changed, plus a slow heartbeat
            // for the countdowns: an idle kiosk must not redraw at full speed.
            let mut changed = false;
            while let Ok(event) = self.events.try_recv() {
                self.event(event);
                changed = true;
            }
            changed |= self.reference_answer();
            changed |= self.card_reader();
            // A manual check served someone while the camera was down: once it ends,
            // back to the fault screen, so the next scan is a manual check too. (A
            // clerk's cancel of the fault screen itself still leaves it, as before.)
            if matches!(self.driver.state, State::ManualCheck { .. }) {
                self.manual_while_down |= !self.camera.connected();
            } else if std::mem::take(&mut self.manual_while_down)
                && matches!(self.driver.state, State::Idle)
                && !self.camera.connected()
            {
                self.event(Event::CameraLost);
                changed = true;
            }
            let seen = self.preview.as_ref().map(|p| p.seq);
            let was_connected = self.camera.connected();
            if self.camera.connected() {
                self.frame();
            } else {
                std::thread::sleep(FRAME_WAIT);
                self.reconnect();
            }
            changed |= self.preview.as_ref().map(|p| p.seq) != seen
                || self.camera.connected() != was_connected;
            if last_tick.elapsed() >= TICK {
                last_tick = Instant::now();
                let before = self.driver.state.clone();
                self.event(Event::Tick);
                changed |= self.driver.state != before;
            }
            // A record just stored shows in the queue figure at once, not 2 s later.
            let stored = self.driver.stored.len();
            if last_queue.elapsed() >= QUEUE_EVERY || stored != stored_seen {
                stored_seen = stored;
                last_queue = Instant::now();
                self.queue = match self.kiosk.store.status() {
                    Ok(q) => Some(q),
                    Err(e) => {
                        tracing::warn!("cannot read the queue status: {e}");
                        None
                    }
                };
                // The running worker's own status; else what a worker last saved
                // (read only: the worker owns the file).
                self.sync = match &self.kiosk.sync {
                    Some(w) => Some(w.status().get()),
                    None => crate::sync::status::load(&self.kiosk.config.data_dir()),
                };
                self.reference_cache =
                    Some(self.kiosk.reference_cache.status()).filter(|c| c.enabled);
                changed = true;
            }
            if changed || last_publish.elapsed() >= HEARTBEAT {
                last_publish = Instant::now();
                self.publish();
            }
        }
        if let Some(mut t) = self.camera.thread.take() {
            t.stop();
        }
        if let Some(card) = self.card.take() {
            card.stop();
        }
    }

    /// Takes the newest frame (if one comes within [`FRAME_WAIT`]), analyses it and
    /// feeds it to the flow; notices a closed slot as a lost camera.
    fn frame(&mut self) {
        let Some(frame) = self.camera.slot.take_newest(FRAME_WAIT) else {
            if let Some(end) = self.camera.slot.end() {
                tracing::warn!(?end, camera = %self.camera.label, "camera lost");
                if let Some(mut t) = self.camera.thread.take() {
                    t.stop();
                }
                self.camera.next_try = Instant::now() + RECONNECT_EVERY;
                self.camera.tries = 0;
                self.placement = None;
                self.face_box = None;
                self.event(Event::CameraLost);
            }
            return;
        };
        let wants = Wants {
            liveness: true,
            embedding: false,
        };
        let t0 = Instant::now();
        let analysis = match self.kiosk.vision.analyze_tracked(
            &frame.image,
            frame.mirrored,
            wants,
            &mut self.track,
        ) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("frame analysis failed: {e}");
                return;
            }
        };
        self.analysis_ms
            .push_back(t0.elapsed().as_secs_f32() * 1000.0);
        if self.analysis_ms.len() > 30 {
            self.analysis_ms.pop_front();
        }
        self.placement = Some(driver::observe::placement(
            &analysis,
            &self.kiosk.config.config.thresholds,
        ));
        self.face_box = analysis.faces.first().map(|f| {
            let (w, h) = (analysis.width as f32, analysis.height as f32);
            [f.bbox.x1 / w, f.bbox.y1 / h, f.bbox.x2 / w, f.bbox.y2 / h]
        });
        self.preview = Some(Preview {
            seq: frame.seq,
            image: Arc::clone(&frame.image),
        });
        self.drive("frame", |d, host, vision, now| {
            d.frame(host, vision, now, &frame.image, &analysis)
        });
    }

    fn reconnect(&mut self) {
        if Instant::now() < self.camera.next_try {
            return;
        }
        let tries = self.camera.tries + 1;
        match CameraLink::open(&self.kiosk.config) {
            Ok(link) => {
                tracing::info!(tries, "camera back");
                self.camera = link;
                self.track = Track::default();
                self.event(Event::CameraRestored);
            }
            Err(why) => {
                tracing::debug!(tries, %why, "camera still unavailable");
                self.camera.tries = tries;
                self.camera.label = why;
                self.camera.next_try = Instant::now() + RECONNECT_EVERY;
            }
        }
    }

    fn publish(&mut self) {
        let state: State = self.driver.state.clone();
        if self.last_screen != state.name() {
            self.last_screen = state.name();
            tracing::info!(screen = self.last_screen, "screen changed");
        }
        let n = self.analysis_ms.len();
        let view = View {
            state,
            params: self.driver.params().clone(),
            placement: self.placement,
            face_box: self.face_box,
            preview: self.preview.clone(),
            mirror: self.kiosk.config.config.camera.mirror,
            notices: self.notices.iter().cloned().collect(),
            queue: self.queue.clone(),
            sync: self.sync.clone(),
            reference_cache: self.reference_cache.clone(),
            camera: CameraView {
                label: self.camera.label.clone(),
                connected: self.camera.connected(),
                demo: self.camera.demo,
                reconnect_tries: self.camera.tries,
            },
            analysis_ms: (n > 0).then(|| self.analysis_ms.iter().sum::<f32>() / n as f32),
            deadline: Some(Deadline::on(
                &self.kiosk.config.config.certification_window,
                Local::now().date_naive(),
            )),
            card_reader: self.card.as_ref().map(|c| c.status()),
            flash: self.driver.flash_display(),
        };
        *self.view.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(view);
        (self.repaint)();
    }
}

/// The card reader's listener when `[card_reader] enabled`; a decoder that cannot be
/// set up is logged and the reader runs without it (the photo is then not used).
fn start_card_reader(cfg: &crate::config::LoadedConfig, repaint: &Repaint) -> Option<CardListener> {
    if !cfg.config.card_reader.enabled {
        return None;
    }
    let settings = match ListenerSettings::from_config(cfg) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(
                "[card_reader] photo_decoder: {e}; reading cards without the chip photo"
            );
            let mut plain = cfg.clone();
            plain.config.card_reader.photo_decoder.clear();
            ListenerSettings::from_config(&plain).ok()?
        }
    };
    let repaint = Arc::clone(repaint);
    Some(CardListener::spawn(settings, move || repaint()))
}

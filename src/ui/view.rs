//! What the screens draw: a snapshot of the flow and the camera, published by the
//! analysis thread (or a test script) and rendered as is by the UI thread.
//!
//! `flow` decides, `ui` draws: a screen is a function of a [`View`] plus the UI's own
//! little state (language, text fields); it returns [`Event`]s and never touches the
//! flow. [`Backend`] is the UI's only way to the rest of the kiosk: the threaded
//! [`Runtime`](super::runtime::Runtime) in the kiosk, a scripted flow in the tests.

use std::sync::Arc;

use image::RgbImage;

use crate::flow::{ClerkNotice, Event, FlowParams, Placement, State};
use crate::store::QueueStatus;

/// One published snapshot. Cheap to share: the UI holds an `Arc<View>`.
#[derive(Debug, Clone)]
pub struct View {
    pub state: State,
    pub params: FlowParams,
    /// Placement of the latest analysed frame, `None` before the first one.
    pub placement: Option<Placement>,
    /// The subject's face box in the camera image, as fractions (x0, y0, x1, y1), not
    /// mirrored.
    pub face_box: Option<[f32; 4]>,
    pub preview: Option<Preview>,
    /// Flip the preview left-right (people expect a mirror).
    pub mirror: bool,
    /// Latest clerk notices, oldest first (a few at most).
    pub notices: Vec<ClerkNotice>,
    /// The record queue; `None` until first read or when the store cannot be read.
    pub queue: Option<QueueStatus>,
    pub camera: CameraView,
    /// What the sync worker last published (`<data_dir>/sync-status.json`); `None`
    /// when no worker has run.
    pub sync: Option<crate::sync::SyncStatus>,
    /// The offline reference cache, when it is enabled: its age, or why it cannot be
    /// used (a stale cache means offline attempts end pending_match).
    pub reference_cache: Option<crate::cache::CacheStatus>,
    /// Mean analysis time per frame over the last second.
    pub analysis_ms: Option<f32>,
    /// Where today stands against the certification window (days left, or closed).
    pub deadline: Option<crate::deadline::Deadline>,
    /// The ID card reader, when `[card_reader] enabled`.
    pub card_reader: Option<crate::card_reader::ReaderStatus>,
    /// The screen flash to paint around the preview while it runs (shared with the
    /// driver, which starts and stops it; the colour is read at paint time, so the
    /// fades stay smooth whatever the analysis rate).
    pub flash: crate::flash::FlashDisplay,
}

/// The latest camera picture. `seq` changes with every new frame, so the UI uploads a
/// texture only when the picture changed.
#[derive(Clone)]
pub struct Preview {
    pub seq: u64,
    pub image: Arc<RgbImage>,
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Preview #{} {}x{}",
            self.seq,
            self.image.width(),
            self.image.height()
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct CameraView {
    /// What the source calls itself ("camera device 0 (...)", "demo camera (...)").
    pub label: String,
    pub connected: bool,
    /// The source is the synthetic demo feed, not a real camera.
    pub demo: bool,
    /// Reconnect attempts since the camera was lost.
    pub reconnect_tries: u32,
}

impl View {
    /// The attract screen with nothing known yet.
    pub fn idle(params: FlowParams) -> View {
        View {
            state: State::Idle,
            params,
            placement: None,
            face_box: None,
            preview: None,
            mirror: true,
            notices: Vec::new(),
            queue: None,
            camera: CameraView {
                connected: true,
                ..CameraView::default()
            },
            sync: None,
            reference_cache: None,
            analysis_ms: None,
            deadline: None,
            card_reader: None,
            flash: crate::flash::FlashDisplay::default(),
        }
    }
}

/// The UI's connection to the kiosk. Both calls return at once: `view` hands out the
/// latest snapshot, `send` queues an event.
pub trait Backend {
    fn view(&mut self) -> Arc<View>;
    fn send(&mut self, event: Event);
    /// Monotonic milliseconds on the flow's clock (countdowns, cue animations).
    fn now_ms(&self) -> u64;
}

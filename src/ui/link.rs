//! The pieces the analysis thread works with besides the driver: the camera link (a
//! camera thread feeding a slot, or a fault with a reconnect schedule) and the driver's
//! [`Host`] for the window (store, sync wake-up, voice, clerk notices).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::runtime::{MAX_NOTICES, RECONNECT_EVERY};
use super::voice::Speaker;
use crate::camera::{self, CameraThread, FrameSlot};
use crate::config::LoadedConfig;
use crate::driver::{Host, ReferenceAnswer};
use crate::flow::{ClerkNotice, Prompt};
use crate::id_number::IdNumber;
use crate::store::{Enqueued, Store};

/// The camera as the analysis thread sees it: a thread feeding a slot, or a fault with
/// a reconnect schedule.
pub(super) struct CameraLink {
    pub(super) thread: Option<CameraThread>,
    pub(super) slot: Arc<FrameSlot>,
    pub(super) label: String,
    pub(super) demo: bool,
    pub(super) tries: u32,
    pub(super) next_try: Instant,
}

impl CameraLink {
    pub(super) fn open(cfg: &LoadedConfig) -> Result<CameraLink, String> {
        let source = camera::open(&cfg.config.camera, &cfg.base_dir).map_err(|e| e.to_string())?;
        let label = source.describe();
        let demo = label.starts_with("demo");
        let slot = Arc::new(FrameSlot::new());
        let thread = CameraThread::spawn(source, Arc::clone(&slot)).map_err(|e| e.to_string())?;
        tracing::info!(camera = %label, "camera opened");
        Ok(CameraLink {
            thread: Some(thread),
            slot,
            label,
            demo,
            tries: 0,
            next_try: Instant::now(),
        })
    }

    pub(super) fn lost(why: String) -> CameraLink {
        CameraLink {
            thread: None,
            slot: Arc::new(FrameSlot::new()),
            label: why,
            demo: false,
            tries: 0,
            next_try: Instant::now() + RECONNECT_EVERY,
        }
    }

    pub(super) fn connected(&self) -> bool {
        self.thread.is_some()
    }
}

/// Effects that leave the driver: the store, the voice, the clerk's notices.
pub(super) struct KioskHost<'a> {
    pub(super) store: &'a mut Store,
    /// Woken after each stored record so it is sent at once, not at the next poll.
    pub(super) sync: Option<&'a crate::sync::SyncWorker>,
    /// The server's reference lookup thread, when a server is configured.
    pub(super) reference: Option<&'a crate::sync::reference::ReferenceLookup>,
    /// The offline reference cache, for a kiosk without a server (with one, the
    /// lookup thread consults it when the server cannot be asked).
    pub(super) cache: &'a crate::cache::ReferenceCache,
    pub(super) speaker: &'a mut dyn Speaker,
    pub(super) notices: &'a mut VecDeque<ClerkNotice>,
}

impl Host for KioskHost<'_> {
    fn look_up(&mut self, id: &IdNumber, period: &str) -> ReferenceAnswer {
        // Asked on its own thread: a slow server must not freeze the analysis. Offline
        // (no server), a live attempt ends pending_match and the agency matches the
        // stored crop when the record syncs.
        match self.reference {
            Some(lookup) => {
                lookup.request(id, period);
                ReferenceAnswer::Pending
            }
            None => self.cache.offline_answer(id),
        }
    }

    fn store(
        &mut self,
        record: certpoint_protocol::CertificationRecord,
        photo: Option<&[u8]>,
    ) -> anyhow::Result<Enqueued> {
        let enqueued = self.store.enqueue(record, photo)?;
        if let Some(sync) = self.sync {
            sync.wake();
        }
        Ok(enqueued)
    }

    fn speak(&mut self, prompt: &Prompt) {
        self.speaker.speak(prompt);
    }

    fn notify(&mut self, notice: &ClerkNotice) {
        tracing::info!(?notice, "clerk notice");
        self.notices.push_back(notice.clone());
        while self.notices.len() > MAX_NOTICES {
            self.notices.pop_front();
        }
    }
}

//! The kiosk app: the latest [`View`] from a [`Backend`], drawn every frame, and the
//! events the screens return sent back. Nothing here blocks: `view()` swaps an `Arc`,
//! `send()` queues on a channel.

use std::time::{Duration, Instant};

use eframe::egui;

use super::screens::{self, UiState};
use super::view::Backend;

pub struct App<B: Backend> {
    pub backend: B,
    pub ui: UiState,
    /// Close the window after this long (`--exit-after-secs`, for scripted runs).
    pub exit_after: Option<Duration>,
    pub started: Instant,
    /// Cover the monitor when the full-screen request is ignored (no window manager).
    pub cover_monitor: bool,
    /// Frame times of the last frames drawn (for `certpoint bench ui`).
    pub frame_times: Option<Vec<Duration>>,
    /// systemd readiness and watchdog; disabled unless the kiosk sets it.
    pub watchdog: crate::watchdog::Watchdog,
    first_frame_logged: bool,
}

impl<B: Backend> App<B> {
    pub fn new(backend: B, ui: UiState) -> App<B> {
        App {
            backend,
            ui,
            exit_after: None,
            started: Instant::now(),
            cover_monitor: false,
            frame_times: None,
            watchdog: crate::watchdog::Watchdog::disabled(),
            first_frame_logged: false,
        }
    }

    /// Draws one frame into `ui` (the whole screen). Public for the UI tests.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let t0 = Instant::now();
        let view = self.backend.view();
        let now_ms = self.backend.now_ms();
        let events = screens::draw(ui, &view, now_ms, &mut self.ui);
        for e in events {
            self.backend.send(e);
        }
        if self.ui.animate && matches!(view.state, crate::flow::State::Challenges(_)) {
            ui.ctx().request_repaint();
        }
        if let Some(times) = &mut self.frame_times {
            times.push(t0.elapsed());
        }
    }
}

impl<B: Backend> eframe::App for App<B> {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.exit_after.is_some_and(|d| self.started.elapsed() >= d) {
            tracing::info!("closing the window as asked by --exit-after-secs");
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            self.exit_after = None;
        }
        if self.cover_monitor {
            // Without a window manager (bare X, Xvfb) the fullscreen request is ignored
            // and the window stays small in a corner; cover the monitor ourselves.
            if let Some(size) = ctx.input(|i| i.viewport().monitor_size) {
                ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::pos2(0.0, 0.0)));
                ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
                self.cover_monitor = false;
            }
        }
        self.show(ui);
        // Pinged from here, the UI thread, so a hung window (not just a dead process)
        // stops the pings and the kiosk unit restarts the session.
        self.watchdog.frame_drawn();
        if !self.first_frame_logged {
            self.first_frame_logged = true;
            tracing::info!(
                ms = self.started.elapsed().as_millis() as u64,
                "first frame drawn (time since start-up began)"
            );
        }
        // The runtime asks for a repaint with every snapshot; this is only a floor so
        // countdowns move even if it falls silent, and so the watchdog is fed.
        ctx.request_repaint_after(Duration::from_millis(250));
    }
}

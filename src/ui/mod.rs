//! The kiosk window. Until the GUI issue lands this is a clearly labelled placeholder
//! that proves start-up works end to end: configuration loaded, store open, status shown.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use eframe::egui;

use crate::cli::RunArgs;
use crate::config::LoadedConfig;
use crate::kiosk::Kiosk;

pub fn run_kiosk(config: &LoadedConfig, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let kiosk = Kiosk::start(config)?;
    let windowed = args.windowed || config.config.ui.windowed;
    let mut viewport = egui::ViewportBuilder::default().with_title("certpoint");
    viewport = if windowed {
        viewport.with_inner_size([1280.0, 720.0])
    } else {
        viewport
            .with_fullscreen(true)
            .with_decorations(false)
            .with_always_on_top()
    };
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let exit_after = args.exit_after_secs.map(Duration::from_secs_f64);
    let started = Instant::now();
    eframe::run_native(
        "certpoint",
        options,
        Box::new(move |_cc| {
            tracing::info!("kiosk window open");
            Ok(Box::new(Placeholder { kiosk, started, exit_after, fullscreen: !windowed, sized_to_monitor: false }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("cannot open the kiosk window: is a display available (DISPLAY or WAYLAND_DISPLAY)? On a kiosk PC the certpoint-kiosk service starts it under the cage compositor; for headless use see `certpoint --help`")?;
    Ok(ExitCode::SUCCESS)
}

struct Placeholder {
    kiosk: Kiosk,
    started: Instant,
    exit_after: Option<Duration>,
    fullscreen: bool,
    sized_to_monitor: bool,
}

impl eframe::App for Placeholder {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.exit_after.is_some_and(|d| self.started.elapsed() >= d) {
            tracing::info!("closing the window as asked by --exit-after-secs");
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            self.exit_after = None;
        }
        if self.fullscreen && !self.sized_to_monitor {
            // Without a window manager (bare X, Xvfb) the fullscreen request is ignored
            // and the window stays small in a corner; cover the monitor ourselves.
            if let Some(size) = ctx.input(|i| i.viewport().monitor_size) {
                ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::pos2(0.0, 0.0)));
                ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
                self.sized_to_monitor = true;
            }
        }
        let cfg = &self.kiosk.config.config;
        let status = self.kiosk.store.status().ok();
        egui::CentralPanel::default_margins().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(60.0);
                ui.label(egui::RichText::new("certpoint").size(64.0).strong());
                ui.add_space(20.0);
                ui.label(egui::RichText::new("Please hand your ID card to the clerk").size(48.0));
                ui.add_space(40.0);
                ui.label(
                    egui::RichText::new(
                        "DEMO / PLACEHOLDER SCREEN — the certification screens are not built yet",
                    )
                    .size(28.0)
                    .color(egui::Color32::from_rgb(220, 120, 0)),
                );
                ui.add_space(30.0);
                for line in [
                    format!("Kiosk {} · site {}", cfg.kiosk.id, cfg.kiosk.site_code),
                    format!("Config: {}", self.kiosk.config.path.display()),
                    format!("Store: {}", self.kiosk.store.path().display()),
                    format!("Camera: {}", self.kiosk.camera_label),
                    format!("Server: {}", self.kiosk.server_label),
                    match &status {
                        Some(s) => format!(
                            "Queue: {} pending, {} sent, {} rejected",
                            s.pending, s.sent, s.rejected
                        ),
                        None => "Queue: unreadable (see log)".to_owned(),
                    },
                ] {
                    ui.label(egui::RichText::new(line).size(24.0));
                }
            });
        });
        ctx.request_repaint_after(Duration::from_millis(500));
    }
}

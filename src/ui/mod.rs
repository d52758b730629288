//! The kiosk window: full-screen egui for retirees and clerks.
//!
//! - [`runtime`]: the camera and analysis threads behind the window, publishing
//!   [`view::View`] snapshots; the UI thread never waits on camera, model or disk.
//! - [`screens`]: draws a view (retiree side + clerk panel), returns events.
//! - [`theme`]: every size and colour; [`i18n`]: one catalogue per language;
//!   [`fonts`]: the embedded CJK font; [`mongolian`]: the traditional Mongolian script
//!   in vertical columns; [`voice`]: spoken prompts.
//! - [`pin`]: the clerk PIN check of a manual pass, on its own thread.
//! - [`testing`]: the real flow on a scripted clock, for the UI tests and screenshots.

pub mod app;
pub mod assist;
pub mod bench;
pub mod fonts;
pub mod i18n;
mod link;
pub mod mongolian;
pub mod pin;
pub mod runtime;
pub mod screens;
pub mod testing;
pub mod theme;
pub mod view;
pub mod voice;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use eframe::egui;

use crate::cli::RunArgs;
use crate::config::LoadedConfig;
use crate::kiosk::Kiosk;

pub use app::App;
pub use screens::UiState;

/// Prepares a context for the kiosk screens: fonts and theme. Call before the first
/// frame (fonts take effect from the next one).
pub fn setup_context(ctx: &egui::Context) {
    fonts::install(ctx);
    theme::apply(ctx);
}

pub fn run_kiosk(config: &LoadedConfig, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let kiosk = Kiosk::start(config)?;
    let pin_store = kiosk.store.connect_again()?;
    let desk_store = kiosk.store.connect_again()?;
    let desk_config = config.clone();
    let pin_policy = crate::store::PinPolicy::from(&config.config.clerk);
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
    let lang = config.config.ui.language.clone();
    let offered = config.config.ui.languages.clone();
    let voice_lang: voice::VoiceLanguage = Arc::new(std::sync::Mutex::new(lang.clone()));
    let voice::Voice { speaker, repeater } = voice::open(
        &config.config.voice,
        &config.base_dir,
        Arc::clone(&voice_lang),
    );
    eframe::run_native(
        "certpoint",
        options,
        Box::new(move |cc| {
            setup_context(&cc.egui_ctx);
            let ctx = cc.egui_ctx.clone();
            let runtime = runtime::Runtime::start(kiosk, speaker, Arc::new(move || ctx.request_repaint()))?;
            let ctx = cc.egui_ctx.clone();
            let pin_gate = pin::PinGate::start(pin_store, pin_policy, Arc::new(move || ctx.request_repaint()))?;
            tracing::info!("kiosk window open");
            let mut ui = UiState::new(&lang);
            ui.offer(&offered);
            ui.voice_lang = Some(voice_lang);
            ui.repeater = repeater;
            ui.pin_gate = Some(pin_gate);
            let ctx = cc.egui_ctx.clone();
            ui.assist.desk = Some(assist::AssistDesk::start(desk_config, desk_store, Arc::new(move || ctx.request_repaint()))?);
            let mut app = App::new(runtime, ui);
            app.exit_after = exit_after;
            app.started = started;
            app.cover_monitor = !windowed;
            app.watchdog = crate::watchdog::Watchdog::from_env();
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("cannot open the kiosk window: is a display available (DISPLAY or WAYLAND_DISPLAY)? On a kiosk PC the certpoint-kiosk service starts it under the cage compositor; for headless use see `certpoint --help`")?;
    Ok(ExitCode::SUCCESS)
}

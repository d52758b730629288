//! The kiosk's design tokens: every size and colour the screens use, in one place.
//!
//! Sizes are in egui points at the reference resolution of 1920×1080 (one point = one
//! pixel there). The retiree side is built for poor sight: the main prompt is at least
//! 48 px (issue 5), text is near-white on near-black (contrast above 15:1), and state is
//! never told by colour alone (the frame also changes thickness, a tick or cross is drawn).

use eframe::egui::{self, Color32, FontFamily, FontId, Stroke};

/// Main instruction on the retiree side.
pub const PROMPT_SIZE: f32 = 64.0;
/// Second line under the prompt (what to do next, countdown).
pub const DETAIL_SIZE: f32 = 40.0;
/// Big symbols: tick, cross, challenge cues.
pub const CUE_SIZE: f32 = 180.0;
/// Clerk panel text.
pub const CLERK_SIZE: f32 = 22.0;
pub const CLERK_HEADING_SIZE: f32 = 28.0;
/// Width of the clerk panel at 1920 px.
pub const CLERK_PANEL_WIDTH: f32 = 560.0;
/// Height of buttons on either side (touch-friendly).
pub const BUTTON_HEIGHT: f32 = 56.0;
/// Live preview height as a fraction of the retiree area.
pub const PREVIEW_FRACTION: f32 = 0.55;

pub const BACKGROUND: Color32 = Color32::from_rgb(12, 14, 18);
pub const CLERK_BACKGROUND: Color32 = Color32::from_rgb(30, 33, 40);
pub const TEXT: Color32 = Color32::from_rgb(245, 245, 245);
pub const TEXT_DIM: Color32 = Color32::from_rgb(190, 195, 205);
pub const GOOD: Color32 = Color32::from_rgb(40, 200, 90);
pub const WARN: Color32 = Color32::from_rgb(255, 190, 40);
pub const BAD: Color32 = Color32::from_rgb(240, 70, 60);
pub const ACCENT: Color32 = Color32::from_rgb(80, 170, 255);
pub const PROGRESS_DONE: Color32 = GOOD;
pub const PROGRESS_TODO: Color32 = Color32::from_rgb(90, 95, 105);

/// Guide frame stroke: thick and green when the face is placed well, thinner amber
/// otherwise (thickness tells the state without colour).
pub fn frame_stroke(good: bool) -> Stroke {
    if good {
        Stroke::new(12.0, GOOD)
    } else {
        Stroke::new(6.0, WARN)
    }
}

pub fn prompt_font() -> FontId {
    FontId::new(PROMPT_SIZE, FontFamily::Proportional)
}

pub fn detail_font() -> FontId {
    FontId::new(DETAIL_SIZE, FontFamily::Proportional)
}

/// Applies the kiosk look to a context: dark, high contrast, large clerk widgets.
pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    let mut style = (*ctx.global_style()).clone();
    style.visuals = egui::Visuals::dark();
    style.visuals.panel_fill = BACKGROUND;
    style.visuals.window_fill = CLERK_BACKGROUND;
    style.visuals.override_text_color = Some(TEXT);
    style.spacing.button_padding = egui::vec2(16.0, 10.0);
    style.spacing.item_spacing = egui::vec2(10.0, 10.0);
    style.spacing.interact_size.y = BUTTON_HEIGHT * 0.7;
    use egui::TextStyle::*;
    style.text_styles = [
        (
            Heading,
            FontId::new(CLERK_HEADING_SIZE, FontFamily::Proportional),
        ),
        (Body, FontId::new(CLERK_SIZE, FontFamily::Proportional)),
        (Button, FontId::new(CLERK_SIZE, FontFamily::Proportional)),
        (
            Small,
            FontId::new(CLERK_SIZE * 0.8, FontFamily::Proportional),
        ),
        (Monospace, FontId::new(CLERK_SIZE, FontFamily::Monospace)),
    ]
    .into();
    ctx.set_style_of(egui::Theme::Dark, style);
}

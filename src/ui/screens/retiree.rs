//! The retiree side: one big instruction at a time, the mirrored preview with the
//! guide frame, challenge cues, progress, countdown and the result.

use eframe::egui::{self, pos2, vec2, Align2, Color32, Rect, RichText, Stroke, StrokeKind, Ui};

use crate::flow::{Event, Placement, State};
use crate::ui::i18n::Catalogue;
use crate::ui::mongolian::Columns;
use crate::ui::theme;
use crate::ui::view::View;

use super::cues;
use super::prose::Prose;
use super::symbols::{clerk_symbol, cross, id_card_symbol, recorded_symbol, symbol_area, tick};
use super::UiState;

pub(super) fn retiree(
    ui: &mut Ui,
    view: &View,
    now_ms: u64,
    st: &mut UiState,
    events: &mut Vec<Event>,
) {
    // The retiree never uses a pointer: hide it over their side of the screen.
    if ui.rect_contains_pointer(ui.max_rect()) {
        ui.ctx().set_cursor_icon(egui::CursorIcon::None);
    }
    if st.cat().vertical() {
        // Mongolian: the sentences stand in columns at the left, the pictures beside.
        return super::prose::retiree_in_columns(ui, view, now_ms, st, events);
    }
    // Room kept under the camera picture for the repeat button.
    let below = if st.repeater.is_some() {
        REPEAT_SIZE.y + 8.0
    } else {
        0.0
    };
    ui.vertical_centered(|ui| body(ui, view, now_ms, st, events, &mut Prose::Inline, below));
    if let Some(repeater) = &st.repeater {
        repeat_button(ui, &view.state.screen_prompt(), repeater, st.cat());
    }
}

/// The retiree side from top to bottom: the prompt, then what the state shows.
/// Sentences go to `prose` (drawn in place, or gathered into Mongolian columns);
/// `below` is the room to keep under the camera picture.
pub(super) fn body(
    ui: &mut Ui,
    view: &View,
    now_ms: u64,
    st: &mut UiState,
    events: &mut Vec<Event>,
    prose: &mut Prose,
    below: f32,
) {
    let cat = st.cat();
    let state = &view.state;
    let prompt = state.screen_prompt();
    ui.add_space(12.0);
    prose.say(ui, cat.t(&prompt.key()), theme::PROMPT_SIZE, theme::TEXT);
    ui.add_space(12.0);
    match state {
        State::Idle => {
            ui.add_space(60.0);
            id_card_symbol(ui);
            if let Some(text) = super::counter::window_line(view, cat) {
                ui.add_space(30.0);
                let color = if view.deadline.is_some_and(|d| d.is_open()) {
                    theme::TEXT_DIM
                } else {
                    theme::WARN
                };
                prose.say(ui, &text, theme::DETAIL_SIZE, color);
            }
        }
        State::IdentityEntered { .. } | State::Matching(_) => {
            ui.add_space(80.0);
            if st.animate {
                ui.add(egui::Spinner::new().size(120.0).color(theme::ACCENT));
            } else {
                // A still picture for snapshots: the spinner never stops repainting.
                let (rect, p) = symbol_area(ui, vec2(120.0, 120.0), "busy");
                p.circle_stroke(rect.center(), 50.0, Stroke::new(10.0, theme::ACCENT));
            }
        }
        State::Positioning(_) => {
            flash_backdrop(ui, view, now_ms, st.animate);
            preview(ui, view, st, (ui.available_height() - below) * 0.95);
        }
        State::Challenges(c) => {
            let cue_h = theme::CUE_SIZE;
            let phase = if st.animate {
                (now_ms % 1200) as f32 / 1200.0
            } else {
                0.25
            };
            if let Some(action) = c.current() {
                cues::challenge_cue(ui, action, cue_h, phase, cat);
            }
            cues::progress(ui, &c.plan, c.index, cat, prose);
            if let Some(left) = state.countdown_ms(now_ms, &view.params) {
                cues::countdown(ui, left, view.params.challenge_timeout_ms, cat, prose);
            }
            preview(ui, view, st, (ui.available_height() - below) * 0.95);
        }
        State::Passed { .. } => {
            ui.add_space(30.0);
            tick(ui, theme::GOOD);
            prose.say(
                ui,
                cat.t("detail.passed"),
                theme::DETAIL_SIZE,
                theme::TEXT_DIM,
            );
        }
        State::PendingMatch { .. } => {
            // Neither a tick nor a cross: the visit is on file, the answer comes
            // from the office. Calm blue, a record sheet with a clock.
            ui.add_space(30.0);
            recorded_symbol(ui);
            prose.say(
                ui,
                cat.t("detail.pending_match"),
                theme::DETAIL_SIZE,
                theme::TEXT_DIM,
            );
        }
        State::NotEligible { .. } => {
            // The reason (deceased, suspended, not on the roster) is for the clerk
            // to explain, never for a public screen.
            ui.add_space(30.0);
            clerk_symbol(ui);
            prose.say(
                ui,
                cat.t("detail.not_eligible"),
                theme::DETAIL_SIZE,
                theme::TEXT_DIM,
            );
        }
        State::AlreadyCertified { .. } => {
            ui.add_space(30.0);
            tick(ui, theme::ACCENT);
            prose.say(
                ui,
                cat.t("detail.already_certified"),
                theme::DETAIL_SIZE,
                theme::TEXT_DIM,
            );
        }
        State::Failed { .. } => {
            ui.add_space(30.0);
            cross(ui);
            prose.say(
                ui,
                cat.t("detail.retry"),
                theme::DETAIL_SIZE,
                theme::TEXT_DIM,
            );
            ui.add_space(30.0);
            let fill = theme::ACCENT.gamma_multiply(0.6);
            if prose
                .button(ui, cat.t("button.retry"), fill, vec2(420.0, 110.0))
                .clicked()
            {
                events.push(Event::Retry);
            }
            ui.add_space(24.0);
            what_next(ui, view, cat, false, prose);
        }
        State::ClerkAssist { .. } => {
            ui.add_space(30.0);
            clerk_symbol(ui);
            prose.say(
                ui,
                cat.t("detail.clerk"),
                theme::DETAIL_SIZE,
                theme::TEXT_DIM,
            );
            ui.add_space(24.0);
            what_next(ui, view, cat, true, prose);
        }
        State::CameraFault { .. } => {
            ui.add_space(30.0);
            cross(ui);
        }
        State::ManualCheck { .. } => {
            ui.add_space(30.0);
            id_card_symbol(ui);
            prose.say(
                ui,
                cat.t("detail.manual_check"),
                theme::DETAIL_SIZE,
                theme::TEXT_DIM,
            );
        }
    }
}

pub(super) const REPEAT_SIZE: egui::Vec2 = vec2(360.0, 100.0);

/// "Say it again", in the bottom-left corner of every retiree screen: a person who did
/// not catch the prompt hears the one on screen again (after any sentence being spoken,
/// never over it). The corner keeps it clear of the preview and the retry button.
fn repeat_button(
    ui: &mut Ui,
    prompt: &crate::flow::Prompt,
    repeater: &crate::ui::voice::Repeater,
    cat: &Catalogue,
) {
    let area = ui.max_rect();
    let rect = Rect::from_min_size(
        pos2(area.left(), area.bottom() - REPEAT_SIZE.y),
        REPEAT_SIZE,
    );
    let button = egui::Button::new(
        RichText::new(cat.t("button.repeat"))
            .size(theme::DETAIL_SIZE)
            .color(theme::TEXT),
    )
    .fill(theme::ACCENT.gamma_multiply(0.45))
    .min_size(REPEAT_SIZE);
    if ui.put(rect, button).clicked() {
        repeater.repeat(prompt);
    }
}

/// After a failed attempt: what happens next and by when.
fn what_next(ui: &mut Ui, view: &View, cat: &Catalogue, clerk: bool, prose: &mut Prose) {
    if let Some(text) = super::counter::next_step(view, cat, clerk) {
        prose.say(ui, &text, theme::DETAIL_SIZE * 0.8, theme::WARN);
    }
}

pub(super) fn big_text(ui: &mut Ui, text: &str, size: f32, color: Color32) {
    ui.add(egui::Label::new(RichText::new(text).size(size).color(color).strong()).wrap());
}

/// The screen flash: the whole retiree side below the prompt, around and behind the
/// preview, in the sequence's colour of this moment (the prompt stays on the dark
/// background, where its contrast is high). Nothing is painted when no flash runs.
/// The colours, their brightness and their pace are `crate::flash::sequence`'s
/// (gentle, isoluminant, at most two slow changes a second).
fn flash_backdrop(ui: &mut Ui, view: &View, now_ms: u64, animate: bool) {
    let bg = theme::BACKGROUND;
    let Some([r, g, b]) = view.flash.colour_at(now_ms, [bg.r(), bg.g(), bg.b()]) else {
        return;
    };
    let full = ui.ctx().content_rect();
    let area = Rect::from_min_max(
        pos2(ui.max_rect().left() - 24.0, ui.cursor().top() - 8.0),
        pos2(ui.max_rect().right() + 24.0, full.bottom()),
    );
    ui.painter()
        .rect_filled(area, 0.0, Color32::from_rgb(r, g, b));
    // The colour changes continuously during a fade: keep painting (not in still
    // pictures for snapshots, which must settle).
    if animate {
        ui.ctx().request_repaint();
    }
}

/// The mirrored live picture with the guide frame, green and thick when the face is
/// placed well, amber and thinner with the hint otherwise.
pub(super) fn preview(ui: &mut Ui, view: &View, st: &mut UiState, max_h: f32) {
    let (w, h) = view
        .preview
        .as_ref()
        .map(|p| (p.image.width() as f32, p.image.height() as f32))
        .unwrap_or((640.0, 480.0));
    let max_w = ui.available_width();
    let scale = (max_h.max(200.0) / h).min(max_w / w);
    let good = view.placement == Some(Placement::Good);
    let label = match view.placement {
        Some(p) => format!("camera preview: {}", p.as_str()),
        None => "camera preview".to_owned(),
    };
    let (rect, p) = symbol_area(ui, vec2(w * scale, h * scale), &label);
    p.rect_filled(rect, 12.0, Color32::BLACK);
    if let Some(img) = &view.preview {
        let tex = match &mut st.preview {
            Some((seq, tex)) if *seq == img.seq => tex.clone(),
            slot => {
                let color = egui::ColorImage::from_rgb(
                    [img.image.width() as usize, img.image.height() as usize],
                    img.image.as_raw(),
                );
                let tex = match slot {
                    Some((_, tex)) => {
                        tex.set(color, egui::TextureOptions::LINEAR);
                        tex.clone()
                    }
                    None => ui
                        .ctx()
                        .load_texture("preview", color, egui::TextureOptions::LINEAR),
                };
                *slot = Some((img.seq, tex.clone()));
                tex
            }
        };
        // Mirroring by texture coordinates: free, and the pixels stay as the camera saw them.
        let uv = if view.mirror {
            Rect::from_min_max(pos2(1.0, 0.0), pos2(0.0, 1.0))
        } else {
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0))
        };
        p.image(tex.id(), rect, uv, Color32::WHITE);
    }
    // Guide frame: where the face should be (centred, about the configured face size).
    let guide = Rect::from_center_size(
        rect.center(),
        vec2(rect.width() * 0.42, rect.height() * 0.78),
    );
    p.rect_stroke(
        guide,
        guide.width() * 0.35,
        theme::frame_stroke(good),
        StrokeKind::Middle,
    );
    if view.camera.demo {
        let text = st.cat().t("detail.camera_demo");
        if st.cat().vertical() {
            let cols = Columns::layout(ui.ctx(), text, 28.0, theme::WARN, rect.height() - 32.0);
            cols.paint(&p, rect.left_top() + vec2(16.0, 16.0), theme::WARN);
        } else {
            p.text(
                rect.left_bottom() + vec2(16.0, -16.0),
                Align2::LEFT_BOTTOM,
                text,
                egui::FontId::proportional(28.0),
                theme::WARN,
            );
        }
    }
}

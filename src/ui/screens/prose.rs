//! Where the retiree side's sentences go. In Chinese and English each sentence is a
//! big label in its place, top to bottom. In Mongolian (traditional script) the
//! sentences stand as vertical columns in a strip at the left, read from left to right
//! — the prompt first, then what the state says — and the pictures (ID card, preview,
//! cues, tick or cross) keep the rest of the width, as signage in Inner Mongolia puts
//! Mongolian columns beside pictures rather than under them.

use eframe::egui::{self, pos2, vec2, Align, Color32, Layout, Rect, RichText, Ui, UiBuilder};

use crate::flow::Event;
use crate::ui::mongolian;
use crate::ui::theme;
use crate::ui::view::View;

use super::retiree::{big_text, body, REPEAT_SIZE};
use super::UiState;

/// One gathered sentence.
pub(super) struct Sentence {
    text: String,
    size: f32,
    color: Color32,
}

pub(super) enum Prose {
    /// Drawn where it is said (horizontal scripts).
    Inline,
    /// Gathered for the column strip; also the tallest a button may be.
    Columns {
        sentences: Vec<Sentence>,
        max_height: f32,
    },
}

impl Prose {
    pub(super) fn say(&mut self, ui: &mut Ui, text: &str, size: f32, color: Color32) {
        match self {
            Prose::Inline => big_text(ui, text, size, color),
            Prose::Columns { sentences, .. } => sentences.push(Sentence {
                text: text.to_owned(),
                size,
                color,
            }),
        }
    }

    /// A big button among the pictures; in Mongolian its caption is a column.
    pub(super) fn button(
        &mut self,
        ui: &mut Ui,
        text: &str,
        fill: Color32,
        min_size: egui::Vec2,
    ) -> egui::Response {
        match self {
            Prose::Inline => ui.add(
                egui::Button::new(RichText::new(text).size(theme::DETAIL_SIZE))
                    .fill(fill)
                    .min_size(min_size),
            ),
            Prose::Columns { max_height, .. } => {
                // Upright: as wide as a column needs, as tall as the words need.
                let min = vec2(min_size.y, min_size.y * 2.0);
                mongolian::button(ui, text, theme::DETAIL_SIZE, fill, min, *max_height)
            }
        }
    }
}

/// Gap between two sentences' column blocks.
const SENTENCE_GAP: f32 = 36.0;
/// Gap between the strip and the pictures.
const STRIP_GAP: f32 = 40.0;

/// The retiree side in Mongolian. The strip's width is known only once the sentences
/// are laid out, after the pictures are drawn: it is kept from the previous pass and,
/// when it changed, this pass is discarded and drawn again (egui's `request_discard`),
/// so a picture never overlaps a column.
pub(super) fn retiree_in_columns(
    ui: &mut Ui,
    view: &View,
    now_ms: u64,
    st: &mut UiState,
    events: &mut Vec<Event>,
) {
    let full = ui.max_rect();
    let memory = ui.scope_id().with("mongolian column strip");
    let strip_width: f32 = ui
        .data(|d| d.get_temp(memory))
        .unwrap_or(full.width() * 0.4);
    let pictures = Rect::from_min_max(
        pos2(
            (full.left() + strip_width + STRIP_GAP).min(full.right()),
            full.top(),
        ),
        full.max,
    );
    let mut prose = Prose::Columns {
        sentences: Vec::new(),
        max_height: full.height(),
    };
    let mut right = ui.new_child(
        UiBuilder::new()
            .max_rect(pictures)
            .layout(Layout::top_down(Align::Center)),
    );
    body(&mut right, view, now_ms, st, events, &mut prose, 0.0);
    let Prose::Columns { sentences, .. } = prose else {
        return;
    };

    let mut strip = ui.new_child(
        UiBuilder::new()
            .max_rect(full)
            .layout(Layout::left_to_right(Align::Min)),
    );
    strip.spacing_mut().item_spacing.x = SENTENCE_GAP;
    for s in &sentences {
        mongolian::label(&mut strip, &s.text, s.size, s.color, full.height());
    }
    if let Some(repeater) = &st.repeater {
        // "Say it again" closes the strip, at its foot (the corner it has in the
        // other languages).
        let prompt = view.state.screen_prompt();
        let text = st.cat().t("button.repeat");
        strip.with_layout(Layout::bottom_up(Align::Min), |ui| {
            let fill = theme::ACCENT.gamma_multiply(0.45);
            let min = vec2(REPEAT_SIZE.y, REPEAT_SIZE.y * 2.0);
            if mongolian::button(ui, text, theme::DETAIL_SIZE, fill, min, full.height() * 0.5)
                .clicked()
            {
                repeater.repeat(&prompt);
            }
        });
    }
    let needed = strip.min_rect().width();
    if (needed - strip_width).abs() > 0.5 {
        ui.data_mut(|d| d.insert_temp(memory, needed));
        ui.ctx()
            .request_discard("the Mongolian column strip changed width");
    }
}

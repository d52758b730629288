//! Traditional Mongolian script in a horizontal interface: vertical columns, read top
//! to bottom, columns from left to right, as Mongolian signage and software in Inner
//! Mongolia set it.
//!
//! The script joins: every letter has an isolated, initial, medial and final form, and
//! the free variation selectors (U+180B–U+180D, U+180F) and the vowel separator (U+180E)
//! choose among them. egui 0.37 shapes every run with harfrust (the HarfBuzz port that
//! succeeded rustybuzz), so a line laid out by egui in Noto Sans Mongolian is already
//! joined correctly, and its glyphs come from egui's own atlas. What egui cannot do is
//! vertical text. The fonts draw Mongolian letters lying on their side, so the standard
//! way (also how browsers set `writing-mode: vertical-lr` for Mongolian) is: shape each
//! column as a horizontal line, then turn it a quarter turn clockwise. Here that turn is
//! egui's own text rotation ([`epaint::TextShape::angle`]); the words are wrapped into
//! columns no taller than the room there is.
//!
//! Laid-out lines are cached by egui's galley cache (per text, size and colour, dropped
//! when unused for a frame), so nothing is shaped again while a screen stays.

use std::f32::consts::FRAC_PI_2;
use std::sync::Arc;

use eframe::egui::{
    self, epaint::TextShape, pos2, vec2, Color32, FontFamily, FontId, Galley, Pos2, Response,
    Sense, Ui, Vec2,
};

/// Noto Sans Mongolian 2.001 from Debian's fonts-noto-core (assets/fonts/README.md).
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansMongolian-Regular.ttf");
pub const FONT_NAME: &str = "noto-sans-mongolian";
/// The egui family for Mongolian text: Noto Sans Mongolian first (so a whole word,
/// suffix separators and variation selectors included, is one run and shaped as one),
/// the CJK font behind it for digits and Latin letters.
pub const FAMILY: &str = "mongolian";

pub fn family() -> FontFamily {
    FontFamily::Name(FAMILY.into())
}

/// The Mongolian block, U+1800–U+18AF (letters, punctuation, digits, FVS and MVS).
pub fn is_mongolian(c: char) -> bool {
    ('\u{1800}'..='\u{18AF}').contains(&c)
}

pub fn has_mongolian(text: &str) -> bool {
    text.chars().any(is_mongolian)
}

/// A text as vertical columns, ready to paint.
pub struct Columns {
    /// One horizontally shaped line per column, first column first.
    lines: Vec<Arc<Galley>>,
    /// Width of one column (the line height).
    pitch: f32,
    /// The block's size on screen.
    pub size: Vec2,
}

impl Columns {
    /// Wraps `text` into columns at most `max_height` tall, breaking only between words
    /// (at a space or a line break; the narrow no-break space before a case suffix
    /// keeps the suffix with its word). A word longer than a column gets one of its own.
    pub fn layout(
        ctx: &egui::Context,
        text: &str,
        size: f32,
        color: Color32,
        max_height: f32,
    ) -> Columns {
        let font = FontId::new(size, family());
        let line = |s: String| ctx.fonts_mut(|f| f.layout_no_wrap(s, font.clone(), color));
        let space = line(" ".into()).size().x;
        let mut texts: Vec<String> = Vec::new();
        for paragraph in text.split('\n') {
            let (mut current, mut length) = (String::new(), 0.0);
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let w = line(word.to_owned()).size().x;
                if !current.is_empty() && length + space + w > max_height {
                    texts.push(std::mem::take(&mut current));
                    length = 0.0;
                }
                if !current.is_empty() {
                    current.push(' ');
                    length += space;
                }
                current.push_str(word);
                length += w;
            }
            texts.push(current);
        }
        let lines: Vec<Arc<Galley>> = texts.into_iter().map(line).collect();
        let pitch = lines.first().map_or(size, |g| g.size().y);
        let height = lines.iter().map(|g| g.size().x).fold(0.0, f32::max);
        Columns {
            size: vec2(pitch * lines.len() as f32, height.ceil()),
            lines,
            pitch,
        }
    }

    pub fn columns(&self) -> usize {
        self.lines.len()
    }

    /// Paints the columns with their top-left corner at `at`. Each line turns a quarter
    /// clockwise about its own top-left corner, which therefore sits at the column's
    /// top-right; pixel-aligned, so the turned glyphs stay as sharp as upright ones.
    pub fn paint(&self, painter: &egui::Painter, at: Pos2, color: Color32) {
        for (i, g) in self.lines.iter().enumerate() {
            let x = (at.x + self.pitch * (i + 1) as f32).round();
            let shape =
                TextShape::new(pos2(x, at.y.round()), Arc::clone(g), color).with_angle(FRAC_PI_2);
            painter.add(shape);
        }
    }
}

/// A vertical text block as a widget, with the text as its accessible label (screen
/// readers and the UI tests find it by its words).
pub fn label(ui: &mut Ui, text: &str, size: f32, color: Color32, max_height: f32) -> Response {
    let cols = Columns::layout(ui.ctx(), text, size, color, max_height);
    let (rect, response) = ui.allocate_exact_size(cols.size, Sense::hover());
    if ui.is_rect_visible(rect) {
        cols.paint(ui.painter(), rect.min, color);
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, text));
    response
}

/// A button whose caption is a vertical text block: as tall as its words need, at
/// least `min_size`.
pub fn button(
    ui: &mut Ui,
    text: &str,
    size: f32,
    fill: Color32,
    min_size: Vec2,
    max_height: f32,
) -> Response {
    let pad = vec2(20.0, 24.0);
    let cols = Columns::layout(
        ui.ctx(),
        text,
        size,
        crate::ui::theme::TEXT,
        max_height - 2.0 * pad.y,
    );
    let outer = (cols.size + 2.0 * pad).max(min_size);
    let (rect, response) = ui.allocate_exact_size(outer, Sense::click());
    if ui.is_rect_visible(rect) {
        let fill = if response.hovered() {
            fill.gamma_multiply(1.3)
        } else {
            fill
        };
        ui.painter().rect_filled(rect, 10.0, fill);
        let at = rect.center() - cols.size / 2.0;
        cols.paint(ui.painter(), at, crate::ui::theme::TEXT);
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, text));
    response
}

#[cfg(test)]
mod tests;

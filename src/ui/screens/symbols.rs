//! The retiree side's big symbols (ID card, tick, cross, clerk, record sheet): painted,
//! each with an accessible label for screen readers and the UI tests. State is never
//! told by colour alone; each outcome has its own shape.

use eframe::egui::{self, pos2, vec2, Color32, Rect, Sense, Shape, Stroke, StrokeKind, Ui};

use crate::ui::theme;

/// A painted area with an accessible label (for screen readers and the UI tests).
pub(super) fn symbol_area(ui: &mut Ui, size: egui::Vec2, label: &str) -> (Rect, egui::Painter) {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let label = label.to_owned();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
    (rect, ui.painter_at(rect))
}

pub(super) fn id_card_symbol(ui: &mut Ui) {
    let (rect, p) = symbol_area(ui, vec2(360.0, 230.0), "id card");
    p.rect(
        rect.shrink(8.0),
        18.0,
        theme::CLERK_BACKGROUND,
        Stroke::new(6.0, theme::ACCENT),
        StrokeKind::Inside,
    );
    let photo = Rect::from_min_size(rect.min + vec2(36.0, 46.0), vec2(100.0, 130.0));
    p.rect_filled(photo, 8.0, theme::PROGRESS_TODO);
    for i in 0..4 {
        let y = rect.top() + 60.0 + 34.0 * i as f32;
        p.line_segment(
            [pos2(rect.left() + 170.0, y), pos2(rect.right() - 40.0, y)],
            Stroke::new(8.0, theme::TEXT_DIM),
        );
    }
}

pub(super) fn tick(ui: &mut Ui, color: Color32) {
    let (rect, p) = symbol_area(ui, vec2(260.0, 260.0), "tick");
    let c = rect.center();
    p.circle_stroke(c, 110.0, Stroke::new(12.0, color));
    p.add(Shape::line(
        vec![
            c + vec2(-60.0, 0.0),
            c + vec2(-15.0, 50.0),
            c + vec2(65.0, -50.0),
        ],
        Stroke::new(22.0, color),
    ));
}

/// A record sheet with a clock: "recorded, the answer comes later".
pub(super) fn recorded_symbol(ui: &mut Ui) {
    let (rect, p) = symbol_area(ui, vec2(300.0, 270.0), "recorded");
    let sheet = Rect::from_center_size(rect.center() - vec2(30.0, 0.0), vec2(170.0, 230.0));
    p.rect(
        sheet,
        14.0,
        theme::CLERK_BACKGROUND,
        Stroke::new(10.0, theme::ACCENT),
        StrokeKind::Inside,
    );
    for i in 0..4 {
        let y = sheet.top() + 50.0 + 38.0 * i as f32;
        let right = if i == 3 { 70.0 } else { 30.0 };
        p.line_segment(
            [pos2(sheet.left() + 30.0, y), pos2(sheet.right() - right, y)],
            Stroke::new(9.0, theme::TEXT_DIM),
        );
    }
    // Inside the area, or the painter clips the clock's rim.
    let clock = pos2(sheet.right() + 10.0, sheet.bottom() - 60.0);
    p.circle_filled(clock, 58.0, theme::BACKGROUND);
    p.circle_stroke(clock, 50.0, Stroke::new(10.0, theme::ACCENT));
    let hand = Stroke::new(9.0, theme::ACCENT);
    p.line_segment([clock, clock + vec2(0.0, -30.0)], hand);
    p.line_segment([clock, clock + vec2(22.0, 8.0)], hand);
}

pub(super) fn cross(ui: &mut Ui) {
    let (rect, p) = symbol_area(ui, vec2(260.0, 260.0), "cross");
    let c = rect.center();
    let s = Stroke::new(22.0, theme::BAD);
    p.circle_stroke(c, 110.0, Stroke::new(12.0, theme::BAD));
    p.line_segment([c + vec2(-50.0, -50.0), c + vec2(50.0, 50.0)], s);
    p.line_segment([c + vec2(50.0, -50.0), c + vec2(-50.0, 50.0)], s);
}

pub(super) fn clerk_symbol(ui: &mut Ui) {
    let (rect, p) = symbol_area(ui, vec2(260.0, 260.0), "clerk");
    let c = rect.center();
    p.circle_filled(c + vec2(0.0, -60.0), 50.0, theme::ACCENT);
    p.add(Shape::ellipse_filled(
        c + vec2(0.0, 60.0),
        vec2(100.0, 55.0),
        theme::ACCENT,
    ));
}

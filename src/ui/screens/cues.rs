//! The retiree side's challenge cues: the big animated symbol for the action, the
//! progress dots and the countdown.

use certpoint_protocol::Action;
use eframe::egui::{self, pos2, vec2, Pos2, Shape, Stroke, Ui};

use crate::ui::i18n::Catalogue;
use crate::ui::theme;

use super::prose::Prose;
use super::symbols::symbol_area;

/// Big cue for the action: arrow for a turn, eye for a blink, up arrow for look up.
pub(super) fn challenge_cue(ui: &mut Ui, action: Action, size: f32, phase: f32, cat: &Catalogue) {
    let label = format!("cue: {}", cat.t(&format!("challenge.{}", action.as_str())));
    let (rect, p) = symbol_area(ui, vec2(size * 2.2, size), &label);
    let c = rect.center();
    let swing = (phase * std::f32::consts::TAU).sin();
    let stroke = Stroke::new(18.0, theme::ACCENT);
    let arrow = |from: Pos2, to: Pos2| {
        let dir = (to - from).normalized();
        let side = vec2(-dir.y, dir.x);
        p.line_segment([from, to - dir * 30.0], stroke);
        p.add(Shape::convex_polygon(
            vec![
                to,
                to - dir * 60.0 + side * 45.0,
                to - dir * 60.0 - side * 45.0,
            ],
            theme::ACCENT,
            Stroke::NONE,
        ));
    };
    let len = size * 0.8;
    // The preview is a mirror, so the person's left is on the screen's left.
    match action {
        Action::TurnLeft => {
            let x = c.x + 20.0 * swing;
            arrow(pos2(x + len / 2.0, c.y), pos2(x - len / 2.0, c.y));
        }
        Action::TurnRight => {
            let x = c.x - 20.0 * swing;
            arrow(pos2(x - len / 2.0, c.y), pos2(x + len / 2.0, c.y));
        }
        Action::LookUp => {
            let y = c.y + 12.0 * swing;
            arrow(pos2(c.x, y + size * 0.42), pos2(c.x, y - size * 0.42));
        }
        Action::Nod => {
            arrow(
                pos2(c.x - 50.0, c.y + 10.0),
                pos2(c.x - 50.0, c.y - size * 0.42),
            );
            arrow(
                pos2(c.x + 50.0, c.y - 10.0),
                pos2(c.x + 50.0, c.y + size * 0.42),
            );
        }
        Action::Blink => {
            // An eye whose lid closes and opens with the phase.
            let open = 0.15 + 0.85 * (0.5 + 0.5 * swing);
            let r = vec2(size * 0.75, size * 0.38 * open);
            p.add(Shape::ellipse_stroke(
                c,
                r,
                Stroke::new(10.0, theme::ACCENT),
            ));
            if open > 0.4 {
                p.circle_filled(c, size * 0.16 * open, theme::ACCENT);
            }
        }
        Action::OpenMouth => {
            let open = 0.3 + 0.7 * (0.5 + 0.5 * swing);
            p.add(Shape::ellipse_stroke(
                c,
                vec2(size * 0.5, size * 0.35 * open),
                Stroke::new(12.0, theme::ACCENT),
            ));
        }
    }
}

/// One dot per action: done (green, filled), current (blue ring), still to come (grey).
pub(super) fn progress(
    ui: &mut Ui,
    plan: &[Action],
    index: usize,
    cat: &Catalogue,
    prose: &mut Prose,
) {
    let text = cat.fill(
        "detail.challenge_step",
        &[("n", &(index + 1).min(plan.len())), ("total", &plan.len())],
    );
    let label = format!("progress {}/{}", index.min(plan.len()), plan.len());
    let (rect, p) = symbol_area(ui, vec2(60.0 * plan.len() as f32, 50.0), &label);
    for i in 0..plan.len() {
        let c = pos2(rect.left() + 30.0 + 60.0 * i as f32, rect.center().y);
        match i.cmp(&index) {
            std::cmp::Ordering::Less => p.circle_filled(c, 18.0, theme::PROGRESS_DONE),
            std::cmp::Ordering::Equal => p.circle_stroke(c, 18.0, Stroke::new(7.0, theme::ACCENT)),
            std::cmp::Ordering::Greater => p.circle_filled(c, 12.0, theme::PROGRESS_TODO),
        };
    }
    prose.say(ui, &text, theme::DETAIL_SIZE * 0.8, theme::TEXT_DIM);
}

pub(super) fn countdown(
    ui: &mut Ui,
    left_ms: u64,
    total_ms: u64,
    cat: &Catalogue,
    prose: &mut Prose,
) {
    let secs = left_ms.div_ceil(1000);
    let text = cat.fill("detail.seconds_left", &[("s", &secs)]);
    let frac = if total_ms == 0 {
        0.0
    } else {
        (left_ms as f32 / total_ms as f32).clamp(0.0, 1.0)
    };
    let color = if frac < 0.25 {
        theme::WARN
    } else {
        theme::ACCENT
    };
    let bar = egui::ProgressBar::new(frac)
        .desired_width(600.0)
        .desired_height(22.0)
        .fill(color);
    ui.add(bar);
    prose.say(ui, &text, theme::DETAIL_SIZE * 0.8, color);
}

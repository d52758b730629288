//! The manual pass in the clerk panel: clerk id, PIN and reason. The PIN goes to the
//! checker thread ([`PinGate`](crate::ui::pin::PinGate)); only an accepted PIN lets
//! the pass through to the flow, and only while the flow still waits for it.

use eframe::egui::{self, vec2, RichText, Ui};

use crate::flow::Event;
use crate::store::PinCheck;
use crate::ui::i18n::Catalogue;
use crate::ui::pin::{PendingPass, PinAnswer};
use crate::ui::theme;
use crate::ui::view::View;

use super::UiState;

pub(super) fn manual_pass(ui: &mut Ui, st: &mut UiState) {
    let cat = st.clerk_cat();
    ui.label(RichText::new(cat.t("clerk.manual_title")).strong());
    let registered = st.pin_gate.as_ref().is_some_and(|g| g.clerks_registered());
    if !registered {
        ui.colored_label(theme::BAD, cat.t("clerk.no_clerk"));
    }
    egui::Grid::new("manual").num_columns(2).show(ui, |ui| {
        for (key, field, secret) in [
            ("clerk.clerk_id", &mut st.clerk_id, false),
            ("clerk.pin", &mut st.pin, true),
            ("clerk.reason", &mut st.reason, false),
        ] {
            let label = ui.label(cat.t(key));
            ui.add(
                egui::TextEdit::singleline(field)
                    .password(secret)
                    .desired_width(300.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        }
    });
    let busy = st.pin_gate.as_ref().is_some_and(|g| g.busy());
    if busy {
        ui.colored_label(theme::TEXT_DIM, cat.t("clerk.pin_checking"));
    } else if let Some(text) = st.pin_answer.as_ref().and_then(|a| answer_text(a, cat)) {
        ui.colored_label(theme::BAD, text);
    }
    if st.manual_incomplete {
        ui.colored_label(theme::BAD, cat.t("clerk.manual_missing"));
    }
    let button =
        egui::Button::new(cat.t("clerk.manual_pass")).min_size(vec2(220.0, theme::BUTTON_HEIGHT));
    if ui.add_enabled(!busy, button).clicked() {
        let (id, pin, reason) = (st.clerk_id.trim(), st.pin.trim(), st.reason.trim());
        st.manual_incomplete = id.is_empty() || pin.is_empty() || reason.is_empty();
        if !st.manual_incomplete {
            let pass = PendingPass {
                clerk_id: id.to_owned(),
                reason: reason.to_owned(),
            };
            let pin = pin.to_owned();
            // The PIN leaves the field at once: it is never kept, logged or sent on.
            st.pin.clear();
            st.pin_answer = None;
            if let Some(gate) = st.pin_gate.as_mut() {
                if !gate.submit(pass, pin) {
                    let why = "the PIN checker has stopped; restart the kiosk".to_owned();
                    st.pin_answer = Some(PinAnswer::Failed(why));
                }
            }
        }
    }
}

/// Picks up the checker's answer (every frame, whatever the screen). An accepted PIN
/// sends the manual pass, but only while the flow still waits for the clerk's
/// decision: a session that ended meanwhile is not passed by a late answer.
pub(super) fn take_pin_answer(view: &View, st: &mut UiState, events: &mut Vec<Event>) {
    let Some((answer, pass)) = st.pin_gate.as_mut().and_then(|g| g.poll()) else {
        return;
    };
    if answer == PinAnswer::Checked(PinCheck::Accepted) {
        if view.state.awaiting_decision() {
            events.push(Event::ManualPass {
                clerk_id: pass.clerk_id,
                reason: pass.reason,
            });
            st.reason.clear();
        }
        st.pin_answer = None;
    } else {
        st.pin_answer = Some(answer);
    }
}

fn answer_text(answer: &PinAnswer, cat: &Catalogue) -> Option<String> {
    match answer {
        PinAnswer::Checked(PinCheck::Wrong { tries_left }) => {
            Some(cat.fill("clerk.pin_wrong", &[("n", tries_left)]))
        }
        PinAnswer::Checked(PinCheck::Locked { until }) => {
            let at = until.with_timezone(&chrono::Local).format("%H:%M");
            Some(cat.fill("clerk.pin_locked", &[("t", &at)]))
        }
        PinAnswer::Failed(e) => Some(cat.fill("clerk.pin_error", &[("e", e)])),
        // "No clerk registered" is shown above the fields already.
        PinAnswer::Checked(PinCheck::Accepted | PinCheck::NoClerks) => None,
    }
}

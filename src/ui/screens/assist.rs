//! The clerk panel's Certificate of Assistance screen (协助认证证明) and the receipt
//! button. Opened from the panel's entry button; while open it replaces the panel's
//! session view (the session itself goes on untouched). Fields are checked here with
//! the same rules as the CLI (`assist::Application::check`); the PIN, status, record,
//! PDF and printing run on the desk thread (`ui::assist::AssistDesk`).

use eframe::egui::{self, vec2, RichText, Ui};

use certpoint_protocol::Relation;

use crate::assist::{Application, IssueOutcome};
use crate::paper::print::Delivery;
use crate::store::PinCheck;
use crate::ui::assist::{AssistDesk, DeskAnswer};
use crate::ui::i18n::Catalogue;
use crate::ui::theme;

use super::UiState;

/// The screen's fields and last answer.
#[derive(Default)]
pub struct AssistPanel {
    pub open: bool,
    pub pensioner: String,
    pub relative_id: String,
    pub relative_name: String,
    pub relation: Option<Relation>,
    pub reason: String,
    pub clerk_id: String,
    pub pin: String,
    /// A field the clerk must fix, said before anything is sent.
    pub input_error: Option<String>,
    pub answer: Option<DeskAnswer>,
    /// `None` where no store is open (tests of other screens): the button says so.
    pub desk: Option<AssistDesk>,
}

impl AssistPanel {
    fn busy(&self) -> bool {
        self.desk.as_ref().is_some_and(AssistDesk::busy)
    }

    /// Picks up the desk's answer (every frame, open or not).
    pub fn poll(&mut self) {
        if let Some(a) = self.desk.as_mut().and_then(AssistDesk::poll) {
            if matches!(a, DeskAnswer::Issue(IssueOutcome::Issued(_))) {
                // Issued: the next relative starts from an empty form.
                let keep_clerk = std::mem::take(&mut self.clerk_id);
                *self = AssistPanel {
                    open: self.open,
                    clerk_id: keep_clerk,
                    desk: self.desk.take(),
                    ..AssistPanel::default()
                };
            }
            self.answer = Some(a);
        }
    }
}

/// The receipt button (enabled after an attempt) and the entry button, small, laid
/// out right to left by the caller.
pub(super) fn entry(ui: &mut Ui, st: &mut UiState, session_ended: bool) {
    let cat = st.clerk_cat();
    let can_print = session_ended && st.assist.desk.is_some() && !st.assist.busy();
    let receipt = ui.add_enabled(can_print, egui::Button::new(cat.t("receipt.print")).small());
    if ui
        .add(egui::Button::new(cat.t("assist.open")).small())
        .clicked()
    {
        st.assist.open = true;
        st.assist.answer = None;
    }
    if receipt.clicked() {
        if let Some(desk) = st.assist.desk.as_mut() {
            desk.receipt();
        }
        st.assist.answer = None;
    }
}

/// Where the receipt went (or why not), under the title row until the next request.
pub(super) fn receipt_answer(ui: &mut Ui, st: &UiState) {
    let cat = st.clerk_cat();
    if st.assist.busy() && !st.assist.open {
        ui.colored_label(theme::TEXT_DIM, cat.t("assist.working"));
    }
    if let Some(DeskAnswer::Receipt { .. } | DeskAnswer::Failed(_)) = &st.assist.answer {
        answer(ui, st.assist.answer.as_ref(), cat);
        ui.separator();
    }
}

/// The screen itself.
pub(super) fn screen(ui: &mut Ui, st: &mut UiState) {
    let cat = st.clerk_cat();
    let p = &mut st.assist;
    ui.horizontal(|ui| {
        ui.heading(cat.t("assist.title"));
    });
    ui.label(RichText::new(cat.t("assist.help")).color(theme::TEXT_DIM));
    ui.separator();
    if p.desk.is_none() {
        ui.colored_label(theme::BAD, cat.t("assist.unavailable"));
    }
    egui::Grid::new("assist")
        .num_columns(2)
        .spacing(vec2(12.0, 10.0))
        .show(ui, |ui| {
            for (key, field, secret) in [
                ("assist.pensioner", &mut p.pensioner, false),
                ("assist.relative_id", &mut p.relative_id, false),
                ("assist.relative_name", &mut p.relative_name, false),
            ] {
                let label = ui.label(cat.t(key));
                ui.add(
                    egui::TextEdit::singleline(field)
                        .password(secret)
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
                ui.end_row();
            }
            let label = ui.label(cat.t("assist.relation"));
            let shown = p
                .relation
                .map(Relation::zh)
                .unwrap_or(cat.t("assist.choose"));
            egui::ComboBox::from_id_salt("assist-relation")
                .selected_text(shown)
                .width(320.0)
                .show_ui(ui, |ui| {
                    for r in Relation::ALL {
                        ui.selectable_value(&mut p.relation, Some(r), r.zh());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label(cat.t("assist.reason"));
            ui.add(
                egui::TextEdit::multiline(&mut p.reason)
                    .desired_rows(2)
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            for (key, field, secret) in [
                ("clerk.clerk_id", &mut p.clerk_id, false),
                ("clerk.pin", &mut p.pin, true),
            ] {
                let label = ui.label(cat.t(key));
                ui.add(
                    egui::TextEdit::singleline(field)
                        .password(secret)
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
                ui.end_row();
            }
        });
    if let Some(e) = &p.input_error {
        ui.colored_label(theme::BAD, e);
    }
    let busy = p.busy();
    if busy {
        ui.colored_label(theme::TEXT_DIM, cat.t("assist.working"));
    }
    ui.horizontal(|ui| {
        let size = vec2(200.0, theme::BUTTON_HEIGHT);
        if ui
            .add_enabled(
                !busy && p.desk.is_some(),
                egui::Button::new(cat.t("assist.issue")).min_size(size),
            )
            .clicked()
        {
            submit(p, cat);
        }
        if ui
            .add_enabled(
                !busy,
                egui::Button::new(cat.t("assist.close")).min_size(size),
            )
            .clicked()
        {
            // The PIN never waits in a closed form.
            p.pin.clear();
            p.open = false;
        }
    });
    ui.separator();
    answer(ui, p.answer.as_ref(), cat);
}

fn submit(p: &mut AssistPanel, cat: &Catalogue) {
    let app = Application {
        pensioner_id: p.pensioner.clone(),
        relative_id: p.relative_id.clone(),
        relative_name: p.relative_name.clone(),
        relation: p
            .relation
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        reason: p.reason.clone(),
        clerk_id: p.clerk_id.clone(),
    };
    p.answer = None;
    let checked = match app.check() {
        Ok(c) => c,
        Err(e) => {
            p.input_error = Some(cat.t(&format!("assist.bad.{}", e.field())).to_owned());
            return;
        }
    };
    let pin = p.pin.trim().to_owned();
    if pin.is_empty() {
        p.input_error = Some(cat.t("assist.bad.pin").to_owned());
        return;
    }
    p.input_error = None;
    // The PIN leaves the field at once: it is never kept, logged or sent on.
    p.pin.clear();
    if let Some(desk) = p.desk.as_mut() {
        if !desk.issue(checked, pin) {
            p.answer = Some(DeskAnswer::Failed(
                "the certificate desk has stopped; restart the kiosk".into(),
            ));
        }
    }
}

/// What the desk answered, for the clerk.
fn answer(ui: &mut Ui, a: Option<&DeskAnswer>, cat: &Catalogue) {
    let Some(a) = a else { return };
    // The path on a line of its own: a long path without spaces wraps badly mid-text.
    let saved = |ui: &mut Ui, d: &Delivery| {
        match d {
            Delivery::Printed { printer, .. } => {
                ui.colored_label(theme::GOOD, cat.fill("paper.printed", &[("p", printer)]));
            }
            Delivery::Saved { .. } => {
                ui.colored_label(theme::WARN, cat.t("paper.no_printer"));
            }
        }
        ui.label(cat.t("paper.saved_at"));
        ui.label(RichText::new(d.file().display().to_string()).monospace());
    };
    match a {
        DeskAnswer::Issue(IssueOutcome::Issued(i)) => {
            ui.label(
                RichText::new(cat.fill("assist.issued", &[("s", &i.serial)]))
                    .size(theme::CLERK_HEADING_SIZE * 0.8)
                    .color(theme::GOOD)
                    .strong(),
            );
            ui.label(cat.fill("assist.code", &[("c", &i.verification_code)]));
            saved(ui, &i.delivery);
            if let Some(e) = &i.print_error {
                ui.colored_label(theme::BAD, cat.fill("paper.print_failed", &[("e", e)]));
            }
            if let Some(why) = &i.status_note {
                ui.colored_label(theme::WARN, cat.fill("assist.unchecked", &[("e", why)]));
            }
            if !i.name_chars_missing.is_empty() {
                ui.colored_label(theme::WARN, cat.t("assist.name_by_hand"));
            }
        }
        DeskAnswer::Issue(IssueOutcome::Refused(r)) => {
            ui.colored_label(theme::BAD, cat.t(&format!("assist.refused.{}", r.as_str())));
        }
        DeskAnswer::Issue(IssueOutcome::Pin(check)) => {
            let text = match check {
                PinCheck::Wrong { tries_left } => cat.fill("clerk.pin_wrong", &[("n", tries_left)]),
                PinCheck::Locked { until } => {
                    let at = until.with_timezone(&chrono::Local).format("%H:%M");
                    cat.fill("clerk.pin_locked", &[("t", &at)])
                }
                PinCheck::NoClerks | PinCheck::Accepted => cat.t("clerk.no_clerk").to_owned(),
            };
            ui.colored_label(theme::BAD, text);
        }
        DeskAnswer::Receipt { standing, delivery } => {
            ui.colored_label(
                theme::GOOD,
                cat.t(&format!("receipt.done.{}", standing.as_str())),
            );
            saved(ui, delivery);
        }
        DeskAnswer::Failed(e) => {
            ui.colored_label(theme::BAD, cat.fill("paper.failed", &[("e", e)]));
        }
    }
}

//! What issue 14 added at the counter: the deadline (for the retiree and the clerk),
//! the ID card reader's status and what a read card said, the clerk's per-person
//! exclusions and the manual check by the ID card when the camera cannot serve.
//!
//! Like every screen, these only draw the [`View`] and return events; the flow decides
//! when an exclusion or a manual check is taken.

use certpoint_protocol::ExclusionReason;
use eframe::egui::{self, vec2, RichText, Ui};

use crate::card_reader::ReaderStatus;
use crate::deadline::Deadline;
use crate::flow::{ChipPhoto, Event, State};
use crate::ui::i18n::{Catalogue, MONGOLIAN};
use crate::ui::theme;
use crate::ui::view::View;

use super::{manual, UiState};

/// The retiree's line about the window: days left, the last day, or closed.
pub(super) fn window_line(view: &View, cat: &Catalogue) -> Option<String> {
    Some(match view.deadline? {
        Deadline::Open { days_left: 0, .. } => cat.t("detail.window_last_day").to_owned(),
        Deadline::Open { end, days_left, .. } => cat.fill(
            "detail.window_open",
            &[("end", &cat.date(end)), ("days", &days_left)],
        ),
        Deadline::Closed { closed, next, .. } => cat.fill(
            "detail.window_closed",
            &[("closed", &cat.date(closed)), ("next", &cat.date(next))],
        ),
    })
}

/// After a failed attempt: come back by the end of the window (fail screen), or the
/// clerk helps and an uncertified pension stops after the window (clerk-assist screen).
pub(super) fn next_step(view: &View, cat: &Catalogue, clerk: bool) -> Option<String> {
    Some(match view.deadline? {
        Deadline::Open {
            end,
            days_left,
            stop,
            ..
        } => {
            if clerk {
                cat.fill(
                    "detail.next_clerk",
                    &[("end", &cat.date(end)), ("stop", &cat.month(stop))],
                )
            } else {
                cat.fill(
                    "detail.next_retry",
                    &[("end", &cat.date(end)), ("days", &days_left)],
                )
            }
        }
        Deadline::Closed { .. } => cat.t("detail.next_outside").to_owned(),
    })
}

/// The clerk's deadline line (and, after a failure, what it means for the pension).
pub(super) fn clerk_deadline(ui: &mut Ui, view: &View, cat: &Catalogue) {
    let Some(d) = view.deadline else { return };
    match d {
        Deadline::Open {
            from,
            end,
            days_left,
            stop,
        } => {
            // After a failure the consequence says the date already; one line only.
            if matches!(
                view.state,
                State::Failed { .. } | State::ClerkAssist { .. } | State::ManualCheck { .. }
            ) {
                ui.colored_label(
                    theme::WARN,
                    cat.fill(
                        "clerk.deadline_stop",
                        &[("end", &cat.date(end)), ("stop", &cat.month(stop))],
                    ),
                );
                return;
            }
            let color = if days_left < 14 {
                theme::WARN
            } else {
                theme::TEXT
            };
            ui.colored_label(
                color,
                cat.fill(
                    "clerk.deadline_open",
                    &[
                        ("from", &cat.date(from)),
                        ("to", &cat.date(end)),
                        ("days", &days_left),
                    ],
                ),
            );
        }
        Deadline::Closed { from, closed, next } => {
            ui.colored_label(
                theme::WARN,
                cat.fill(
                    "clerk.deadline_closed",
                    &[
                        ("from", &cat.date(from)),
                        ("to", &cat.date(closed)),
                        ("next", &cat.date(next)),
                    ],
                ),
            );
        }
    }
}

/// What the card said (expired, Mongolian, photo).
pub(super) fn identity_source(ui: &mut Ui, view: &View, st: &mut UiState) {
    let cat = st.clerk_cat();
    let Some(session) = view.state.session() else {
        return;
    };
    let Some(card) = &session.card else { return };
    if let Some(on) = card.expired_on {
        ui.colored_label(theme::BAD, cat.fill("clerk.card_expired", &[("date", &on)]));
    }
    if card.mongolian && !st.cat().vertical() && st.offered.contains(&MONGOLIAN) {
        // Nation code 02: suggest the Mongolian screens; the clerk decides (many
        // Mongolian retirees read Mandarin best), one press switches screen and voice.
        let offer = egui::Button::new(RichText::new(cat.t("clerk.mongolian_offer")).strong())
            .fill(theme::ACCENT.gamma_multiply(0.5));
        if ui.add(offer).clicked() {
            st.set_lang(MONGOLIAN);
        }
    }
    match &card.chip_photo {
        ChipPhoto::NotConfigured => {}
        ChipPhoto::Decoded => {
            ui.colored_label(theme::GOOD, cat.t("clerk.chip_photo.decoded"));
        }
        ChipPhoto::Failed(_) => {
            ui.colored_label(theme::WARN, cat.t("clerk.chip_photo.failed"));
        }
    }
}

/// While the retiree's screens are in a language with no voice pack of its own
/// (Mongolian until an office installs one), the clerk is told the voice speaks the
/// fallback language.
pub(super) fn voice_notice(ui: &mut Ui, st: &UiState) {
    let Some(repeater) = &st.repeater else { return };
    if let Some(spoken) = repeater.voice_language(st.lang) {
        if spoken != st.lang && st.lang == MONGOLIAN {
            ui.colored_label(theme::WARN, st.clerk_cat().t("clerk.mongolian"));
        }
    }
}

/// Per-person exclusions (before the challenges are drawn) and the manual-check button
/// (while looking up or during an attempt).
pub(super) fn exclusions_and_manual_check(
    ui: &mut Ui,
    view: &View,
    cat: &Catalogue,
    events: &mut Vec<Event>,
) {
    let Some(session) = view.state.session() else {
        return;
    };
    let editable = matches!(
        view.state,
        State::IdentityEntered { .. } | State::Positioning(_) | State::Failed { .. }
    );
    let active: Vec<ExclusionReason> = ExclusionReason::ALL
        .into_iter()
        .filter(|r| session.excluded.iter().any(|e| e.reason == *r))
        .collect();
    if editable {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(cat.t("clerk.exclude_title")).strong());
            exclusion_boxes(ui, &active, cat, events);
        });
    }
    if !session.excluded.is_empty() {
        let list: Vec<String> = session
            .excluded
            .iter()
            .map(|e| {
                cat.t(&format!("clerk.action.{}", e.action.as_str()))
                    .to_owned()
            })
            .collect();
        ui.label(cat.fill("clerk.excluded", &[("list", &list.join("、"))]));
    }
    let can_check =
        matches!(view.state, State::IdentityEntered { .. }) || view.state.attempt_in_progress();
    if can_check {
        let button = egui::Button::new(cat.t("clerk.manual_check_button"))
            .min_size(vec2(300.0, theme::BUTTON_HEIGHT));
        if ui.add(button).clicked() {
            events.push(Event::ManualCheck);
        }
    }
}

fn exclusion_boxes(
    ui: &mut Ui,
    active: &[ExclusionReason],
    cat: &Catalogue,
    events: &mut Vec<Event>,
) {
    for reason in ExclusionReason::ALL {
        let mut on = active.contains(&reason);
        let label = cat
            .t(&format!("clerk.exclude.{}", reason.as_str()))
            .to_owned();
        if ui.checkbox(&mut on, label).changed() {
            let mut next: Vec<ExclusionReason> =
                active.iter().copied().filter(|r| *r != reason).collect();
            if on {
                next.push(reason);
            }
            events.push(Event::Exclude(next));
        }
    }
}

/// The manual check's section: why, what to do, and the manual-pass form.
pub(super) fn manual_check(ui: &mut Ui, view: &View, st: &mut UiState) {
    let State::ManualCheck { why, .. } = &view.state else {
        return;
    };
    let cat = st.clerk_cat();
    ui.separator();
    ui.label(
        RichText::new(cat.t("clerk.manual_check_title"))
            .size(theme::CLERK_HEADING_SIZE)
            .color(theme::WARN)
            .strong(),
    );
    ui.label(format!(
        "{} [{}]",
        cat.t(&format!("clerk.manual_why.{}", why.code())),
        why.code()
    ));
    ui.label(cat.t("clerk.manual_check_help"));
    ui.separator();
    manual::manual_pass(ui, st);
}

/// The card reader's line in the devices section.
pub(super) fn reader_status(ui: &mut Ui, view: &View, cat: &Catalogue) {
    let Some(status) = &view.card_reader else {
        return;
    };
    let (text, color) = match status {
        ReaderStatus::Starting => (cat.t("clerk.reader.starting").to_owned(), theme::TEXT_DIM),
        ReaderStatus::Ready => (cat.t("clerk.reader.ready").to_owned(), theme::GOOD),
        ReaderStatus::Paused => (cat.t("clerk.reader.paused").to_owned(), theme::TEXT_DIM),
        ReaderStatus::Fault(e) => (cat.fill("clerk.reader.fault", &[("e", e)]), theme::BAD),
        ReaderStatus::Stopped => (cat.t("clerk.reader.stopped").to_owned(), theme::WARN),
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{}:", cat.t("clerk.card_reader")));
        ui.colored_label(color, text);
    });
}

//! The clerk panel: ID entry, session controls, how the session ended (drawn by
//! `result`), manual verification (drawn by `manual`), camera, queue and sync status.

use eframe::egui::{self, vec2, Align, Layout, RichText, Ui};

use crate::flow::{ClerkNotice, Event, ExclusionError, ManualPassError, State};
use crate::ui::i18n::Catalogue;
use crate::ui::theme;
use crate::ui::view::View;
use crate::wedge::{Key, KeyEvent};

use super::result::certified_when;
use super::{assist, counter, manual, result, submit, UiState};

pub(super) fn clerk_panel(ui: &mut Ui, view: &View, st: &mut UiState, events: &mut Vec<Event>) {
    let cat = st.clerk_cat();
    st.assist.poll();
    if st.assist.open {
        // The certificate screen replaces the panel; a manual pass's PIN answer is
        // still picked up (and dropped if its session ended meanwhile).
        manual::take_pin_answer(view, st, events);
        egui::ScrollArea::vertical().show(ui, |ui| assist::screen(ui, st));
        return;
    }
    // After an attempt: its receipt slip can be printed (the record stored last).
    let ended = matches!(
        view.state,
        State::Passed { .. }
            | State::Failed { .. }
            | State::PendingMatch { .. }
            | State::ClerkAssist { .. }
    );
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(cat.t("clerk.title"));
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                for lang in st.offered.clone().iter().rev() {
                    let lang_cat = Catalogue::get(lang);
                    let mut name = egui::RichText::new(lang_cat.t("language.name"));
                    if lang_cat.vertical() {
                        // One word on a button: shaped in the Mongolian family, laid
                        // on its side as in a turned column. The family's tall line
                        // would heighten the header and push the panel's foot (the
                        // manual pass) off a 1080p screen: keep the other buttons' line.
                        let line = ui.text_style_height(&egui::TextStyle::Button);
                        name = name
                            .family(crate::ui::mongolian::family())
                            .line_height(Some(line));
                    }
                    if ui.selectable_label(st.lang == *lang, name).clicked() {
                        st.set_lang(lang);
                    }
                }
            });
        });
        counter::voice_notice(ui, st);
        ui.separator();
        assist::receipt_answer(ui, st);

        // ID entry: the wedge field shows what is being typed, masked.
        ui.horizontal(|ui| {
            ui.label(RichText::new(cat.t("clerk.id_field")).strong());
            // Small buttons at the right of this line: they take no room from the
            // session below (the manual pass must stay on screen at 1080p).
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                assist::entry(ui, st, ended);
            });
        });
        let pending = st.wedge.pending_masked();
        let shown = if pending.is_empty() {
            cat.t("clerk.id_hint").to_owned()
        } else {
            pending
        };
        ui.label(RichText::new(shown).monospace().color(theme::TEXT_DIM));
        if let Some(e) = &st.id_error {
            ui.colored_label(theme::BAD, format!("{}: {e}", cat.t("clerk.id_invalid")));
        }
        let id_now = match &view.state {
            State::AlreadyCertified { id, .. } | State::NotEligible { id, .. } => Some(id.masked()),
            s => s.session().map(|s| s.id.masked()),
        };
        if let Some(id) = id_now {
            // Where the number came from, on the same line (the panel is tight).
            let source = view
                .state
                .session()
                .map(|s| {
                    format!(
                        " ({})",
                        cat.t(&format!("clerk.id_source.{}", s.id_source.as_str()))
                    )
                })
                .unwrap_or_default();
            ui.label(format!("{}: {id}{source}", cat.t("clerk.current_id")));
        }
        ui.label(format!(
            "{}: {}",
            cat.t("clerk.state"),
            cat.t(&format!("state.{}", view.state.name()))
        ));
        if let Some(s) = view.state.session() {
            ui.label(cat.fill(
                "clerk.attempt",
                &[("n", &s.attempt), ("max", &view.params.attempts_allowed())],
            ));
        }
        counter::identity_source(ui, view, st);
        counter::clerk_deadline(ui, view, cat);

        // Session controls.
        ui.horizontal(|ui| {
            // Where a scan starts the next person (the flow's rule).
            let idle = matches!(
                view.state,
                State::Idle
                    | State::Passed { .. }
                    | State::PendingMatch { .. }
                    | State::AlreadyCertified { .. }
                    | State::NotEligible { .. }
                    | State::CameraFault { .. }
            );
            let size = vec2(150.0, theme::BUTTON_HEIGHT);
            if ui
                .add_enabled(
                    idle && st.wedge.pending_len() > 0,
                    egui::Button::new(cat.t("clerk.start")).min_size(size),
                )
                .clicked()
            {
                let at_ms = (ui.input(|i| i.time) * 1000.0) as u64;
                if let Some(out) = st.wedge.push(KeyEvent {
                    at_ms,
                    key: Key::Enter,
                }) {
                    submit(st, out, events);
                }
            }
            if ui
                .add_enabled(
                    !matches!(view.state, State::Idle),
                    egui::Button::new(cat.t("clerk.cancel")).min_size(size),
                )
                .clicked()
            {
                events.push(Event::ClerkCancel);
            }
            if ui
                .add_enabled(
                    matches!(view.state, State::Failed { .. }),
                    egui::Button::new(cat.t("clerk.retry")).min_size(size),
                )
                .clicked()
            {
                events.push(Event::Retry);
            }
        });

        counter::exclusions_and_manual_check(ui, view, cat, events);

        let typed = !st.pin.is_empty() || !st.reason.is_empty();
        if typed && !view.state.awaiting_decision() {
            // A PIN must not wait in the field for the next person's session.
            st.pin.clear();
            st.reason.clear();
            st.manual_incomplete = false;
        }
        manual::take_pin_answer(view, st, events);
        result::result(ui, view, st);
        counter::manual_check(ui, view, st);
        if let State::CameraFault { .. } = view.state {
            ui.separator();
            ui.label(
                RichText::new(cat.t("clerk.camera_fault_title"))
                    .size(theme::CLERK_HEADING_SIZE)
                    .color(theme::BAD)
                    .strong(),
            );
            ui.label(cat.t("clerk.camera_fault_help"));
        }

        ui.separator();
        // Camera.
        let (cam_text, cam_color) = if view.camera.connected {
            (cat.t("clerk.camera_ok").to_owned(), theme::GOOD)
        } else {
            (
                cat.fill("clerk.camera_lost", &[("n", &view.camera.reconnect_tries)]),
                theme::BAD,
            )
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{}:", cat.t("clerk.camera")));
            ui.colored_label(cam_color, cam_text);
        });
        if !view.camera.label.is_empty() {
            ui.label(
                RichText::new(&view.camera.label)
                    .small()
                    .color(theme::TEXT_DIM),
            );
        }
        counter::reader_status(ui, view, cat);
        if let Some(ms) = view.analysis_ms {
            ui.label(
                RichText::new(cat.fill("clerk.analysis", &[("ms", &format!("{ms:.1}"))]))
                    .small()
                    .color(theme::TEXT_DIM),
            );
        }

        // Sync status (queue only: the sync worker is wired in by its own issue).
        ui.separator();
        ui.label(RichText::new(cat.t("clerk.sync")).strong());
        match &view.queue {
            Some(q) => {
                let color = if q.pending == 0 {
                    theme::GOOD
                } else {
                    theme::WARN
                };
                ui.colored_label(color, cat.fill("clerk.queue", &[("n", &q.pending)]));
                if let Some(t) = &q.oldest_pending_at {
                    ui.label(cat.fill("clerk.oldest", &[("t", t)]));
                }
            }
            None => {
                ui.label("-");
            }
        }
        match &view.sync {
            Some(s) => {
                use crate::sync::SyncState;
                let (key, color) = match s.state {
                    SyncState::Online => ("sync.online", theme::GOOD),
                    SyncState::Starting => ("sync.starting", theme::TEXT_DIM),
                    SyncState::Disabled => ("sync.disabled", theme::WARN),
                    SyncState::Offline => ("sync.offline", theme::WARN),
                    SyncState::Stopped => ("sync.stopped", theme::BAD),
                };
                ui.colored_label(color, cat.t(key));
                if let Some(e) = &s.last_error {
                    ui.label(
                        RichText::new(cat.fill("clerk.sync_error", &[("e", e)]))
                            .small()
                            .color(theme::TEXT_DIM),
                    );
                }
            }
            None => {
                ui.label(
                    RichText::new(cat.t("clerk.sync_placeholder"))
                        .small()
                        .color(theme::TEXT_DIM),
                );
            }
        }

        if let Some(c) = &view.reference_cache {
            if c.usable {
                let n = c.entries.unwrap_or(0);
                let d = format!("{:.1}", c.age_days.unwrap_or(0.0));
                ui.colored_label(
                    theme::GOOD,
                    cat.fill("clerk.cache_ok", &[("n", &n), ("d", &d)]),
                );
            } else {
                let e = c.reason.as_deref().unwrap_or("-");
                ui.colored_label(theme::WARN, cat.fill("clerk.cache_unusable", &[("e", &e)]));
            }
        }

        if !view.notices.is_empty() {
            ui.separator();
            ui.label(RichText::new(cat.t("clerk.notices")).strong());
            for n in view.notices.iter().rev() {
                ui.colored_label(theme::WARN, notice_text(n, cat));
            }
        }
    });
}

pub fn notice_text(n: &ClerkNotice, cat: &Catalogue) -> String {
    match n {
        ClerkNotice::TooYoung { age, min_age } => {
            cat.fill("notice.too_young", &[("age", age), ("min", min_age)])
        }
        ClerkNotice::OutsideWindow { from, to } => cat.fill(
            "notice.outside_window",
            &[("from", &cat.date(*from)), ("to", &cat.date(*to))],
        ),
        ClerkNotice::SessionBusy => cat.t("notice.session_busy").to_owned(),
        ClerkNotice::AlreadyCertified { at, channel } => cat.fill(
            "notice.already_certified",
            &[("when", &certified_when(*at, *channel, cat))],
        ),
        ClerkNotice::NotEligible(why) => cat.fill(
            "notice.not_eligible",
            &[("why", &cat.t(&format!("clerk.ineligible.{}", why.code())))],
        ),
        ClerkNotice::NoReference => cat.t("notice.no_reference").to_owned(),
        ClerkNotice::ReferenceUnusable(why) => {
            cat.fill("notice.reference_unusable", &[("why", why)])
        }
        ClerkNotice::PendingMatch(reason) => cat.fill(
            "notice.pending_match",
            &[("why", &cat.t(&format!("clerk.pending.{}", reason.code())))],
        ),
        ClerkNotice::Offline => cat.t("notice.offline").to_owned(),
        ClerkNotice::MatchError(why) => cat.fill("notice.match_error", &[("why", why)]),
        ClerkNotice::ManualPassRejected(e) => {
            let why = match e {
                ManualPassError::MissingClerkId => "clerk.manual_error.missing_clerk_id",
                ManualPassError::MissingReason => "clerk.manual_error.missing_reason",
                ManualPassError::NotAvailable => "clerk.manual_error.not_available",
            };
            cat.fill("notice.manual_rejected", &[("why", &cat.t(why))])
        }
        ClerkNotice::AssistNeeded { .. } => cat.t("notice.assist_needed").to_owned(),
        ClerkNotice::CameraLost => cat.t("notice.camera_lost").to_owned(),
        ClerkNotice::CardExpired { on } => cat.fill("notice.card_expired", &[("date", on)]),
        ClerkNotice::MongolianCard => cat.t("notice.mongolian_card").to_owned(),
        ClerkNotice::CardReadFailed(why) => cat.fill("notice.card_read_failed", &[("why", why)]),
        ClerkNotice::ChipPhotoFailed(why) => cat.fill("notice.chip_photo_failed", &[("why", why)]),
        ClerkNotice::ManualCheck(why) => cat.fill(
            "notice.manual_check",
            &[("why", &cat.t(&format!("clerk.manual_why.{}", why.code())))],
        ),
        ClerkNotice::ExclusionRefused(e) => cat
            .t(match e {
                ExclusionError::NotNow => "notice.exclusion_not_now",
                ExclusionError::NothingLeft => "notice.exclusion_nothing_left",
            })
            .to_owned(),
    }
}

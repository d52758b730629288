//! The clerk panel's account of how a session ended: the failure with its figures,
//! the pending match's reason (and the manual check), why a person is not eligible,
//! and when and how someone already certified did so.

use certpoint_protocol::{Channel, FaceMatch};
use eframe::egui::{self, RichText, Ui};

use crate::flow::{EndReason, State, Verdict};
use crate::ui::i18n::Catalogue;
use crate::ui::theme;
use crate::ui::view::View;

use super::{manual, UiState};

/// The section for the current state, if it has one.
pub(super) fn result(ui: &mut Ui, view: &View, st: &mut UiState) {
    let cat = st.clerk_cat();
    match &view.state {
        State::Failed { failure, .. } | State::ClerkAssist { failure, .. } => {
            ui.separator();
            failure_figures(ui, failure, cat);
            ui.separator();
            manual::manual_pass(ui, st);
        }
        State::PendingMatch {
            verdict, reason, ..
        } => {
            ui.separator();
            heading(ui, cat.t("clerk.pending_title"), theme::WARN);
            ui.label(format!(
                "{} [{}]",
                cat.t(&format!("clerk.pending.{}", reason.code())),
                reason.code()
            ));
            ui.label(cat.t("clerk.pending_help"));
            evidence(ui, verdict, cat);
            ui.separator();
            manual::manual_pass(ui, st);
        }
        State::NotEligible { why, .. } => {
            ui.separator();
            heading(ui, cat.t("clerk.not_eligible_title"), theme::BAD);
            ui.colored_label(
                theme::BAD,
                format!(
                    "{} [{}]",
                    cat.t(&format!("clerk.ineligible.{}", why.code())),
                    why.code()
                ),
            );
            ui.label(cat.t("clerk.not_eligible_help"));
        }
        State::AlreadyCertified { at, channel, .. } => {
            ui.separator();
            heading(ui, cat.t("clerk.certified_title"), theme::GOOD);
            ui.label(certified_when(*at, *channel, cat));
            ui.label(cat.t("clerk.certified_help"));
        }
        _ => {}
    }
}

fn heading(ui: &mut Ui, text: &str, color: egui::Color32) {
    ui.label(
        RichText::new(text)
            .size(theme::CLERK_HEADING_SIZE)
            .color(color)
            .strong(),
    );
}

/// "2026-04-02 09:30, in the app" (either part may be unknown).
pub(super) fn certified_when(
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
    channel: Option<Channel>,
    cat: &Catalogue,
) -> String {
    let at = at
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| cat.t("clerk.unknown").to_owned());
    let channel = match channel {
        Some(c) => cat.t(&format!("channel.{}", c.as_str())).to_owned(),
        None => cat.t("clerk.unknown").to_owned(),
    };
    cat.fill(
        "clerk.certified_when",
        &[("at", &at), ("channel", &channel)],
    )
}

/// Which check failed, with the figures against their thresholds.
pub(super) fn failure_figures(ui: &mut Ui, f: &Verdict, cat: &Catalogue) {
    ui.label(RichText::new(cat.t("clerk.failure")).strong());
    if let Some(r) = f.reason {
        let action = match r {
            EndReason::ChallengeTimeout(a) => {
                format!(" ({})", cat.t(&format!("clerk.action.{}", a.as_str())))
            }
            _ => String::new(),
        };
        ui.colored_label(
            theme::BAD,
            format!(
                "{}{action} [{}]",
                cat.t(&format!("clerk.reason.{}", r.code())),
                r.code()
            ),
        );
    }
    evidence(ui, f, cat);
}

/// Each challenge with its time, liveness and match figures against their thresholds.
fn evidence(ui: &mut Ui, f: &Verdict, cat: &Catalogue) {
    for c in &f.challenges {
        let verdict = if c.passed {
            cat.t("clerk.challenge_passed")
        } else {
            cat.t("clerk.challenge_missed")
        };
        ui.label(format!(
            "{} {}: {verdict} ({:.1} s)",
            cat.t("clerk.challenge"),
            cat.t(&format!("clerk.action.{}", c.action.as_str())),
            c.duration_ms as f32 / 1000.0
        ));
    }
    if let Some(s) = &f.passive_liveness {
        score_line(ui, cat, "clerk.liveness", s.score, s.threshold);
    }
    match &f.face_match {
        FaceMatch::Scored {
            score, threshold, ..
        } => score_line(ui, cat, "clerk.match", *score, *threshold),
        FaceMatch::PendingMatch => {
            ui.label(format!(
                "{}: {}",
                cat.t("clerk.match"),
                cat.t("clerk.match_pending")
            ));
        }
        FaceMatch::NotRun => {
            ui.label(format!(
                "{}: {}",
                cat.t("clerk.match"),
                cat.t("clerk.match_not_run")
            ));
        }
    }
}

/// "<what> 0.83 / threshold 0.40", green when the score reaches the threshold.
fn score_line(ui: &mut Ui, cat: &Catalogue, what: &str, score: f32, threshold: f32) {
    let color = if score >= threshold {
        theme::GOOD
    } else {
        theme::BAD
    };
    ui.colored_label(
        color,
        format!(
            "{} {score:.2} / {} {threshold:.2}",
            cat.t(what),
            cat.t("clerk.threshold")
        ),
    );
}

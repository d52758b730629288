//! The screens: the retiree side (one big instruction at a time, live mirrored preview
//! with the guide frame, challenge cues, result) and the clerk panel (ID entry, session
//! controls, failure figures, manual verification, camera and queue status).
//!
//! Every function here draws a [`View`] and returns the [`Event`]s the person asked for;
//! nothing here decides anything about the flow. Texts come from the catalogue, sizes
//! and colours from [`theme`].

use certpoint_protocol::{Action, FaceMatch};
use eframe::egui::{
    self, pos2, vec2, Align, Align2, Color32, Layout, Pos2, Rect, RichText, Sense, Shape, Stroke,
    StrokeKind, Ui,
};

use super::i18n::{Catalogue, LANGUAGES};
use super::theme;
use super::view::View;
use crate::flow::{ClerkNotice, EndReason, Event, ManualPassError, Placement, State, Verdict};
use crate::id_number::IdError;
use crate::wedge::{Key, KeyEvent, WedgeConfig, WedgeOutput, WedgeParser};

/// The UI thread's own state: what is being typed and chosen, never flow state.
pub struct UiState {
    pub lang: &'static str,
    pub wedge: WedgeParser,
    /// Why the last entered number was refused (shown until the next entry).
    pub id_error: Option<IdError>,
    pub clerk_id: String,
    pub pin: String,
    pub reason: String,
    /// The clerk pressed manual pass with a field empty.
    pub manual_incomplete: bool,
    /// Redraw continuously for the cue animations (off in snapshot tests, so a picture
    /// depends only on the scripted clock).
    pub animate: bool,
    preview: Option<(u64, egui::TextureHandle)>,
    /// Draws the session seeds; tests fix it.
    pub seed: Box<dyn FnMut() -> u64>,
    /// The voice's language, kept equal to the screen's.
    pub voice_lang: Option<super::voice::VoiceLanguage>,
}

impl UiState {
    pub fn new(lang: &str) -> UiState {
        UiState {
            lang: LANGUAGES
                .iter()
                .find(|l| **l == lang)
                .copied()
                .unwrap_or(LANGUAGES[0]),
            wedge: WedgeParser::new(WedgeConfig::default()),
            id_error: None,
            clerk_id: String::new(),
            pin: String::new(),
            reason: String::new(),
            manual_incomplete: false,
            animate: true,
            preview: None,
            seed: Box::new(rand::random),
            voice_lang: None,
        }
    }

    fn cat(&self) -> &'static Catalogue {
        Catalogue::get(self.lang)
    }
}

/// Draws the whole kiosk screen: clerk panel on the right, retiree side in the rest.
pub fn draw(ui: &mut Ui, view: &View, now_ms: u64, st: &mut UiState) -> Vec<Event> {
    let mut events = Vec::new();
    keyboard(ui, st, &mut events);
    let width = theme::CLERK_PANEL_WIDTH.min(ui.available_width() * 0.32);
    egui::Panel::right("clerk")
        .exact_size(width)
        .resizable(false)
        .frame(
            egui::Frame::NONE
                .fill(theme::CLERK_BACKGROUND)
                .inner_margin(16.0),
        )
        .show(ui, |ui| clerk_panel(ui, view, st, &mut events));
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE.fill(theme::BACKGROUND).inner_margin(24.0))
        .show(ui, |ui| retiree(ui, view, now_ms, st, &mut events));
    events
}

// ---------------------------------------------------------------------------------------
// Keyboard wedge

/// Feeds the keyboard to the wedge parser unless a text field has the focus (then the
/// keys are the clerk's typing into that field).
fn keyboard(ui: &mut Ui, st: &mut UiState, events: &mut Vec<Event>) {
    if ui.ctx().memory(|m| m.focused().is_some()) {
        return;
    }
    let (time, input) = ui.input(|i| (i.time, i.events.clone()));
    let at_ms = (time * 1000.0) as u64;
    for ev in input {
        let keys: Vec<Key> = match ev {
            egui::Event::Text(t) => t.chars().map(Key::Char).collect(),
            egui::Event::Key {
                key, pressed: true, ..
            } => match key {
                egui::Key::Enter => vec![Key::Enter],
                egui::Key::Backspace => vec![Key::Backspace],
                egui::Key::Escape => vec![Key::Escape],
                _ => vec![],
            },
            _ => vec![],
        };
        for key in keys {
            if let Some(out) = st.wedge.push(KeyEvent { at_ms, key }) {
                submit(st, out, events);
            }
        }
    }
}

fn submit(st: &mut UiState, out: WedgeOutput, events: &mut Vec<Event>) {
    let (WedgeOutput::Scanned(r) | WedgeOutput::Typed(r)) = out;
    match r {
        Ok(id) => {
            tracing::info!(id = %id.masked(), "ID number entered");
            st.id_error = None;
            events.push(Event::IdScanned {
                id,
                seed: (st.seed)(),
            });
        }
        Err(e) => st.id_error = Some(e),
    }
}

// ---------------------------------------------------------------------------------------
// Retiree side

fn retiree(ui: &mut Ui, view: &View, now_ms: u64, st: &mut UiState, events: &mut Vec<Event>) {
    let cat = st.cat();
    let state = &view.state;
    // The retiree never uses a pointer: hide it over their side of the screen.
    if ui.rect_contains_pointer(ui.max_rect()) {
        ui.ctx().set_cursor_icon(egui::CursorIcon::None);
    }
    let prompt = state.screen_prompt();
    ui.vertical_centered(|ui| {
        ui.add_space(12.0);
        big_text(ui, cat.t(&prompt.key()), theme::PROMPT_SIZE, theme::TEXT);
        ui.add_space(12.0);
        match state {
            State::Idle => {
                ui.add_space(60.0);
                id_card_symbol(ui);
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
                preview(ui, view, st, ui.available_height() * 0.95);
            }
            State::Challenges(c) => {
                let cue_h = theme::CUE_SIZE;
                let phase = if st.animate {
                    (now_ms % 1200) as f32 / 1200.0
                } else {
                    0.25
                };
                if let Some(action) = c.current() {
                    challenge_cue(ui, action, cue_h, phase, cat);
                }
                progress(ui, &c.plan, c.index, cat);
                if let Some(left) = state.countdown_ms(now_ms, &view.params) {
                    countdown(ui, left, view.params.challenge_timeout_ms, cat);
                }
                preview(ui, view, st, ui.available_height() * 0.95);
            }
            State::Passed { .. } => {
                ui.add_space(30.0);
                tick(ui, theme::GOOD);
                big_text(
                    ui,
                    cat.t("detail.passed"),
                    theme::DETAIL_SIZE,
                    theme::TEXT_DIM,
                );
            }
            State::AlreadyCertified { .. } => {
                ui.add_space(30.0);
                tick(ui, theme::ACCENT);
                big_text(
                    ui,
                    cat.t("detail.already_certified"),
                    theme::DETAIL_SIZE,
                    theme::TEXT_DIM,
                );
            }
            State::Failed { .. } => {
                ui.add_space(30.0);
                cross(ui);
                big_text(
                    ui,
                    cat.t("detail.retry"),
                    theme::DETAIL_SIZE,
                    theme::TEXT_DIM,
                );
                ui.add_space(30.0);
                let button = egui::Button::new(
                    RichText::new(cat.t("button.retry")).size(theme::DETAIL_SIZE),
                )
                .fill(theme::ACCENT.gamma_multiply(0.6))
                .min_size(vec2(420.0, 110.0));
                if ui.add(button).clicked() {
                    events.push(Event::Retry);
                }
            }
            State::ClerkAssist { .. } => {
                ui.add_space(30.0);
                clerk_symbol(ui);
                big_text(
                    ui,
                    cat.t("detail.clerk"),
                    theme::DETAIL_SIZE,
                    theme::TEXT_DIM,
                );
            }
            State::CameraFault { .. } => {
                ui.add_space(30.0);
                cross(ui);
            }
        }
    });
}

fn big_text(ui: &mut Ui, text: &str, size: f32, color: Color32) {
    ui.add(egui::Label::new(RichText::new(text).size(size).color(color).strong()).wrap());
}

/// A painted area with an accessible label (for screen readers and the UI tests).
fn symbol_area(ui: &mut Ui, size: egui::Vec2, label: &str) -> (Rect, egui::Painter) {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let label = label.to_owned();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
    (rect, ui.painter_at(rect))
}

fn id_card_symbol(ui: &mut Ui) {
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

fn tick(ui: &mut Ui, color: Color32) {
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

fn cross(ui: &mut Ui) {
    let (rect, p) = symbol_area(ui, vec2(260.0, 260.0), "cross");
    let c = rect.center();
    let s = Stroke::new(22.0, theme::BAD);
    p.circle_stroke(c, 110.0, Stroke::new(12.0, theme::BAD));
    p.line_segment([c + vec2(-50.0, -50.0), c + vec2(50.0, 50.0)], s);
    p.line_segment([c + vec2(50.0, -50.0), c + vec2(-50.0, 50.0)], s);
}

fn clerk_symbol(ui: &mut Ui) {
    let (rect, p) = symbol_area(ui, vec2(260.0, 260.0), "clerk");
    let c = rect.center();
    p.circle_filled(c + vec2(0.0, -60.0), 50.0, theme::ACCENT);
    p.add(Shape::ellipse_filled(
        c + vec2(0.0, 60.0),
        vec2(100.0, 55.0),
        theme::ACCENT,
    ));
}

/// The mirrored live picture with the guide frame, green and thick when the face is
/// placed well, amber and thinner with the hint otherwise.
fn preview(ui: &mut Ui, view: &View, st: &mut UiState, max_h: f32) {
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
        p.text(
            rect.left_bottom() + vec2(16.0, -16.0),
            Align2::LEFT_BOTTOM,
            st.cat().t("detail.camera_demo"),
            egui::FontId::proportional(28.0),
            theme::WARN,
        );
    }
}

/// Big cue for the action: arrow for a turn, eye for a blink, up arrow for look up.
fn challenge_cue(ui: &mut Ui, action: Action, size: f32, phase: f32, cat: &Catalogue) {
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
fn progress(ui: &mut Ui, plan: &[Action], index: usize, cat: &Catalogue) {
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
    big_text(ui, &text, theme::DETAIL_SIZE * 0.8, theme::TEXT_DIM);
}

fn countdown(ui: &mut Ui, left_ms: u64, total_ms: u64, cat: &Catalogue) {
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
    big_text(ui, &text, theme::DETAIL_SIZE * 0.8, color);
}

// ---------------------------------------------------------------------------------------
// Clerk panel

fn clerk_panel(ui: &mut Ui, view: &View, st: &mut UiState, events: &mut Vec<Event>) {
    let cat = st.cat();
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(cat.t("clerk.title"));
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                for lang in LANGUAGES.iter().rev() {
                    let name = Catalogue::get(lang).t("language.name");
                    if ui.selectable_label(st.lang == *lang, name).clicked() {
                        st.lang = lang;
                        if let Some(v) = &st.voice_lang {
                            if let Ok(mut v) = v.lock() {
                                *v = (*lang).to_owned();
                            }
                        }
                    }
                }
            });
        });
        ui.separator();

        // ID entry: the wedge field shows what is being typed, masked.
        ui.label(RichText::new(cat.t("clerk.id_field")).strong());
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
            State::AlreadyCertified { id, .. } => Some(id.masked()),
            s => s.session().map(|s| s.id.masked()),
        };
        if let Some(id) = id_now {
            ui.label(format!("{}: {id}", cat.t("clerk.current_id")));
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

        // Session controls.
        ui.horizontal(|ui| {
            let idle = matches!(
                view.state,
                State::Idle | State::Passed { .. } | State::AlreadyCertified { .. }
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

        let typed = !st.pin.is_empty() || !st.reason.is_empty();
        if typed && !view.state.awaiting_decision() {
            // A PIN must not wait in the field for the next person's session.
            st.pin.clear();
            st.reason.clear();
            st.manual_incomplete = false;
        }
        if let State::Failed { failure, .. } | State::ClerkAssist { failure, .. } = &view.state {
            ui.separator();
            failure_figures(ui, failure, cat);
            ui.separator();
            manual_pass(ui, st, events);
        }
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

        if !view.notices.is_empty() {
            ui.separator();
            ui.label(RichText::new(cat.t("clerk.notices")).strong());
            for n in view.notices.iter().rev() {
                ui.colored_label(theme::WARN, notice_text(n, cat));
            }
        }
    });
}

/// Which check failed, with the figures against their thresholds.
fn failure_figures(ui: &mut Ui, f: &Verdict, cat: &Catalogue) {
    ui.label(RichText::new(cat.t("clerk.failure")).strong());
    if let Some(r) = f.reason {
        let action = match r {
            EndReason::ChallengeTimeout(a) => {
                format!(" ({})", cat.t(&format!("challenge.{}", a.as_str())))
            }
            _ => String::new(),
        };
        ui.colored_label(
            theme::BAD,
            format!(
                "{}{action} [{}]",
                cat.t(&format!("failed.{}", r.code())),
                r.code()
            ),
        );
    }
    for c in &f.challenges {
        let verdict = if c.passed {
            cat.t("clerk.challenge_passed")
        } else {
            cat.t("clerk.challenge_missed")
        };
        ui.label(format!(
            "{} {}: {verdict} ({:.1} s)",
            cat.t("clerk.challenge"),
            c.action.as_str(),
            c.duration_ms as f32 / 1000.0
        ));
    }
    if let Some(s) = &f.passive_liveness {
        let color = if s.score >= s.threshold {
            theme::GOOD
        } else {
            theme::BAD
        };
        ui.colored_label(
            color,
            format!(
                "{} {:.2} / {} {:.2}",
                cat.t("clerk.liveness"),
                s.score,
                cat.t("clerk.threshold"),
                s.threshold
            ),
        );
    }
    match &f.face_match {
        FaceMatch::Scored {
            score, threshold, ..
        } => {
            let color = if score >= threshold {
                theme::GOOD
            } else {
                theme::BAD
            };
            ui.colored_label(
                color,
                format!(
                    "{} {score:.2} / {} {threshold:.2}",
                    cat.t("clerk.match"),
                    cat.t("clerk.threshold")
                ),
            );
        }
        FaceMatch::PendingServerMatch => {
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

fn manual_pass(ui: &mut Ui, st: &mut UiState, events: &mut Vec<Event>) {
    let cat = st.cat();
    ui.label(RichText::new(cat.t("clerk.manual_title")).strong());
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
    ui.colored_label(theme::WARN, cat.t("clerk.pin_note"));
    if st.manual_incomplete {
        ui.colored_label(theme::BAD, cat.t("clerk.manual_missing"));
    }
    let button =
        egui::Button::new(cat.t("clerk.manual_pass")).min_size(vec2(220.0, theme::BUTTON_HEIGHT));
    if ui.add(button).clicked() {
        let (id, pin, reason) = (st.clerk_id.trim(), st.pin.trim(), st.reason.trim());
        if id.is_empty() || pin.is_empty() || reason.is_empty() {
            st.manual_incomplete = true;
        } else {
            // The PIN is not checked yet (issue 7); it is never logged or sent on.
            events.push(Event::ManualPass {
                clerk_id: id.to_owned(),
                reason: reason.to_owned(),
            });
            st.manual_incomplete = false;
            st.pin.clear();
            st.reason.clear();
        }
    }
}

pub fn notice_text(n: &ClerkNotice, cat: &Catalogue) -> String {
    match n {
        ClerkNotice::TooYoung { age, min_age } => {
            cat.fill("notice.too_young", &[("age", age), ("min", min_age)])
        }
        ClerkNotice::OutsideWindow { from, to } => {
            cat.fill("notice.outside_window", &[("from", from), ("to", to)])
        }
        ClerkNotice::SessionBusy => cat.t("notice.session_busy").to_owned(),
        ClerkNotice::CameraUnavailable => cat.t("notice.camera_unavailable").to_owned(),
        ClerkNotice::AlreadyCertified { at } => cat.fill(
            "notice.already_certified",
            &[("at", &at.format("%Y-%m-%d %H:%M"))],
        ),
        ClerkNotice::NoReference => cat.t("notice.no_reference").to_owned(),
        ClerkNotice::Offline => cat.t("notice.offline").to_owned(),
        ClerkNotice::MatchError(why) => cat.fill("notice.match_error", &[("why", why)]),
        ClerkNotice::ManualPassRejected(e) => {
            let why = match e {
                ManualPassError::MissingClerkId => "clerk id missing",
                ManualPassError::MissingReason => "reason missing",
                ManualPassError::NotAvailable => "not available in this state",
            };
            cat.fill("notice.manual_rejected", &[("why", &why)])
        }
        ClerkNotice::AssistNeeded { .. } => cat.t("notice.assist_needed").to_owned(),
        ClerkNotice::CameraLost => cat.t("notice.camera_lost").to_owned(),
    }
}

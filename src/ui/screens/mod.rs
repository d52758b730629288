//! The screens: the retiree side (one big instruction at a time, live mirrored preview
//! with the guide frame, challenge cues, result) and the clerk panel (ID entry, session
//! controls, failure figures, manual verification, camera and queue status).
//!
//! Every function here draws a [`View`] and returns the [`Event`]s the person asked for;
//! nothing here decides anything about the flow. Texts come from the catalogue, sizes
//! and colours from [`theme`].

mod assist;
mod clerk;
mod counter;
mod cues;
mod manual;
mod prose;
mod result;
mod retiree;
mod symbols;

pub use assist::AssistPanel;
use clerk::clerk_panel;
pub use clerk::notice_text;
use retiree::retiree;

use certpoint_protocol::IdSource;
use eframe::egui::{self, Ui};

use super::i18n::{Catalogue, LANGUAGES};
use super::theme;
use super::view::View;
use crate::flow::Event;
use crate::id_number::IdError;
use crate::wedge::{Key, KeyEvent, WedgeConfig, WedgeOutput, WedgeParser};

/// The UI thread's own state: what is being typed and chosen, never flow state.
pub struct UiState {
    /// The retiree's language: the screen and the voice.
    pub lang: &'static str,
    /// The configured language, which the screens return to when a session ends: a
    /// clerk who chose Mongolian or English for one retiree must not leave it for the
    /// next, who may read neither.
    pub home_lang: &'static str,
    /// Whether the last frame drawn was the idle screen (a session ends on the frame
    /// that returns to it).
    was_idle: bool,
    /// The languages the clerk may switch to (`[ui] languages`; all by default).
    pub offered: Vec<&'static str>,
    /// The clerk panel's language: the retiree's, except Mongolian, where the panel
    /// stays in the last horizontal language chosen (a dense panel of figures and
    /// fields has no room for vertical columns; clerks there read Mandarin).
    pub clerk_lang: &'static str,
    pub wedge: WedgeParser,
    /// Why the last entered number was refused (shown until the next entry).
    pub id_error: Option<IdError>,
    pub clerk_id: String,
    pub pin: String,
    pub reason: String,
    /// The clerk pressed manual pass with a field empty.
    pub manual_incomplete: bool,
    /// Checks the clerk's PIN off the UI thread; `None` where no store is open (tests
    /// of other screens), which the panel treats as "no clerk registered".
    pub pin_gate: Option<super::pin::PinGate>,
    /// The last PIN answer, shown until the fields are used again.
    pub pin_answer: Option<super::pin::PinAnswer>,
    /// Redraw continuously for the cue animations (off in snapshot tests, so a picture
    /// depends only on the scripted clock).
    pub animate: bool,
    preview: Option<(u64, egui::TextureHandle)>,
    /// Draws the session seeds; tests fix it.
    pub seed: Box<dyn FnMut() -> u64>,
    /// The voice's language, kept equal to the screen's.
    pub voice_lang: Option<super::voice::VoiceLanguage>,
    /// The certificate-of-assistance screen and the receipt button (`assist`).
    pub assist: AssistPanel,
    /// Says the prompt on screen again (the retiree's repeat button); `None` when the
    /// voice is off, and then the button is not shown.
    pub repeater: Option<super::voice::Repeater>,
}

impl UiState {
    pub fn new(lang: &str) -> UiState {
        let lang = LANGUAGES
            .iter()
            .find(|l| **l == lang)
            .copied()
            .unwrap_or(LANGUAGES[0]);
        UiState {
            lang,
            home_lang: lang,
            was_idle: true,
            offered: LANGUAGES.to_vec(),
            clerk_lang: if Catalogue::get(lang).vertical() {
                LANGUAGES[0]
            } else {
                lang
            },
            wedge: WedgeParser::new(WedgeConfig::default()),
            id_error: None,
            clerk_id: String::new(),
            pin: String::new(),
            reason: String::new(),
            manual_incomplete: false,
            pin_gate: None,
            pin_answer: None,
            animate: true,
            preview: None,
            seed: Box::new(rand::random),
            voice_lang: None,
            assist: AssistPanel::default(),
            repeater: None,
        }
    }

    fn cat(&self) -> &'static Catalogue {
        Catalogue::get(self.lang)
    }

    /// Offers only the configured languages (unknown codes are ignored: config
    /// validation refuses them), always keeping the one on screen.
    pub fn offer(&mut self, languages: &[String]) {
        self.offered = LANGUAGES
            .iter()
            .copied()
            .filter(|l| *l == self.lang || languages.iter().any(|c| c == l))
            .collect();
    }

    fn clerk_cat(&self) -> &'static Catalogue {
        Catalogue::get(self.clerk_lang)
    }

    /// The clerk chose a language (or took the Mongolian card's suggestion): the screen
    /// and the voice follow, the panel too unless it is Mongolian.
    pub fn set_lang(&mut self, lang: &'static str) {
        self.lang = lang;
        if !Catalogue::get(lang).vertical() {
            self.clerk_lang = lang;
        }
        if let Some(v) = &self.voice_lang {
            if let Ok(mut v) = v.lock() {
                *v = lang.to_owned();
            }
        }
    }
}

impl UiState {
    /// Called once per frame with whether the flow is idle: back at the idle screen
    /// after a session, the language returns to the configured one. A choice made
    /// while idle (before the scan) stands for the coming session.
    pub fn follow_session(&mut self, idle: bool) {
        if idle && !self.was_idle && self.lang != self.home_lang {
            self.set_lang(self.home_lang);
        }
        self.was_idle = idle;
    }
}

/// Draws the whole kiosk screen: clerk panel on the right, retiree side in the rest.
pub fn draw(ui: &mut Ui, view: &View, now_ms: u64, st: &mut UiState) -> Vec<Event> {
    let mut events = Vec::new();
    st.follow_session(matches!(view.state, crate::flow::State::Idle));
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

pub(super) fn submit(st: &mut UiState, out: WedgeOutput, events: &mut Vec<Event>) {
    // The wedge parser's verdict (a burst too fast for a hand, or typing) is where the
    // number came from; the record says so.
    let (source, r) = match out {
        WedgeOutput::Scanned(r) => (IdSource::Scanner, r),
        WedgeOutput::Typed(r) => (IdSource::Typed, r),
    };
    match r {
        Ok(id) => {
            tracing::info!(id = %id.masked(), source = source.as_str(), "ID number entered");
            st.id_error = None;
            events.push(Event::IdScanned {
                id,
                seed: (st.seed)(),
                source,
            });
        }
        Err(e) => st.id_error = Some(e),
    }
}

// ---------------------------------------------------------------------------------------
// Retiree side

#[cfg(test)]
mod tests {
    use super::UiState;

    #[test]
    fn the_language_returns_home_when_a_session_ends() {
        let mut st = UiState::new("zh-CN");
        st.follow_session(true);
        // Chosen while idle, for the retiree about to be scanned: it stands.
        st.set_lang("mn");
        st.follow_session(true);
        assert_eq!(st.lang, "mn");
        st.follow_session(false);
        st.follow_session(false);
        assert_eq!(st.lang, "mn");
        // The session ended: the next retiree gets the configured language.
        st.follow_session(true);
        assert_eq!(st.lang, "zh-CN");
        assert_eq!(st.clerk_lang, "zh-CN");
        // Chosen in the middle of a session, it lasts until that session ends.
        st.follow_session(false);
        st.set_lang("en");
        st.follow_session(false);
        assert_eq!((st.lang, st.clerk_lang), ("en", "en"));
        st.follow_session(true);
        assert_eq!((st.lang, st.clerk_lang), ("zh-CN", "zh-CN"));
    }
}

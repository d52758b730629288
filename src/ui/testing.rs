//! A [`Backend`] for tests and screenshots: the real flow ([`flow::step`]) on a scripted
//! clock, with no camera, models, store or threads. Tests push frame observations and
//! move the clock; the screens see exactly what the kiosk would publish.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone};

use super::view::{Backend, View};
use crate::flow::{
    self, ClerkNotice, Effect, Event, FlowParams, FrameObservation, Input, Now, State,
};

pub struct FlowBackend {
    pub view: View,
    /// How the scripted runner answers [`Effect::FetchReference`]; offline by default
    /// ([`Event::ServerUnavailable`]).
    pub lookup: Event,
    /// How it answers [`Effect::RunMatch`]; no reference by default
    /// ([`Event::MatchNoReference`], so a live attempt ends `pending_match`).
    pub match_answer: Event,
    pub now_ms: u64,
    /// Wall clock at `now_ms == 0`.
    pub start: DateTime<FixedOffset>,
    /// Every effect the flow asked for, in order (records, prompts, notices).
    pub effects: Vec<Effect>,
    /// The certification window the published deadline is computed from.
    pub window: crate::config::WindowSection,
}

impl FlowBackend {
    pub fn new(params: FlowParams) -> FlowBackend {
        let mut view = View::idle(params);
        view.deadline = Some(crate::deadline::Deadline::on(
            &crate::config::WindowSection::default(),
            chrono::NaiveDate::from_ymd_opt(2026, 5, 10).expect("a date"),
        ));
        FlowBackend {
            view,
            lookup: Event::ServerUnavailable,
            match_answer: Event::MatchNoReference,
            now_ms: 1_000,
            start: FixedOffset::east_opt(8 * 3600)
                .unwrap()
                .with_ymd_and_hms(2026, 5, 10, 9, 30, 0)
                .unwrap(),
            effects: Vec::new(),
            window: crate::config::WindowSection::default(),
        }
    }

    pub fn now(&self) -> Now {
        Now {
            mono_ms: self.now_ms,
            wall: self.start + chrono::Duration::milliseconds(self.now_ms as i64),
        }
    }

    /// An online kiosk whose server holds the person's reference and whose match
    /// scores `score`.
    pub fn online(params: FlowParams, score: f32) -> FlowBackend {
        let source = certpoint_protocol::ReferenceSource::Server;
        FlowBackend {
            lookup: Event::ReferenceFound {
                version: "ref-v1".into(),
                source,
            },
            match_answer: Event::MatchScored {
                score,
                reference_version: "ref-v1".into(),
                source,
            },
            ..FlowBackend::new(params)
        }
    }

    /// Feeds one event to the flow now, answering the runner's requests with
    /// [`lookup`](Self::lookup) and [`match_answer`](Self::match_answer).
    pub fn apply(&mut self, event: Event) {
        if matches!(event, Event::IdScanned { .. } | Event::CardRead { .. }) {
            // As the kiosk's driver does at each scan.
            let today = self.now().wall.date_naive();
            self.view.params.certification_window =
                Some(crate::driver::window_dates(&self.window, today));
        }
        let mut queue = vec![event];
        while let Some(event) = queue.pop() {
            let state = std::mem::replace(&mut self.view.state, State::Idle);
            let (next, effects) = flow::step(
                state,
                Input {
                    now: self.now(),
                    event,
                },
                &self.view.params,
            );
            self.view.state = next;
            for e in effects {
                match &e {
                    Effect::FetchReference(_) => queue.insert(0, self.lookup.clone()),
                    Effect::RunMatch => queue.insert(0, self.match_answer.clone()),
                    Effect::Notify(n) => self.notice(n.clone()),
                    _ => {}
                }
                self.effects.push(e);
            }
        }
        if let State::Positioning(p) = &self.view.state {
            self.view.placement = p.hint;
        }
        // As the kiosk publishes it: from the wall clock of the latest input.
        self.view.deadline = Some(crate::deadline::Deadline::on(
            &self.window,
            self.now().wall.date_naive(),
        ));
    }

    pub fn notice(&mut self, n: ClerkNotice) {
        self.view.notices.push(n);
        if self.view.notices.len() > 4 {
            self.view.notices.remove(0);
        }
    }

    /// An analysed frame now.
    pub fn frame(&mut self, obs: FrameObservation) {
        self.view.placement = Some(obs.effective_placement());
        self.view.face_box = (obs.faces > 0).then_some([0.35, 0.2, 0.65, 0.75]);
        self.apply(Event::Frame(obs));
    }

    /// Moves the clock and lets deadlines fire.
    pub fn advance(&mut self, ms: u64) {
        self.now_ms += ms;
        self.apply(Event::Tick);
    }

    /// Records the flow has asked to store so far.
    pub fn records(&self) -> Vec<&flow::AttemptRecord> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::StoreRecord(r) => Some(r.as_ref()),
                _ => None,
            })
            .collect()
    }
}

impl Backend for FlowBackend {
    fn view(&mut self) -> Arc<View> {
        Arc::new(self.view.clone())
    }

    fn send(&mut self, event: Event) {
        self.apply(event);
    }

    fn now_ms(&self) -> u64 {
        self.now_ms
    }
}

//! Scripted driving of the flow: a replay function, a stepping driver, and builders that
//! reach each state through real events (never by hand-built states, so every state a
//! test starts from is one the flow can actually be in).

use certpoint_protocol::{Action, ReferenceSource};
use chrono::{DateTime, Duration, FixedOffset};

use crate::flow::{
    step, AttemptRecord, Effect, Event, FlowParams, FrameObservation, Ineligibility, Input, Now,
    Placement, State,
};
use crate::id_number::IdNumber;

/// Born 1949-12-31.
pub const ELDER: &str = "11010519491231002X";

pub fn elder() -> IdNumber {
    IdNumber::parse(ELDER).unwrap()
}

/// A valid ID number (with its MOD 11-2 check character) for someone born on `yyyymmdd`.
pub fn id_born(yyyymmdd: &str) -> IdNumber {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("110105{yyyymmdd}001");
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    IdNumber::parse(&format!("{body}{check}")).unwrap()
}

pub fn wall_at(ms: u64) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap()
        + Duration::milliseconds(ms as i64)
}

pub fn now(ms: u64) -> Now {
    Now {
        mono_ms: ms,
        wall: wall_at(ms),
    }
}

/// Feeds `(ms, event)` pairs from `state` and returns the final state and every effect.
pub fn replay(state: State, script: &[(u64, Event)], params: &FlowParams) -> (State, Vec<Effect>) {
    let mut state = state;
    let mut all = Vec::new();
    for (ms, event) in script {
        let (next, fx) = step(
            state,
            Input {
                now: now(*ms),
                event: event.clone(),
            },
            params,
        );
        state = next;
        all.extend(fx);
    }
    (state, all)
}

pub fn records(fx: &[Effect]) -> Vec<&AttemptRecord> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::StoreRecord(r) => Some(&**r),
            _ => None,
        })
        .collect()
}

pub fn spoken(fx: &[Effect]) -> Vec<crate::flow::Prompt> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Speak(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

/// The runner's comparison with the server's reference "v1".
pub fn scored(score: f32) -> Event {
    Event::MatchScored {
        score,
        reference_version: "v1".into(),
        source: ReferenceSource::Server,
    }
}

pub fn good() -> Event {
    Event::Frame(FrameObservation::good(0.9))
}

pub fn placed(placement: Placement) -> Event {
    Event::Frame(FrameObservation {
        placement,
        ..FrameObservation::good(0.9)
    })
}

pub fn faces(n: usize) -> Event {
    Event::Frame(FrameObservation {
        faces: n,
        ..FrameObservation::good(0.9)
    })
}

pub fn doing(action: Action) -> Event {
    Event::Frame(FrameObservation {
        completed: vec![action],
        ..FrameObservation::good(0.9)
    })
}

/// Steps the flow one event at a time, keeping the clock and every effect.
pub struct Driver {
    pub state: State,
    pub params: FlowParams,
    pub ms: u64,
    pub log: Vec<Effect>,
    pub seed: u64,
}

impl Driver {
    pub fn new(params: FlowParams) -> Driver {
        Driver {
            state: State::Idle,
            params,
            ms: 0,
            log: Vec::new(),
            seed: 42,
        }
    }

    pub fn tests() -> Driver {
        Driver::new(FlowParams::for_tests())
    }

    /// Advances the clock by `dt` ms and feeds `event`; returns this step's effects.
    pub fn after(&mut self, dt: u64, event: Event) -> Vec<Effect> {
        self.ms += dt;
        let state = std::mem::replace(&mut self.state, State::Idle);
        let (next, fx) = step(
            state,
            Input {
                now: now(self.ms),
                event,
            },
            &self.params,
        );
        self.state = next;
        self.log.extend(fx.clone());
        fx
    }

    pub fn records(&self) -> Vec<&AttemptRecord> {
        records(&self.log)
    }

    pub fn scan(&mut self) -> &mut Self {
        let seed = self.seed;
        self.after(
            0,
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: elder(),
                seed,
            },
        );
        assert_eq!(self.state.name(), "identity_entered");
        self
    }

    pub fn online(&mut self) -> &mut Self {
        self.after(
            100,
            Event::ReferenceFound {
                version: "v1".into(),
                source: ReferenceSource::Server,
            },
        );
        assert_eq!(self.state.name(), "positioning");
        self
    }

    /// Two good frames `stable_positioning_ms` apart.
    pub fn place(&mut self) -> &mut Self {
        self.after(100, good());
        let stable = self.params.stable_positioning_ms;
        self.after(stable, good());
        assert_eq!(self.state.name(), "challenges");
        self
    }

    /// Performs every action asked, each after 500 ms.
    pub fn perform(&mut self) -> &mut Self {
        while let Some(action) = self.state.current_challenge() {
            self.after(500, doing(action));
        }
        assert_eq!(self.state.name(), "matching");
        self
    }

    pub fn run_to_matching(&mut self) -> &mut Self {
        self.scan().online().place().perform()
    }

    /// One whole attempt (from positioning) ending in a face mismatch.
    pub fn fail_attempt(&mut self) -> &mut Self {
        self.place().perform();
        self.after(200, scored(0.1));
        self
    }

    /// Drives a fresh driver into the state called `name`.
    pub fn reach(name: &str) -> Driver {
        let mut d = Driver::tests();
        match name {
            "idle" => {}
            "identity_entered" => {
                d.scan();
            }
            "positioning" => {
                d.scan().online();
            }
            "challenges" => {
                d.scan().online().place();
            }
            "matching" => {
                d.run_to_matching();
            }
            "passed" => {
                d.run_to_matching();
                d.after(200, scored(0.9));
            }
            "failed" => {
                d.scan().online().fail_attempt();
            }
            "clerk_assist" => {
                d.params.max_attempts = 1;
                d.scan().online().fail_attempt();
            }
            "already_certified" => {
                d.scan();
                d.after(
                    100,
                    Event::AlreadyCertified {
                        at: Some(wall_at(0) - Duration::days(30)),
                        channel: Some(certpoint_protocol::Channel::Onsite),
                    },
                );
            }
            "pending_match" => {
                d.scan();
                d.after(100, Event::ReferenceNotFound);
                d.place().perform();
                d.after(200, Event::MatchNoReference);
            }
            "not_eligible" => {
                d.scan();
                d.after(100, Event::NotEligible(Ineligibility::Deceased));
            }
            "camera_fault" => {
                d.after(0, Event::CameraLost);
            }
            "manual_check" => {
                d.scan();
                d.after(100, Event::ManualCheck);
            }
            other => panic!("no builder for {other}"),
        }
        assert_eq!(d.state.name(), name);
        d.log.clear();
        d
    }
}

/// Every state name, in flow order.
pub const STATES: [&str; 13] = [
    "idle",
    "identity_entered",
    "positioning",
    "challenges",
    "matching",
    "passed",
    "failed",
    "clerk_assist",
    "pending_match",
    "already_certified",
    "not_eligible",
    "camera_fault",
    "manual_check",
];

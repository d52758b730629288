//! The running attempt: positioning, challenges, matching, and how an attempt ends.

use certpoint_protocol::{ChallengeResult, FaceMatch, Outcome};

use super::effect::{Effect, EndReason, Prompt, Verdict};
use super::event::{FrameObservation, Now, Placement};
use super::evidence::Evidence;
use super::judge::conclude;
use super::params::FlashRule;
use super::params::FlowParams;
use super::plan::challenge_plan;
use super::state::{Challenges, FlashPhase, Matching, Positioning, Session, State};
use super::voice::Voice;

/// Starts attempt `session.attempt` at the positioning screen.
pub(super) fn begin_attempt(
    mut session: Session,
    prompt: Prompt,
    now: Now,
    fx: &mut Vec<Effect>,
) -> State {
    session.attempt_started_wall = now.wall;
    session.attempt_started_ms = now.mono_ms;
    let mut voice = Voice::default();
    fx.push(Effect::StartLiveness);
    fx.push(Effect::Speak(voice.say(prompt, now.mono_ms)));
    State::Positioning(Positioning {
        session,
        evidence: Evidence::default(),
        started_ms: now.mono_ms,
        well_placed_since: None,
        hint: None,
        voice,
        flash: FlashPhase::Pending,
    })
}

/// A frame (or, with `None`, a tick) during positioning.
pub(super) fn positioning(
    mut p: Positioning,
    frame: Option<&FrameObservation>,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    // A flash that never answers must not hold the person here until the positioning
    // timeout: the attempt goes on without a result (which fails it only if required).
    if let FlashPhase::Running { since_ms } = p.flash {
        if now.mono_ms.saturating_sub(since_ms) >= params.flash_timeout_ms {
            p.flash = FlashPhase::Done;
        }
    }
    if let Some(frame) = frame {
        let placement = frame.effective_placement();
        p.hint = Some(placement);
        if placement == Placement::Good {
            // Only well-placed frames feed the evidence: passive scores of a face at the
            // edge of the image or in the dark say more about the optics than the person.
            p.evidence.observe(frame);
            let since = *p.well_placed_since.get_or_insert(now.mono_ms);
            // The flash starts once the face is where its colour can be measured; the
            // challenges wait for its result, since a turning head changes the light on
            // the face for reasons of its own.
            if p.flash == FlashPhase::Pending && params.screen_flash != FlashRule::Off {
                p.flash = FlashPhase::Running {
                    since_ms: now.mono_ms,
                };
                fx.push(Effect::StartFlash);
                fx.push(Effect::Speak(p.voice.say(Prompt::FlashNotice, now.mono_ms)));
                return State::Positioning(p);
            }
            let flash_over =
                matches!(p.flash, FlashPhase::Done) || params.screen_flash == FlashRule::Off;
            if flash_over && now.mono_ms.saturating_sub(since) >= params.stable_positioning_ms {
                return start_challenges(p.session, p.evidence, now, params, fx);
            }
        } else {
            p.well_placed_since = None;
        }
    }
    if matches!(p.flash, FlashPhase::Running { .. }) {
        // The flash notice stays; placement hints would talk over it.
        return State::Positioning(p);
    }
    if let Some(hint) = p.hint {
        let prompt = match hint {
            Placement::Good => Prompt::HoldStill,
            other => Prompt::Hint(other),
        };
        if let Some(said) = p.voice.want(prompt, now.mono_ms, params) {
            fx.push(Effect::Speak(said));
        }
    }
    State::Positioning(p)
}

fn start_challenges(
    session: Session,
    evidence: Evidence,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    // The clerk's exclusions shrink the set the order is drawn from; the count is
    // clamped to what is left (the flow refused an exclusion that would leave nothing).
    let set = super::exclude::allowed_set(&params.challenge_set, &session.excluded);
    let plan = challenge_plan(&set, params.challenge_count, session.seed, session.attempt);
    let Some(&first) = plan.first() else {
        return start_matching(session, evidence, now, fx);
    };
    let mut voice = Voice::default();
    fx.push(Effect::Speak(
        voice.say(Prompt::Challenge(first), now.mono_ms),
    ));
    State::Challenges(Challenges {
        session,
        evidence,
        plan,
        index: 0,
        current_started_ms: now.mono_ms,
        absent_since: None,
        crowd_since: None,
        voice,
    })
}

/// The runner's flash result. Taken once per attempt, also if it arrives after
/// positioning timed the flash out (it is evidence all the same).
pub(super) fn flash_measured(
    evidence: &mut Evidence,
    phase: Option<&mut FlashPhase>,
    result: certpoint_protocol::ScreenFlash,
) {
    if evidence.screen_flash.is_none() {
        evidence.screen_flash = Some(result);
    }
    if let Some(phase) = phase {
        *phase = FlashPhase::Done;
    }
}

/// A frame (or, with `None`, a tick) during the challenges.
pub(super) fn challenges(
    mut c: Challenges,
    frame: Option<&FrameObservation>,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    if let Some(frame) = frame {
        match frame.faces {
            0 => {
                c.absent_since.get_or_insert(now.mono_ms);
                c.crowd_since = None;
            }
            1 => {
                c.absent_since = None;
                c.crowd_since = None;
                c.evidence.observe(frame);
                // Other completed actions are ignored rather than failed: elderly people
                // blink, nod along and turn the wrong way first. The price is that a video
                // cycling through every action could satisfy any order within the
                // timeouts; passive liveness and the match are what stop that case.
                if let Some(current) = c.current().filter(|a| frame.completed.contains(a)) {
                    c.evidence.challenges.push(ChallengeResult {
                        action: current,
                        passed: true,
                        duration_ms: now.mono_ms.saturating_sub(c.current_started_ms),
                    });
                    c.index += 1;
                    c.current_started_ms = now.mono_ms;
                    match c.current() {
                        Some(next) => fx.push(Effect::Speak(
                            c.voice.say(Prompt::Challenge(next), now.mono_ms),
                        )),
                        None => return start_matching(c.session, c.evidence, now, fx),
                    }
                }
            }
            // Actions seen while two faces are in view are never credited: nobody can
            // tell whose face performed them.
            _ => {
                c.crowd_since.get_or_insert(now.mono_ms);
                c.absent_since = None;
            }
        }
    }
    let grace_over = |since: Option<u64>| {
        since.is_some_and(|s| now.mono_ms.saturating_sub(s) >= params.face_away_grace_ms)
    };
    // A helper leaning in briefly is tolerated; one who stays could be the one
    // performing the actions, so the attempt restarts cleanly with a new order.
    if grace_over(c.crowd_since) {
        return end_challenges(
            c,
            Outcome::Failed,
            EndReason::MultipleFaces,
            now,
            params,
            fx,
        );
    }
    let prompt = if grace_over(c.absent_since) {
        Prompt::Hint(Placement::NoFace)
    } else if c.crowd_since.is_some() {
        Prompt::Hint(Placement::MultipleFaces)
    } else {
        match c.current() {
            Some(a) => Prompt::Challenge(a),
            None => return State::Challenges(c),
        }
    };
    if let Some(said) = c.voice.want(prompt, now.mono_ms, params) {
        fx.push(Effect::Speak(said));
    }
    State::Challenges(c)
}

/// Nobody could be placed: no check ran, so this is not a failed check but an attempt
/// that did not get that far. It still counts as an attempt, so someone who cannot be
/// placed reaches the clerk instead of looping.
pub(super) fn positioning_timeout(
    p: Positioning,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    let verdict = p.evidence.verdict(
        Outcome::Abandoned,
        Some(EndReason::PositioningTimeout),
        now.wall,
        FaceMatch::NotRun,
        params,
    );
    conclude(p.session, verdict, now, params, fx)
}

/// The current challenge ran out of time. Someone who has walked away did not fail a
/// liveness check; they left.
pub(super) fn challenge_timeout(
    c: Challenges,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    let Some(action) = c.current() else {
        return start_matching(c.session, c.evidence, now, fx);
    };
    let away = c
        .absent_since
        .is_some_and(|s| now.mono_ms.saturating_sub(s) >= params.face_away_grace_ms);
    let (outcome, reason) = if away {
        (Outcome::Abandoned, EndReason::FaceLost)
    } else {
        (Outcome::Failed, EndReason::ChallengeTimeout(action))
    };
    end_challenges(c, outcome, reason, now, params, fx)
}

fn end_challenges(
    c: Challenges,
    outcome: Outcome,
    reason: EndReason,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    let (session, verdict) = challenges_verdict(c, outcome, reason, now, params);
    conclude(session, verdict, now, params, fx)
}

/// The verdict of an attempt stopped during the challenges; the action being asked is
/// recorded as not passed so the record shows how far the person got.
pub(super) fn challenges_verdict(
    mut c: Challenges,
    outcome: Outcome,
    reason: EndReason,
    now: Now,
    params: &FlowParams,
) -> (Session, Verdict) {
    if let Some(action) = c.current() {
        c.evidence.challenges.push(ChallengeResult {
            action,
            passed: false,
            duration_ms: now.mono_ms.saturating_sub(c.current_started_ms),
        });
    }
    let verdict = c
        .evidence
        .verdict(outcome, Some(reason), now.wall, FaceMatch::NotRun, params);
    (c.session, verdict)
}

fn start_matching(session: Session, evidence: Evidence, now: Now, fx: &mut Vec<Effect>) -> State {
    fx.push(Effect::Speak(Prompt::Checking));
    fx.push(Effect::RunMatch);
    State::Matching(Matching {
        session,
        evidence,
        started_ms: now.mono_ms,
    })
}

//! The running attempt: positioning, challenges, matching, and how an attempt ends.

use certpoint_protocol::{ChallengeResult, FaceMatch, Method, Outcome};

use super::effect::{ClerkNotice, Effect, EndReason, Prompt, Verdict};
use super::event::{FrameObservation, Now, Placement};
use super::evidence::Evidence;
use super::params::FlowParams;
use super::plan::challenge_plan;
use super::state::{Challenges, Matching, Positioning, Session, State};
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
    if let Some(frame) = frame {
        let placement = frame.effective_placement();
        p.hint = Some(placement);
        if placement == Placement::Good {
            // Only well-placed frames feed the evidence: passive scores of a face at the
            // edge of the image or in the dark say more about the optics than the person.
            p.evidence.observe(frame);
            let since = *p.well_placed_since.get_or_insert(now.mono_ms);
            if now.mono_ms.saturating_sub(since) >= params.stable_positioning_ms {
                return start_challenges(p.session, p.evidence, now, params, fx);
            }
        } else {
            p.well_placed_since = None;
        }
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
    let plan = challenge_plan(
        &params.challenge_set,
        params.challenge_count,
        session.seed,
        session.attempt,
    );
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
fn challenges_verdict(
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

/// What the runner said about the face comparison.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum MatchAnswer {
    Scored {
        score: f32,
        reference_version: String,
    },
    PendingServer,
    /// Error or no answer in time.
    Unavailable,
}

/// Decides the attempt once the comparison is in (or given up on). The comparison runs
/// even when passive liveness already failed, so an auditor looking at a suspected spoof
/// also sees whose face it resembled.
pub(super) fn judge(
    m: Matching,
    answer: MatchAnswer,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    let answer = match answer {
        MatchAnswer::Scored { score, .. } if !score.is_finite() => MatchAnswer::Unavailable,
        other => other,
    };
    let passive = m.evidence.passive_scored(params);
    let liveness_problem = match passive {
        None => Some(EndReason::PassiveLivenessUnavailable),
        Some(p) if p.score < p.threshold => Some(EndReason::PassiveLiveness),
        Some(_) => None,
    };
    let (face_match, match_problem) = match answer {
        MatchAnswer::Scored {
            score,
            reference_version,
        } => (
            FaceMatch::Scored {
                score,
                threshold: params.face_match_threshold,
                reference_version,
                // Until the kiosk cache lands, every scored reference is the server's.
                source: Some(certpoint_protocol::ReferenceSource::Server),
            },
            (score < params.face_match_threshold).then_some(EndReason::FaceMatchBelowThreshold),
        ),
        MatchAnswer::PendingServer => (FaceMatch::PendingMatch, None),
        MatchAnswer::Unavailable => (FaceMatch::NotRun, Some(EndReason::MatchUnavailable)),
    };
    let reason = liveness_problem.or(match_problem);
    let outcome = if reason.is_some() {
        Outcome::Failed
    } else {
        Outcome::Passed
    };
    let verdict = m
        .evidence
        .verdict(outcome, reason, now.wall, face_match, params);
    conclude(m.session, verdict, now, params, fx)
}

/// The abandoned verdict of an attempt interrupted from outside (clerk, camera).
pub(super) fn abandon(
    state: State,
    reason: EndReason,
    now: Now,
    params: &FlowParams,
) -> Option<(Session, Verdict)> {
    let abandoned = |evidence: Evidence| {
        evidence.verdict(
            Outcome::Abandoned,
            Some(reason),
            now.wall,
            FaceMatch::NotRun,
            params,
        )
    };
    match state {
        State::Positioning(p) => Some((p.session, abandoned(p.evidence))),
        State::Matching(m) => Some((m.session, abandoned(m.evidence))),
        State::Challenges(c) => Some(challenges_verdict(
            c,
            Outcome::Abandoned,
            reason,
            now,
            params,
        )),
        _ => None,
    }
}

/// Where an ended attempt goes. Its record is stored in this very step, whatever the
/// outcome, before any screen shows it: a result acknowledged on screen must survive a
/// power cut, and a failure is evidence too. A non-pass then waits on the fail screen
/// (attempts left) or the clerk-assist screen (none left) for a retry or a manual pass,
/// neither of which rewrites this record.
pub(super) fn conclude(
    session: Session,
    verdict: Verdict,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    fx.push(verdict.clone().store(&session, Method::FaceAuto));
    if verdict.outcome == Outcome::Passed {
        let face_match = verdict.face_match;
        fx.push(Effect::Speak(Prompt::Passed));
        return State::Passed {
            session,
            manual: false,
            face_match,
            shown_since_ms: now.mono_ms,
        };
    }
    // Every non-pass verdict carries a reason; the fallback only keeps this total.
    let reason = verdict.reason.unwrap_or(EndReason::MatchUnavailable);
    if session.attempt >= params.attempts_allowed() {
        fx.push(Effect::Speak(Prompt::SeeClerk));
        fx.push(Effect::Notify(ClerkNotice::AssistNeeded { reason }));
        State::ClerkAssist {
            session,
            failure: verdict,
            since_ms: now.mono_ms,
        }
    } else {
        fx.push(Effect::Speak(Prompt::Failed(reason)));
        State::Failed {
            session,
            failure: verdict,
            shown_since_ms: now.mono_ms,
        }
    }
}

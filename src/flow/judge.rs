//! How an attempt ends: the verdict once the comparison is in ([`judge`], where "no
//! reference, no pass" is decided), an attempt interrupted from outside ([`abandon`]),
//! and where an ended attempt goes ([`conclude`]).

use certpoint_protocol::{FaceMatch, Method, Outcome, ReferenceSource};

use super::attempt::challenges_verdict;
use super::effect::{ClerkNotice, Effect, EndReason, Prompt, Verdict};
use super::event::Now;
use super::evidence::Evidence;
use super::params::FlowParams;
use super::state::{Matching, Session, State};

/// What the runner said about the face comparison.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum MatchAnswer {
    Scored {
        score: f32,
        reference_version: String,
        source: ReferenceSource,
    },
    /// The runner had no reference to compare with.
    NoReference,
    /// Error or no answer in time.
    Unavailable,
}

/// Decides the attempt once the comparison is in (or given up on).
///
/// The rule (record schema 2): `passed` only when passive liveness passed (the active
/// challenges are done, or the attempt would not be here) *and* the face was scored at
/// or above the threshold against a reference whose source is recorded. Live but with
/// nothing to score against is `pending_match`, its reason taken from what the session
/// knows about the reference; any liveness problem is `failed` whatever the match said.
/// The comparison runs even when passive liveness already failed, so an auditor looking
/// at a suspected spoof also sees whose face it resembled.
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
    let liveness_problem = match m.evidence.passive_scored(params) {
        None => Some(EndReason::PassiveLivenessUnavailable),
        Some(p) if p.score < p.threshold => Some(EndReason::PassiveLiveness),
        Some(_) => None,
    }
    .or_else(|| m.evidence.depth_problem(params))
    .or_else(|| m.evidence.flash_problem(params));
    let (face_match, match_problem) = match answer {
        MatchAnswer::Scored {
            score,
            reference_version,
            source,
        } => (
            FaceMatch::Scored {
                score,
                threshold: params.face_match_threshold,
                reference_version,
                source: Some(source),
            },
            (score < params.face_match_threshold).then_some(EndReason::FaceMatchBelowThreshold),
        ),
        MatchAnswer::NoReference => (
            FaceMatch::PendingMatch,
            Some(EndReason::Unmatched(m.session.reference.pending_reason())),
        ),
        MatchAnswer::Unavailable => (FaceMatch::NotRun, Some(EndReason::MatchUnavailable)),
    };
    // The last `or_else` keeps "passed ⇔ matched" total: a threshold that is not a
    // number lets no score through.
    let reason = liveness_problem
        .or(match_problem)
        .or_else(|| (!face_match.matched()).then_some(EndReason::FaceMatchBelowThreshold));
    let outcome = match reason {
        None => Outcome::Passed,
        Some(EndReason::Unmatched(_)) => Outcome::PendingMatch,
        Some(_) => Outcome::Failed,
    };
    let verdict = m
        .evidence
        .verdict(outcome, reason, now.wall, face_match, params);
    conclude(m.session, verdict, now, params, fx)
}

/// The abandoned verdict of an attempt interrupted from outside (clerk, camera, the
/// server's late word that the person may not certify).
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
/// power cut, and a failure is evidence too. A `pending_match` waits on its own screen
/// for a clerk's manual pass; any other non-pass on the fail screen (attempts left) or
/// the clerk-assist screen (none left) for a retry or a manual pass. Neither rewrites
/// this record.
pub(super) fn conclude(
    session: Session,
    verdict: Verdict,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    fx.push(verdict.clone().store(&session, Method::FaceAuto));
    match (verdict.outcome, verdict.reason) {
        (Outcome::Passed, _) => {
            let face_match = verdict.face_match;
            fx.push(Effect::Speak(Prompt::Passed));
            return State::Passed {
                session,
                manual: false,
                face_match,
                shown_since_ms: now.mono_ms,
            };
        }
        (Outcome::PendingMatch, Some(EndReason::Unmatched(reason))) => {
            fx.push(Effect::Speak(Prompt::PendingMatch));
            fx.push(Effect::Notify(ClerkNotice::PendingMatch(reason)));
            return State::PendingMatch {
                session,
                verdict,
                reason,
                since_ms: now.mono_ms,
            };
        }
        _ => {}
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

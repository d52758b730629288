//! The transition function: timers first, then the event.

use certpoint_protocol::{ExclusionReason, FaceMatch, IdSource, Method, Outcome};

use super::attempt;
use super::effect::{
    ClerkNotice, Effect, EndReason, ExclusionError, Ineligibility, ManualPassError, Prompt, Verdict,
};
use super::event::{CardFacts, ChipPhoto, Event, Input, Now};
use super::judge::{self, MatchAnswer};
use super::params::FlowParams;
use super::state::{ManualWhy, ReferenceStatus, Session, State};
use crate::id_number::IdNumber;

/// Advances the flow by one input.
///
/// The state's own deadline is applied before the event, so a late answer never beats
/// its deadline and every event is handled by the state that is current at `now`.
pub fn step(state: State, input: Input, params: &FlowParams) -> (State, Vec<Effect>) {
    let Input { now, event } = input;
    let mut fx = Vec::new();
    let state = expire(state, now, params, &mut fx);
    let state = match event {
        Event::ClerkCancel => {
            end_running(state, EndReason::ClerkCancelled, now, params, &mut fx);
            State::Idle
        }
        Event::CameraLost => camera_lost(state, now, params, &mut fx),
        Event::IdScanned { id, seed, source } => {
            scanned(state, id, seed, source, None, now, params, &mut fx)
        }
        Event::CardRead { id, seed, card } => scanned(
            state,
            id,
            seed,
            IdSource::CardReader,
            Some(card),
            now,
            params,
            &mut fx,
        ),
        Event::ManualPass { clerk_id, reason } => {
            manual_pass(state, clerk_id, reason, now, &mut fx)
        }
        Event::ManualCheck => manual_check(state, now, params, &mut fx),
        Event::Exclude(reasons) => exclude(state, &reasons, params, &mut fx),
        event => on_event(state, event, now, params, &mut fx),
    };
    (state, fx)
}

/// Fires the state's timer if it is due.
fn expire(state: State, now: Now, params: &FlowParams, fx: &mut Vec<Effect>) -> State {
    if state.deadline_ms(params).is_none_or(|d| now.mono_ms < d) {
        return state;
    }
    match state {
        State::IdentityEntered { mut session, .. } => {
            session.reference = ReferenceStatus::TimedOut;
            fx.push(Effect::Notify(ClerkNotice::Offline));
            attempt::begin_attempt(session, Prompt::LookAtScreen, now, fx)
        }
        State::Positioning(p) => attempt::positioning_timeout(p, now, params, fx),
        State::Challenges(c) => attempt::challenge_timeout(c, now, params, fx),
        State::Matching(m) => judge::judge(m, MatchAnswer::Unavailable, now, params, fx),
        State::Passed { .. } | State::AlreadyCertified { .. } | State::NotEligible { .. } => {
            State::Idle
        }
        // Nobody decided: the failure (or the pending match) was stored when it
        // happened, so the screen just closes.
        State::Failed { .. }
        | State::ClerkAssist { .. }
        | State::PendingMatch { .. }
        | State::ManualCheck { .. } => State::Idle,
        State::Idle | State::CameraFault { .. } => state,
    }
}

/// Stores a running attempt as `abandoned` with `reason`. Any other state has nothing
/// left to store: a failure on the fail or clerk-assist screen was stored when it ended.
fn end_running(
    state: State,
    reason: EndReason,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) {
    if let Some((session, verdict)) = judge::abandon(state, reason, now, params) {
        fx.push(verdict.store(&session, Method::FaceAuto));
    }
}

/// Without a camera nothing can be checked, not even a retry, so the session ends
/// everywhere; only the clerk or the camera's return leaves the fault screen.
fn camera_lost(state: State, now: Now, params: &FlowParams, fx: &mut Vec<Effect>) -> State {
    // A manual check needs no camera: it goes on (that is what it is for).
    if let State::CameraFault { .. } | State::ManualCheck { .. } = state {
        return state;
    }
    end_running(state, EndReason::CameraLost, now, params, fx);
    fx.push(Effect::Notify(ClerkNotice::CameraLost));
    fx.push(Effect::Speak(Prompt::CameraProblem));
    State::CameraFault {
        since_ms: now.mono_ms,
    }
}

/// A scan starts a session only when none is running or awaiting a retry; a scan on a
/// result screen (passed, pending match, already certified, not eligible) starts the
/// next person straight away. A pending match's record is stored already and its
/// manual check is optional, so the queue need not wait for it.
#[allow(clippy::too_many_arguments)]
fn scanned(
    state: State,
    id: IdNumber,
    seed: u64,
    id_source: IdSource,
    card: Option<CardFacts>,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    // With the camera down a scan still starts a session, straight into the manual
    // check by the ID card: the person came, and the clerk can serve them by hand.
    let camera_down = matches!(state, State::CameraFault { .. });
    match state {
        State::Idle
        | State::Passed { .. }
        | State::PendingMatch { .. }
        | State::AlreadyCertified { .. }
        | State::NotEligible { .. }
        | State::CameraFault { .. } => {}
        _ => {
            fx.push(Effect::Notify(ClerkNotice::SessionBusy));
            return state;
        }
    }
    let today = now.wall.date_naive();
    let age = id.age_on(today);
    if age < params.min_pension_age {
        fx.push(Effect::Notify(ClerkNotice::TooYoung {
            age,
            min_age: params.min_pension_age,
        }));
        return state;
    }
    // Outside the on-site window the clerk is warned but the session goes ahead: a
    // retiree who came in late must still be able to certify, and the record carries
    // the date for the agency to judge. The retiree hears it too.
    let mut outside = false;
    if let Some((from, to)) = params.certification_window {
        if today < from || today > to {
            outside = true;
            fx.push(Effect::Notify(ClerkNotice::OutsideWindow { from, to }));
        }
    }
    if let Some(card) = &card {
        if let Some(on) = card.expired_on {
            fx.push(Effect::Notify(ClerkNotice::CardExpired { on }));
        }
        if card.mongolian {
            fx.push(Effect::Notify(ClerkNotice::MongolianCard));
        }
        if let ChipPhoto::Failed(why) = &card.chip_photo {
            fx.push(Effect::Notify(ClerkNotice::ChipPhotoFailed(why.clone())));
        }
    }
    fx.push(Effect::FetchReference(id.clone()));
    fx.push(Effect::Speak(Prompt::Welcome));
    if outside {
        fx.push(Effect::Speak(Prompt::OutsideWindow));
    }
    let session = Session {
        id,
        attempt: 1,
        seed,
        started_wall: now.wall,
        started_ms: now.mono_ms,
        attempt_started_wall: now.wall,
        attempt_started_ms: now.mono_ms,
        reference: ReferenceStatus::Pending,
        id_source,
        card,
        excluded: Vec::new(),
    };
    if camera_down {
        fx.push(Effect::Notify(ClerkNotice::ManualCheck(
            ManualWhy::CameraUnavailable,
        )));
        fx.push(Effect::Speak(Prompt::SeeClerk));
        return State::ManualCheck {
            session,
            why: ManualWhy::CameraUnavailable,
            since_ms: now.mono_ms,
        };
    }
    State::IdentityEntered {
        session,
        lookup_started_ms: now.mono_ms,
    }
}

/// The clerk checks by the ID card because the person cannot do the challenges. From
/// the lookup (no attempt yet: nothing stored) or a running attempt (stored
/// `abandoned`, reason `cannot_perform_challenges`). After a failed or unmatched
/// attempt the manual pass is already open, so nothing changes there.
fn manual_check(state: State, now: Now, params: &FlowParams, fx: &mut Vec<Effect>) -> State {
    let why = ManualWhy::CannotPerformChallenges;
    let session = match &state {
        State::IdentityEntered { session, .. } => session.clone(),
        s if s.attempt_in_progress() => {
            let session = s.session().expect("an attempt has a session").clone();
            end_running(state, EndReason::ManualCheck(why), now, params, fx);
            session
        }
        _ => return state,
    };
    fx.push(Effect::Notify(ClerkNotice::ManualCheck(why)));
    fx.push(Effect::Speak(Prompt::SeeClerk));
    State::ManualCheck {
        session,
        why,
        since_ms: now.mono_ms,
    }
}

/// The clerk's exclusions for this person, taken while no challenge order is drawn.
fn exclude(
    mut state: State,
    reasons: &[ExclusionReason],
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    let excluded = super::exclude::excluded_actions(&params.challenge_set, reasons);
    let session = match &mut state {
        State::IdentityEntered { session, .. }
        | State::Failed { session, .. }
        | State::Positioning(super::state::Positioning { session, .. }) => session,
        _ => {
            fx.push(Effect::Notify(ClerkNotice::ExclusionRefused(
                ExclusionError::NotNow,
            )));
            return state;
        }
    };
    if super::exclude::allowed_set(&params.challenge_set, &excluded).is_empty() {
        fx.push(Effect::Notify(ClerkNotice::ExclusionRefused(
            ExclusionError::NothingLeft,
        )));
        return state;
    }
    session.excluded = excluded;
    state
}

/// The clerk vouches for the person after checking the physical ID card, following a
/// failed or unmatched (`pending_match`) attempt. That attempt is already stored as the
/// machine saw it and stays so (a false reject and a fraud attempt both need that
/// evidence); the override is a second record for the same attempt, carrying its
/// evidence and reason (why the clerk had to step in) next to who decided and why, so
/// an auditor reads both without joining records.
fn manual_pass(
    state: State,
    clerk_id: String,
    reason: String,
    now: Now,
    fx: &mut Vec<Effect>,
) -> State {
    let (clerk_id, reason) = (clerk_id.trim(), reason.trim());
    let refusal = if !state.awaiting_decision() {
        Some(ManualPassError::NotAvailable)
    } else if clerk_id.is_empty() {
        Some(ManualPassError::MissingClerkId)
    } else if reason.is_empty() {
        Some(ManualPassError::MissingReason)
    } else {
        None
    };
    if let Some(error) = refusal {
        // The screen stays as it was, timer untouched, so the clerk can correct the form.
        fx.push(Effect::Notify(ClerkNotice::ManualPassRejected(error)));
        return state;
    }
    if let State::ManualCheck { session, why, .. } = state {
        // Nothing automatic to copy: no challenges, no scores, the match not run.
        let verdict = Verdict {
            outcome: Outcome::ManualPassed,
            reason: Some(EndReason::ManualCheck(why)),
            ended_at: now.wall,
            challenges: Vec::new(),
            passive_liveness: None,
            face_match: FaceMatch::NotRun,
            quality: None,
            depth_check: None,
            screen_flash: None,
        };
        fx.push(verdict.store(
            &session,
            Method::ClerkManual {
                clerk_id: clerk_id.to_string(),
                reason: reason.to_string(),
            },
        ));
        fx.push(Effect::Speak(Prompt::Passed));
        return State::Passed {
            session,
            manual: true,
            face_match: FaceMatch::NotRun,
            shown_since_ms: now.mono_ms,
        };
    }
    let (session, failure) = match state {
        State::Failed {
            session, failure, ..
        }
        | State::ClerkAssist {
            session, failure, ..
        }
        | State::PendingMatch {
            session,
            verdict: failure,
            ..
        } => (session, failure),
        other => return other,
    };
    let face_match = failure.face_match.clone();
    let verdict = Verdict {
        outcome: Outcome::ManualPassed,
        ended_at: now.wall,
        ..failure
    };
    let method = Method::ClerkManual {
        clerk_id: clerk_id.to_string(),
        reason: reason.to_string(),
    };
    fx.push(verdict.store(&session, method));
    fx.push(Effect::Speak(Prompt::Passed));
    State::Passed {
        session,
        manual: true,
        face_match,
        shown_since_ms: now.mono_ms,
    }
}

/// Events whose meaning depends on the state.
fn on_event(
    state: State,
    event: Event,
    now: Now,
    params: &FlowParams,
    fx: &mut Vec<Effect>,
) -> State {
    match (state, event) {
        (
            State::IdentityEntered {
                mut session,
                lookup_started_ms,
            },
            event,
        ) => {
            match event {
                Event::AlreadyCertified { at, channel } => {
                    fx.push(Effect::Notify(ClerkNotice::AlreadyCertified {
                        at,
                        channel,
                    }));
                    fx.push(Effect::Speak(Prompt::AlreadyCertified));
                    return State::AlreadyCertified {
                        id: session.id,
                        at,
                        channel,
                        shown_since_ms: now.mono_ms,
                    };
                }
                Event::NotEligible(why) => return not_eligible(session, why, now, fx),
                Event::ReferenceFound { .. }
                | Event::ReferenceNotFound
                | Event::ReferenceUnusable(_)
                | Event::ServerUnavailable => {
                    reference_answer(&mut session, event, fx);
                    return attempt::begin_attempt(session, Prompt::LookAtScreen, now, fx);
                }
                _ => {}
            }
            State::IdentityEntered {
                session,
                lookup_started_ms,
            }
        }
        // The server's late word that the person may not certify ends whatever runs
        // (a running attempt is stored as abandoned) and closes a pending decision, so
        // neither an automatic nor a manual pass can follow.
        (state, Event::NotEligible(why))
            if state
                .session()
                .is_some_and(|s| s.reference.awaiting_answer()) =>
        {
            let session = state.session().expect("checked above").clone();
            end_running(state, EndReason::NotEligible, now, params, fx);
            not_eligible(session, why, now, fx)
        }
        (State::Positioning(mut p), event) => match event {
            Event::Frame(frame) => attempt::positioning(p, Some(&frame), now, params, fx),
            Event::Tick => attempt::positioning(p, None, now, params, fx),
            Event::FlashMeasured(result) => {
                attempt::flash_measured(&mut p.evidence, Some(&mut p.flash), result);
                attempt::positioning(p, None, now, params, fx)
            }
            other => {
                reference_answer(&mut p.session, other, fx);
                State::Positioning(p)
            }
        },
        (State::Challenges(mut c), event) => match event {
            Event::Frame(frame) => attempt::challenges(c, Some(&frame), now, params, fx),
            Event::Tick => attempt::challenges(c, None, now, params, fx),
            Event::FlashMeasured(result) => {
                attempt::flash_measured(&mut c.evidence, None, result);
                State::Challenges(c)
            }
            other => {
                reference_answer(&mut c.session, other, fx);
                State::Challenges(c)
            }
        },
        (State::Matching(mut m), event) => match event {
            Event::MatchScored {
                score,
                reference_version,
                source,
            } => judge::judge(
                m,
                MatchAnswer::Scored {
                    score,
                    reference_version,
                    source,
                },
                now,
                params,
                fx,
            ),
            Event::MatchNoReference => judge::judge(m, MatchAnswer::NoReference, now, params, fx),
            Event::MatchError(message) => {
                fx.push(Effect::Notify(ClerkNotice::MatchError(message)));
                judge::judge(m, MatchAnswer::Unavailable, now, params, fx)
            }
            other => {
                reference_answer(&mut m.session, other, fx);
                State::Matching(m)
            }
        },
        // No retry from `PendingMatch`: another attempt would meet the same missing
        // reference. To ask the server again, the clerk scans again.
        (State::Failed { mut session, .. }, Event::Retry) => {
            // Nothing to store: the failure was stored when it ended.
            session.attempt += 1;
            attempt::begin_attempt(session, Prompt::TryAgain, now, fx)
        }
        (State::CameraFault { .. }, Event::CameraRestored) => State::Idle,
        // The status check still runs during a manual check: "already certified"
        // reaches the clerk (a late "not eligible" is handled above).
        (
            State::ManualCheck {
                mut session,
                why,
                since_ms,
            },
            event,
        ) => {
            reference_answer(&mut session, event, fx);
            State::ManualCheck {
                session,
                why,
                since_ms,
            }
        }
        (state, _) => state,
    }
}

/// The server says the person may not certify: no attempt (or no more), no record of
/// its own, the retiree is sent to the clerk.
fn not_eligible(session: Session, why: Ineligibility, now: Now, fx: &mut Vec<Effect>) -> State {
    fx.push(Effect::Notify(ClerkNotice::NotEligible(why)));
    fx.push(Effect::Speak(Prompt::SeeClerk));
    State::NotEligible {
        id: session.id,
        why,
        since_ms: now.mono_ms,
    }
}

/// Takes in the server's answer about the person. Late answers (after the lookup timed
/// out) still upgrade an offline session to an online match; an "already certified"
/// that arrives mid-attempt only tells the clerk, who decides whether to cancel.
fn reference_answer(session: &mut Session, event: Event, fx: &mut Vec<Effect>) {
    if !session.reference.awaiting_answer() {
        return;
    }
    match event {
        Event::ReferenceFound { version, source } => {
            session.reference = ReferenceStatus::Found { version, source }
        }
        Event::ReferenceNotFound => {
            session.reference = ReferenceStatus::NotFound;
            fx.push(Effect::Notify(ClerkNotice::NoReference));
        }
        Event::ReferenceUnusable(why) => {
            session.reference = ReferenceStatus::Unusable;
            fx.push(Effect::Notify(ClerkNotice::ReferenceUnusable(why)));
        }
        Event::ServerUnavailable => {
            if session.reference == ReferenceStatus::Pending {
                fx.push(Effect::Notify(ClerkNotice::Offline));
            }
            session.reference = ReferenceStatus::Unavailable;
        }
        Event::AlreadyCertified { at, channel } => {
            fx.push(Effect::Notify(ClerkNotice::AlreadyCertified {
                at,
                channel,
            }))
        }
        _ => {}
    }
}

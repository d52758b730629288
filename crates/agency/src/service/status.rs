//! A person's certification status for a period: the rules, in one place.
//!
//! [`decide`] is the whole rule, a pure function of what the storage knows
//! ([`PersonFacts`]); the CLI (`certpoint-agency status`), the kiosks' status endpoint
//! and the back office all go through it. In order:
//!
//! 1. Not on the roster → `not_in_roster`.
//! 2. On the roster as `deceased` or `suspended` → that state, whatever was recorded.
//! 3. Certified, if in that period there is any of
//!    - an app self-certification (channel `app`);
//!    - a received record whose effective outcome is `passed` (the kiosk matched the
//!      face against this person's reference) or `manual_passed` (a clerk checked the
//!      physical ID card) (channel `onsite`), or a certificate of assistance (a
//!      `manual_passed` record whose method is `assistance`: a relative came for a
//!      bedridden retiree and a clerk vouched) (channel `assistance`);
//!    - a `pending_match` record that the server has since matched at or above the
//!      threshold (channel `onsite`).
//!
//!    `at` and `channel` are those of the earliest such event.
//! 4. Else `pending_review`, if there is a `pending_match` record that the server has
//!    not matched yet or matched below the threshold (a mismatch is for a person to
//!    look at, never silently certified); `at` is the earliest such record's end.
//! 5. Else `not_certified`.
//!
//! A reviewer's decision on a record (the back office's review queue) comes before
//! steps 3 and 4 for that record: `rejected` makes it count for nothing, `confirmed`
//! makes it certify (channel `onsite`, at the record's end), whatever the server's
//! match said. The review service only lets a `pending_match` record be confirmed when
//! the person has a reference photo to compare the crop with (no reference, no pass).
//!
//! "Effective outcome": a schema-1 record saying `passed` without a scored match proved
//! only liveness, so it counts as `pending_match` (`CertificationRecord::
//! effective_outcome`, stored in the record's index columns at arrival). Failed and
//! abandoned attempts count for nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use certpoint_protocol::{parse_period, Channel, Outcome, PersonState, PersonStatus};

use super::{parse_id, ServiceError};
use crate::storage::{PersonFacts, ReviewDecision, RosterStatus, Storage, Verdict};

/// The status rules without review decisions (see the module documentation).
pub fn decide(period: &str, facts: &PersonFacts) -> PersonStatus {
    decide_reviewed(period, facts, &BTreeMap::new())
}

/// Review verdicts by record id, from the stored decisions.
pub fn verdicts(decisions: &[ReviewDecision]) -> BTreeMap<String, Verdict> {
    decisions
        .iter()
        .map(|d| (d.record_id.clone(), d.verdict))
        .collect()
}

/// The status rules with reviewers' verdicts by record id (see the module
/// documentation).
pub fn decide_reviewed(
    period: &str,
    facts: &PersonFacts,
    verdicts: &BTreeMap<String, Verdict>,
) -> PersonStatus {
    let answer = |state, channel, at| PersonStatus {
        period: period.to_owned(),
        state,
        channel,
        at,
    };
    let Some(roster) = &facts.roster else {
        return answer(PersonState::NotInRoster, None, None);
    };
    match roster.status {
        RosterStatus::Deceased => return answer(PersonState::Deceased, None, None),
        RosterStatus::Suspended => return answer(PersonState::Suspended, None, None),
        RosterStatus::Active => {}
    }
    let mut certifying: Vec<(DateTime<FixedOffset>, Channel)> = Vec::new();
    let mut awaiting: Vec<DateTime<FixedOffset>> = Vec::new();
    if let Some(at) = facts.self_certified_at {
        certifying.push((at, Channel::App));
    }
    for r in &facts.records {
        match verdicts.get(&r.record_id) {
            Some(Verdict::Rejected) => continue,
            Some(Verdict::Confirmed) => {
                certifying.push((r.ended_at, Channel::Onsite));
                continue;
            }
            None => {}
        }
        match r.outcome {
            Outcome::Passed | Outcome::ManualPassed => certifying.push((r.ended_at, r.channel)),
            Outcome::PendingMatch => match r.server_match {
                Some((score, threshold)) if score.is_finite() && score >= threshold => {
                    certifying.push((r.ended_at, Channel::Onsite))
                }
                _ => awaiting.push(r.ended_at),
            },
            Outcome::Failed | Outcome::Abandoned => {}
        }
    }
    // Earliest first; on a tie the self-certification (pushed first) is named.
    if let Some((at, channel)) = certifying.into_iter().min_by_key(|(at, _)| *at) {
        return answer(PersonState::Certified, Some(channel), Some(at));
    }
    if let Some(at) = awaiting.into_iter().min() {
        return answer(PersonState::PendingReview, Some(Channel::Onsite), Some(at));
    }
    answer(PersonState::NotCertified, None, None)
}

/// A person's status for a period, for the agency's own staff (no region rule; see
/// `persons::status_for_kiosk` for the kiosks').
pub fn status(
    storage: &dyn Storage,
    id_number: &str,
    period: &str,
) -> Result<PersonStatus, ServiceError> {
    let id = parse_id(id_number)?;
    parse_period(period)?;
    person_status(storage, id.as_str(), period)
}

/// The status of a validated ID number and period: the stored facts and review
/// decisions through [`decide_reviewed`]. Every front end (CLI, kiosks' endpoint, back
/// office) comes here.
pub fn person_status(
    storage: &dyn Storage,
    id_number: &str,
    period: &str,
) -> Result<PersonStatus, ServiceError> {
    let facts = storage.person_facts(id_number, period)?;
    let decisions = storage.review_decisions(id_number, period)?;
    Ok(decide_reviewed(period, &facts, &verdicts(&decisions)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{RecordFact, RosterFacts};

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn active() -> Option<RosterFacts> {
        Some(RosterFacts {
            region: "110105".into(),
            status: RosterStatus::Active,
        })
    }

    fn record(outcome: Outcome, at: &str, server_match: Option<(f32, f32)>) -> RecordFact {
        RecordFact {
            record_id: format!("r-{at}"),
            outcome,
            ended_at: t(at),
            channel: Channel::Onsite,
            server_match,
        }
    }

    fn facts(self_at: Option<&str>, records: Vec<RecordFact>) -> PersonFacts {
        PersonFacts {
            roster: active(),
            self_certified_at: self_at.map(t),
            records,
        }
    }

    fn state(f: &PersonFacts) -> (PersonState, Option<Channel>, Option<String>) {
        let s = decide("2026", f);
        assert_eq!(s.period, "2026");
        (s.state, s.channel, s.at.map(|a| a.to_rfc3339()))
    }

    const A: &str = "2026-04-02T09:30:00+08:00";
    const B: &str = "2026-05-02T09:30:00+08:00";

    #[test]
    fn roster_standing_comes_first() {
        let mut f = facts(Some(A), vec![record(Outcome::Passed, A, None)]);
        f.roster = None;
        assert_eq!(state(&f), (PersonState::NotInRoster, None, None));
        for (status, expected) in [
            (RosterStatus::Deceased, PersonState::Deceased),
            (RosterStatus::Suspended, PersonState::Suspended),
        ] {
            f.roster = Some(RosterFacts {
                region: "110105".into(),
                status,
            });
            assert_eq!(state(&f), (expected, None, None));
        }
    }

    #[test]
    fn nothing_recorded_is_not_certified() {
        assert_eq!(
            state(&facts(None, vec![])),
            (PersonState::NotCertified, None, None)
        );
        let failed = facts(
            None,
            vec![
                record(Outcome::Failed, A, None),
                record(Outcome::Abandoned, B, None),
            ],
        );
        assert_eq!(state(&failed).0, PersonState::NotCertified);
    }

    #[test]
    fn each_certifying_event_certifies_with_its_channel() {
        let app = facts(Some(A), vec![]);
        assert_eq!(
            state(&app),
            (PersonState::Certified, Some(Channel::App), Some(A.into()))
        );
        for outcome in [Outcome::Passed, Outcome::ManualPassed] {
            let onsite = facts(None, vec![record(outcome, B, None)]);
            assert_eq!(
                state(&onsite),
                (
                    PersonState::Certified,
                    Some(Channel::Onsite),
                    Some(B.into())
                )
            );
        }
        let matched = facts(
            None,
            vec![record(Outcome::PendingMatch, B, Some((0.6, 0.4)))],
        );
        assert_eq!(state(&matched).0, PersonState::Certified);
        let exactly = facts(
            None,
            vec![record(Outcome::PendingMatch, B, Some((0.4, 0.4)))],
        );
        assert_eq!(state(&exactly).0, PersonState::Certified);
    }

    #[test]
    fn the_earliest_certifying_event_is_named() {
        let f = facts(Some(B), vec![record(Outcome::ManualPassed, A, None)]);
        assert_eq!(
            state(&f),
            (
                PersonState::Certified,
                Some(Channel::Onsite),
                Some(A.into())
            )
        );
        let f = facts(Some(A), vec![record(Outcome::Passed, B, None)]);
        assert_eq!(
            state(&f),
            (PersonState::Certified, Some(Channel::App), Some(A.into()))
        );
        // Offsets are compared as instants: 09:00+08:00 is before 02:00Z.
        let f = facts(
            None,
            vec![
                record(Outcome::Passed, "2026-04-02T02:00:00+00:00", None),
                record(Outcome::Passed, "2026-04-02T09:00:00+08:00", None),
            ],
        );
        assert_eq!(state(&f).2.as_deref(), Some("2026-04-02T09:00:00+08:00"));
    }

    fn reviewed(f: &PersonFacts, record: &str, verdict: Verdict) -> PersonState {
        let v = BTreeMap::from([(record.to_owned(), verdict)]);
        decide_reviewed("2026", f, &v).state
    }

    #[test]
    fn a_review_decision_settles_its_record() {
        let pending = facts(None, vec![record(Outcome::PendingMatch, B, None)]);
        let id = format!("r-{B}");
        assert_eq!(
            reviewed(&pending, &id, Verdict::Confirmed),
            PersonState::Certified
        );
        assert_eq!(
            reviewed(&pending, &id, Verdict::Rejected),
            PersonState::NotCertified
        );
        // A rejected manual pass or matched record no longer certifies.
        let manual = facts(None, vec![record(Outcome::ManualPassed, A, None)]);
        assert_eq!(
            reviewed(&manual, &format!("r-{A}"), Verdict::Rejected),
            PersonState::NotCertified
        );
        let matched = facts(
            None,
            vec![record(Outcome::PendingMatch, A, Some((0.9, 0.4)))],
        );
        assert_eq!(
            reviewed(&matched, &format!("r-{A}"), Verdict::Rejected),
            PersonState::NotCertified
        );
        // A decision on another record changes nothing; the roster still comes first.
        assert_eq!(
            reviewed(&pending, "r-other", Verdict::Confirmed),
            PersonState::PendingReview
        );
        let mut gone = pending.clone();
        gone.roster = Some(RosterFacts {
            region: "110105".into(),
            status: RosterStatus::Deceased,
        });
        assert_eq!(
            reviewed(&gone, &id, Verdict::Confirmed),
            PersonState::Deceased
        );
        // A rejection of one record leaves the other pending one awaiting review.
        let two = facts(
            None,
            vec![
                record(Outcome::PendingMatch, A, None),
                record(Outcome::PendingMatch, B, None),
            ],
        );
        assert_eq!(
            reviewed(&two, &format!("r-{A}"), Verdict::Rejected),
            PersonState::PendingReview
        );
    }

    #[test]
    fn an_unmatched_or_mismatched_live_face_is_pending_review_never_certified() {
        let unmatched = facts(None, vec![record(Outcome::PendingMatch, B, None)]);
        assert_eq!(
            state(&unmatched),
            (
                PersonState::PendingReview,
                Some(Channel::Onsite),
                Some(B.into())
            )
        );
        let below = facts(
            None,
            vec![record(Outcome::PendingMatch, A, Some((0.39, 0.4)))],
        );
        assert_eq!(state(&below).0, PersonState::PendingReview);
        let nan = facts(
            None,
            vec![record(Outcome::PendingMatch, A, Some((f32::NAN, 0.4)))],
        );
        assert_eq!(state(&nan).0, PersonState::PendingReview);
        // A certifying event wins over an awaiting one, whichever came first.
        let both = facts(
            None,
            vec![
                record(Outcome::PendingMatch, A, None),
                record(Outcome::Passed, B, None),
            ],
        );
        assert_eq!(
            state(&both),
            (
                PersonState::Certified,
                Some(Channel::Onsite),
                Some(B.into())
            )
        );
    }

    fn assistance(at: &str) -> RecordFact {
        RecordFact {
            channel: Channel::Assistance,
            ..record(Outcome::ManualPassed, at, None)
        }
    }

    #[test]
    fn a_certificate_of_assistance_certifies_with_its_own_channel() {
        assert_eq!(
            state(&facts(None, vec![assistance(A)])),
            (
                PersonState::Certified,
                Some(Channel::Assistance),
                Some(A.into())
            )
        );
        // The earliest certifying event is named, whatever its channel.
        let later_onsite = facts(None, vec![record(Outcome::Passed, B, None), assistance(A)]);
        assert_eq!(state(&later_onsite).1, Some(Channel::Assistance));
        let earlier_app = facts(Some(A), vec![assistance(B)]);
        assert_eq!(state(&earlier_app).1, Some(Channel::App));
        // It wins over a pending face match, as any certifying event does.
        let over_pending = facts(
            None,
            vec![record(Outcome::PendingMatch, A, None), assistance(B)],
        );
        assert_eq!(
            state(&over_pending),
            (
                PersonState::Certified,
                Some(Channel::Assistance),
                Some(B.into())
            )
        );
    }

    #[test]
    fn a_certificate_of_assistance_does_not_revive_the_deceased_or_suspended() {
        let mut f = facts(None, vec![assistance(A)]);
        for (status, expected) in [
            (RosterStatus::Deceased, PersonState::Deceased),
            (RosterStatus::Suspended, PersonState::Suspended),
        ] {
            f.roster = Some(RosterFacts {
                region: "110105".into(),
                status,
            });
            assert_eq!(state(&f), (expected, None, None));
        }
        f.roster = None;
        assert_eq!(state(&f).0, PersonState::NotInRoster);
    }
}

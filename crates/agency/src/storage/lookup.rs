//! A kiosk's status lookup read in one statement: the kiosk the bearer token belongs
//! to, the person's roster row, their self-certification and counting records of the
//! period with the server's match and any reviewer's verdict.
//!
//! Why one statement: on PostgreSQL every statement is a round trip (two when it is
//! prepared anew), and a lookup used to be five of them (token, roster row,
//! self-certification, records, review decisions) on a pool of 16 connections; under
//! 200 clients the lookups queued for connections, not for work. The token is read in
//! the same statement rather than from a cache, so a kiosk whose row is removed or
//! whose token or region changes is answered accordingly at its very next request, on
//! every server in front of the database, with nothing to invalidate.
//!
//! Both SQL backends run the same text (only the placeholder differs) and fold the
//! rows the same way ([`fold`]).

use std::collections::BTreeMap;

use super::columns::{counting_outcome, parse_channel, parse_status, parse_time, parse_verdict};
use super::{Kiosk, PersonFacts, RecordFact, RosterFacts, StorageError, Verdict};

/// What a status lookup needs to know, read together.
#[derive(Debug, Clone, PartialEq)]
pub struct KioskLookup {
    /// The kiosk the token belongs to.
    pub kiosk: Kiosk,
    pub facts: PersonFacts,
    /// Reviewers' verdicts on the person's counting records of the period, by record id.
    pub verdicts: BTreeMap<String, Verdict>,
}

/// One row of [`sql`]: the kiosk's columns, then (left-joined, so `None` when absent)
/// the person's, the self-certification's, and one counting record's.
#[derive(Debug, Default)]
pub struct LookupRow {
    pub kiosk_id: String,
    pub public_key: String,
    pub kiosk_region: Option<String>,
    pub person_region: Option<String>,
    pub person_status: Option<String>,
    pub self_certified_at: Option<String>,
    pub record_id: Option<String>,
    pub outcome: Option<String>,
    pub ended_at: Option<String>,
    pub score: Option<f64>,
    pub threshold: Option<f64>,
    pub channel: Option<String>,
    pub verdict: Option<String>,
}

/// The statement, parameters token sha256, person key, period. No row: no kiosk has
/// that token. Otherwise one row per counting record (one with `record_id` NULL when
/// there is none), in end-time order; a person has at most one roster row and one
/// self-certification per period, and a record at most one match and one decision
/// (their primary keys), so the joins never multiply rows.
pub fn sql(placeholder: char) -> String {
    let p = |n: u8| format!("{placeholder}{n}");
    format!(
        "SELECT k.kiosk_id, k.public_key, k.region, p.region, p.status, s.at,
                c.record_id, c.outcome, c.ended_at, m.score, m.threshold, c.channel, d.verdict
         FROM kiosks k
         LEFT JOIN people p ON p.person_key = {key}
         LEFT JOIN self_certifications s ON s.person_key = {key} AND s.period = {period}
         LEFT JOIN certifications c ON c.person_key = {key} AND c.period = {period}
              AND c.outcome IN ('passed', 'manual_passed', 'pending_match')
         LEFT JOIN record_matches m ON m.record_id = c.record_id
         LEFT JOIN review_decisions d ON d.record_id = c.record_id
         WHERE k.token_sha256 = {token}
         ORDER BY c.ended_at_utc",
        token = p(1),
        key = p(2),
        period = p(3),
    )
}

/// The rows of [`sql`] as a lookup; `None` when there were none (unknown token).
pub fn fold(rows: Vec<LookupRow>) -> Result<Option<KioskLookup>, StorageError> {
    let mut rows = rows.into_iter().peekable();
    let Some(first) = rows.peek() else {
        return Ok(None);
    };
    let kiosk = Kiosk {
        kiosk_id: first.kiosk_id.clone(),
        public_key: first.public_key.clone(),
        region: first.kiosk_region.clone(),
    };
    let roster = match (&first.person_region, &first.person_status) {
        (Some(region), Some(status)) => Some(RosterFacts {
            region: region.clone(),
            status: parse_status(status)?,
        }),
        _ => None,
    };
    let self_certified_at = first
        .self_certified_at
        .as_deref()
        .map(parse_time)
        .transpose()?;
    let mut records = Vec::new();
    let mut verdicts = BTreeMap::new();
    for r in rows {
        let (Some(record_id), Some(outcome), Some(ended_at), Some(channel)) =
            (r.record_id, r.outcome, r.ended_at, r.channel)
        else {
            continue;
        };
        if let Some(v) = r.verdict {
            verdicts.insert(record_id.clone(), parse_verdict(&v)?);
        }
        records.push(RecordFact {
            record_id,
            outcome: counting_outcome(&outcome),
            ended_at: parse_time(&ended_at)?,
            channel: parse_channel(&channel)?,
            server_match: r.score.zip(r.threshold).map(|(s, t)| (s as f32, t as f32)),
        });
    }
    Ok(Some(KioskLookup {
        kiosk,
        facts: PersonFacts {
            roster,
            self_certified_at,
            records,
        },
        verdicts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kiosk_row() -> LookupRow {
        LookupRow {
            kiosk_id: "K1".into(),
            public_key: "pk".into(),
            kiosk_region: Some("110105".into()),
            ..LookupRow::default()
        }
    }

    #[test]
    fn no_row_is_no_kiosk() {
        assert_eq!(fold(vec![]).unwrap(), None);
    }

    #[test]
    fn a_kiosk_row_alone_is_a_person_on_no_roster() {
        let l = fold(vec![kiosk_row()]).unwrap().unwrap();
        assert_eq!(l.kiosk.kiosk_id, "K1");
        assert_eq!(l.kiosk.region.as_deref(), Some("110105"));
        assert_eq!(l.facts.roster, None);
        assert!(l.facts.records.is_empty() && l.verdicts.is_empty());
    }

    #[test]
    fn records_and_verdicts_come_one_per_row() {
        let person = |record: &str, verdict: Option<&str>| LookupRow {
            person_region: Some("110105".into()),
            person_status: Some("active".into()),
            self_certified_at: Some("2026-04-02T09:30:00+08:00".into()),
            record_id: Some(record.into()),
            outcome: Some("pending_match".into()),
            ended_at: Some("2026-05-02T09:30:00+08:00".into()),
            score: Some(0.9),
            threshold: Some(0.4),
            channel: Some("onsite".into()),
            verdict: verdict.map(str::to_owned),
            ..kiosk_row()
        };
        let l = fold(vec![person("r1", None), person("r2", Some("rejected"))])
            .unwrap()
            .unwrap();
        assert_eq!(l.facts.records.len(), 2);
        assert_eq!(l.facts.records[0].server_match, Some((0.9, 0.4)));
        assert!(l.facts.self_certified_at.is_some());
        assert_eq!(
            l.verdicts,
            BTreeMap::from([("r2".to_owned(), Verdict::Rejected)])
        );
        let bad = LookupRow {
            verdict: Some("maybe".into()),
            ..person("r3", None)
        };
        assert!(fold(vec![bad]).is_err());
    }
}

//! The back office's tables on PostgreSQL: staff accounts, the audit log, review
//! decisions, kiosk heartbeats; and the listings its pages read (the roster, everyone's
//! facts for a period, a period's records). The same rows, order and errors as
//! `sqlite::office`; what needs no database is shared in `storage::columns`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use postgres::Client;

use super::backend;
use crate::storage::columns::{
    self, id_number_in_body, now, open_roster_entry, parse_channel, parse_outcome, parse_role,
    parse_time, parse_utc, parse_verdict, utc_text,
};
use crate::storage::{
    AuditEvent, KioskHeartbeat, PeriodRecord, PersonPeriod, RecordFact, ReviewDecision,
    RosterEntry, StaffAccount, StorageError,
};
use crate::vault::Vault;

pub(super) fn add_staff(client: &mut Client, a: &StaffAccount) -> Result<(), StorageError> {
    let changed = client
        .execute(
            "INSERT INTO staff_accounts (name, role, password_hash, failed_logins, locked_until, added_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
            &[
                &a.name,
                &a.role.as_str(),
                &a.password_hash,
                &logins_column(a.failed_logins),
                &a.locked_until.map(utc_text),
                &now(),
            ],
        )
        .map_err(backend)?;
    if changed == 0 {
        return Err(StorageError::StaffExists(a.name.clone()));
    }
    Ok(())
}

/// The counter is an INTEGER column; it never gets near 2³¹ (a lockout resets it).
fn logins_column(failed_logins: u32) -> i32 {
    i32::try_from(failed_logins).unwrap_or(i32::MAX)
}

pub(super) fn staff(client: &mut Client, name: &str) -> Result<Option<StaffAccount>, StorageError> {
    let Some(r) = client
        .query_opt(
            "SELECT name, role, password_hash, failed_logins, locked_until
             FROM staff_accounts WHERE name = $1",
            &[&name],
        )
        .map_err(backend)?
    else {
        return Ok(None);
    };
    let locked_until: Option<&str> = r.get(4);
    Ok(Some(StaffAccount {
        name: r.get(0),
        role: parse_role(r.get(1))?,
        password_hash: r.get(2),
        failed_logins: u32::try_from(r.get::<_, i32>(3)).unwrap_or(0),
        locked_until: locked_until.map(parse_utc).transpose()?,
    }))
}

pub(super) fn set_lockout(
    client: &mut Client,
    name: &str,
    failed_logins: u32,
    locked_until: Option<DateTime<Utc>>,
) -> Result<(), StorageError> {
    client
        .execute(
            "UPDATE staff_accounts SET failed_logins = $2, locked_until = $3 WHERE name = $1",
            &[
                &name,
                &logins_column(failed_logins),
                &locked_until.map(utc_text),
            ],
        )
        .map_err(backend)?;
    Ok(())
}

pub(super) fn append_audit(client: &mut Client, e: &AuditEvent) -> Result<(), StorageError> {
    client
        .execute(
            "INSERT INTO staff_audit (at, actor, action, detail) VALUES ($1, $2, $3, $4)",
            &[&utc_text(e.at), &e.actor, &e.action, &e.detail],
        )
        .map_err(backend)?;
    Ok(())
}

pub(super) fn audit(client: &mut Client, limit: usize) -> Result<Vec<AuditEvent>, StorageError> {
    client
        .query(
            "SELECT at, actor, action, detail FROM staff_audit ORDER BY id DESC LIMIT $1",
            &[&i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            Ok(AuditEvent {
                at: parse_utc(r.get(0))?,
                actor: r.get(1),
                action: r.get(2),
                detail: r.get(3),
            })
        })
        .collect()
}

pub(super) fn roster(
    client: &mut Client,
    vault: &Vault,
    region: Option<&str>,
) -> Result<Vec<RosterEntry>, StorageError> {
    Ok(keyed_roster(client, vault, region)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// The roster with each person's key (the keyed hash the other tables index by), in
/// byte order of region and key as SQLite sorts (`region` has the database's collation).
fn keyed_roster(
    client: &mut Client,
    vault: &Vault,
    region: Option<&str>,
) -> Result<Vec<(Vec<u8>, RosterEntry)>, StorageError> {
    client
        .query(
            r#"SELECT person_key, id_sealed, name_sealed, region, status FROM people
               WHERE $1::text IS NULL OR region = $1
               ORDER BY region COLLATE "C", person_key"#,
            &[&region],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            let key: Vec<u8> = r.get(0);
            let entry = open_roster_entry(vault, &key, r.get(1), r.get(2), r.get(3), r.get(4))?;
            Ok((key, entry))
        })
        .collect()
}

/// `person_facts` of everyone in four queries (roster, self-certifications, counting
/// records with their matches, sites); the same rows and order as `people::facts`
/// reads one person at a time.
pub(super) fn period_people(
    client: &mut Client,
    vault: &Vault,
    period: &str,
    region: Option<&str>,
) -> Result<Vec<PersonPeriod>, StorageError> {
    let roster = keyed_roster(client, vault, region)?;
    let self_cert: HashMap<Vec<u8>, String> = client
        .query(
            "SELECT person_key, at FROM self_certifications WHERE period = $1",
            &[&period],
        )
        .map_err(backend)?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut records: HashMap<Vec<u8>, Vec<RecordFact>> = HashMap::new();
    for r in client
        .query(
            "SELECT c.person_key, c.record_id, c.outcome, c.ended_at, m.score, m.threshold,
                    c.channel
             FROM certifications c LEFT JOIN record_matches m ON m.record_id = c.record_id
             WHERE c.period = $1
               AND c.outcome IN ('passed', 'manual_passed', 'pending_match')
             ORDER BY c.ended_at_utc, c.arrival",
            &[&period],
        )
        .map_err(backend)?
    {
        let score: Option<f64> = r.get(4);
        let threshold: Option<f64> = r.get(5);
        records.entry(r.get(0)).or_default().push(RecordFact {
            record_id: r.get(1),
            outcome: parse_outcome(r.get(2))?,
            ended_at: parse_time(r.get(3))?,
            channel: parse_channel(r.get(6))?,
            server_match: score.zip(threshold).map(|(s, t)| (s as f32, t as f32)),
        });
    }
    let mut sites: HashMap<Vec<u8>, String> = HashMap::new();
    for r in client
        .query(
            "SELECT person_key, site_code FROM certifications WHERE period = $1
             ORDER BY ended_at_utc, arrival",
            &[&period],
        )
        .map_err(backend)?
    {
        // Oldest first: the latest record's site stays.
        sites.insert(r.get(0), r.get(1));
    }
    columns::period_people(roster, self_cert, records, sites)
}

/// Records of a period (or of a person, every period), oldest first.
pub(super) fn period_records(
    client: &mut Client,
    vault: &Vault,
    period: Option<&str>,
    id_number: Option<&str>,
) -> Result<Vec<PeriodRecord>, StorageError> {
    let key = id_number.map(|id| vault.person_key(id).to_vec());
    client
        .query(
            "SELECT record_id, kiosk_id, site_code, period, outcome, ended_at, body_sealed
             FROM certifications
             WHERE ($1::text IS NULL OR period = $1) AND ($2::bytea IS NULL OR person_key = $2)
             ORDER BY ended_at_utc, arrival",
            &[&period, &key],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            let record_id: String = r.get(0);
            let id_number = match id_number {
                Some(id) => id.to_owned(),
                // The ID number is inside the sealed body only.
                None => id_number_in_body(vault, &record_id, r.get(6))?,
            };
            Ok(PeriodRecord {
                kiosk_id: r.get(1),
                site_code: r.get(2),
                period: r.get(3),
                outcome: parse_outcome(r.get(4))?,
                ended_at: parse_time(r.get(5))?,
                record_id,
                id_number,
            })
        })
        .collect()
}

pub(super) fn set_review(client: &mut Client, d: &ReviewDecision) -> Result<(), StorageError> {
    // Written only if the record exists, in one statement (no window between a check
    // and the write); nothing written means no such record.
    let written = client
        .execute(
            "INSERT INTO review_decisions (record_id, verdict, reason, reviewer, at)
             SELECT $1, $2, $3, $4, $5
             WHERE EXISTS (SELECT 1 FROM certifications WHERE record_id = $1)
             ON CONFLICT (record_id) DO UPDATE SET verdict = $2, reason = $3, reviewer = $4, at = $5",
            &[
                &d.record_id,
                &d.verdict.as_str(),
                &d.reason,
                &d.reviewer,
                &utc_text(d.at),
            ],
        )
        .map_err(backend)?;
    if written == 0 {
        return Err(StorageError::NoSuchRecord(d.record_id.clone()));
    }
    Ok(())
}

/// Decisions on the records of one person and period (`id_number` given) or on every
/// record (`None`).
pub(super) fn reviews(
    client: &mut Client,
    vault: &Vault,
    id_number: Option<&str>,
    period: Option<&str>,
) -> Result<Vec<ReviewDecision>, StorageError> {
    let key = id_number.map(|id| vault.person_key(id).to_vec());
    client
        .query(
            "SELECT d.record_id, d.verdict, d.reason, d.reviewer, d.at
             FROM review_decisions d JOIN certifications c ON c.record_id = d.record_id
             WHERE ($1::bytea IS NULL OR c.person_key = $1) AND ($2::text IS NULL OR c.period = $2)
             ORDER BY d.at",
            &[&key, &period],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            Ok(ReviewDecision {
                record_id: r.get(0),
                verdict: parse_verdict(r.get(1))?,
                reason: r.get(2),
                reviewer: r.get(3),
                at: parse_utc(r.get(4))?,
            })
        })
        .collect()
}

pub(super) fn set_heartbeat(client: &mut Client, h: &KioskHeartbeat) -> Result<(), StorageError> {
    client
        .execute(
            "INSERT INTO kiosk_heartbeats (kiosk_id, received_at, app_version, queue_depth, oldest_pending)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (kiosk_id) DO UPDATE SET received_at = $2, app_version = $3,
                 queue_depth = $4, oldest_pending = $5",
            &[
                &h.kiosk_id,
                &utc_text(h.received_at),
                &h.app_version,
                &i64::try_from(h.queue_depth).unwrap_or(i64::MAX),
                &h.oldest_pending.map(|t| t.to_rfc3339()),
            ],
        )
        .map_err(backend)?;
    Ok(())
}

pub(super) fn heartbeats(client: &mut Client) -> Result<Vec<KioskHeartbeat>, StorageError> {
    client
        .query(
            "SELECT kiosk_id, received_at, app_version, queue_depth, oldest_pending
             FROM kiosk_heartbeats ORDER BY kiosk_id",
            &[],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            let oldest: Option<&str> = r.get(4);
            Ok(KioskHeartbeat {
                kiosk_id: r.get(0),
                received_at: parse_utc(r.get(1))?,
                app_version: r.get(2),
                queue_depth: u64::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                oldest_pending: oldest.map(parse_time).transpose()?,
            })
        })
        .collect()
}

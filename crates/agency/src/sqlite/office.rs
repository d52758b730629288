//! The back office's tables: staff accounts, the audit log, review decisions, kiosk
//! heartbeats; and the listings its pages read (the roster, everyone's facts for a
//! period, a period's records).

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::{backend, parse_time, parse_utc, utc_text};
use crate::storage::columns::{
    id_number_in_body, open_roster_entry, parse_outcome, parse_role, parse_verdict,
};
use crate::storage::{
    AuditEvent, KioskHeartbeat, PeriodRecord, PersonPeriod, RecordFact, ReviewDecision,
    RosterEntry, StaffAccount, StorageError,
};
use crate::vault::Vault;

pub(super) fn add_staff(conn: &Connection, a: &StaffAccount) -> Result<(), StorageError> {
    let changed = conn
        .execute(
            "INSERT INTO staff_accounts (name, role, password_hash, failed_logins, locked_until, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING",
            params![
                a.name,
                a.role.as_str(),
                a.password_hash,
                a.failed_logins,
                a.locked_until.map(utc_text),
                super::now()
            ],
        )
        .map_err(backend)?;
    if changed == 0 {
        return Err(StorageError::StaffExists(a.name.clone()));
    }
    Ok(())
}

pub(super) fn staff(conn: &Connection, name: &str) -> Result<Option<StaffAccount>, StorageError> {
    let row: Option<(String, String, String, u32, Option<String>)> = conn
        .query_row(
            "SELECT name, role, password_hash, failed_logins, locked_until
             FROM staff_accounts WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(backend)?;
    let Some((name, role, password_hash, failed_logins, locked_until)) = row else {
        return Ok(None);
    };
    Ok(Some(StaffAccount {
        role: parse_role(&role)?,
        name,
        password_hash,
        failed_logins,
        locked_until: locked_until.as_deref().map(parse_utc).transpose()?,
    }))
}

pub(super) fn set_lockout(
    conn: &Connection,
    name: &str,
    failed_logins: u32,
    locked_until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE staff_accounts SET failed_logins = ?2, locked_until = ?3 WHERE name = ?1",
        params![name, failed_logins, locked_until.map(utc_text)],
    )
    .map_err(backend)?;
    Ok(())
}

pub(super) fn append_audit(conn: &Connection, e: &AuditEvent) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO staff_audit (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![utc_text(e.at), e.actor, e.action, e.detail],
    )
    .map_err(backend)?;
    Ok(())
}

pub(super) fn audit(conn: &Connection, limit: usize) -> Result<Vec<AuditEvent>, StorageError> {
    let mut stmt = conn
        .prepare("SELECT at, actor, action, detail FROM staff_audit ORDER BY id DESC LIMIT ?1")
        .map_err(backend)?;
    let rows = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (at, actor, action, detail) = row.map_err(backend)?;
        out.push(AuditEvent {
            at: parse_utc(&at)?,
            actor,
            action,
            detail,
        });
    }
    Ok(out)
}

pub(super) fn roster(
    conn: &Connection,
    vault: &Vault,
    region: Option<&str>,
) -> Result<Vec<RosterEntry>, StorageError> {
    Ok(keyed_roster(conn, vault, region)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// The roster with each person's key (the keyed hash the other tables index by).
fn keyed_roster(
    conn: &Connection,
    vault: &Vault,
    region: Option<&str>,
) -> Result<Vec<(Vec<u8>, RosterEntry)>, StorageError> {
    let mut stmt = conn
        .prepare(
            "SELECT person_key, id_sealed, name_sealed, region, status FROM people
             WHERE ?1 IS NULL OR region = ?1 ORDER BY region, person_key",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([region], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (key, id, name, region, status) = row.map_err(backend)?;
        let entry = open_roster_entry(vault, &key, &id, &name, region, &status)?;
        out.push((key, entry));
    }
    Ok(out)
}

/// `person_facts` of everyone in three queries (roster, self-certifications, counting
/// records with their matches) plus one for the sites; the same rows and order as
/// `people::facts` reads one person at a time.
pub(super) fn period_people(
    conn: &Connection,
    vault: &Vault,
    period: &str,
    region: Option<&str>,
) -> Result<Vec<PersonPeriod>, StorageError> {
    let roster = keyed_roster(conn, vault, region)?;
    let mut self_cert: HashMap<Vec<u8>, String> = HashMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT person_key, at FROM self_certifications WHERE period = ?1")
            .map_err(backend)?;
        let rows = stmt
            .query_map([period], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(backend)?;
        for row in rows {
            let (k, at) = row.map_err(backend)?;
            self_cert.insert(k, at);
        }
    }
    let mut records: HashMap<Vec<u8>, Vec<RecordFact>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT c.person_key, c.record_id, c.outcome, c.ended_at, m.score, m.threshold,
                        c.channel
                 FROM certifications c LEFT JOIN record_matches m ON m.record_id = c.record_id
                 WHERE c.period = ?1
                   AND c.outcome IN ('passed', 'manual_passed', 'pending_match')
                 ORDER BY c.ended_at_utc",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([period], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<f64>>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(backend)?;
        for row in rows {
            let (key, record_id, outcome, ended_at, score, threshold, channel) =
                row.map_err(backend)?;
            records.entry(key).or_default().push(RecordFact {
                record_id,
                outcome: parse_outcome(&outcome)?,
                ended_at: parse_time(&ended_at)?,
                channel: crate::storage::columns::parse_channel(&channel)?,
                server_match: score.zip(threshold).map(|(s, t)| (s as f32, t as f32)),
            });
        }
    }
    let mut sites: HashMap<Vec<u8>, String> = HashMap::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT person_key, site_code FROM certifications WHERE period = ?1
                 ORDER BY ended_at_utc, arrival",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([period], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(backend)?;
        for row in rows {
            // Oldest first: the latest record's site stays.
            let (k, site) = row.map_err(backend)?;
            sites.insert(k, site);
        }
    }
    crate::storage::columns::period_people(roster, self_cert, records, sites)
}

/// Records of a period (or of a person, every period), oldest first.
pub(super) fn period_records(
    conn: &Connection,
    vault: &Vault,
    period: Option<&str>,
    id_number: Option<&str>,
) -> Result<Vec<PeriodRecord>, StorageError> {
    let key = id_number.map(|id| vault.person_key(id).to_vec());
    let mut stmt = conn
        .prepare(
            "SELECT record_id, kiosk_id, site_code, period, outcome, ended_at, body_sealed
             FROM certifications
             WHERE (?1 IS NULL OR period = ?1) AND (?2 IS NULL OR person_key = ?2)
             ORDER BY ended_at_utc, arrival",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![period, key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Vec<u8>>(6)?,
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (record_id, kiosk_id, site_code, period, outcome, ended_at, sealed) =
            row.map_err(backend)?;
        let id_number = match id_number {
            Some(id) => id.to_owned(),
            // The ID number is inside the sealed body only.
            None => id_number_in_body(vault, &record_id, &sealed)?,
        };
        out.push(PeriodRecord {
            outcome: parse_outcome(&outcome)?,
            ended_at: parse_time(&ended_at)?,
            record_id,
            kiosk_id,
            site_code,
            id_number,
            period,
        });
    }
    Ok(out)
}

pub(super) fn set_review(conn: &Connection, d: &ReviewDecision) -> Result<(), StorageError> {
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM certifications WHERE record_id = ?1)",
            [&d.record_id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if !exists {
        return Err(StorageError::NoSuchRecord(d.record_id.clone()));
    }
    conn.execute(
        "INSERT INTO review_decisions (record_id, verdict, reason, reviewer, at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (record_id) DO UPDATE SET verdict = ?2, reason = ?3, reviewer = ?4, at = ?5",
        params![
            d.record_id,
            d.verdict.as_str(),
            d.reason,
            d.reviewer,
            utc_text(d.at)
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// Decisions on the records of one person and period (`id_number` given) or on every
/// record (`None`).
pub(super) fn reviews(
    conn: &Connection,
    vault: &Vault,
    id_number: Option<&str>,
    period: Option<&str>,
) -> Result<Vec<ReviewDecision>, StorageError> {
    let key = id_number.map(|id| vault.person_key(id).to_vec());
    let mut stmt = conn
        .prepare(
            "SELECT d.record_id, d.verdict, d.reason, d.reviewer, d.at
             FROM review_decisions d JOIN certifications c ON c.record_id = d.record_id
             WHERE (?1 IS NULL OR c.person_key = ?1) AND (?2 IS NULL OR c.period = ?2)
             ORDER BY d.at",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![key, period], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (record_id, verdict, reason, reviewer, at) = row.map_err(backend)?;
        out.push(ReviewDecision {
            verdict: parse_verdict(&verdict)?,
            record_id,
            reason,
            reviewer,
            at: parse_utc(&at)?,
        });
    }
    Ok(out)
}

pub(super) fn set_heartbeat(conn: &Connection, h: &KioskHeartbeat) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO kiosk_heartbeats (kiosk_id, received_at, app_version, queue_depth, oldest_pending)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kiosk_id) DO UPDATE SET received_at = ?2, app_version = ?3,
             queue_depth = ?4, oldest_pending = ?5",
        params![
            h.kiosk_id,
            utc_text(h.received_at),
            h.app_version,
            i64::try_from(h.queue_depth).unwrap_or(i64::MAX),
            h.oldest_pending.map(|t| t.to_rfc3339())
        ],
    )
    .map_err(backend)?;
    Ok(())
}

pub(super) fn heartbeats(conn: &Connection) -> Result<Vec<KioskHeartbeat>, StorageError> {
    let mut stmt = conn
        .prepare(
            "SELECT kiosk_id, received_at, app_version, queue_depth, oldest_pending
             FROM kiosk_heartbeats ORDER BY kiosk_id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (kiosk_id, received_at, app_version, depth, oldest) = row.map_err(backend)?;
        out.push(KioskHeartbeat {
            kiosk_id,
            received_at: parse_utc(&received_at)?,
            app_version,
            queue_depth: u64::try_from(depth).unwrap_or(0),
            oldest_pending: oldest.as_deref().map(parse_time).transpose()?,
        });
    }
    Ok(out)
}

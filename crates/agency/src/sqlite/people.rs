//! The roster and app self-certifications, and the facts a person's status is decided
//! from. People are rows keyed by the keyed hash of their ID number; the number and
//! the name are sealed, bound to that key.

use rusqlite::{params, Connection, OptionalExtension};

use super::{backend, now, parse_time, utc_text};
use crate::storage::columns::{
    counting_outcome, not_certified_sql, open_person_text, parse_channel, parse_cursor,
    parse_status, uncertified_page,
};
use crate::storage::import::sealed_batches;
use crate::storage::lookup::{self, LookupRow};
use crate::storage::{
    ImportCounts, KioskLookup, PersonFacts, RecordFact, RosterEntry, RosterFacts, SelfCertImport,
    SelfCertification, StorageError, UncertifiedPage,
};
use crate::vault::{Field, Vault};

/// Page cache for a roster import, in KiB (SQLite's default is 2 MB): the person-key
/// index of a few million people fits, so rows arriving in key order within each batch
/// but not across batches do not send every insert to disk for its index page. A fixed
/// amount, whatever the file's size.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;

pub(super) fn import_roster_batches(
    conn: &mut Connection,
    vault: &Vault,
    batches: &mut (dyn Iterator<Item = Result<Vec<RosterEntry>, StorageError>> + Send),
) -> Result<ImportCounts, StorageError> {
    let before: i64 = conn
        .pragma_query_value(None, "cache_size", |r| r.get(0))
        .map_err(backend)?;
    conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)
        .map_err(backend)?;
    let result = import_in_transaction(conn, vault, batches);
    // Back to the usual cache (the server's reads need no more); the pages go.
    conn.pragma_update(None, "cache_size", before)
        .map_err(backend)?;
    result
}

fn import_in_transaction(
    conn: &mut Connection,
    vault: &Vault,
    batches: &mut (dyn Iterator<Item = Result<Vec<RosterEntry>, StorageError>> + Send),
) -> Result<ImportCounts, StorageError> {
    let tx = conn.transaction().map_err(backend)?;
    let mut counts = ImportCounts::default();
    {
        let mut find = tx
            .prepare("SELECT name_sealed, region, status FROM people WHERE person_key = ?1")
            .map_err(backend)?;
        let mut insert = tx
            .prepare(
                "INSERT INTO people (person_key, id_sealed, name_sealed, region, status, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(backend)?;
        let mut update = tx
            .prepare(
                "UPDATE people SET name_sealed = ?2, region = ?3, status = ?4, updated_at = ?5
                 WHERE person_key = ?1",
            )
            .map_err(backend)?;
        let at = now();
        sealed_batches(vault, batches, |batch| {
            for s in batch {
                let (key, e) = (&s.key, &s.entry);
                let existing: Option<(Vec<u8>, String, String)> = find
                    .query_row([&key[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
                    .map_err(backend)?;
                match existing {
                    None => {
                        insert
                            .execute(params![
                                &key[..],
                                s.id_sealed,
                                s.name_sealed,
                                e.region,
                                e.status.as_str(),
                                at
                            ])
                            .map_err(backend)?;
                        counts.inserted += 1;
                    }
                    Some((old_name, region, status)) => {
                        let same = region == e.region
                            && status == e.status.as_str()
                            && open_person_text(vault, Field::PersonName, key, &old_name)?
                                == e.name;
                        if same {
                            counts.unchanged += 1;
                        } else {
                            update
                                .execute(params![
                                    &key[..],
                                    s.name_sealed,
                                    e.region,
                                    e.status.as_str(),
                                    at
                                ])
                                .map_err(backend)?;
                            counts.updated += 1;
                        }
                    }
                }
            }
            Ok(())
        })?;
    }
    tx.commit().map_err(backend)?;
    Ok(counts)
}

pub(super) fn roster_entry(
    conn: &Connection,
    vault: &Vault,
    id_number: &str,
) -> Result<Option<RosterEntry>, StorageError> {
    let key = vault.person_key(id_number);
    let row: Option<(Vec<u8>, Vec<u8>, String, String)> = conn
        .query_row(
            "SELECT id_sealed, name_sealed, region, status FROM people WHERE person_key = ?1",
            [&key[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(backend)?;
    let Some((id, name, region, status)) = row else {
        return Ok(None);
    };
    Ok(Some(RosterEntry {
        id_number: open_person_text(vault, Field::PersonId, &key, &id)?,
        name: open_person_text(vault, Field::PersonName, &key, &name)?,
        region,
        status: parse_status(&status)?,
    }))
}

pub(super) fn import_self_certifications(
    conn: &mut Connection,
    vault: &Vault,
    rows: &[SelfCertification],
) -> Result<SelfCertImport, StorageError> {
    let tx = conn.transaction().map_err(backend)?;
    let mut counts = ImportCounts::default();
    {
        let mut on_roster = tx
            .prepare("SELECT EXISTS (SELECT 1 FROM people WHERE person_key = ?1)")
            .map_err(backend)?;
        let keys: Vec<[u8; 32]> = rows
            .iter()
            .map(|r| vault.person_key(&r.id_number))
            .collect();
        let mut missing = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let known: bool = on_roster
                .query_row([&key[..]], |r| r.get(0))
                .map_err(backend)?;
            if !known {
                missing.push(i);
            }
        }
        if !missing.is_empty() {
            // Dropping the transaction rolls it back; nothing was written anyway.
            return Ok(SelfCertImport::NotInRoster(missing));
        }
        let mut find = tx
            .prepare("SELECT at FROM self_certifications WHERE person_key = ?1 AND period = ?2")
            .map_err(backend)?;
        let mut upsert = tx
            .prepare(
                "INSERT INTO self_certifications (person_key, period, at, at_utc, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (person_key, period) DO UPDATE SET at = ?3, at_utc = ?4, imported_at = ?5",
            )
            .map_err(backend)?;
        let imported_at = now();
        for (row, key) in rows.iter().zip(&keys) {
            let at = row.at.to_rfc3339();
            let existing: Option<String> = find
                .query_row(params![&key[..], row.period], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            match existing {
                Some(old) if old == at => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.inserted += 1,
            }
            upsert
                .execute(params![
                    &key[..],
                    row.period,
                    at,
                    utc_text(row.at),
                    imported_at
                ])
                .map_err(backend)?;
        }
    }
    tx.commit().map_err(backend)?;
    Ok(SelfCertImport::Imported(counts))
}

pub(super) fn facts(
    conn: &Connection,
    vault: &Vault,
    id_number: &str,
    period: &str,
) -> Result<PersonFacts, StorageError> {
    let key = vault.person_key(id_number);
    let roster = conn
        .query_row(
            "SELECT region, status FROM people WHERE person_key = ?1",
            [&key[..]],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()
        .map_err(backend)?
        .map(|(region, status)| {
            Ok::<_, StorageError>(RosterFacts {
                region,
                status: parse_status(&status)?,
            })
        })
        .transpose()?;
    let self_certified_at = conn
        .query_row(
            "SELECT at FROM self_certifications WHERE person_key = ?1 AND period = ?2",
            params![&key[..], period],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(backend)?
        .map(|t| parse_time(&t))
        .transpose()?;
    let mut stmt = conn
        .prepare(
            "SELECT c.record_id, c.outcome, c.ended_at, m.score, m.threshold, c.channel
             FROM certifications c LEFT JOIN record_matches m ON m.record_id = c.record_id
             WHERE c.person_key = ?1 AND c.period = ?2
               AND c.outcome IN ('passed', 'manual_passed', 'pending_match')
             ORDER BY c.ended_at_utc",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![&key[..], period], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(backend)?;
    let mut records = Vec::new();
    for row in rows {
        let (record_id, outcome, ended_at, score, threshold, channel) = row.map_err(backend)?;
        let outcome = counting_outcome(&outcome);
        records.push(RecordFact {
            record_id,
            outcome,
            ended_at: parse_time(&ended_at)?,
            channel: parse_channel(&channel)?,
            server_match: score.zip(threshold).map(|(s, t)| (s as f32, t as f32)),
        });
    }
    Ok(PersonFacts {
        roster,
        self_certified_at,
        records,
    })
}

pub(super) fn not_certified(
    conn: &Connection,
    vault: &Vault,
    region: &str,
    period: &str,
    limit: usize,
    after: Option<&str>,
) -> Result<UncertifiedPage, StorageError> {
    let after = parse_cursor(after)?;
    let mut stmt = conn
        .prepare_cached(&not_certified_sql('?'))
        .map_err(backend)?;
    let rows = stmt
        .query_map(
            params![
                region,
                period,
                after,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    uncertified_page(vault, rows, limit)
}

/// `Storage::kiosk_lookup` in one statement (`storage::lookup`), kept compiled.
pub(super) fn kiosk_lookup(
    conn: &Connection,
    vault: &Vault,
    token_sha256: &str,
    id_number: &str,
    period: &str,
) -> Result<Option<KioskLookup>, StorageError> {
    let key = vault.person_key(id_number);
    let mut stmt = conn.prepare_cached(&lookup::sql('?')).map_err(backend)?;
    let rows = stmt
        .query_map(params![token_sha256, &key[..], period], |r| {
            Ok(LookupRow {
                kiosk_id: r.get(0)?,
                public_key: r.get(1)?,
                kiosk_region: r.get(2)?,
                person_region: r.get(3)?,
                person_status: r.get(4)?,
                self_certified_at: r.get(5)?,
                record_id: r.get(6)?,
                outcome: r.get(7)?,
                ended_at: r.get(8)?,
                score: r.get(9)?,
                threshold: r.get(10)?,
                channel: r.get(11)?,
                verdict: r.get(12)?,
            })
        })
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
    lookup::fold(rows)
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use crate::sqlite::SqliteStorage;
    use crate::storage::{lookup, Storage};

    /// The status lookup is compiled once and reused: SQLite recompiled it on every
    /// new binding until the connection got query-planner stability, which cost more
    /// than the lookup itself (perf: `sqlite3Reprepare` under each `sqlite3_step`).
    #[test]
    fn the_status_lookup_is_not_recompiled_per_person() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open_in(dir.path()).unwrap();
        let mut csv = Vec::new();
        crate::bench::roster::write(&mut csv, 5, 1).unwrap();
        let entries = crate::service::roster::parse(&csv).unwrap();
        storage.import_roster(&entries).unwrap();
        let token = "ab".repeat(32);
        let key = certpoint_protocol::ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = certpoint_protocol::public_key_b64(&key);
        let region = &entries[0].region;
        crate::service::kiosks::add_kiosk(&storage, "k1", &public, &token, region).unwrap();
        let token_sha256 = crate::parse::hex_sha256(token.as_bytes());
        for entry in &entries {
            let found = storage
                .kiosk_lookup(&token_sha256, &entry.id_number, "2026")
                .unwrap()
                .expect("the kiosk is registered");
            assert!(found.facts.roster.is_some(), "everyone is on the roster");
        }
        let conn = storage.conn();
        let stmt = conn.prepare_cached(&lookup::sql('?')).unwrap();
        assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
    }
}

//! The roster and app self-certifications, and the facts a person's status is decided
//! from. People are rows keyed by the keyed hash of their ID number; the number and
//! the name are sealed, bound to that key.
//!
//! A roster import goes through COPY into a temporary table (one round trip for the
//! whole file, not one per row), then two set statements merge it; only the rows
//! already on the roster come back to be compared, because a sealed name can only be
//! compared once opened. New people are inserted in person-key order, so the primary
//! key and the region index grow in order rather than at a random page per row.

use std::sync::LazyLock;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::Client;

use super::backend;
use super::pool::Pooled;
use crate::storage::columns::{
    counting_outcome, not_certified_sql, now, open_person_text, parse_channel, parse_cursor,
    parse_status, parse_time, uncertified_page, utc_text,
};
use crate::storage::import::sealed_batches;
use crate::storage::lookup::{self, LookupRow};
use crate::storage::{
    ImportCounts, KioskLookup, PersonFacts, RecordFact, RosterEntry, RosterFacts, SelfCertImport,
    SelfCertification, StorageError, UncertifiedPage,
};
use crate::vault::{Field, Vault};

pub(super) fn import_roster_batches(
    client: &mut Client,
    vault: &Vault,
    batches: &mut (dyn Iterator<Item = Result<Vec<RosterEntry>, StorageError>> + Send),
) -> Result<ImportCounts, StorageError> {
    let mut tx = client.transaction().map_err(backend)?;
    tx.batch_execute(
        "CREATE TEMPORARY TABLE roster_import (
             person_key  BYTEA NOT NULL,
             id_sealed   BYTEA NOT NULL,
             name_sealed BYTEA NOT NULL,
             region      TEXT NOT NULL,
             status      TEXT NOT NULL
         ) ON COMMIT DROP",
    )
    .map_err(backend)?;
    {
        // One COPY for the whole import, fed batch by batch as they are sealed.
        let sink = tx
            .copy_in(
                "COPY roster_import (person_key, id_sealed, name_sealed, region, status)
                 FROM STDIN (FORMAT binary)",
            )
            .map_err(backend)?;
        let types = [
            Type::BYTEA,
            Type::BYTEA,
            Type::BYTEA,
            Type::TEXT,
            Type::TEXT,
        ];
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        sealed_batches(vault, batches, |batch| {
            for s in batch {
                writer
                    .write(&[
                        &&s.key[..],
                        &s.id_sealed,
                        &s.name_sealed,
                        &s.entry.region,
                        &s.entry.status.as_str(),
                    ])
                    .map_err(backend)?;
            }
            Ok(())
        })?;
        writer.finish().map_err(backend)?;
    }
    let at = now();
    let mut counts = ImportCounts::default();
    // People already on the roster: compare in the clear, keep the keys that changed.
    let mut changed: Vec<Vec<u8>> = Vec::new();
    for r in tx
        .query(
            "SELECT s.person_key, p.name_sealed, p.region, p.status, s.name_sealed,
                    s.region = p.region AND s.status = p.status
             FROM roster_import s JOIN people p ON p.person_key = s.person_key",
            &[],
        )
        .map_err(backend)?
    {
        let key: Vec<u8> = r.get(0);
        let same = r.get::<_, bool>(5)
            && open_person_text(vault, Field::PersonName, &key, r.get(1))?
                == open_person_text(vault, Field::PersonName, &key, r.get(4))?;
        if same {
            counts.unchanged += 1;
        } else {
            changed.push(key);
        }
    }
    if !changed.is_empty() {
        counts.updated = tx
            .execute(
                "UPDATE people p SET name_sealed = s.name_sealed, region = s.region,
                   status = s.status, updated_at = $2
                 FROM roster_import s
                 WHERE p.person_key = s.person_key AND s.person_key = ANY($1)",
                &[&changed, &at],
            )
            .map_err(backend)?;
    }
    counts.inserted = tx
        .execute(
            "INSERT INTO people (person_key, id_sealed, name_sealed, region, status, updated_at)
             SELECT s.person_key, s.id_sealed, s.name_sealed, s.region, s.status, $1
             FROM roster_import s
             WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.person_key = s.person_key)
             ORDER BY s.person_key",
            &[&at],
        )
        .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(counts)
}

pub(super) fn roster_entry(
    client: &mut Client,
    vault: &Vault,
    id_number: &str,
) -> Result<Option<RosterEntry>, StorageError> {
    let key = vault.person_key(id_number);
    let Some(r) = client
        .query_opt(
            "SELECT id_sealed, name_sealed, region, status FROM people WHERE person_key = $1",
            &[&&key[..]],
        )
        .map_err(backend)?
    else {
        return Ok(None);
    };
    Ok(Some(RosterEntry {
        id_number: open_person_text(vault, Field::PersonId, &key, r.get(0))?,
        name: open_person_text(vault, Field::PersonName, &key, r.get(1))?,
        region: r.get(2),
        status: parse_status(r.get(3))?,
    }))
}

pub(super) fn import_self_certifications(
    client: &mut Client,
    vault: &Vault,
    rows: &[SelfCertification],
) -> Result<SelfCertImport, StorageError> {
    let keys: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| vault.person_key(&r.id_number).to_vec())
        .collect();
    let mut tx = client.transaction().map_err(backend)?;
    let known: std::collections::HashSet<Vec<u8>> = tx
        .query(
            "SELECT person_key FROM people WHERE person_key = ANY($1)",
            &[&keys],
        )
        .map_err(backend)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<usize> = (0..keys.len())
        .filter(|&i| !known.contains(&keys[i]))
        .collect();
    if !missing.is_empty() {
        // Dropping the transaction rolls it back; nothing was written anyway.
        return Ok(SelfCertImport::NotInRoster(missing));
    }
    let find = tx
        .prepare("SELECT at FROM self_certifications WHERE person_key = $1 AND period = $2")
        .map_err(backend)?;
    let upsert = tx
        .prepare(
            "INSERT INTO self_certifications (person_key, period, at, at_utc, imported_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (person_key, period) DO UPDATE SET at = $3, at_utc = $4, imported_at = $5",
        )
        .map_err(backend)?;
    let imported_at = now();
    let mut counts = ImportCounts::default();
    for (row, key) in rows.iter().zip(&keys) {
        let at = row.at.to_rfc3339();
        let existing: Option<String> = tx
            .query_opt(&find, &[key, &row.period])
            .map_err(backend)?
            .map(|r| r.get(0));
        match existing {
            Some(old) if old == at => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.inserted += 1,
        }
        tx.execute(
            &upsert,
            &[key, &row.period, &at, &utc_text(row.at), &imported_at],
        )
        .map_err(backend)?;
    }
    tx.commit().map_err(backend)?;
    Ok(SelfCertImport::Imported(counts))
}

pub(super) fn facts(
    client: &mut Client,
    vault: &Vault,
    id_number: &str,
    period: &str,
) -> Result<PersonFacts, StorageError> {
    let key = vault.person_key(id_number);
    let key = &key[..];
    let roster = client
        .query_opt(
            "SELECT region, status FROM people WHERE person_key = $1",
            &[&key],
        )
        .map_err(backend)?
        .map(|r| {
            Ok::<_, StorageError>(RosterFacts {
                region: r.get(0),
                status: parse_status(r.get(1))?,
            })
        })
        .transpose()?;
    let self_certified_at = client
        .query_opt(
            "SELECT at FROM self_certifications WHERE person_key = $1 AND period = $2",
            &[&key, &period],
        )
        .map_err(backend)?
        .map(|r| parse_time(r.get(0)))
        .transpose()?;
    let mut records = Vec::new();
    for r in client
        .query(
            "SELECT c.record_id, c.outcome, c.ended_at, m.score, m.threshold, c.channel
             FROM certifications c LEFT JOIN record_matches m ON m.record_id = c.record_id
             WHERE c.person_key = $1 AND c.period = $2
               AND c.outcome IN ('passed', 'manual_passed', 'pending_match')
             ORDER BY c.ended_at_utc",
            &[&key, &period],
        )
        .map_err(backend)?
    {
        let score: Option<f64> = r.get(3);
        let threshold: Option<f64> = r.get(4);
        records.push(RecordFact {
            record_id: r.get(0),
            outcome: counting_outcome(r.get(1)),
            ended_at: parse_time(r.get(2))?,
            channel: parse_channel(r.get(5))?,
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
    client: &mut Client,
    vault: &Vault,
    region: &str,
    period: &str,
    limit: usize,
    after: Option<&str>,
) -> Result<UncertifiedPage, StorageError> {
    let after = parse_cursor(after)?;
    let rows = client
        .query(
            &not_certified_sql('$'),
            &[
                &region,
                &period,
                &after,
                &i64::try_from(limit).unwrap_or(i64::MAX),
            ],
        )
        .map_err(backend)?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    uncertified_page(vault, rows, limit)
}

/// `Storage::kiosk_lookup` in one statement (`storage::lookup`), prepared once per
/// connection: one round trip per lookup.
pub(super) fn kiosk_lookup(
    client: &mut Pooled<'_>,
    vault: &Vault,
    token_sha256: &str,
    id_number: &str,
    period: &str,
) -> Result<Option<KioskLookup>, StorageError> {
    static SQL: LazyLock<String> = LazyLock::new(|| lookup::sql('$'));
    let sql: &'static str = SQL.as_str();
    let key = vault.person_key(id_number);
    let statement = client.prepared(sql).map_err(backend)?;
    let rows = match client.query(&statement, &[&token_sha256, &&key[..], &period]) {
        Ok(rows) => rows,
        Err(e) => {
            client.unprepare(sql);
            return Err(backend(e));
        }
    };
    lookup::fold(
        rows.iter()
            .map(|r| LookupRow {
                kiosk_id: r.get(0),
                public_key: r.get(1),
                kiosk_region: r.get(2),
                person_region: r.get(3),
                person_status: r.get(4),
                self_certified_at: r.get(5),
                record_id: r.get(6),
                outcome: r.get(7),
                ended_at: r.get(8),
                score: r.get(9),
                threshold: r.get(10),
                channel: r.get(11),
                verdict: r.get(12),
            })
            .collect(),
    )
}

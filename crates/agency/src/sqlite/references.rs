//! Reference photos with their version history and embeddings, and the log of who
//! read them. Photo and embedding are sealed, bound to the person and the version.

use rusqlite::{params, Connection, OptionalExtension};

use certpoint_protocol::mask_id_number;

use super::{backend, now, parse_utc};
use crate::photos::PhotoStore;
use crate::storage::columns::{
    open_embedding as embedding, open_reference as open, reference_row as row_binding,
};
use crate::storage::{
    CurrentReference, Embedding, ReadResult, Reference, ReferenceAdded, ReferenceRead,
    ReferenceVersionInfo, RegionEmbedding, StorageError,
};
use crate::vault::{Field, Vault};

pub(super) fn add(
    conn: &mut Connection,
    vault: &Vault,
    photos: &PhotoStore,
    id_number: &str,
    reference: &Reference,
    embedding: Option<&Embedding>,
) -> Result<ReferenceAdded, StorageError> {
    let key = vault.person_key(id_number);
    let row = row_binding(&key, &reference.version);
    let sealed_embedding =
        embedding.map(|e| vault.seal(Field::ReferenceEmbedding, &row, &e.to_bytes()));
    let model = embedding.map(|e| e.model_sha256.as_str());
    let tx = conn.transaction().map_err(backend)?;
    let existing: Option<(i64, String)> = tx
        .query_row(
            "SELECT ref_id, photo_blob FROM reference_versions WHERE person_key = ?1 AND version = ?2",
            params![&key[..], reference.version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(backend)?;
    let (ref_id, added) = match existing {
        Some((ref_id, photo)) => {
            if open(vault, Field::ReferencePhoto, &row, &photos.get(&photo)?)? != reference.bytes {
                return Err(StorageError::ReferenceVersionTaken {
                    version: reference.version.clone(),
                });
            }
            if let Some(sealed) = &sealed_embedding {
                tx.execute(
                    "UPDATE reference_versions SET embedding_sealed = ?2, embedding_model_sha256 = ?3
                     WHERE ref_id = ?1",
                    params![ref_id, sealed, model],
                )
                .map_err(backend)?;
            }
            let current: Option<i64> = tx
                .query_row(
                    "SELECT ref_id FROM reference_current WHERE person_key = ?1",
                    [&key[..]],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            let added = if current == Some(ref_id) {
                ReferenceAdded::Unchanged
            } else {
                ReferenceAdded::Restored
            };
            (ref_id, added)
        }
        None => {
            let blob = photos.put(&vault.seal(Field::ReferencePhoto, &row, &reference.bytes))?;
            tx.execute(
                "INSERT INTO reference_versions (person_key, version, media_type, photo_blob,
                   embedding_sealed, embedding_model_sha256, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    &key[..],
                    reference.version,
                    reference.media_type,
                    blob,
                    sealed_embedding,
                    model,
                    now()
                ],
            )
            .map_err(backend)?;
            (tx.last_insert_rowid(), ReferenceAdded::New)
        }
    };
    tx.execute(
        "INSERT INTO reference_current (person_key, ref_id) VALUES (?1, ?2)
         ON CONFLICT (person_key) DO UPDATE SET ref_id = ?2",
        params![&key[..], ref_id],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(added)
}

pub(super) fn set_embedding(
    conn: &Connection,
    vault: &Vault,
    id_number: &str,
    version: &str,
    embedding: &Embedding,
) -> Result<bool, StorageError> {
    let key = vault.person_key(id_number);
    let row = row_binding(&key, version);
    let changed = conn
        .execute(
            "UPDATE reference_versions SET embedding_sealed = ?3, embedding_model_sha256 = ?4
             WHERE person_key = ?1 AND version = ?2",
            params![
                &key[..],
                version,
                vault.seal(Field::ReferenceEmbedding, &row, &embedding.to_bytes()),
                embedding.model_sha256
            ],
        )
        .map_err(backend)?;
    Ok(changed > 0)
}

pub(super) fn current(
    conn: &Connection,
    vault: &Vault,
    photos: &PhotoStore,
    id_number: &str,
) -> Result<Option<CurrentReference>, StorageError> {
    let key = vault.person_key(id_number);
    type Row = (
        String,
        String,
        String,
        Option<Vec<u8>>,
        Option<String>,
        String,
    );
    let found: Option<Row> = conn
        .query_row(
            "SELECT v.version, v.media_type, v.photo_blob, v.embedding_sealed,
                    v.embedding_model_sha256, v.enrolled_at
             FROM reference_current rc JOIN reference_versions v ON v.ref_id = rc.ref_id
             WHERE rc.person_key = ?1",
            [&key[..]],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()
        .map_err(backend)?;
    let Some((version, media_type, photo, sealed_embedding, model, enrolled_at)) = found else {
        return Ok(None);
    };
    let row = row_binding(&key, &version);
    Ok(Some(CurrentReference {
        embedding: embedding(vault, &row, sealed_embedding, model)?,
        reference: Reference {
            bytes: open(vault, Field::ReferencePhoto, &row, &photos.get(&photo)?)?,
            version,
            media_type,
        },
        enrolled_at: parse_utc(&enrolled_at)?,
    }))
}

pub(super) fn versions(
    conn: &Connection,
    vault: &Vault,
    id_number: &str,
) -> Result<Vec<ReferenceVersionInfo>, StorageError> {
    let key = vault.person_key(id_number);
    let mut stmt = conn
        .prepare(
            "SELECT version, media_type, enrolled_at, embedding_model_sha256,
                    ref_id = (SELECT ref_id FROM reference_current WHERE person_key = ?1)
             FROM reference_versions WHERE person_key = ?1 ORDER BY ref_id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([&key[..]], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<bool>>(4)?,
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (version, media_type, enrolled_at, model, current) = row.map_err(backend)?;
        out.push(ReferenceVersionInfo {
            version,
            media_type,
            enrolled_at: parse_utc(&enrolled_at)?,
            current: current.unwrap_or(false),
            embedding_model_sha256: model,
        });
    }
    Ok(out)
}

pub(super) fn embeddings_in_region(
    conn: &Connection,
    vault: &Vault,
    region: &str,
) -> Result<Vec<RegionEmbedding>, StorageError> {
    let mut stmt = conn
        .prepare(
            "SELECT p.person_key, p.id_sealed, v.version, v.embedding_sealed, v.embedding_model_sha256
             FROM people p
             JOIN reference_current rc ON rc.person_key = p.person_key
             JOIN reference_versions v ON v.ref_id = rc.ref_id
             WHERE p.region = ?1 AND p.status = 'active' AND v.embedding_sealed IS NOT NULL
             ORDER BY p.person_key",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([region], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (key, id_sealed, version, sealed, model) = row.map_err(backend)?;
        let id_number = String::from_utf8(open(vault, Field::PersonId, &key, &id_sealed)?)
            .map_err(|_| StorageError::Backend("a stored ID number is not text".into()))?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| StorageError::Backend("a stored person key is not 32 bytes".into()))?;
        let Some(embedding) = embedding(vault, &row_binding(&key, &version), sealed, model)? else {
            continue;
        };
        out.push(RegionEmbedding {
            id_number,
            version,
            embedding,
        });
    }
    Ok(out)
}

pub(super) fn log_read(
    conn: &Connection,
    vault: &Vault,
    kiosk_id: &str,
    id_number: &str,
    result: ReadResult,
) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO reference_reads (at, kiosk_id, person_key, id_masked, result)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            now(),
            kiosk_id,
            &vault.person_key(id_number)[..],
            mask_id_number(id_number),
            result.as_str()
        ],
    )
    .map_err(backend)?;
    Ok(())
}

pub(super) fn reads(
    conn: &Connection,
    vault: &Vault,
    id_number: Option<&str>,
    limit: usize,
) -> Result<Vec<ReferenceRead>, StorageError> {
    let key = id_number.map(|id| vault.person_key(id).to_vec());
    let mut stmt = conn
        .prepare(
            "SELECT at, kiosk_id, id_masked, result FROM reference_reads
             WHERE (?1 IS NULL OR person_key = ?1) ORDER BY id DESC LIMIT ?2",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(
            params![key, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (at, kiosk_id, id_masked, result) = row.map_err(backend)?;
        out.push(ReferenceRead {
            at: parse_utc(&at)?,
            kiosk_id,
            id_masked,
            result: ReadResult::parse(&result).ok_or_else(|| {
                StorageError::Backend(format!("stored read result {result:?} unknown"))
            })?,
        });
    }
    Ok(out)
}

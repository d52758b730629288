//! Reference photos with their version history and embeddings, and the log of who
//! read them. Photo and embedding are sealed, bound to the person and the version.

use postgres::Client;

use certpoint_protocol::mask_id_number;

use super::backend;
use crate::photos::PhotoStore;
use crate::storage::columns::{
    now, open_embedding, open_person_text, open_reference, parse_utc, reference_row,
};
use crate::storage::{
    CurrentReference, Embedding, ReadResult, Reference, ReferenceAdded, ReferenceRead,
    ReferenceVersionInfo, RegionEmbedding, StorageError,
};
use crate::vault::{Field, Vault};

pub(super) fn add(
    client: &mut Client,
    vault: &Vault,
    photos: &PhotoStore,
    id_number: &str,
    reference: &Reference,
    embedding: Option<&Embedding>,
) -> Result<ReferenceAdded, StorageError> {
    let key = vault.person_key(id_number);
    let key = &key[..];
    let row = reference_row(key, &reference.version);
    let sealed_embedding =
        embedding.map(|e| vault.seal(Field::ReferenceEmbedding, &row, &e.to_bytes()));
    let model = embedding.map(|e| e.model_sha256.as_str());
    let mut tx = client.transaction().map_err(backend)?;
    // One writer per person at a time, so two imports of the same person cannot both
    // insert a version or point `reference_current` at different ones halfway.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(encode($1, 'hex'), 0))",
        &[&key],
    )
    .map_err(backend)?;
    let existing = tx
        .query_opt(
            "SELECT ref_id, photo_blob FROM reference_versions WHERE person_key = $1 AND version = $2",
            &[&key, &reference.version],
        )
        .map_err(backend)?;
    let (ref_id, added): (i64, _) = match existing {
        Some(r) => {
            let ref_id: i64 = r.get(0);
            let sealed = photos.get(r.get(1))?;
            if open_reference(vault, Field::ReferencePhoto, &row, &sealed)? != reference.bytes {
                return Err(StorageError::ReferenceVersionTaken {
                    version: reference.version.clone(),
                });
            }
            if let Some(sealed) = &sealed_embedding {
                tx.execute(
                    "UPDATE reference_versions SET embedding_sealed = $2, embedding_model_sha256 = $3
                     WHERE ref_id = $1",
                    &[&ref_id, sealed, &model],
                )
                .map_err(backend)?;
            }
            let current: Option<i64> = tx
                .query_opt(
                    "SELECT ref_id FROM reference_current WHERE person_key = $1",
                    &[&key],
                )
                .map_err(backend)?
                .map(|r| r.get(0));
            let added = if current == Some(ref_id) {
                ReferenceAdded::Unchanged
            } else {
                ReferenceAdded::Restored
            };
            (ref_id, added)
        }
        None => {
            let blob = photos.put(&vault.seal(Field::ReferencePhoto, &row, &reference.bytes))?;
            let r = tx
                .query_one(
                    "INSERT INTO reference_versions (person_key, version, media_type, photo_blob,
                       embedding_sealed, embedding_model_sha256, enrolled_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ref_id",
                    &[
                        &key,
                        &reference.version,
                        &reference.media_type,
                        &blob,
                        &sealed_embedding,
                        &model,
                        &now(),
                    ],
                )
                .map_err(backend)?;
            (r.get(0), ReferenceAdded::New)
        }
    };
    tx.execute(
        "INSERT INTO reference_current (person_key, ref_id) VALUES ($1, $2)
         ON CONFLICT (person_key) DO UPDATE SET ref_id = $2",
        &[&key, &ref_id],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(added)
}

pub(super) fn set_embedding(
    client: &mut Client,
    vault: &Vault,
    id_number: &str,
    version: &str,
    embedding: &Embedding,
) -> Result<bool, StorageError> {
    let key = vault.person_key(id_number);
    let row = reference_row(&key, version);
    let changed = client
        .execute(
            "UPDATE reference_versions SET embedding_sealed = $3, embedding_model_sha256 = $4
             WHERE person_key = $1 AND version = $2",
            &[
                &&key[..],
                &version,
                &vault.seal(Field::ReferenceEmbedding, &row, &embedding.to_bytes()),
                &embedding.model_sha256,
            ],
        )
        .map_err(backend)?;
    Ok(changed > 0)
}

pub(super) fn current(
    client: &mut Client,
    vault: &Vault,
    photos: &PhotoStore,
    id_number: &str,
) -> Result<Option<CurrentReference>, StorageError> {
    let key = vault.person_key(id_number);
    let Some(r) = client
        .query_opt(
            "SELECT v.version, v.media_type, v.photo_blob, v.embedding_sealed,
                    v.embedding_model_sha256, v.enrolled_at
             FROM reference_current rc JOIN reference_versions v ON v.ref_id = rc.ref_id
             WHERE rc.person_key = $1",
            &[&&key[..]],
        )
        .map_err(backend)?
    else {
        return Ok(None);
    };
    let version: String = r.get(0);
    let row = reference_row(&key, &version);
    Ok(Some(CurrentReference {
        embedding: open_embedding(vault, &row, r.get(3), r.get(4))?,
        reference: Reference {
            bytes: open_reference(vault, Field::ReferencePhoto, &row, &photos.get(r.get(2))?)?,
            version,
            media_type: r.get(1),
        },
        enrolled_at: parse_utc(r.get(5))?,
    }))
}

pub(super) fn versions(
    client: &mut Client,
    vault: &Vault,
    id_number: &str,
) -> Result<Vec<ReferenceVersionInfo>, StorageError> {
    let key = vault.person_key(id_number);
    client
        .query(
            "SELECT version, media_type, enrolled_at, embedding_model_sha256,
                    ref_id = (SELECT ref_id FROM reference_current WHERE person_key = $1)
             FROM reference_versions WHERE person_key = $1 ORDER BY ref_id",
            &[&&key[..]],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            Ok(ReferenceVersionInfo {
                version: r.get(0),
                media_type: r.get(1),
                enrolled_at: parse_utc(r.get(2))?,
                embedding_model_sha256: r.get(3),
                current: r.get::<_, Option<bool>>(4).unwrap_or(false),
            })
        })
        .collect()
}

pub(super) fn embeddings_in_region(
    client: &mut Client,
    vault: &Vault,
    region: &str,
) -> Result<Vec<RegionEmbedding>, StorageError> {
    let mut out = Vec::new();
    for r in client
        .query(
            "SELECT p.person_key, p.id_sealed, v.version, v.embedding_sealed, v.embedding_model_sha256
             FROM people p
             JOIN reference_current rc ON rc.person_key = p.person_key
             JOIN reference_versions v ON v.ref_id = rc.ref_id
             WHERE p.region = $1 AND p.status = 'active' AND v.embedding_sealed IS NOT NULL
             ORDER BY p.person_key",
            &[&region],
        )
        .map_err(backend)?
    {
        let key: Vec<u8> = r.get(0);
        let id_number = open_person_text(vault, Field::PersonId, &key, r.get(1))?;
        let version: String = r.get(2);
        let row = reference_row(&key, &version);
        let Some(embedding) = open_embedding(vault, &row, r.get(3), r.get(4))? else {
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
    client: &mut Client,
    vault: &Vault,
    kiosk_id: &str,
    id_number: &str,
    result: ReadResult,
) -> Result<(), StorageError> {
    client
        .execute(
            "INSERT INTO reference_reads (at, kiosk_id, person_key, id_masked, result)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &now(),
                &kiosk_id,
                &&vault.person_key(id_number)[..],
                &mask_id_number(id_number),
                &result.as_str(),
            ],
        )
        .map_err(backend)?;
    Ok(())
}

pub(super) fn reads(
    client: &mut Client,
    vault: &Vault,
    id_number: Option<&str>,
    limit: usize,
) -> Result<Vec<ReferenceRead>, StorageError> {
    let key = id_number.map(|id| vault.person_key(id).to_vec());
    client
        .query(
            "SELECT at, kiosk_id, id_masked, result FROM reference_reads
             WHERE ($1::bytea IS NULL OR person_key = $1) ORDER BY id DESC LIMIT $2",
            &[&key, &i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            let result: &str = r.get(3);
            Ok(ReferenceRead {
                at: parse_utc(r.get(0))?,
                kiosk_id: r.get(1),
                id_masked: r.get(2),
                result: ReadResult::parse(result).ok_or_else(|| {
                    StorageError::Backend(format!("stored read result {result:?} unknown"))
                })?,
            })
        })
        .collect()
}

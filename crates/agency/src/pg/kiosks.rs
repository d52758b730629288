//! Kiosks (with their region), auditors, and the bundle published per region: no
//! personal data, credentials stored as token sha256s.

use postgres::{Client, Row};

use super::backend;
use crate::storage::columns::{now, parse_utc, utc_text};
use crate::storage::{BundlePublication, Kiosk, StorageError};

fn kiosk_row(r: &Row) -> Kiosk {
    Kiosk {
        kiosk_id: r.get(0),
        public_key: r.get(1),
        region: r.get(2),
    }
}

pub(super) fn add_kiosk(
    client: &mut Client,
    kiosk: &Kiosk,
    token_sha256: &str,
) -> Result<(), StorageError> {
    let added = client
        .execute(
            "INSERT INTO kiosks (kiosk_id, public_key, token_sha256, added_at, region)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kiosk_id) DO NOTHING",
            &[
                &kiosk.kiosk_id,
                &kiosk.public_key,
                &token_sha256,
                &now(),
                &kiosk.region,
            ],
        )
        .map_err(backend)?;
    if added == 0 {
        return Err(StorageError::KioskExists(kiosk.kiosk_id.clone()));
    }
    Ok(())
}

pub(super) fn set_region(
    client: &mut Client,
    kiosk_id: &str,
    region: &str,
) -> Result<(), StorageError> {
    let changed = client
        .execute(
            "UPDATE kiosks SET region = $2 WHERE kiosk_id = $1",
            &[&kiosk_id, &region],
        )
        .map_err(backend)?;
    if changed == 0 {
        return Err(StorageError::NoSuchKiosk(kiosk_id.to_owned()));
    }
    Ok(())
}

pub(super) fn by_token(
    client: &mut Client,
    token_sha256: &str,
) -> Result<Option<Kiosk>, StorageError> {
    Ok(client
        .query_opt(
            "SELECT kiosk_id, public_key, region FROM kiosks WHERE token_sha256 = $1",
            &[&token_sha256],
        )
        .map_err(backend)?
        .map(|r| kiosk_row(&r)))
}

pub(super) fn all(client: &mut Client) -> Result<Vec<Kiosk>, StorageError> {
    Ok(client
        .query(
            "SELECT kiosk_id, public_key, region FROM kiosks ORDER BY kiosk_id",
            &[],
        )
        .map_err(backend)?
        .iter()
        .map(kiosk_row)
        .collect())
}

pub(super) fn add_auditor(
    client: &mut Client,
    name: &str,
    token_sha256: &str,
) -> Result<(), StorageError> {
    let taken: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM auditors WHERE name = $1)
             OR EXISTS (SELECT 1 FROM kiosks WHERE token_sha256 = $2)",
            &[&name, &token_sha256],
        )
        .map_err(backend)?
        .get(0);
    if taken {
        return Err(StorageError::AuditorExists(name.to_owned()));
    }
    client
        .execute(
            "INSERT INTO auditors (name, token_sha256, added_at) VALUES ($1, $2, $3)",
            &[&name, &token_sha256, &now()],
        )
        .map_err(|e| match e.code() {
            // Added by someone else in between.
            Some(&postgres::error::SqlState::UNIQUE_VIOLATION) => {
                StorageError::AuditorExists(name.to_owned())
            }
            _ => backend(e),
        })?;
    Ok(())
}

pub(super) fn auditor_by_token(
    client: &mut Client,
    token_sha256: &str,
) -> Result<Option<String>, StorageError> {
    Ok(client
        .query_opt(
            "SELECT name FROM auditors WHERE token_sha256 = $1",
            &[&token_sha256],
        )
        .map_err(backend)?
        .map(|r| r.get(0)))
}

pub(super) fn bundle_publication(
    client: &mut Client,
    region: &str,
) -> Result<Option<BundlePublication>, StorageError> {
    client
        .query_opt(
            "SELECT content_sha256, generated_at FROM bundle_publications WHERE region = $1",
            &[&region],
        )
        .map_err(backend)?
        .map(|r| {
            Ok(BundlePublication {
                region: region.to_owned(),
                content_sha256: r.get(0),
                generated_at: parse_utc(r.get(1))?,
            })
        })
        .transpose()
}

pub(super) fn set_bundle_publication(
    client: &mut Client,
    p: &BundlePublication,
) -> Result<(), StorageError> {
    client
        .execute(
            "INSERT INTO bundle_publications (region, content_sha256, generated_at)
             VALUES ($1, $2, $3)
             ON CONFLICT (region) DO UPDATE SET content_sha256 = $2, generated_at = $3",
            &[&p.region, &p.content_sha256, &utc_text(p.generated_at)],
        )
        .map_err(backend)?;
    Ok(())
}

//! Registering kiosks (each with the roster region it serves) and auditors.

use super::{region, ServiceError};
use crate::parse::hex_sha256;
use crate::storage::{Kiosk, Storage};

/// Registers a kiosk: its id, its ed25519 public key (base64), its bearer token (only
/// the token's sha256 is stored) and the roster region whose people it may look up.
pub fn add_kiosk(
    storage: &dyn Storage,
    kiosk_id: &str,
    public_key_b64: &str,
    token: &str,
    region: &str,
) -> Result<(), ServiceError> {
    certpoint_protocol::parse_public_key(public_key_b64).map_err(|e| {
        ServiceError::Invalid(format!(
            "--public-key: {e} (copy it from `certpoint keys init`)"
        ))
    })?;
    if kiosk_id.is_empty() || kiosk_id.len() > 64 {
        return Err(ServiceError::Invalid(
            "the kiosk id must be 1 to 64 characters (the kiosk's kiosk.id)".into(),
        ));
    }
    if token.len() < 16 {
        return Err(ServiceError::Invalid(
            "the token must be at least 16 characters".into(),
        ));
    }
    region::check(region).map_err(|e| ServiceError::Invalid(format!("--region: {e}")))?;
    storage.add_kiosk(
        &Kiosk {
            kiosk_id: kiosk_id.to_owned(),
            public_key: public_key_b64.trim().to_owned(),
            region: Some(region.to_owned()),
        },
        &hex_sha256(token.as_bytes()),
    )?;
    Ok(())
}

/// Gives a registered kiosk its region (kiosks registered before regions had none and
/// may look up nobody until then) or moves it to another.
pub fn set_kiosk_region(
    storage: &dyn Storage,
    kiosk_id: &str,
    region: &str,
) -> Result<(), ServiceError> {
    region::check(region).map_err(|e| ServiceError::Invalid(format!("--region: {e}")))?;
    storage.set_kiosk_region(kiosk_id, region)?;
    Ok(())
}

/// Registers an auditor: a read-only token for `GET /v1/certifications/{id}` and
/// `GET /v1/kiosks/{id}/gaps` across all kiosks (only the token's sha256 is stored).
pub fn add_auditor(storage: &dyn Storage, name: &str, token: &str) -> Result<(), ServiceError> {
    if name.is_empty() || name.len() > 64 {
        return Err(ServiceError::Invalid(
            "the auditor name must be 1 to 64 characters".into(),
        ));
    }
    if token.len() < 16 {
        return Err(ServiceError::Invalid(
            "the token must be at least 16 characters (leave --token-file out to get a random one)"
                .into(),
        ));
    }
    storage.add_auditor(name, &hex_sha256(token.as_bytes()))?;
    Ok(())
}

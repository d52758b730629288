//! Verifying a certificate of assistance (`GET /v1/assistance/{serial}?code=…`,
//! `certpoint-agency assistance verify`).
//!
//! The paper carries a serial and a random verification code; the agency stores the
//! serial and the code's sha256 beside the record. A genuine pair answers with what the
//! paper says, masked ([`AssistanceVerification`]); an unknown serial and a wrong code
//! answer the same "not found", so serials (a kiosk's counter, easy to guess) cannot be
//! probed for existence without the code.

use certpoint_protocol::assistance::{is_code_shape, is_serial_shape, normalise_code};
use certpoint_protocol::{
    mask_id_number, mask_name, AssistanceVerification, CertificationRecord, Method,
};

use super::ServiceError;
use crate::storage::{code_sha256, Storage};

const NOT_FOUND: &str =
    "no certificate of assistance with this serial and verification code; check both against the paper";

/// The certificate `serial` if `code` is its verification code (dashes, spaces and
/// case as printed or typed are accepted).
pub fn verify(
    storage: &dyn Storage,
    serial: &str,
    code: &str,
) -> Result<AssistanceVerification, ServiceError> {
    let not_found = || ServiceError::NotFound(NOT_FOUND.into());
    let code = normalise_code(code);
    if !is_serial_shape(serial) || !is_code_shape(&code) {
        return Err(not_found());
    }
    let Some(cert) = storage.assistance_certificate(serial)? else {
        return Err(not_found());
    };
    if !constant_time_eq(cert.code_sha256.as_bytes(), code_sha256(&code).as_bytes()) {
        return Err(not_found());
    }
    let stored = storage.certification(&cert.record_id)?.ok_or_else(|| {
        ServiceError::Storage(crate::storage::StorageError::NoSuchRecord(
            cert.record_id.clone(),
        ))
    })?;
    let record: CertificationRecord = serde_json::from_str(&stored.signed_body).map_err(|e| {
        ServiceError::Storage(crate::storage::StorageError::Backend(format!(
            "record {}: {e}",
            cert.record_id
        )))
    })?;
    let Method::Assistance {
        clerk_id,
        relation,
        relative_id_number,
        relative_name,
        ..
    } = &record.method
    else {
        return Err(not_found());
    };
    Ok(AssistanceVerification {
        serial: cert.serial,
        valid: true,
        period: record.period.clone(),
        issued_at: record.ended_at,
        site_code: record.site_code.clone(),
        kiosk_id: record.kiosk_id.clone(),
        clerk_id: clerk_id.clone(),
        relation: *relation,
        pensioner_id_masked: mask_id_number(&record.id_number),
        relative_id_masked: mask_id_number(relative_id_number),
        relative_name_masked: mask_name(relative_name),
        received_at: stored.received_at,
    })
}

/// Compares two hashes without an early exit, so timing says nothing about the code.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_hashes_compare_equal_only() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn malformed_serials_and_codes_are_not_found_without_a_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let s = crate::SqliteStorage::open_in(dir.path()).unwrap();
        for (serial, code) in [("a/b", "ABCDE12345"), ("S1", "short"), ("S1", "ABCDE12345")] {
            let e = verify(&s, serial, code).unwrap_err();
            assert!(
                matches!(e, ServiceError::NotFound(_)),
                "{serial} {code}: {e}"
            );
        }
    }
}

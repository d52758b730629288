//! Ed25519 signatures over a record's canonical body.
//!
//! The kiosk signs the exact canonical JSON bytes of the record when it sends it; the
//! server re-derives the canonical form from what arrived and verifies against the
//! public key registered for the kiosk. Keys and signatures travel as base64.
//!
//! The agency signs its reference-embedding bundles ([`crate::bundle`]) with the same
//! primitive over raw bytes ([`sign_bytes`], [`verify_bytes`]); a key is named in a
//! bundle by [`key_id`], a short hash of the public key.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

pub use ed25519_dalek;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the public key is not 32 bytes of base64")]
    BadPublicKey,
    #[error("the signature is not 64 bytes of base64")]
    Malformed,
    #[error("the signature does not match the record and the kiosk's public key")]
    Mismatch,
}

/// Signs `body` (the record's canonical JSON); the signature as base64.
pub fn sign_body(key: &SigningKey, body: &str) -> String {
    crate::b64_encode(&sign_bytes(key, body.as_bytes()))
}

/// Signs raw bytes (a reference bundle); the 64-byte signature.
pub fn sign_bytes(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}

/// Checks a 64-byte signature over raw bytes.
pub fn verify_bytes(
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), SignatureError> {
    key.verify(message, &Signature::from_bytes(signature))
        .map_err(|_| SignatureError::Mismatch)
}

/// Length in bytes of a [`key_id`] (before hex).
pub const KEY_ID_LEN: usize = 8;

/// A short, stable name for a public key: the first 8 bytes of its sha256, so a bundle
/// can say which key signed it and an administrator can compare it with
/// `certpoint-agency bundle key show` at a glance.
pub fn key_id(key: &VerifyingKey) -> [u8; KEY_ID_LEN] {
    let digest = Sha256::digest(key.as_bytes());
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&digest[..KEY_ID_LEN]);
    id
}

/// The public half of `key` as base64, the form `certpoint-agency kiosk add` takes.
pub fn public_key_b64(key: &SigningKey) -> String {
    crate::b64_encode(key.verifying_key().as_bytes())
}

pub fn parse_public_key(b64: &str) -> Result<VerifyingKey, SignatureError> {
    let bytes = crate::b64_decode(b64.trim()).map_err(|_| SignatureError::BadPublicKey)?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| SignatureError::BadPublicKey)?;
    VerifyingKey::from_bytes(&arr).map_err(|_| SignatureError::BadPublicKey)
}

pub fn verify_body(
    key: &VerifyingKey,
    body: &str,
    signature_b64: &str,
) -> Result<(), SignatureError> {
    let bytes = crate::b64_decode(signature_b64).map_err(|_| SignatureError::Malformed)?;
    let arr: [u8; 64] = bytes.try_into().map_err(|_| SignatureError::Malformed)?;
    verify_bytes(key, body.as_bytes(), &arr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_notices_one_changed_byte() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let public = parse_public_key(&public_key_b64(&key)).unwrap();
        let sig = sign_body(&key, r#"{"a":1}"#);
        assert_eq!(verify_body(&public, r#"{"a":1}"#, &sig), Ok(()));
        assert_eq!(
            verify_body(&public, r#"{"a":2}"#, &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_body(&public, r#"{"a":1}"#, "bm90IGEgc2ln"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(parse_public_key("AAAA"), Err(SignatureError::BadPublicKey));
    }
}

//! Ed25519 signatures over a record's canonical body.
//!
//! The kiosk signs the exact canonical JSON bytes of the record when it sends it; the
//! server re-derives the canonical form from what arrived and verifies against the
//! public key registered for the kiosk. Keys and signatures travel as base64.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

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
    crate::b64_encode(&key.sign(body.as_bytes()).to_bytes())
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
    key.verify(body.as_bytes(), &Signature::from_bytes(&arr))
        .map_err(|_| SignatureError::Mismatch)
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

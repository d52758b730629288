//! Sealing personal data at rest, shared by the kiosk's record store and the agency's
//! database: one cipher, one blob format, one way to keep the key in a file.
//!
//! - [`Sealer`] seals a field with XChaCha20-Poly1305 under a 32-byte key. A sealed
//!   blob is `[version 1][24-byte random nonce][ciphertext and 16-byte tag]`; the caller
//!   supplies associated data that binds the blob to where it belongs (record id and
//!   column), so a blob copied elsewhere fails to open instead of being read as someone
//!   else's data.
//! - [`SecretKey`] is the key itself: derives sub-keys and keyed hashes (HMAC-SHA256)
//!   and a fingerprint that identifies it without revealing it.
//! - [`key_file`] reads a key file (32 bytes, readable by its owner only) and creates
//!   one durably, never over an existing file.
//!
//! What is *policy* stays with each program: which file, when a missing key may be
//! replaced by a new one (never once something was sealed with it), and what the error
//! message tells the administrator to do.

pub mod key_file;

use chacha20poly1305::aead::{Aead, AeadInOut, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Length of every key, in bytes.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const FORMAT_V1: u8 = 1;
/// Version byte and nonce, before the ciphertext.
const HEADER_LEN: usize = 1 + NONCE_LEN;
const TAG_LEN: usize = 16;
/// What sealing adds to the plaintext's length.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// Why a blob did not open. The caller names the field in its own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("too short to be sealed data")]
    TooShort,
    #[error("sealed in unknown format {0}")]
    UnknownFormat(u8),
    #[error("does not open with the key: it was altered or belongs elsewhere")]
    Rejected,
}

/// 32 secret bytes, zeroed when dropped and never shown by `Debug`.
pub struct SecretKey([u8; KEY_LEN]);

impl SecretKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> SecretKey {
        SecretKey(bytes)
    }

    /// A fresh random key from the operating system.
    pub fn generate() -> std::io::Result<SecretKey> {
        let fresh = Key::try_generate().map_err(std::io::Error::other)?;
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&fresh);
        Ok(SecretKey(key))
    }

    /// The raw bytes, for writing the key file.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// HMAC-SHA256 of `message` under this key: a keyed hash, the same for the same
    /// input, useless without the key (an ID number's 10^17 possibilities could be
    /// searched through a plain hash in hours, not through this one).
    pub fn keyed_hash(&self, message: &[u8]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// An independent key for one purpose (`label`), so one key file can serve a
    /// cipher and a keyed hash without the two ever using the same key.
    pub fn derive(&self, label: &[u8]) -> SecretKey {
        SecretKey(self.keyed_hash(label))
    }

    /// Names the key without revealing it (the first 16 bytes of a labelled sha256,
    /// hex), so a store can record which key sealed it and refuse another.
    pub fn fingerprint(&self, label: &[u8]) -> String {
        let digest = Sha256::new()
            .chain_update(label)
            .chain_update(self.0)
            .finalize();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// Seals and opens fields with one key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub fn new(key: &SecretKey) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(&Key::from(key.0)),
        }
    }

    /// Seals `plain`, bound to `aad`, under a fresh random nonce: the same field sealed
    /// twice gives different blobs.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let nonce = XNonce::generate();
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad })
            // Only fails for messages beyond 256 GiB; fields here are at most megabytes.
            .expect("XChaCha20-Poly1305 seals any field-sized message");
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a blob [`seal`](Self::seal) made with the same key and `aad`.
    pub fn open(&self, aad: &[u8], blob: &[u8]) -> Result<Vec<u8>, OpenError> {
        check_header(blob)?;
        let nonce = XNonce::try_from(&blob[1..HEADER_LEN]).expect("length checked above");
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &blob[HEADER_LEN..],
                    aad,
                },
            )
            .map_err(|_| OpenError::Rejected)
    }

    /// As [`seal`](Self::seal), encrypting `plain` where it lies (the result is the same
    /// format): for blobs too large to hold twice, such as the kiosk's ~100 MB offline
    /// reference cache.
    pub fn seal_in_place(&self, aad: &[u8], mut plain: Vec<u8>) -> Vec<u8> {
        let nonce = XNonce::generate();
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce, aad, plain.as_mut_slice().into())
            // Only fails beyond 256 GiB; what is sealed here is bounded far below that.
            .expect("XChaCha20-Poly1305 seals any message below 256 GiB");
        let len = plain.len();
        plain.reserve_exact(HEADER_LEN + TAG_LEN);
        plain.resize(len + HEADER_LEN, 0);
        plain.copy_within(..len, HEADER_LEN);
        plain[0] = FORMAT_V1;
        plain[1..HEADER_LEN].copy_from_slice(&nonce);
        plain.extend_from_slice(&tag);
        plain
    }

    /// As [`open`](Self::open), decrypting `blob` where it lies.
    pub fn open_in_place(&self, aad: &[u8], mut blob: Vec<u8>) -> Result<Vec<u8>, OpenError> {
        check_header(&blob)?;
        let nonce = XNonce::try_from(&blob[1..HEADER_LEN]).expect("length checked above");
        let tag_at = blob.len() - TAG_LEN;
        let tag = Tag::try_from(&blob[tag_at..]).expect("length checked above");
        self.cipher
            .decrypt_inout_detached(&nonce, aad, (&mut blob[HEADER_LEN..tag_at]).into(), &tag)
            .map_err(|_| OpenError::Rejected)?;
        blob.copy_within(HEADER_LEN..tag_at, 0);
        blob.truncate(tag_at - HEADER_LEN);
        Ok(blob)
    }
}

/// A blob long enough to open, in a format this build reads.
fn check_header(blob: &[u8]) -> Result<(), OpenError> {
    match blob.first() {
        Some(&FORMAT_V1) if blob.len() >= HEADER_LEN + TAG_LEN => Ok(()),
        Some(&v) if v != FORMAT_V1 => Err(OpenError::UnknownFormat(v)),
        _ => Err(OpenError::TooShort),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SecretKey {
        SecretKey::from_bytes([b; KEY_LEN])
    }

    #[test]
    fn a_blob_opens_only_with_its_key_and_associated_data() {
        let s = Sealer::new(&key(7));
        let blob = s.seal(b"rec-1/body", b"11010519491231002X");
        assert_eq!(blob.len(), 18 + OVERHEAD);
        assert!(!blob.windows(18).any(|w| w == b"11010519491231002X"));
        assert_eq!(s.open(b"rec-1/body", &blob).unwrap(), b"11010519491231002X");
        assert_eq!(s.open(b"rec-2/body", &blob), Err(OpenError::Rejected));
        let mut edited = blob.clone();
        *edited.last_mut().unwrap() ^= 1;
        assert_eq!(s.open(b"rec-1/body", &edited), Err(OpenError::Rejected));
        assert_eq!(
            Sealer::new(&key(8)).open(b"rec-1/body", &blob),
            Err(OpenError::Rejected)
        );
        assert_eq!(s.open(b"x", &blob[..10]), Err(OpenError::TooShort));
        let mut v2 = blob;
        v2[0] = 2;
        assert_eq!(s.open(b"x", &v2), Err(OpenError::UnknownFormat(2)));
    }

    #[test]
    fn sealing_in_place_is_the_same_format() {
        let s = Sealer::new(&key(7));
        let plain = b"CPREFBUN and 11010519491231002X".to_vec();
        let blob = s.seal_in_place(b"cache", plain.clone());
        assert_eq!(blob.len(), plain.len() + OVERHEAD);
        assert!(!blob.windows(8).any(|w| w == b"CPREFBUN"));
        assert_eq!(s.open(b"cache", &blob).unwrap(), plain);
        assert_eq!(s.open_in_place(b"cache", blob.clone()).unwrap(), plain);
        let copy = s.seal(b"cache", &plain);
        assert_eq!(s.open_in_place(b"cache", copy).unwrap(), plain);
        assert_eq!(
            s.open_in_place(b"other", blob.clone()),
            Err(OpenError::Rejected)
        );
        assert_eq!(
            Sealer::new(&key(8)).open_in_place(b"cache", blob),
            Err(OpenError::Rejected)
        );
        assert_eq!(
            s.open_in_place(b"cache", vec![FORMAT_V1; 10]),
            Err(OpenError::TooShort)
        );
        assert_eq!(
            s.open_in_place(b"cache", vec![9u8; 60]),
            Err(OpenError::UnknownFormat(9))
        );
    }

    #[test]
    fn the_same_field_sealed_twice_differs() {
        let s = Sealer::new(&key(7));
        assert_ne!(s.seal(b"a", b"same"), s.seal(b"a", b"same"));
    }

    #[test]
    fn derived_keys_and_keyed_hashes_depend_on_key_and_label() {
        let k = key(1);
        assert_eq!(k.keyed_hash(b"id"), k.keyed_hash(b"id"));
        assert_ne!(k.keyed_hash(b"id"), key(2).keyed_hash(b"id"));
        assert_ne!(k.derive(b"a").0, k.derive(b"b").0);
        assert_ne!(k.derive(b"a").0, k.0);
        assert_ne!(k.fingerprint(b"x"), key(2).fingerprint(b"x"));
        assert_eq!(k.fingerprint(b"x").len(), 32);
        assert_eq!(format!("{k:?}"), "SecretKey(..)");
        // RFC 4231 test case 2: HMAC-SHA256 with key "Jefe" is what keyed_hash computes
        // for a 32-byte key padded the same way HMAC pads "Jefe".
        let mut jefe = [0u8; KEY_LEN];
        jefe[..4].copy_from_slice(b"Jefe");
        let h = SecretKey::from_bytes(jefe).keyed_hash(b"what do ya want for nothing?");
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

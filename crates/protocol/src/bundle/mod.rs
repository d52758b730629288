//! The reference-embedding bundle: what the agency publishes per region so a kiosk can
//! match a retiree's face while the server is unreachable (reference source
//! `kiosk_cache`). It carries face *embeddings* of the enrolled reference photos, never
//! the photos, signed as a whole with the agency's ed25519 bundle key, which kiosks pin.
//!
//! Why binary and not JSON: a region holds up to a few hundred thousand pensioners, and
//! 200,000 × 512 numbers are ~1 GB as JSON text (still ~290 MB as base64), which a
//! kiosk would have to parse into a second copy before it could search it. This format
//! is fixed-stride and sorted by ID number, so the verified bytes *are* the index: a
//! lookup is a binary search over them, loading is one read and one pass of checks,
//! and the parser is a few bounds checks on a byte slice, easy to fuzz (no canonical
//! form to agree on: the signature covers the exact bytes).
//!
//! Layout, version 1 (integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `CPREFBUN` |
//! | 2 | format version (1) |
//! | 1 | embedding encoding (1 = int8, see below) |
//! | 1 | `W`, width of the reference-version field, 1–64 |
//! | 8 | key id of the signing key ([`crate::key_id`]: sha256 of the public key, first 8 bytes) |
//! | 32 | sha256 of the embedding model file the embeddings were computed with |
//! | 2 | dimension `D` of the embeddings, 1–4096 |
//! | 4 | entry count `N`, at most [`MAX_ENTRIES`] |
//! | 8 | generated at, Unix seconds (UTC) |
//! | 1 + S | scope (the region code), length then 1–32 ASCII letters, digits, `-`, `_` |
//! | N × (18 + 1 + W + D) | entries, strictly ascending by ID number |
//! | 64 | ed25519 signature over every byte before it |
//!
//! An entry is the 18-character ID number (17 digits and `0-9` or `X`), the length of
//! its reference version then the version (printable ASCII) padded with zero bytes to
//! `W`, and `D` signed bytes: the embedding scaled so that its largest component is
//! ±127, rounded. Decoding divides by the codes' own norm: the embeddings are compared
//! by cosine, which ignores length, so no per-vector scale needs storing, and every
//! decoded embedding is unit length. The error this adds to a cosine score is measured
//! on real faces in `tests/reference_cache_faces.rs` (at most a few thousandths).
//!
//! [`BundleBuilder`] writes one (the agency); [`VerifiedBundle::verify`] is the only way
//! to read one (the kiosk) and refuses, each with its own [`BundleError`] naming the
//! fix: garbage or cut-off bytes, an unknown signing key, a bad signature, another
//! embedding model, another dimension or scope, duplicate or unsorted ID numbers and
//! malformed entries. It never panics on any input (proptests in `tests`).

mod build;
mod parse;

#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, Utc};

pub use build::{BuildError, BundleBuilder};
pub use parse::BundleExpectations;

/// First bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"CPREFBUN";
/// The layout version this code writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Encoding 1: int8 codes, largest component ±127, renormalised on decode.
pub const ENCODING_INT8: u8 = 1;
/// Characters in an ID number entry.
pub const ID_LEN: usize = 18;
/// Most entries a bundle may hold (a large region; ~1.1 GB at 512-d).
pub const MAX_ENTRIES: usize = 2_000_000;
/// Largest embedding dimension accepted.
pub const MAX_DIMENSION: usize = 4096;
/// Longest reference version.
pub const MAX_VERSION_LEN: usize = 64;
/// Longest scope (region code).
pub const MAX_SCOPE_LEN: usize = 32;
/// Length of the signature at the end.
pub const SIGNATURE_LEN: usize = 64;
/// Bytes before the scope's own bytes.
const FIXED_HEADER: usize = 8 + 2 + 1 + 1 + 8 + 32 + 2 + 4 + 8 + 1;
/// Largest bundle any valid header can describe; a download is cut off beyond it.
pub const MAX_BUNDLE_BYTES: u64 = (FIXED_HEADER
    + MAX_SCOPE_LEN
    + SIGNATURE_LEN
    + MAX_ENTRIES * (ID_LEN + 1 + MAX_VERSION_LEN + 512)) as u64;

/// What a bundle says about itself (all of it covered by the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleHeader {
    pub format_version: u16,
    /// The region the bundle is for, e.g. `110105`.
    pub scope: String,
    pub generated_at: DateTime<Utc>,
    /// Lowercase hex sha256 of the embedding model file.
    pub model_sha256: String,
    pub dimension: usize,
    pub count: usize,
    /// Lowercase hex [`crate::key_id`] of the key that signed it.
    pub key_id: String,
}

/// Why a bundle was refused. Each message says what to do; none contains an ID number
/// in the clear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("this is not a certpoint reference bundle (it does not start with CPREFBUN). Import the file `certpoint-agency bundle export` wrote, or download it again")]
    NotABundle,
    #[error("the reference bundle is cut off: {found} bytes, its header needs {expected}. It was damaged in transit; download or copy it again")]
    Truncated { expected: u64, found: u64 },
    #[error("the reference bundle has {} bytes after its signature ({found} bytes, {expected} expected). It was damaged or altered; download or copy it again", found - expected)]
    TrailingBytes { expected: u64, found: u64 },
    #[error("the reference bundle is in format version {found}; this certpoint reads version {supported}. Update certpoint on this kiosk, or ask the agency for a version {supported} export")]
    UnsupportedFormat { found: u16, supported: u16 },
    #[error("the reference bundle uses embedding encoding {0}, which this certpoint does not know. Update certpoint on this kiosk")]
    UnsupportedEncoding(u8),
    #[error("the reference bundle's header is invalid: {0}. It was not written by certpoint-agency; export it again")]
    BadHeader(String),
    #[error("the reference bundle is signed by agency key {found}, which this kiosk does not pin (pinned: {pinned}). If the agency has a new bundle key, add its public key (`certpoint-agency bundle key show`) to reference_cache.agency_public_keys; otherwise the file is not from the agency and must not be used")]
    UnknownKey { found: String, pinned: String },
    #[error("the reference bundle's signature does not verify with the pinned agency key {key_id}: the file was altered or damaged after the agency signed it. Do not use it; download or export it again")]
    BadSignature { key_id: String },
    #[error("the reference bundle's embeddings were computed with the model whose sha256 is {found}, but this kiosk's embedding model is {expected}: the scores would be meaningless. Ask the agency to export the bundle with embeddings of the kiosk's model ({expected}), or update the kiosk to the agency's model")]
    WrongModel { found: String, expected: String },
    #[error("the reference bundle holds {found}-value embeddings; this kiosk's model makes {expected}. Ask the agency for a bundle made with the kiosk's embedding model")]
    WrongDimension { found: usize, expected: usize },
    #[error("the reference bundle is for region {found}, but this kiosk serves region {expected} (reference_cache.region, else kiosk.site_code). Import the bundle of region {expected}, or correct the region in kiosk-config.toml")]
    WrongScope { found: String, expected: String },
    #[error("the reference bundle lists ID number {masked} twice (entry {index}). The agency's export is faulty; report it and export again")]
    DuplicateId { masked: String, index: usize },
    #[error("the reference bundle's entries are not in ID number order at entry {index}. The agency's export is faulty; export it again with certpoint-agency")]
    NotSorted { index: usize },
    #[error("entry {index} of the reference bundle is invalid: {what}. The agency's export is faulty; export it again with certpoint-agency")]
    BadEntry { index: usize, what: String },
}

/// A bundle whose signature, header and every entry have been checked against what the
/// kiosk expects. It owns the signed bytes and searches them in place.
pub struct VerifiedBundle {
    bytes: Vec<u8>,
    header: BundleHeader,
    entries_at: usize,
    version_width: usize,
    stride: usize,
}

/// One reference, borrowed from a [`VerifiedBundle`].
#[derive(Clone, Copy)]
pub struct BundleEntry<'a> {
    pub id_number: &'a str,
    pub reference_version: &'a str,
    codes: &'a [u8],
}

impl VerifiedBundle {
    pub fn header(&self) -> &BundleHeader {
        &self.header
    }

    pub fn len(&self) -> usize {
        self.header.count
    }

    pub fn is_empty(&self) -> bool {
        self.header.count == 0
    }

    /// The signed bytes, exactly as verified (what a kiosk seals and stores).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The entry for `id_number` (a lowercase `x` check character is accepted), by
    /// binary search: O(log N), no allocation.
    pub fn get(&self, id_number: &str) -> Option<BundleEntry<'_>> {
        let mut key = [0u8; ID_LEN];
        if id_number.len() != ID_LEN {
            return None;
        }
        key.copy_from_slice(id_number.as_bytes());
        key[ID_LEN - 1] = key[ID_LEN - 1].to_ascii_uppercase();
        let (mut lo, mut hi) = (0usize, self.header.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = self.entries_at + mid * self.stride;
            match self.bytes[at..at + ID_LEN].cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.entry(mid)),
            }
        }
        None
    }

    /// Every entry, in ID number order.
    pub fn entries(&self) -> impl Iterator<Item = BundleEntry<'_>> + '_ {
        (0..self.header.count).map(|i| self.entry(i))
    }

    fn entry(&self, index: usize) -> BundleEntry<'_> {
        let at = self.entries_at + index * self.stride;
        let row = &self.bytes[at..at + self.stride];
        let vlen = row[ID_LEN] as usize;
        let version_at = ID_LEN + 1;
        let codes_at = version_at + self.version_width;
        // Checked ASCII when the bundle was verified.
        BundleEntry {
            id_number: std::str::from_utf8(&row[..ID_LEN]).unwrap_or_default(),
            reference_version: std::str::from_utf8(&row[version_at..version_at + vlen])
                .unwrap_or_default(),
            codes: &row[codes_at..],
        }
    }
}

impl fmt::Debug for VerifiedBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedBundle")
            .field("header", &self.header)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl BundleEntry<'_> {
    /// The embedding, decoded to unit length (f32).
    pub fn embedding(&self) -> Vec<f32> {
        decode(self.codes)
    }
}

impl fmt::Debug for BundleEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleEntry")
            .field("id_number", &crate::mask_id_number(self.id_number))
            .field("reference_version", &self.reference_version)
            .field("dimension", &self.codes.len())
            .finish()
    }
}

/// Scales `embedding` so its largest component is ±127 and rounds; `None` when it has
/// a non-finite value or is all zeros (nothing to compare against).
pub fn encode(embedding: &[f32], out: &mut [u8]) -> Option<()> {
    let max = embedding
        .iter()
        .try_fold(0f32, |m, v| v.is_finite().then(|| m.max(v.abs())))?;
    if max <= 0.0 {
        return None;
    }
    let scale = 127.0 / max;
    for (o, v) in out.iter_mut().zip(embedding) {
        *o = (v * scale).round().clamp(-127.0, 127.0) as i8 as u8;
    }
    Some(())
}

/// The unit-length embedding of int8 `codes` (which must not be all zeros).
pub fn decode(codes: &[u8]) -> Vec<f32> {
    let sum: i64 = codes.iter().map(|&c| i64::from(c as i8).pow(2)).sum();
    let inv = 1.0 / (sum as f64).sqrt();
    codes
        .iter()
        .map(|&c| (f64::from(c as i8) * inv) as f32)
        .collect()
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses 64 hex digits (either case) into 32 bytes.
pub(crate) fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim().as_bytes();
    if text.len() != 64 || !text.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// `true` for an ID number as the bundle stores it: 17 digits and a digit or `X`.
pub(crate) fn is_id_bytes(id: &[u8]) -> bool {
    id.len() == ID_LEN
        && id[..ID_LEN - 1].iter().all(u8::is_ascii_digit)
        && (id[ID_LEN - 1].is_ascii_digit() || id[ID_LEN - 1] == b'X')
}

/// `true` for a valid scope: 1–32 ASCII letters, digits, `-` or `_`.
pub(crate) fn is_scope(scope: &str) -> bool {
    (1..=MAX_SCOPE_LEN).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `true` for a valid reference version: 1–64 printable ASCII characters.
pub(crate) fn is_version(version: &[u8]) -> bool {
    (1..=MAX_VERSION_LEN).contains(&version.len()) && version.iter().all(u8::is_ascii_graphic)
}

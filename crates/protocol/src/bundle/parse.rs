//! Reading a bundle: every check, in an order that trusts nothing before it is needed.
//!
//! The header is read only as far as it takes to know the expected length and which key
//! signed it; then the signature is checked over the exact bytes; only then are the
//! header's claims (model, dimension, scope) compared with the kiosk's and the entries
//! walked. Every index is bounds-checked arithmetic on a slice, so no input can panic.

use chrono::DateTime;
use ed25519_dalek::VerifyingKey;

use super::{
    hex, is_id_bytes, is_scope, is_version, BundleError, BundleHeader, VerifiedBundle,
    ENCODING_INT8, FIXED_HEADER, FORMAT_VERSION, ID_LEN, MAGIC, MAX_DIMENSION, MAX_ENTRIES,
    MAX_VERSION_LEN, SIGNATURE_LEN,
};
use crate::sign::{key_id, verify_bytes, KEY_ID_LEN};

/// What the kiosk requires of a bundle.
#[derive(Debug, Clone, Copy)]
pub struct BundleExpectations<'a> {
    /// The agency bundle keys this kiosk trusts (`reference_cache.agency_public_keys`).
    pub pinned_keys: &'a [VerifyingKey],
    /// Hex sha256 of the kiosk's embedding model file.
    pub model_sha256: &'a str,
    pub dimension: usize,
    /// The region the kiosk serves; `None` accepts any.
    pub scope: Option<&'a str>,
}

/// A little-endian reader over a slice that reports running out as `Truncated`.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.at..end];
                self.at = end;
                Ok(out)
            }
            None => Err(BundleError::Truncated {
                expected: (self.at + n + SIGNATURE_LEN) as u64,
                found: self.bytes.len() as u64,
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BundleError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, BundleError> {
        Ok(self.take(1)?[0])
    }
}

impl VerifiedBundle {
    /// Checks `bytes` completely against `expect`; on success the bundle owns them
    /// (no copy is made, which matters at 100 MB).
    pub fn verify(bytes: Vec<u8>, expect: &BundleExpectations) -> Result<Self, BundleError> {
        let layout = read_layout(&bytes)?;
        let signed_len = bytes.len() - SIGNATURE_LEN;
        let key = expect
            .pinned_keys
            .iter()
            .find(|k| key_id(k) == layout.key_id)
            .ok_or_else(|| BundleError::UnknownKey {
                found: hex(&layout.key_id),
                pinned: if expect.pinned_keys.is_empty() {
                    "none".to_owned()
                } else {
                    expect
                        .pinned_keys
                        .iter()
                        .map(|k| hex(&key_id(k)))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })?;
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&bytes[signed_len..]);
        verify_bytes(key, &bytes[..signed_len], &signature).map_err(|_| {
            BundleError::BadSignature {
                key_id: hex(&layout.key_id),
            }
        })?;
        let header = &layout.header;
        if !header
            .model_sha256
            .eq_ignore_ascii_case(expect.model_sha256.trim())
        {
            return Err(BundleError::WrongModel {
                found: header.model_sha256.clone(),
                expected: expect.model_sha256.trim().to_ascii_lowercase(),
            });
        }
        if header.dimension != expect.dimension {
            return Err(BundleError::WrongDimension {
                found: header.dimension,
                expected: expect.dimension,
            });
        }
        if let Some(scope) = expect.scope {
            if header.scope != scope {
                return Err(BundleError::WrongScope {
                    found: header.scope.clone(),
                    expected: scope.to_owned(),
                });
            }
        }
        check_entries(&bytes[layout.entries_at..signed_len], &layout)?;
        Ok(VerifiedBundle {
            header: layout.header,
            entries_at: layout.entries_at,
            version_width: layout.version_width,
            stride: layout.stride,
            bytes,
        })
    }
}

/// The header as read, before anything is trusted.
struct Layout {
    header: BundleHeader,
    key_id: [u8; KEY_ID_LEN],
    version_width: usize,
    stride: usize,
    entries_at: usize,
}

/// Reads the header and checks the length it implies; checks nothing it says against
/// the kiosk's expectations yet.
fn read_layout(bytes: &[u8]) -> Result<Layout, BundleError> {
    let prefix = bytes.len().min(MAGIC.len());
    if bytes[..prefix] != MAGIC[..prefix] {
        return Err(BundleError::NotABundle);
    }
    let mut r = Reader { bytes, at: 0 };
    r.take(MAGIC.len())?;
    let format_version = u16::from_le_bytes(r.array()?);
    if format_version != FORMAT_VERSION {
        return Err(BundleError::UnsupportedFormat {
            found: format_version,
            supported: FORMAT_VERSION,
        });
    }
    let encoding = r.u8()?;
    if encoding != ENCODING_INT8 {
        return Err(BundleError::UnsupportedEncoding(encoding));
    }
    let version_width = r.u8()? as usize;
    let key_id: [u8; KEY_ID_LEN] = r.array()?;
    let model: [u8; 32] = r.array()?;
    let dimension = u16::from_le_bytes(r.array()?) as usize;
    let count = u32::from_le_bytes(r.array()?) as usize;
    let generated_at = i64::from_le_bytes(r.array()?);
    let scope_len = r.u8()? as usize;
    debug_assert_eq!(r.at, FIXED_HEADER);
    let scope = r.take(scope_len)?;
    let bad = |what: String| Err(BundleError::BadHeader(what));
    if !(1..=MAX_VERSION_LEN).contains(&version_width) {
        return bad(format!(
            "reference version width {version_width} (1 to {MAX_VERSION_LEN})"
        ));
    }
    if !(1..=MAX_DIMENSION).contains(&dimension) {
        return bad(format!("dimension {dimension} (1 to {MAX_DIMENSION})"));
    }
    if count > MAX_ENTRIES {
        return bad(format!("{count} entries (at most {MAX_ENTRIES})"));
    }
    let scope = match std::str::from_utf8(scope) {
        Ok(s) if is_scope(s) => s.to_owned(),
        _ => return bad("the scope is not 1 to 32 letters, digits, '-' or '_'".into()),
    };
    let Some(generated_at) = DateTime::from_timestamp(generated_at, 0) else {
        return bad(format!("generated_at {generated_at} is not a date"));
    };
    let entries_at = r.at;
    let stride = ID_LEN + 1 + version_width + dimension;
    // Bounded above (count ≤ 2M, stride < 4200), so no overflow even on 32-bit.
    let expected = entries_at as u64 + count as u64 * stride as u64 + SIGNATURE_LEN as u64;
    let found = bytes.len() as u64;
    if found < expected {
        return Err(BundleError::Truncated { expected, found });
    }
    if found > expected {
        return Err(BundleError::TrailingBytes { expected, found });
    }
    Ok(Layout {
        header: BundleHeader {
            format_version,
            scope,
            generated_at,
            model_sha256: hex(&model),
            dimension,
            count,
            key_id: hex(&key_id),
        },
        key_id,
        version_width,
        stride,
        entries_at,
    })
}

/// Walks every entry: ID characters, strict order, version, codes not all zero.
fn check_entries(entries: &[u8], layout: &Layout) -> Result<(), BundleError> {
    let mut previous: Option<&[u8]> = None;
    for (index, row) in entries.chunks_exact(layout.stride).enumerate() {
        let bad = |what: &str| BundleError::BadEntry {
            index,
            what: what.to_owned(),
        };
        let id = &row[..ID_LEN];
        if !is_id_bytes(id) {
            return Err(bad("the ID number is not 17 digits and a check character"));
        }
        if let Some(prev) = previous {
            match prev.cmp(id) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    return Err(BundleError::DuplicateId {
                        masked: crate::mask_id_number(std::str::from_utf8(id).unwrap_or("")),
                        index,
                    })
                }
                std::cmp::Ordering::Greater => return Err(BundleError::NotSorted { index }),
            }
        }
        previous = Some(id);
        let vlen = row[ID_LEN] as usize;
        let field = &row[ID_LEN + 1..ID_LEN + 1 + layout.version_width];
        if vlen > field.len() || !is_version(&field[..vlen]) {
            return Err(bad(
                "the reference version is not 1 to 64 printable characters",
            ));
        }
        if field[vlen..].iter().any(|&b| b != 0) {
            return Err(bad("bytes after the reference version are not zero"));
        }
        if row[ID_LEN + 1 + layout.version_width..]
            .iter()
            .all(|&c| c == 0)
        {
            return Err(bad("the embedding is all zeros"));
        }
    }
    Ok(())
}

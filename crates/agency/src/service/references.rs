//! Enrolling reference photos from files (`certpoint-agency reference add`).
//!
//! Each distinct photo is a new version, named by the start of its sha256, and becomes
//! the current one; older versions are kept (the server's match results name the
//! version they used). Enrolling the same photo again changes nothing. The embedding
//! is computed by the server-side matcher and stored with
//! `Storage::set_reference_embedding`.

use std::path::Path;

use super::{parse_id, ServiceError};
use crate::parse::hex_sha256;
use crate::storage::{Reference, ReferenceAdded, Storage};

/// The media type of a JPEG or PNG, from its first bytes.
pub fn media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The version name of a photo: the first 16 hex digits of its sha256.
pub fn version_of(bytes: &[u8]) -> String {
    hex_sha256(bytes)[..16].to_owned()
}

/// Enrols the photo in `path` as `id_number`'s current reference; returns its version.
pub fn add_from_file(
    storage: &dyn Storage,
    id_number: &str,
    path: &Path,
) -> Result<(String, ReferenceAdded), ServiceError> {
    let id = parse_id(id_number)?;
    let bytes = std::fs::read(path)
        .map_err(|e| ServiceError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let media_type = media_type(&bytes).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "{} is neither a JPEG nor a PNG photo",
            path.display()
        ))
    })?;
    let version = version_of(&bytes);
    let added = storage.put_reference(
        id.as_str(),
        &Reference {
            version: version.clone(),
            media_type: media_type.into(),
            bytes,
        },
    )?;
    Ok((version, added))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_recognised_by_their_first_bytes() {
        assert_eq!(media_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(media_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(media_type(b"GIF89a"), None);
        assert_eq!(version_of(b"x").len(), 16);
    }
}

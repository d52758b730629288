//! Enrolling reference photos from files: one (`certpoint-agency reference add`, the
//! photo only) or a directory of them (`reference import`, [`import_dir`]: each photo
//! checked for exactly one face and embedded at import).
//!
//! Each distinct photo is a new version, named by the start of its sha256, and becomes
//! the current one; older versions are kept (the server's match results name the
//! version they used). Enrolling the same photo again changes nothing but its
//! embedding, which is computed again (by this server's model). A photo enrolled with
//! `reference add` is embedded by the matcher when it is first needed.

use std::collections::HashMap;
use std::path::Path;

use certpoint_protocol::id_number::IdNumber;

use super::matching::{Matcher, Tally};
use super::{parse_id, ServiceError};
use crate::parse::hex_sha256;
use crate::storage::{Embedding, Reference, ReferenceAdded, Storage};

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

/// One file of a `reference import` directory and what became of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileReport {
    /// The file's name, an ID number in it masked.
    pub file: String,
    #[serde(flatten)]
    pub result: FileResult,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum FileResult {
    /// Enrolled with its embedding; the person's records awaiting a match were scored.
    Imported {
        version: String,
        /// `new`, `unchanged` (already the current photo) or `restored` (an older
        /// version made current again).
        change: &'static str,
        scored: Tally,
    },
    /// Nothing of this file was imported.
    Refused { reason: String },
}

/// What `reference import` did, file by file (in name order).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DirImport {
    pub files: Vec<FileReport>,
}

impl DirImport {
    pub fn imported(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.result, FileResult::Imported { .. }))
            .count()
    }

    pub fn refused(&self) -> usize {
        self.files.len() - self.imported()
    }
}

const NAMING: &str = "name reference photos <id_number>.jpg, .jpeg or .png";

/// Imports every photo in `dir` (not its subdirectories): files named
/// `<id_number>.jpg|.jpeg|.png` of people on the roster, each showing exactly one
/// face, embedded by `matcher`'s engine; then scores each imported person's records
/// awaiting a match. A bad file is reported with why and skipped; the good ones are
/// imported all the same. Two photos of one person in one directory are both refused
/// (which one is meant is the administrator's call).
pub fn import_dir(matcher: &Matcher, dir: &Path) -> Result<DirImport, ServiceError> {
    let unreadable =
        |e: std::io::Error| ServiceError::Invalid(format!("cannot read {}: {e}", dir.display()));
    let mut names: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    names.sort_by_key(|e| e.file_name());
    let mut files = Vec::new();
    let mut candidates = Vec::new();
    for entry in names {
        let name = entry.file_name().to_string_lossy().into_owned();
        let refuse = |reason: String| FileReport {
            file: shown_name(&name),
            result: FileResult::Refused { reason },
        };
        if !entry.path().is_file() {
            files.push(refuse("not a regular file".into()));
            continue;
        }
        let Some((stem, ext)) = name.rsplit_once('.') else {
            files.push(refuse(format!("no .jpg, .jpeg or .png ending; {NAMING}")));
            continue;
        };
        if !["jpg", "jpeg", "png"].contains(&ext.to_ascii_lowercase().as_str()) {
            files.push(refuse(format!("a .{ext} file; {NAMING}")));
            continue;
        }
        match IdNumber::parse(stem) {
            Ok(id) => candidates.push((name, id, entry.path())),
            Err(e) => files.push(refuse(format!(
                "the name is not a valid ID number ({e}); {NAMING}"
            ))),
        }
    }
    let mut per_person: HashMap<String, usize> = HashMap::new();
    for (_, id, _) in &candidates {
        *per_person.entry(id.as_str().to_owned()).or_default() += 1;
    }
    for (name, id, path) in candidates {
        let result = if per_person[id.as_str()] > 1 {
            FileResult::Refused {
                reason: "another photo of the same person is in this directory; keep one".into(),
            }
        } else {
            import_file(matcher, id.as_str(), &path)?
        };
        files.push(FileReport {
            file: shown_name(&name),
            result,
        });
    }
    files.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(DirImport { files })
}

/// One photo of a person with a valid ID number. Storage failures end the import
/// (what was imported before stays); a problem with the photo refuses the file.
fn import_file(matcher: &Matcher, id: &str, path: &Path) -> Result<FileResult, ServiceError> {
    let refused = |reason: String| Ok(FileResult::Refused { reason });
    let storage = matcher.storage();
    if storage.roster_entry(id)?.is_none() {
        return refused(
            "not on the roster; import the roster first (certpoint-agency roster import)".into(),
        );
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return refused(format!("cannot be read: {e}")),
    };
    let Some(media_type) = media_type(&bytes) else {
        return refused("neither a JPEG nor a PNG photo (by its content)".into());
    };
    let embedding = match matcher.faces().reference_photo(&bytes) {
        Ok(e) => e,
        Err(e) => return refused(e.to_string()),
    };
    let version = version_of(&bytes);
    let added = storage.add_reference(
        id,
        &Reference {
            version: version.clone(),
            media_type: media_type.into(),
            bytes,
        },
        Some(&Embedding {
            values: embedding.values,
            model_sha256: embedding.model_sha256,
        }),
    )?;
    let scored = matcher.score_person(id)?;
    Ok(FileResult::Imported {
        version,
        change: match added {
            ReferenceAdded::New => "new",
            ReferenceAdded::Unchanged => "unchanged",
            ReferenceAdded::Restored => "restored",
        },
        scored,
    })
}

/// A file name fit for a report or a log: a name with six or more digits may hold an
/// ID number, so all but its first and last four characters are masked.
pub fn shown_name(name: &str) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s, format!(".{e}")),
        None => (name, String::new()),
    };
    if stem.chars().filter(char::is_ascii_digit).count() < 6 {
        return name.to_owned();
    }
    let chars: Vec<char> = stem.chars().collect();
    let n = chars.len();
    let masked: String = chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if n > 8 && (i < 4 || i >= n - 4) {
                *c
            } else {
                '*'
            }
        })
        .collect();
    masked + &ext
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_with_id_numbers_are_masked_in_reports() {
        assert_eq!(
            shown_name("11010519491231002X.jpg"),
            "1101**********002X.jpg"
        );
        assert_eq!(shown_name("1101051949123100.png"), "1101********3100.png");
        assert_eq!(shown_name("notes.txt"), "notes.txt");
        assert_eq!(shown_name("README"), "README");
        assert_eq!(shown_name("1234567.jpg"), "*******.jpg");
    }

    #[test]
    fn photos_are_recognised_by_their_first_bytes() {
        assert_eq!(media_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(media_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(media_type(b"GIF89a"), None);
        assert_eq!(version_of(b"x").len(), 16);
    }
}

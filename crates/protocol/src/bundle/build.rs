//! Writing a bundle (the agency side): entries are encoded as they are pushed, so the
//! caller never holds all embeddings as f32 at once (200,000 × 512 × 4 = 410 MB), then
//! sorted by ID number, laid out and signed.

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;

use super::{
    encode, is_id_bytes, is_scope, is_version, parse_sha256, ENCODING_INT8, FORMAT_VERSION, ID_LEN,
    MAGIC, MAX_DIMENSION, MAX_ENTRIES, MAX_SCOPE_LEN, MAX_VERSION_LEN,
};
use crate::mask_id_number;
use crate::sign::{key_id, sign_bytes};

/// Why a bundle could not be built. ID numbers are masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("region {0:?} cannot be a bundle scope: use 1 to {MAX_SCOPE_LEN} letters, digits, '-' or '_' (e.g. the six-digit region code 110105)")]
    BadScope(String),
    #[error("{0:?} is not a sha256 (64 hex digits) of the embedding model file")]
    BadModelSha(String),
    #[error("dimension {0} is not between 1 and {MAX_DIMENSION}")]
    BadDimension(usize),
    #[error("{0} is not an 18-character resident ID number (17 digits and a check character 0-9 or X); fix it in the roster")]
    BadIdNumber(String),
    #[error("the reference version of {masked} ({version:?}) is not 1 to {MAX_VERSION_LEN} printable ASCII characters")]
    BadVersion { masked: String, version: String },
    #[error("the embedding of {masked} has {found} values, the bundle's dimension is {expected}; recompute it with the bundle's embedding model")]
    WrongLength {
        masked: String,
        found: usize,
        expected: usize,
    },
    #[error("the embedding of {masked} is all zeros or holds a value that is not a finite number; recompute it from the reference photo")]
    BadEmbedding { masked: String },
    #[error("{masked} is listed twice; a bundle holds one reference per person (the current one)")]
    Duplicate { masked: String },
    #[error("more than {MAX_ENTRIES} references for one bundle; split the region")]
    TooMany,
}

/// Collects references for one bundle. See the module docs for the layout.
pub struct BundleBuilder {
    scope: String,
    generated_at: DateTime<Utc>,
    model: [u8; 32],
    dimension: usize,
    rows: Vec<Row>,
    /// `dimension` codes per row, in push order.
    codes: Vec<u8>,
}

struct Row {
    id: [u8; ID_LEN],
    version: String,
}

impl BundleBuilder {
    /// A bundle for region `scope`, stamped `generated_at` (kept to the second), of
    /// `dimension`-value embeddings made by the model file whose sha256 is given.
    pub fn new(
        scope: &str,
        generated_at: DateTime<Utc>,
        model_sha256: &str,
        dimension: usize,
    ) -> Result<BundleBuilder, BuildError> {
        if !is_scope(scope) {
            return Err(BuildError::BadScope(scope.to_owned()));
        }
        let model = parse_sha256(model_sha256)
            .ok_or_else(|| BuildError::BadModelSha(model_sha256.to_owned()))?;
        if !(1..=MAX_DIMENSION).contains(&dimension) {
            return Err(BuildError::BadDimension(dimension));
        }
        Ok(BundleBuilder {
            scope: scope.to_owned(),
            generated_at,
            model,
            dimension,
            rows: Vec::new(),
            codes: Vec::new(),
        })
    }

    /// Adds one person's current reference. `id_number` must be the 18-character form
    /// (a lowercase `x` is stored as `X`).
    pub fn push(
        &mut self,
        id_number: &str,
        reference_version: &str,
        embedding: &[f32],
    ) -> Result<(), BuildError> {
        let masked = || mask_id_number(id_number);
        let mut id = [0u8; ID_LEN];
        if id_number.len() != ID_LEN {
            return Err(BuildError::BadIdNumber(masked()));
        }
        id.copy_from_slice(id_number.as_bytes());
        id[ID_LEN - 1] = id[ID_LEN - 1].to_ascii_uppercase();
        if !is_id_bytes(&id) {
            return Err(BuildError::BadIdNumber(masked()));
        }
        if !is_version(reference_version.as_bytes()) {
            return Err(BuildError::BadVersion {
                masked: masked(),
                version: reference_version.to_owned(),
            });
        }
        if embedding.len() != self.dimension {
            return Err(BuildError::WrongLength {
                masked: masked(),
                found: embedding.len(),
                expected: self.dimension,
            });
        }
        if self.rows.len() >= MAX_ENTRIES {
            return Err(BuildError::TooMany);
        }
        let start = self.codes.len();
        self.codes.resize(start + self.dimension, 0);
        if encode(embedding, &mut self.codes[start..]).is_none() {
            self.codes.truncate(start);
            return Err(BuildError::BadEmbedding { masked: masked() });
        }
        self.rows.push(Row {
            id,
            version: reference_version.to_owned(),
        });
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Sorts, lays out and signs the bundle with `key`.
    pub fn finish(self, key: &SigningKey) -> Result<Vec<u8>, BuildError> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_unstable_by(|&a, &b| self.rows[a].id.cmp(&self.rows[b].id));
        if let Some(w) = order
            .windows(2)
            .find(|w| self.rows[w[0]].id == self.rows[w[1]].id)
        {
            let id = std::str::from_utf8(&self.rows[w[0]].id).unwrap_or_default();
            return Err(BuildError::Duplicate {
                masked: mask_id_number(id),
            });
        }
        let width = self.rows.iter().map(|r| r.version.len()).max().unwrap_or(1);
        let stride = ID_LEN + 1 + width + self.dimension;
        let mut out = Vec::with_capacity(80 + self.scope.len() + self.rows.len() * stride + 64);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(ENCODING_INT8);
        out.push(width as u8);
        out.extend_from_slice(&key_id(&key.verifying_key()));
        out.extend_from_slice(&self.model);
        out.extend_from_slice(&(self.dimension as u16).to_le_bytes());
        out.extend_from_slice(&(self.rows.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.generated_at.timestamp().to_le_bytes());
        out.push(self.scope.len() as u8);
        out.extend_from_slice(self.scope.as_bytes());
        for i in order {
            let row = &self.rows[i];
            out.extend_from_slice(&row.id);
            out.push(row.version.len() as u8);
            out.extend_from_slice(row.version.as_bytes());
            out.resize(out.len() + width - row.version.len(), 0);
            out.extend_from_slice(&self.codes[i * self.dimension..(i + 1) * self.dimension]);
        }
        let signature = sign_bytes(key, &out);
        out.extend_from_slice(&signature);
        Ok(out)
    }
}

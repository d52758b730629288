//! What a face match needs, written once for the kiosk and the agency: the three models
//! a match runs (detector, landmarks, embedder), the one-face rule for reference photos,
//! the aligned face crop a record carries and how it is encoded, and the score.
//!
//! The kiosk's [`Vision`](crate::Vision) and the agency's [`Engine`](crate::Engine) both
//! embed through one `Core` (these three models), so a score the server computes for a
//! record is the score the kiosk would have computed: same models (checked by sha256),
//! same alignment, same preprocessing, same session options.

use std::io::Cursor;
use std::path::Path;

use image::RgbImage;
use ort::environment::Environment;

use crate::geometry::BoxF;
use crate::models::{Detector, Embedder, Landmarks};
use crate::{face, runtime, VisionError};

/// Length of an embedding (the embedder's `output` is [1, 512]).
pub const EMBEDDING_DIM: usize = 512;

/// Side of the aligned face crop in pixels: the embedder's input, and the face crop a
/// kiosk stores with each record.
pub const CROP_SIZE: u32 = 112;

/// JPEG quality of the stored face crop: 4.4–6.6 KB, and the embedding of the decoded
/// crop has cosine 0.996–0.999 with the original crop's (measured on tests/data/faces,
/// crates/face/tests/matching.rs).
pub const CROP_JPEG_QUALITY: u8 = 90;

/// The cosine similarity at or above which two faces are taken to be the same person:
/// the kiosk's `[thresholds] face_match` default and the agency's. It belongs to the
/// embedding model (see [`EMBEDDING_MODEL_SHA256`]): calibrated on real photo pairs
/// (models/README.md), same person 0.52–0.82, different people −0.27–0.22.
pub const DEFAULT_MATCH_THRESHOLD: f32 = 0.40;

/// Identity of the embedding model: the sha256 of its file, checked at load. Record it
/// beside every score, and never compare embeddings made by different models.
pub const EMBEDDING_MODEL_SHA256: &str = runtime::EMBEDDER.sha256;

/// A photo that was to show exactly one face (a reference photo, `certpoint compare`)
/// and did not, or could not be read. [`PhotoError::Engine`] is the engine's fault and
/// worth retrying; the others are the photo's and need a new photo.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("no face found in the photo; use a photo where the face is clearly visible, frontal and at least ~60 pixels wide")]
    NoFace,
    #[error("{count} faces found in the photo; crop it to the one person, since a comparison must not guess whose face is meant")]
    ManyFaces { count: usize },
    #[error("the photo cannot be decoded ({detail}); give a JPEG or PNG file")]
    Undecodable { detail: String },
    #[error(transparent)]
    Engine(#[from] VisionError),
}

/// A stored face crop that cannot be embedded. [`CropError::Engine`] is the engine's
/// fault; the others mean the crop is not what a certpoint kiosk stores.
#[derive(Debug, thiserror::Error)]
pub enum CropError {
    #[error("the face crop cannot be decoded as JPEG ({detail}); a certpoint kiosk stores the aligned face as a {CROP_SIZE}×{CROP_SIZE} JPEG, so this record's photo is damaged or not from a kiosk")]
    Undecodable { detail: String },
    #[error("the face crop is {width}×{height} pixels; a certpoint kiosk stores the aligned face as {CROP_SIZE}×{CROP_SIZE}, so this photo cannot be embedded without detection (use the reference-photo path for ordinary photos)")]
    WrongSize { width: u32, height: u32 },
    #[error("cannot encode the face crop as JPEG: {detail}")]
    Encode { detail: String },
    #[error(transparent)]
    Engine(#[from] VisionError),
}

/// Two embeddings that cannot be compared.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScoreError {
    #[error("an embedding has {found} values, expected {EMBEDDING_DIM} (the embedder with sha256 {EMBEDDING_MODEL_SHA256}); recompute it from its photo")]
    Length { found: usize },
    #[error("an embedding holds a value that is not a finite number; recompute it from its photo")]
    NotFinite,
    #[error("{found} bytes cannot be an embedding: {EMBEDDING_DIM} little-endian f32 values take {} bytes; recompute it from its photo", EMBEDDING_DIM * 4)]
    Bytes { found: usize },
}

/// The three models a match runs, and nothing else.
pub(crate) struct Core {
    pub detector: Detector,
    pub landmarks: Landmarks,
    pub embedder: Embedder,
}

impl Core {
    /// Opens the three sessions; the files must have been checked with
    /// [`runtime::verify`] first.
    pub fn open(env: &Environment, dir: &Path, threads: usize) -> Result<Core, VisionError> {
        Ok(Core {
            detector: Detector::new(runtime::session(env, dir, runtime::DETECTOR, threads)?),
            landmarks: Landmarks::new(runtime::session(env, dir, runtime::LANDMARKS, threads)?),
            embedder: Embedder::new(runtime::session(env, dir, runtime::EMBEDDER, threads)?),
        })
    }

    /// Embeds the face in `bbox`: landmarks → five points → alignment → embedding.
    /// Returns the unit embedding and the raw output's norm.
    pub fn embed_face(
        &mut self,
        img: &RgbImage,
        bbox: &BoxF,
    ) -> Result<(Vec<f32>, f32), VisionError> {
        let p = self.landmarks.landmarks(img, bbox)?;
        self.embedder.embed(img, &face::five_points(&p).five())
    }

    /// The one-face rule for a reference photo: several faces would make the
    /// comparison ambiguous, and the agency must fix its enrolment rather than a
    /// machine guess whose face is meant.
    pub fn embed_reference(&mut self, photo: &RgbImage) -> Result<Vec<f32>, PhotoError> {
        let found = self.detector.detect(photo)?;
        match found.as_slice() {
            [] => Err(PhotoError::NoFace),
            [(bbox, _)] => Ok(self.embed_face(photo, bbox)?.0),
            more => Err(PhotoError::ManyFaces { count: more.len() }),
        }
    }

    /// Embeds an aligned face crop as stored with a record: no detection, no landmarks.
    pub fn embed_crop(&mut self, crop: &RgbImage) -> Result<Vec<f32>, CropError> {
        let (width, height) = crop.dimensions();
        if (width, height) != (CROP_SIZE, CROP_SIZE) {
            return Err(CropError::WrongSize { width, height });
        }
        Ok(self.embedder.embed_aligned(crop)?.0)
    }
}

/// Cosine similarity of two unit embeddings (the embedder's outputs are normalised).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// [`cosine`] for embeddings that come from storage: both must have
/// [`EMBEDDING_DIM`] finite values. Whether they come from the same model is the
/// caller's to check (store [`EMBEDDING_MODEL_SHA256`] beside each embedding).
pub fn score(live: &[f32], reference: &[f32]) -> Result<f32, ScoreError> {
    for e in [live, reference] {
        if e.len() != EMBEDDING_DIM {
            return Err(ScoreError::Length { found: e.len() });
        }
        if !e.iter().all(|v| v.is_finite()) {
            return Err(ScoreError::NotFinite);
        }
    }
    Ok(cosine(live, reference))
}

/// An embedding as bytes for storage: [`EMBEDDING_DIM`] little-endian f32 values.
pub fn embedding_to_bytes(e: &[f32]) -> Vec<u8> {
    e.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The inverse of [`embedding_to_bytes`].
pub fn embedding_from_bytes(bytes: &[u8]) -> Result<Vec<f32>, ScoreError> {
    if bytes.len() != EMBEDDING_DIM * 4 {
        return Err(ScoreError::Bytes { found: bytes.len() });
    }
    let e: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if !e.iter().all(|v| v.is_finite()) {
        return Err(ScoreError::NotFinite);
    }
    Ok(e)
}

/// The record's face crop as JPEG (quality [`CROP_JPEG_QUALITY`]).
pub fn encode_crop_jpeg(crop: &RgbImage) -> Result<Vec<u8>, CropError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, CROP_JPEG_QUALITY)
        .encode_image(crop)
        .map_err(|e| CropError::Encode {
            detail: e.to_string(),
        })?;
    Ok(out)
}

/// A stored face crop back to pixels; it must be the [`CROP_SIZE`] square a kiosk stores.
pub fn decode_crop_jpeg(jpeg: &[u8]) -> Result<RgbImage, CropError> {
    let img = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .map_err(|e| CropError::Undecodable {
            detail: e.to_string(),
        })?
        .to_rgb8();
    let (width, height) = img.dimensions();
    if (width, height) != (CROP_SIZE, CROP_SIZE) {
        return Err(CropError::WrongSize { width, height });
    }
    Ok(img)
}

/// A JPEG or PNG photo (a reference photo as stored or uploaded) to pixels.
pub fn decode_photo(bytes: &[u8]) -> Result<RgbImage, PhotoError> {
    let format = image::guess_format(bytes).map_err(|e| PhotoError::Undecodable {
        detail: e.to_string(),
    })?;
    if !matches!(format, image::ImageFormat::Jpeg | image::ImageFormat::Png) {
        return Err(PhotoError::Undecodable {
            detail: format!("{format:?} is not supported"),
        });
    }
    image::ImageReader::with_format(Cursor::new(bytes), format)
        .decode()
        .map(|img| img.to_rgb8())
        .map_err(|e| PhotoError::Undecodable {
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u32) -> Vec<f32> {
        let v: Vec<f32> = (0..EMBEDDING_DIM)
            .map(|i| ((i as u32 * 7919 + seed * 104_729) % 1000) as f32 - 500.0)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn embeddings_survive_storage_bit_for_bit() {
        let e = unit(3);
        let bytes = embedding_to_bytes(&e);
        assert_eq!(bytes.len(), EMBEDDING_DIM * 4);
        assert_eq!(embedding_from_bytes(&bytes).unwrap(), e);
        assert_eq!(
            embedding_from_bytes(&bytes[..100]),
            Err(ScoreError::Bytes { found: 100 })
        );
        let mut nan = bytes.clone();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(embedding_from_bytes(&nan), Err(ScoreError::NotFinite));
    }

    #[test]
    fn score_is_the_cosine_and_refuses_what_cannot_be_compared() {
        let (a, b) = (unit(1), unit(2));
        assert!((score(&a, &a).unwrap() - 1.0).abs() < 1e-5);
        assert_eq!(score(&a, &b).unwrap(), cosine(&a, &b));
        assert_eq!(score(&a, &b[..10]), Err(ScoreError::Length { found: 10 }));
        let mut inf = b.clone();
        inf[5] = f32::INFINITY;
        assert_eq!(score(&a, &inf), Err(ScoreError::NotFinite));
        let msg = ScoreError::Length { found: 10 }.to_string();
        assert!(
            msg.contains(EMBEDDING_MODEL_SHA256) && msg.contains("recompute"),
            "{msg}"
        );
    }

    #[test]
    fn a_crop_round_trips_through_jpeg_and_other_sizes_are_refused() {
        let crop = RgbImage::from_fn(CROP_SIZE, CROP_SIZE, |x, y| {
            image::Rgb([(x * 2) as u8, (y * 2) as u8, 128])
        });
        let jpeg = encode_crop_jpeg(&crop).unwrap();
        let back = decode_crop_jpeg(&jpeg).unwrap();
        assert_eq!(back.dimensions(), (CROP_SIZE, CROP_SIZE));
        let worst = crop
            .as_raw()
            .iter()
            .zip(back.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 8, "JPEG at quality 90 moved a level by {worst}");

        let big = encode_crop_jpeg(&RgbImage::new(160, 120)).unwrap();
        let err = decode_crop_jpeg(&big).unwrap_err();
        assert!(
            matches!(
                err,
                CropError::WrongSize {
                    width: 160,
                    height: 120
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("112×112"), "{err}");
        let err = decode_crop_jpeg(b"not a jpeg").unwrap_err();
        assert!(matches!(err, CropError::Undecodable { .. }), "{err}");
    }

    #[test]
    fn photos_must_be_jpeg_or_png() {
        let mut png = Vec::new();
        RgbImage::new(8, 8)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(decode_photo(&png).unwrap().dimensions(), (8, 8));
        let err = decode_photo(b"GIF89a....").unwrap_err();
        assert!(matches!(err, PhotoError::Undecodable { .. }), "{err}");
        assert!(err.to_string().contains("JPEG or PNG"), "{err}");
    }
}

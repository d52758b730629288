//! Server-side matching on real photos (tests/data/faces) with the real models: a
//! reference photo enrolled on the agency against the face crops a kiosk stores with
//! its records, at the threshold the kiosk is configured with.

use std::path::{Path, PathBuf};

use certpoint_agency::faces::{FaceArgs, Faces, FacesError};
use certpoint_face::{
    cosine, PhotoError, Vision, Wants, DEFAULT_MATCH_THRESHOLD, EMBEDDING_MODEL_SHA256,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn photo(name: &str) -> PathBuf {
    repo().join("tests/data/faces").join(name)
}

/// The agency as it would be started: models directory, runtime found as the kiosk
/// finds it (scripts/setup test installs it), the kiosk's threshold.
fn faces(threshold: f32) -> Faces {
    Faces::open(&FaceArgs {
        models: repo().join("models"),
        onnxruntime: None,
        match_threshold: threshold,
        face_threads: 1,
    })
    .unwrap()
}

/// `[thresholds] face_match` of the shipped kiosk-config.toml: the set value, or the
/// documented default when the line is commented out (which must be the compiled one).
fn kiosk_threshold() -> f32 {
    let text = std::fs::read_to_string(repo().join("kiosk-config.toml")).unwrap();
    let mut section = "";
    let (mut set, mut documented) = (None, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if section != "[thresholds]" {
            continue;
        }
        let (commented, rest) = match line.strip_prefix('#') {
            Some(r) => (true, r.trim()),
            None => (false, line),
        };
        if let Some(v) = rest.strip_prefix("face_match") {
            let v: f32 = v.trim_start_matches([' ', '=']).trim().parse().unwrap();
            if commented {
                documented = Some(v);
            } else {
                set = Some(v);
            }
        }
    }
    assert_eq!(
        documented,
        Some(DEFAULT_MATCH_THRESHOLD),
        "kiosk-config.toml"
    );
    set.unwrap_or(DEFAULT_MATCH_THRESHOLD)
}

/// What a kiosk stores for a live face in `name`: the aligned crop of the subject, as
/// JPEG, made by the kiosk's own pipeline; and the kiosk's live embedding.
fn kiosk_crop(v: &mut Vision, name: &str) -> (Vec<u8>, Vec<f32>) {
    let img = certpoint_face::image::open(photo(name)).unwrap().to_rgb8();
    let a = v.analyze(&img, false, Wants::default()).unwrap();
    assert_eq!(a.face_count, 1, "{name}");
    let (live, _) = v.embed_face(&img, &a.faces[0].bbox).unwrap();
    (v.last_crop_jpeg().unwrap(), live)
}

#[test]
fn the_same_person_matches_on_the_server_and_another_person_does_not() {
    let threshold = kiosk_threshold();
    let faces = faces(threshold);
    let reference = faces.reference_file(&photo("obama_portrait.jpg")).unwrap();
    assert_eq!(reference.model_sha256, EMBEDDING_MODEL_SHA256);

    let mut kiosk = Vision::load(&repo().join("models"), None, 1).unwrap();
    let mut scores = Vec::new();
    for (name, same) in [
        ("obama_podium.jpg", true),
        ("obama_briefing.jpg", true),
        ("obama_standing.jpg", true),
        ("biden_portrait.jpg", false),
        ("biden_standing.jpg", false),
        ("astronaut.jpg", false),
    ] {
        let (crop, live) = kiosk_crop(&mut kiosk, name);
        let s = faces.score_crop(&crop, &reference).unwrap();
        let on_kiosk = cosine(&live, &reference.values);
        eprintln!(
            "{name}: server {:.4}, kiosk {on_kiosk:.4} (threshold {threshold})",
            s.score
        );
        assert_eq!(s.threshold, threshold);
        assert_eq!(s.matched, same, "{name}: score {}", s.score);
        assert_eq!(s.models["embedder"], EMBEDDING_MODEL_SHA256);
        // The server judges the stored JPEG; the kiosk judged the crop before JPEG.
        assert!(
            (s.score - on_kiosk).abs() < 0.02,
            "{name}: {s:?} vs {on_kiosk}"
        );
        scores.push((same, s.score));
    }
    let lowest_same = scores
        .iter()
        .filter(|s| s.0)
        .map(|s| s.1)
        .fold(1.0, f32::min);
    let highest_other = scores
        .iter()
        .filter(|s| !s.0)
        .map(|s| s.1)
        .fold(-1.0, f32::max);
    assert!(
        lowest_same >= threshold && threshold > highest_other,
        "same person ≥ {lowest_same}, others ≤ {highest_other}, threshold {threshold}"
    );
}

#[test]
fn a_reference_photo_with_two_faces_is_refused_by_its_masked_name() {
    let faces = faces(DEFAULT_MATCH_THRESHOLD);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("11010519491231002X.jpg");
    std::fs::copy(photo("obama_biden_two_people.jpg"), &file).unwrap();
    let err = faces.reference_file(&file).unwrap_err();
    assert!(
        matches!(
            &err,
            FacesError::Photo {
                source: PhotoError::ManyFaces { count: 2 },
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_server_fault());
    let msg = err.to_string();
    assert!(msg.contains("1101**********002X.jpg"), "{msg}");
    assert!(!msg.contains("11010519491231002X"), "{msg}");
    assert!(msg.contains("2 faces found"), "{msg}");
}

#[test]
fn a_stored_reference_embedding_scores_as_the_fresh_one() {
    let faces = faces(DEFAULT_MATCH_THRESHOLD);
    let fresh = faces.reference_file(&photo("biden_portrait.jpg")).unwrap();
    let stored = certpoint_agency::faces::ReferenceEmbedding::from_bytes(
        &fresh.to_bytes(),
        &fresh.model_sha256,
    )
    .unwrap();
    assert_eq!(stored, fresh);
    let mut kiosk = Vision::load(&repo().join("models"), None, 1).unwrap();
    let (crop, _) = kiosk_crop(&mut kiosk, "biden_standing.jpg");
    assert_eq!(
        faces.score_crop(&crop, &stored).unwrap(),
        faces.score_crop(&crop, &fresh).unwrap()
    );
}

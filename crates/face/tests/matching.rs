//! The agency's engine against the kiosk's pipeline on real photos (tests/data/faces):
//! a stored face crop embeds to the kiosk's embedding, a reference photo to the kiosk's
//! reference embedding, and the one-face rule refuses what it must.

use std::path::{Path, PathBuf};

use certpoint_face::{
    cosine, CropError, Engine, EngineSettings, PhotoError, Vision, Wants, CROP_SIZE,
};
use image::RgbImage;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn models() -> PathBuf {
    repo().join("models")
}

fn load(name: &str) -> RgbImage {
    image::open(repo().join("tests/data/faces").join(name))
        .unwrap()
        .to_rgb8()
}

fn vision() -> Vision {
    Vision::load(&models(), None, 1)
        .expect("models and ONNX Runtime (scripts/setup test installs it)")
}

/// Every photo of tests/data/faces that shows one face.
const SINGLE_FACES: [&str; 10] = [
    "astronaut.jpg",
    "biden_portrait.jpg",
    "biden_standing.jpg",
    "obama_briefing.jpg",
    "obama_podium.jpg",
    "obama_portrait.jpg",
    "obama_standing.jpg",
    "silentface_F1_spoof.jpg",
    "silentface_F2_spoof.jpg",
    "silentface_T1_real.jpg",
];

/// The kiosk's match path (`driver::run_match`): the subject's box from the frame
/// analysis, then `embed_face`; returns the live embedding and the record's crop.
fn kiosk_match(v: &mut Vision, img: &RgbImage) -> (Vec<f32>, RgbImage, Vec<u8>) {
    let a = v.analyze(img, false, Wants::default()).unwrap();
    let bbox = a.faces[0].bbox;
    let (live, _) = v.embed_face(img, &bbox).unwrap();
    (live, v.last_aligned_crop(), v.last_crop_jpeg().unwrap())
}

#[test]
fn a_stored_face_crop_embeds_to_the_kiosks_own_embedding() {
    let mut v = vision();
    let engine = Engine::new(EngineSettings::new(models()));
    let mut worst_jpeg = 1.0f32;
    for name in SINGLE_FACES {
        let (live, crop, jpeg) = kiosk_match(&mut v, &load(name));
        assert_eq!(crop.dimensions(), (CROP_SIZE, CROP_SIZE));
        // The crop itself: the very input the kiosk's model saw, so the same numbers.
        let server = engine.embed_crop(&crop).unwrap();
        assert_eq!(
            server, live,
            "{name}: the crop embeds differently on the server"
        );
        // The crop as the record carries it (JPEG): what the agency actually gets.
        let from_jpeg = engine.embed_crop_jpeg(&jpeg).unwrap();
        let s = cosine(&from_jpeg, &live);
        eprintln!(
            "{name}: kiosk vs stored JPEG crop cosine {s:.4} ({} bytes)",
            jpeg.len()
        );
        worst_jpeg = worst_jpeg.min(s);
    }
    assert!(
        worst_jpeg >= 0.99,
        "JPEG storage moved an embedding to cosine {worst_jpeg}"
    );
}

#[test]
fn a_reference_photo_embeds_as_the_kiosk_embeds_it() {
    let mut v = vision();
    let engine = Engine::new(EngineSettings::new(models()));
    for name in ["obama_portrait.jpg", "biden_portrait.jpg", "astronaut.jpg"] {
        let img = load(name);
        let wants = Wants {
            embedding: true,
            ..Wants::default()
        };
        let analysed = v.analyze(&img, false, wants).unwrap().faces[0]
            .embedding
            .clone()
            .unwrap();
        assert_eq!(v.embed_reference(&img).unwrap(), analysed, "{name}");
        assert_eq!(engine.embed_reference(&img).unwrap(), analysed, "{name}");
    }
}

#[test]
fn a_reference_photo_must_show_exactly_one_face() {
    let engine = Engine::new(EngineSettings::new(models()));
    let err = engine
        .embed_reference(&load("obama_biden_two_people.jpg"))
        .unwrap_err();
    assert!(matches!(err, PhotoError::ManyFaces { count: 2 }), "{err}");
    assert!(err.to_string().contains("2 faces found"), "{err}");

    let wall = RgbImage::from_pixel(640, 480, image::Rgb([180, 170, 160]));
    let err = engine.embed_reference(&wall).unwrap_err();
    assert!(matches!(err, PhotoError::NoFace), "{err}");
    assert!(err.to_string().contains("frontal"), "{err}");

    let bytes = std::fs::read(repo().join("tests/data/faces/obama_portrait.jpg")).unwrap();
    assert_eq!(
        engine.embed_reference_bytes(&bytes).unwrap(),
        engine.embed_reference(&load("obama_portrait.jpg")).unwrap()
    );
    let err = engine.embed_reference_bytes(b"%PDF-1.4").unwrap_err();
    assert!(matches!(err, PhotoError::Undecodable { .. }), "{err}");
}

#[test]
fn a_whole_photo_is_not_taken_for_a_crop() {
    let engine = Engine::new(EngineSettings::new(models()));
    let err = engine.embed_crop(&load("astronaut.jpg")).unwrap_err();
    assert!(
        matches!(
            err,
            CropError::WrongSize {
                width: 512,
                height: 512
            }
        ),
        "{err}"
    );
}

#[test]
fn a_corrupt_embedder_is_refused_with_its_name_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["face_detect_rfb320.onnx", "face_landmark68.onnx"] {
        std::fs::copy(models().join(f), dir.path().join(f)).unwrap();
    }
    let bytes = std::fs::read(models().join("face_embed_mobilefacenet.onnx")).unwrap();
    std::fs::write(
        dir.path().join("face_embed_mobilefacenet.onnx"),
        &bytes[..1000],
    )
    .unwrap();
    let engine = Engine::new(EngineSettings::new(dir.path()));
    let err = engine.load().unwrap_err().to_string();
    assert!(
        err.contains("face_embed_mobilefacenet.onnx")
            && err.contains(certpoint_face::EMBEDDING_MODEL_SHA256)
            && err.contains("build-models.sh"),
        "{err}"
    );
    // The engine needs only its three models: the kiosk's others may be absent.
    std::fs::write(dir.path().join("face_embed_mobilefacenet.onnx"), &bytes).unwrap();
    engine.load().unwrap();
    assert!(engine.is_loaded());
}

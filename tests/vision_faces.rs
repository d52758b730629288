//! The real models on real photos (tests/data/faces, sources in its README), checked
//! against the figures the Python reference pipeline (bench/python_reference.py) gives
//! for the same files (tests/data/faces/expected.json).

use std::path::{Path, PathBuf};

use certpoint::vision::{cosine, Vision, Wants};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn vision() -> Vision {
    Vision::load(&root().join("models"), None, 1)
        .expect("models and ONNX Runtime (scripts/setup test installs it)")
}

fn expected() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/faces/expected.json")).unwrap(),
    )
    .unwrap()
}

fn load(name: &str) -> image::RgbImage {
    image::open(root().join("tests/data/faces").join(name))
        .unwrap()
        .to_rgb8()
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    if std::env::var_os("VISION_REPORT").is_some() {
        eprintln!("{what}: rust {a:.4} python {b:.4} diff {:.4}", a - b);
        return;
    }
    assert!(
        (a - b).abs() <= tol,
        "{what}: rust {a} vs python {b} (tolerance {tol})"
    );
}

#[test]
fn every_photo_matches_the_python_reference() {
    let mut v = vision();
    let exp = expected();
    let images = exp["images"].as_object().unwrap();
    assert!(images.len() >= 10);
    for (name, e) in images {
        let img = load(name);
        let a = v
            .analyze(
                &img,
                false,
                Wants {
                    liveness: true,
                    embedding: true,
                },
            )
            .unwrap();
        let faces = e["faces"].as_array().unwrap();
        assert_eq!(a.face_count, faces.len(), "{name}: face count");
        if faces.is_empty() {
            continue;
        }
        // Python lists faces by detector order; ours puts the largest first.
        let f = &a.faces[0];
        let ef = faces
            .iter()
            .min_by(|x, y| {
                let d = |b: &Value| (b["box"][0].as_f64().unwrap() - f.bbox.x1 as f64).abs();
                d(x).total_cmp(&d(y))
            })
            .unwrap();
        let b = &ef["box"];
        for (i, got) in [f.bbox.x1, f.bbox.y1, f.bbox.x2, f.bbox.y2]
            .into_iter()
            .enumerate()
        {
            close(
                got as f64,
                b[i].as_f64().unwrap(),
                2.0,
                &format!("{name} box[{i}]"),
            );
        }
        for (i, p) in f.landmarks.five().into_iter().enumerate() {
            close(
                p.0 as f64,
                ef["five_points"][i][0].as_f64().unwrap(),
                2.0,
                &format!("{name} point {i} x"),
            );
            close(
                p.1 as f64,
                ef["five_points"][i][1].as_f64().unwrap(),
                2.0,
                &format!("{name} point {i} y"),
            );
        }
        for i in 0..2 {
            close(
                f.eye_openness[i] as f64,
                ef["eye_openness"][i].as_f64().unwrap(),
                0.03,
                &format!("{name} eye {i}"),
            );
        }
        let yaw_deg = (ef["yaw"].as_f64().unwrap() / 0.5).atan().to_degrees();
        close(f.pose.yaw as f64, yaw_deg, 1.5, &format!("{name} yaw"));
        close(
            f.pose.roll as f64,
            ef["roll_deg"].as_f64().unwrap(),
            1.0,
            &format!("{name} roll"),
        );
        // The image crate and Pillow decode JPEG with different IDCTs (±1 level), which
        // moves boxes by ~0.1 px; Silent-Face's crop truncates to whole pixels, so the
        // crop can shift by one pixel and borderline scores (0.6–0.7) swing by up to
        // ~0.08. The verdict must agree; the figure within 0.1.
        let (live, py_live) = (
            f.passive_liveness.unwrap() as f64,
            ef["liveness_probs"][1].as_f64().unwrap(),
        );
        close(live, py_live, 0.1, &format!("{name} liveness"));
        assert_eq!(
            live >= 0.5,
            py_live >= 0.5,
            "{name}: liveness verdict differs ({live} vs {py_live})"
        );
        let emb = f.embedding.as_ref().unwrap();
        for i in 0..4 {
            close(
                emb[i] as f64,
                ef["embedding_first4"][i].as_f64().unwrap(),
                0.02,
                &format!("{name} embedding[{i}]"),
            );
        }
    }
}

#[test]
fn the_box_lands_on_the_face_and_the_eyes_sit_inside_it() {
    let mut v = vision();
    let img = load("astronaut.jpg");
    let a = v.analyze(&img, false, Wants::default()).unwrap();
    assert_eq!(a.face_count, 1);
    let f = &a.faces[0];
    // Eileen Collins' face in the 512×512 astronaut photo spans roughly x 180–270, y 65–175.
    assert!(
        f.bbox.x1 > 160.0 && f.bbox.x2 < 290.0 && f.bbox.y1 > 40.0 && f.bbox.y2 < 200.0,
        "{:?}",
        f.bbox
    );
    let (l, r) = (f.landmarks.left_eye, f.landmarks.right_eye);
    assert!(l.0 < r.0, "image-left eye is left of the image-right eye");
    for e in [l, r] {
        assert!(
            e.0 > f.bbox.x1
                && e.0 < f.bbox.x2
                && e.1 > f.bbox.y1
                && e.1 < f.bbox.y1 + f.bbox.height() * 0.6,
            "{e:?}"
        );
    }
    assert!(f.landmarks.nose.1 > l.1 && f.landmarks.mouth_left.1 > f.landmarks.nose.1);
}

#[test]
fn the_same_face_edited_matches_and_different_people_do_not() {
    let mut v = vision();
    let img = load("astronaut.jpg");
    let embed = |v: &mut Vision, img: &image::RgbImage| {
        let a = v
            .analyze(
                img,
                false,
                Wants {
                    embedding: true,
                    ..Wants::default()
                },
            )
            .unwrap();
        a.faces[0].embedding.clone().expect("one face")
    };
    let base = embed(&mut v, &img);
    let mirrored = image::imageops::flip_horizontal(&img);
    let mut shifted = image::RgbImage::new(600, 560);
    image::imageops::overlay(&mut shifted, &img, 60, 30);
    let scaled = image::imageops::resize(&img, 400, 400, image::imageops::FilterType::Triangle);
    let brighter = image::imageops::colorops::brighten(&img, 40);
    for (what, edited) in [
        ("mirrored", mirrored),
        ("shifted", shifted),
        ("scaled", scaled),
        ("brightened", brighter),
    ] {
        let s = cosine(&base, &embed(&mut v, &edited));
        assert!(s > 0.85, "{what}: similarity {s}");
    }
    for other in ["obama_portrait.jpg", "biden_portrait.jpg"] {
        let s = cosine(&base, &embed(&mut v, &load(other)));
        assert!(s < 0.3, "astronaut vs {other}: {s}");
    }
}

#[test]
fn a_missing_or_corrupt_model_names_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(root().join("models")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    let victim = dir.path().join("face_landmark68.onnx");
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let err = Vision::load(dir.path(), None, 1)
        .err()
        .expect("truncated model must be refused")
        .to_string();
    assert!(
        err.contains("face_landmark68.onnx") && err.contains("f10b0ba1d2a8a099"),
        "{err}"
    );
    assert!(err.contains("build-models.sh"), "{err}");
    std::fs::remove_file(&victim).unwrap();
    let err = Vision::load(dir.path(), None, 1).err().unwrap().to_string();
    assert!(
        err.contains("face_landmark68.onnx") && err.contains("cannot be read"),
        "{err}"
    );
}

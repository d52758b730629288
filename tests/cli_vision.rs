//! `certpoint analyze` and `certpoint compare` as a user runs them, on the real models.

use std::path::Path;
use std::process::{Command, Output};

fn certpoint(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .args(args)
        .current_dir(root)
        .env_remove("CERTPOINT_CONFIG")
        .output()
        .expect("run certpoint")
}

fn faces(name: &str) -> String {
    format!("tests/data/faces/{name}")
}

#[test]
fn analyze_prints_one_object_per_image_with_the_named_keys() {
    let o = certpoint(&[
        "analyze",
        &faces("astronaut.jpg"),
        &faces("obama_biden_two_people.jpg"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let objs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 2);
    assert_eq!(objs[0]["faces"].as_array().unwrap().len(), 1);
    assert_eq!(objs[1]["faces"].as_array().unwrap().len(), 2);
    let f = &objs[0]["faces"][0];
    for key in [
        "box",
        "score",
        "landmarks",
        "yaw",
        "pitch",
        "roll",
        "eye_openness",
        "quality",
        "passive_liveness",
        "embedding_norm",
    ] {
        assert!(!f[key].is_null(), "missing {key} in {f}");
    }
    for key in ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"] {
        assert_eq!(f["landmarks"][key].as_array().unwrap().len(), 2);
    }
    assert!(f["score"].as_f64().unwrap() > 0.9);
}

#[test]
fn analyze_reports_an_empty_face_list_when_there_is_no_face() {
    let dir = tempfile::tempdir().unwrap();
    let blank = dir.path().join("wall.png");
    image::RgbImage::from_pixel(640, 480, image::Rgb([180, 170, 160]))
        .save(&blank)
        .unwrap();
    let o = certpoint(&["analyze", blank.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["faces"], serde_json::json!([]));
}

#[test]
fn compare_says_same_person_for_two_photos_of_one_man_and_not_for_two_men() {
    let o = certpoint(&[
        "compare",
        &faces("obama_portrait.jpg"),
        &faces("obama_podium.jpg"),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["same_person"], true, "{v}");
    assert_eq!(v["threshold"], 0.4);
    let o = certpoint(&[
        "compare",
        &faces("obama_portrait.jpg"),
        &faces("biden_portrait.jpg"),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["same_person"], false, "{v}");
    assert!(v["similarity"].as_f64().unwrap() < 0.3);
}

#[test]
fn compare_refuses_a_photo_with_several_faces_or_none() {
    let o = certpoint(&[
        "compare",
        &faces("obama_portrait.jpg"),
        &faces("obama_biden_two_people.jpg"),
        "--json",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2 faces found") && err.contains("obama_biden_two_people.jpg"),
        "{err}"
    );
}

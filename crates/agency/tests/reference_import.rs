//! `certpoint-agency reference import DIR`, run as the built binary with the real
//! models on real photos, beside a running server: a report per file (good ones
//! imported, bad ones refused with why, exit 1), embeddings stored with the model's
//! sha256, a version per photo with history kept, and the records that waited for a
//! reference scored in that process, so the kiosk-facing status follows.

mod agency_support;

use std::path::Path;

use agency_support::*;
use certpoint_agency::Storage;
use certpoint_face::EMBEDDING_MODEL_SHA256;

/// Not on the roster (a valid ID number).
const ID_STRANGER: &str = "110101200002290026";

fn copy(photo: &str, dir: &Path, name: &str) {
    std::fs::copy(face_photo(photo), dir.join(name)).unwrap();
}

/// A photo without a face: an even grey-blue gradient, as a scanner's empty page.
fn no_face(path: &Path) {
    let img = certpoint_face::image::RgbImage::from_fn(320, 240, |x, y| {
        certpoint_face::image::Rgb([90 + (x / 8) as u8, 110 + (y / 8) as u8, 150])
    });
    img.save(path).unwrap();
}

#[test]
fn a_directory_is_imported_file_by_file_and_waiting_records_are_scored() {
    let mut a = Agency::new();
    a.start(Some(faces()));
    // A was never enrolled when the kiosk sent the attempt: it waits.
    let waiting = a.post_pending(1, ID_A, Some(&kiosk_crop("obama_podium.jpg")));
    assert_eq!(a.status(ID_A), "pending_review");
    let r = a.cli(&["records", "list"]);
    assert!(
        r.stdout.contains("no reference photo enrolled yet"),
        "{}",
        r.stdout
    );

    let photos = tempfile::tempdir().unwrap();
    let p = photos.path();
    copy("obama_portrait.jpg", p, &format!("{ID_A}.jpg"));
    copy("biden_portrait.jpg", p, &format!("{ID_D}.JPEG"));
    no_face(&p.join(format!("{ID_B}.png")));
    copy("obama_biden_two_people.jpg", p, &format!("{ID_C}.jpg"));
    copy("astronaut.jpg", p, &format!("{ID_STRANGER}.jpg"));
    copy("astronaut.jpg", p, "astronaut.jpg");
    std::fs::write(p.join("notes.txt"), "photos from the 2026 enrolment").unwrap();
    std::fs::create_dir(p.join("old")).unwrap();

    let r = a.cli(&["reference", "import", p.to_str().unwrap()]);
    assert_eq!(
        r.code, 1,
        "a bad file makes the exit status 1: {}",
        r.stderr
    );
    let out = &r.stdout;
    eprintln!("{out}");
    let line = |start: &str| {
        out.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line for {start}: {out}"))
    };
    let a_line = line("1101**********002X.jpg: imported, version ");
    assert!(
        a_line.ends_with("(new); 1 record(s) awaiting a match scored: 1 matched"),
        "{a_line}"
    );
    assert!(line("3101**********1236.JPEG: imported, version ").contains("(new)"));
    assert!(line("1101**********0038.png: NOT imported").contains("no face found"));
    assert!(line("1101**********0014.jpg: NOT imported").contains("2 faces found"));
    assert!(line("1101**********0026.jpg: NOT imported").contains("not on the roster"));
    assert!(line("astronaut.jpg: NOT imported").contains("not a valid ID number"));
    assert!(line("notes.txt: NOT imported").contains("<id_number>.jpg, .jpeg or .png"));
    assert!(line("old: NOT imported").contains("not a regular file"));
    assert!(
        out.contains("2 photo(s) imported, 6 file(s) NOT imported (see above; the imported ones stay imported"),
        "{out}"
    );
    for id in [ID_A, ID_B, ID_C, ID_D, ID_STRANGER] {
        assert!(
            !out.contains(id) && !r.stderr.contains(id),
            "{id} in the clear"
        );
    }

    // Scored by the importing process; the server's status follows.
    let m = a.storage.record_match(&waiting).unwrap().expect("scored");
    assert!(m.matched(), "{m:?}");
    assert_eq!(a.status(ID_A), "certified");
    assert_eq!(a.status(ID_D), "not_certified");
    let versions = a.storage.reference_versions(ID_A).unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0].embedding_model_sha256.as_deref(),
        Some(EMBEDDING_MODEL_SHA256)
    );
    assert!(a_line.contains(&versions[0].version), "{a_line}");

    // Another photo of A: a new version, the old one kept; the record is scored again
    // against it. The same photo again changes nothing.
    let again = tempfile::tempdir().unwrap();
    copy("obama_briefing.jpg", again.path(), &format!("{ID_A}.jpg"));
    let r = a.cli(&[
        "reference",
        "import",
        again.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(
        (v["imported"].as_u64(), v["refused"].as_u64()),
        (Some(1), Some(0))
    );
    let file = &v["files"][0];
    assert_eq!(file["file"], "1101**********002X.jpg");
    assert_eq!(file["result"], "imported");
    assert_eq!(file["change"], "new");
    assert_eq!(file["scored"]["matched"], 1);
    let versions = a.storage.reference_versions(ID_A).unwrap();
    assert_eq!(versions.len(), 2, "history kept");
    assert!(versions[1].current);
    let rescored = a.storage.record_match(&waiting).unwrap().unwrap();
    assert_eq!(rescored.reference_version, versions[1].version);
    let r = a.cli(&[
        "reference",
        "import",
        again.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.json()["files"][0]["change"], "unchanged");
    assert_eq!(a.storage.reference_versions(ID_A).unwrap().len(), 2);
}

#[test]
fn without_the_models_nothing_is_imported_and_the_message_says_which_flag() {
    let a = Agency::new();
    let photos = tempfile::tempdir().unwrap();
    copy("obama_portrait.jpg", photos.path(), &format!("{ID_A}.jpg"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_certpoint-agency"))
        .arg("--data")
        .arg(a.data())
        .args(["reference", "import"])
        .arg(photos.path())
        .args(["--models", "/nonexistent/models"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing was imported") && err.contains("--models"),
        "{err}"
    );
    assert!(a.storage.reference_versions(ID_A).unwrap().is_empty());
}

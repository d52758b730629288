//! Server-side matching end to end: signed `pending_match` records with real aligned
//! face crops posted over HTTP on 127.0.0.1, scored by the real models against
//! references enrolled from real photos (tests/data/faces), and the person's status
//! as a kiosk reads it. Waiting for the matching thread polls with a deadline.

mod agency_support;

use std::sync::Arc;

use agency_support::*;
use certpoint_agency::faces::{FaceArgs, Faces};
use certpoint_agency::service::matching::{MatchError, Matcher, Scoring, Unscored};
use certpoint_agency::service::references::{import_dir, FileResult};
use certpoint_agency::storage::AwaitingMatch;
use certpoint_agency::Storage;
use certpoint_face::{DEFAULT_MATCH_THRESHOLD, EMBEDDING_MODEL_SHA256};

/// Enrols `photo` as `id`'s reference as `reference import` does; returns its version.
fn enrol(a: &Agency, faces: &Arc<Faces>, id: &str, photo: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(face_photo(photo), dir.path().join(format!("{id}.jpg"))).unwrap();
    let matcher = Matcher::new(a.storage.clone(), faces.clone());
    let report = import_dir(&matcher, dir.path()).unwrap();
    match &report.files[0].result {
        FileResult::Imported { version, .. } => version.clone(),
        other => panic!("{photo}: {other:?}"),
    }
}

fn health(a: &Agency) -> String {
    let r = request(a.addr(), "GET", "/v1/health", &[], b"");
    r.json()["matching"].as_str().unwrap().to_owned()
}

#[test]
fn a_pending_record_is_scored_on_arrival_and_the_status_follows() {
    let faces = faces();
    let mut a = Agency::new();
    let obama = enrol(&a, &faces, ID_A, "obama_portrait.jpg");
    enrol(&a, &faces, ID_B, "biden_portrait.jpg");
    a.start(Some(faces));
    assert_eq!(health(&a), "ready");

    // The enrolled person: matched, certified.
    let same = a.post_pending(1, ID_A, Some(&kiosk_crop("obama_podium.jpg")));
    let m = a.wait_for_match(&same);
    assert!(m.matched(), "{m:?}");
    assert_eq!(m.threshold, DEFAULT_MATCH_THRESHOLD);
    assert_eq!(m.reference_version, obama);
    assert_eq!(m.models["embedder"], EMBEDDING_MODEL_SHA256);
    assert_eq!(a.status(ID_A), "certified");

    // A live stranger claiming B's ID number: scored below the threshold, for review.
    let stranger = a.post_pending(2, ID_B, Some(&kiosk_crop("obama_briefing.jpg")));
    let m = a.wait_for_match(&stranger);
    assert!(!m.matched() && m.score < m.threshold, "{m:?}");
    assert_eq!(a.status(ID_B), "pending_review");

    // No crop: nothing to compare, pending_review, and `records list` says why.
    let bare = a.post_pending(3, ID_C, None);
    assert_eq!(a.status(ID_C), "pending_review");
    let r = a.cli(&["records", "list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    eprintln!("{}", r.stdout);
    let line = |id: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id}: {}", r.stdout))
            .to_owned()
    };
    assert!(
        line(&same).contains("pending_match  server match"),
        "{}",
        line(&same)
    );
    assert!(line(&same).contains(": matched"), "{}", line(&same));
    assert!(
        line(&stranger).contains("for review"),
        "{}",
        line(&stranger)
    );
    assert!(line(&bare).contains("no face crop"), "{}", line(&bare));
    assert!(!r.stdout.contains(ID_A) && !r.stdout.contains(ID_B));
}

#[test]
fn the_start_up_sweep_scores_what_a_server_without_models_left() {
    let faces = faces();
    let mut a = Agency::new();
    enrol(&a, &faces, ID_A, "obama_portrait.jpg");
    a.start(None);
    assert_eq!(health(&a), "off");
    let left = a.post_pending(1, ID_A, Some(&kiosk_crop("obama_standing.jpg")));
    // No matching thread at all: the record is stored unscored, the person waits.
    assert_eq!(a.storage.record_match(&left).unwrap(), None);
    assert_eq!(a.status(ID_A), "pending_review");
    a.stop();

    a.start(Some(faces));
    let m = a.wait_for_match(&left);
    assert!(m.matched(), "{m:?}");
    assert_eq!(a.status(ID_A), "certified");
}

#[test]
fn an_engine_fault_leaves_the_record_unscored_for_a_later_retry() {
    let faces = faces();
    let mut a = Agency::new();
    enrol(&a, &faces, ID_A, "obama_portrait.jpg");
    a.start(None);
    let record_id = a.post_pending(1, ID_A, Some(&kiosk_crop("obama_podium.jpg")));
    a.stop();
    let broken = Faces::open(&FaceArgs {
        models: a.data().join("no-models-here"),
        onnxruntime: None,
        match_threshold: DEFAULT_MATCH_THRESHOLD,
        face_threads: 1,
    })
    .unwrap();
    let job = AwaitingMatch {
        record_id: record_id.clone(),
        id_number: ID_A.into(),
        period: "2026".into(),
    };
    let err = Matcher::new(a.storage.clone(), Arc::new(broken))
        .score(&job)
        .unwrap_err();
    assert!(matches!(err, MatchError::Engine(_)), "{err}");
    assert!(err.to_string().contains("no-models-here"), "{err}");
    assert_eq!(a.storage.record_match(&record_id).unwrap(), None);
    // Still awaiting: the next sweep tries it again.
    let awaiting = a.storage.records_awaiting_match(None, 10).unwrap();
    assert_eq!(awaiting.len(), 1);
    let again = Matcher::new(a.storage.clone(), faces).score(&job).unwrap();
    assert!(
        matches!(again, Scoring::Scored(ref m) if m.matched()),
        "{again:?}"
    );
}

#[test]
fn a_reference_enrolled_without_an_embedding_is_embedded_when_first_needed() {
    let faces = faces();
    let mut a = Agency::new();
    a.start(None);
    let record_id = a.post_pending(1, ID_B, Some(&kiosk_crop("biden_standing.jpg")));
    let job = AwaitingMatch {
        record_id: record_id.clone(),
        id_number: ID_B.into(),
        period: "2026".into(),
    };
    let matcher = Matcher::new(a.storage.clone(), faces);
    assert_eq!(
        matcher.score(&job).unwrap(),
        Scoring::Unscored(Unscored::NoReference)
    );
    // `reference add` stores the photo only.
    let photo = face_photo("biden_portrait.jpg");
    let r = a.cli(&[
        "reference",
        "add",
        "--id",
        ID_B,
        "--photo",
        photo.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = a.storage.reference_versions(ID_B).unwrap();
    assert_eq!(before[0].embedding_model_sha256, None);
    let Scoring::Scored(m) = matcher.score(&job).unwrap() else {
        panic!("not scored")
    };
    assert!(m.matched(), "{m:?}");
    let after = a.storage.reference_versions(ID_B).unwrap();
    assert_eq!(
        after[0].embedding_model_sha256.as_deref(),
        Some(EMBEDDING_MODEL_SHA256)
    );

    // A reference photo with two faces cannot be embedded: the record stays unscored
    // and says why.
    let two = std::fs::read(face_photo("obama_biden_two_people.jpg")).unwrap();
    a.storage
        .put_reference(
            ID_B,
            &certpoint_agency::Reference {
                version: "two-faces".into(),
                media_type: "image/jpeg".into(),
                bytes: two,
            },
        )
        .unwrap();
    match matcher.score(&job).unwrap() {
        Scoring::Unscored(u @ Unscored::ReferenceUnusable { .. }) => {
            assert!(u.note().contains("2 faces found"), "{}", u.note())
        }
        other => panic!("{other:?}"),
    }
}

//! The offline cache bundle, agency side: `bundle key init|show`, `bundle export` (the
//! built binary) and `GET /v1/reference-bundle` over HTTP on 127.0.0.1, every bundle
//! read back with the protocol's verifying parser and the pinned public key, with
//! embeddings computed by the real models from real photos.

mod agency_support;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use agency_support::*;
use certpoint_agency::faces::Faces;
use certpoint_agency::service::matching::Matcher;
use certpoint_agency::service::references::import_dir;
use certpoint_agency::storage::Embedding;
use certpoint_agency::Storage;
use certpoint_face::{cosine, EMBEDDING_DIM, EMBEDDING_MODEL_SHA256};
use certpoint_protocol::bundle::{BundleExpectations, VerifiedBundle};
use certpoint_protocol::ed25519_dalek::VerifyingKey;
use chrono::{DateTime, Utc};

fn enrol(a: &Agency, faces: &Arc<Faces>, photos: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    for (id, photo) in photos {
        std::fs::copy(face_photo(photo), dir.path().join(format!("{id}.jpg"))).unwrap();
    }
    let report = import_dir(&Matcher::new(a.storage.clone(), faces.clone()), dir.path()).unwrap();
    assert_eq!(report.refused(), 0, "{report:?}");
}

fn verify(bytes: Vec<u8>, pinned: &VerifyingKey, region: &str) -> VerifiedBundle {
    let pinned = [*pinned];
    VerifiedBundle::verify(
        bytes,
        &BundleExpectations {
            pinned_keys: &pinned,
            model_sha256: EMBEDDING_MODEL_SHA256,
            dimension: EMBEDDING_DIM,
            scope: Some(region),
        },
    )
    .unwrap()
}

fn get_bundle(a: &Agency, token: &str, query: &str, since: Option<&str>) -> Reply {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(s) = since {
        headers.push(("If-Modified-Since", s));
    }
    request(
        a.addr(),
        "GET",
        &format!("/v1/reference-bundle{query}"),
        &headers,
        b"",
    )
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[test]
fn bundles_are_signed_per_region_served_when_newer_and_exported_the_same_way() {
    let faces = faces();
    let mut a = Agency::new();
    enrol(
        &a,
        &faces,
        &[
            (ID_A, "obama_portrait.jpg"),
            (ID_B, "biden_portrait.jpg"),
            (ID_D, "biden_standing.jpg"),
        ],
    );
    // C's reference was embedded by another model: left out, counted.
    let other_model = Embedding {
        values: (0..EMBEDDING_DIM).map(|i| (i as f32).sin()).collect(),
        model_sha256: "0".repeat(64),
    };
    a.storage
        .add_reference(
            ID_C,
            &certpoint_agency::Reference {
                version: "old-model".into(),
                media_type: "image/jpeg".into(),
                bytes: b"\xff\xd8\xff old".to_vec(),
            },
            Some(&other_model),
        )
        .unwrap();
    a.start(None);

    // No key yet: nothing is published, and both the kiosk and the admin hear how.
    let r = get_bundle(&a, K1, "?region=110105", None);
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(
        r.text().contains("certpoint-agency bundle key init"),
        "{}",
        r.text()
    );
    let r = a.cli(&["bundle", "key", "show"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bundle key init"), "{}", r.stderr);

    let r = a.cli(&["bundle", "key", "init", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let key = r.json();
    let mode = std::fs::metadata(key["path"].as_str().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let r = a.cli(&["bundle", "key", "init"]);
    assert_eq!(r.code, 1, "never replaced");
    assert!(r.stderr.contains("never replaced"), "{}", r.stderr);
    let shown = a.cli(&["bundle", "key", "show", "--json"]).json();
    assert_eq!(shown, key);
    let pinned = certpoint_protocol::parse_public_key(key["public_key"].as_str().unwrap()).unwrap();

    // The kiosk's request: its region, no bundle yet.
    let r = get_bundle(&a, K1, "?region=110105", None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let first_time = r.header("last-modified").unwrap().to_owned();
    let first = verify(r.body.clone(), &pinned, "110105");
    assert_eq!(first.header().key_id, key["key_id"].as_str().unwrap());
    assert_eq!(http_date(first.header().generated_at), first_time);
    assert_eq!(
        first.len(),
        2,
        "A and B; not C (other model), not D (other region)"
    );
    assert!(first.get(ID_C).is_none() && first.get(ID_D).is_none());
    let stored = a.storage.current_reference(ID_A).unwrap().unwrap();
    let entry = first.get(ID_A).unwrap();
    assert_eq!(entry.reference_version, stored.reference.version);
    let similarity = cosine(&entry.embedding(), &stored.embedding.unwrap().values);
    assert!(
        similarity > 0.995,
        "int8 codes keep the embedding: {similarity}"
    );

    // Without ?region the kiosk's own; another region is refused with the fix.
    assert_eq!(get_bundle(&a, K1, "", None).body, r.body);
    let r = get_bundle(&a, K1, "?region=310115", None);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("serves region 110105"), "{}", r.text());
    let d = get_bundle(&a, K2, "?region=310115", None);
    assert_eq!(verify(d.body, &pinned, "310115").len(), 1);
    assert_eq!(
        get_bundle(&a, "no-such-token-0123456789", "", None).status,
        401
    );

    // Unchanged: 304 for the kiosk that has it; a kiosk with an older one gets it.
    let r = get_bundle(&a, K1, "?region=110105", Some(&first_time));
    assert_eq!(r.status, 304, "{}", r.text());
    assert!(r.body.is_empty());
    let older = http_date(first.header().generated_at - chrono::TimeDelta::hours(1));
    assert_eq!(
        get_bundle(&a, K1, "?region=110105", Some(&older)).status,
        200
    );

    // A new reference changes the bundle: a later one, with B's new version.
    enrol(&a, &faces, &[(ID_B, "biden_standing.jpg")]);
    let r = get_bundle(&a, K1, "?region=110105", Some(&first_time));
    assert_eq!(r.status, 200, "{}", r.text());
    let second = verify(r.body.clone(), &pinned, "110105");
    assert!(second.header().generated_at > first.header().generated_at);
    let b_now = a
        .storage
        .current_reference(ID_B)
        .unwrap()
        .unwrap()
        .reference
        .version;
    assert_eq!(second.get(ID_B).unwrap().reference_version, b_now);

    // An export is issued anew, and the server publishes that same bundle after it.
    let out = a.data().join("110105.bundle");
    let r = a.cli(&[
        "bundle",
        "export",
        "--region",
        "110105",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        (v["entries"].as_u64(), v["skipped_other_model"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(v["model_sha256"], EMBEDDING_MODEL_SHA256);
    let exported = std::fs::read(&out).unwrap();
    let third = verify(exported.clone(), &pinned, "110105");
    assert!(third.header().generated_at > second.header().generated_at);
    let since = http_date(second.header().generated_at);
    let served = get_bundle(&a, K1, "?region=110105", Some(&since));
    assert_eq!(served.status, 200);
    assert_eq!(
        served.body, exported,
        "the export is what kiosks are served"
    );

    // Kept across a restart: a kiosk holding the export gets 304.
    a.stop();
    a.start(None);
    let held = http_date(third.header().generated_at);
    assert_eq!(
        get_bundle(&a, K1, "?region=110105", Some(&held)).status,
        304
    );

    let r = a.cli(&[
        "bundle",
        "export",
        "--region",
        "110105",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        r.stdout
            .contains("reference bundle of region 110105: 2 reference(s)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("1 reference(s) left out: embedded by another model"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_kiosk_without_a_region_gets_no_bundle() {
    let mut a = Agency::new();
    a.storage
        .add_kiosk(
            &certpoint_agency::Kiosk {
                kiosk_id: "OLD".into(),
                public_key: certpoint_protocol::public_key_b64(&kiosk_key(9)),
                region: None,
            },
            &certpoint_agency::parse::hex_sha256(b"old-kiosk-token-0123456789"),
        )
        .unwrap();
    assert_eq!(a.cli(&["bundle", "key", "init"]).code, 0);
    a.start(None);
    let r = get_bundle(&a, "old-kiosk-token-0123456789", "", None);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("kiosk set-region --id OLD"),
        "{}",
        r.text()
    );
}

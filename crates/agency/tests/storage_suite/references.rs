//! Reference photos (versions, embeddings, region listing) and the read log.

use certpoint_agency::storage::{Embedding, ReadResult, Reference, ReferenceAdded, RosterStatus};
use certpoint_agency::{Storage, StorageError};

use super::*;

pub fn photo(version: &str, bytes: &[u8]) -> Reference {
    Reference {
        version: version.into(),
        media_type: "image/jpeg".into(),
        bytes: bytes.to_vec(),
    }
}

pub fn embedding(first: f32) -> Embedding {
    Embedding {
        values: vec![first, -0.5, 1.0e-7, f32::MAX],
        model_sha256: "ab".repeat(32),
    }
}

pub fn references_keep_their_history(s: &dyn Storage) {
    assert_eq!(s.reference(ID_A).unwrap(), None);
    assert_eq!(
        s.add_reference(ID_A, &photo("v1", b"one"), None).unwrap(),
        ReferenceAdded::New
    );
    assert_eq!(s.reference(ID_A).unwrap(), Some(photo("v1", b"one")));
    assert_eq!(
        s.put_reference(ID_A, &photo("v2", b"two")).unwrap(),
        ReferenceAdded::New
    );
    assert_eq!(
        s.reference(ID_A).unwrap(),
        Some(photo("v2", b"two")),
        "the newest is current"
    );
    let history: Vec<(String, bool)> = s
        .reference_versions(ID_A)
        .unwrap()
        .into_iter()
        .map(|v| (v.version, v.current))
        .collect();
    assert_eq!(history, [("v1".to_owned(), false), ("v2".to_owned(), true)]);
    // Another person's references are theirs.
    assert_eq!(s.reference(ID_B).unwrap(), None);
    assert!(s.reference_versions(ID_B).unwrap().is_empty());
}

pub fn reference_versions_are_names_for_one_photo(s: &dyn Storage) {
    s.put_reference(ID_A, &photo("v1", b"one")).unwrap();
    assert_eq!(
        s.put_reference(ID_A, &photo("v1", b"one")).unwrap(),
        ReferenceAdded::Unchanged
    );
    assert!(matches!(
        s.put_reference(ID_A, &photo("v1", b"other")),
        Err(StorageError::ReferenceVersionTaken { .. })
    ));
    s.put_reference(ID_A, &photo("v2", b"two")).unwrap();
    assert_eq!(
        s.put_reference(ID_A, &photo("v1", b"one")).unwrap(),
        ReferenceAdded::Restored
    );
    assert_eq!(s.reference(ID_A).unwrap().unwrap().version, "v1");
    assert_eq!(s.reference_versions(ID_A).unwrap().len(), 2);
    // The same version name for another person is another photo.
    assert_eq!(
        s.put_reference(ID_B, &photo("v1", b"b's")).unwrap(),
        ReferenceAdded::New
    );
}

pub fn reference_embeddings(s: &dyn Storage) {
    s.add_reference(ID_A, &photo("v1", b"one"), Some(&embedding(0.1)))
        .unwrap();
    let current = s.current_reference(ID_A).unwrap().unwrap();
    assert_eq!(
        current.embedding,
        Some(embedding(0.1)),
        "f32s come back bit for bit"
    );
    s.put_reference(ID_A, &photo("v2", b"two")).unwrap();
    assert_eq!(s.current_reference(ID_A).unwrap().unwrap().embedding, None);
    assert!(s
        .set_reference_embedding(ID_A, "v2", &embedding(0.2))
        .unwrap());
    assert!(!s
        .set_reference_embedding(ID_A, "v9", &embedding(0.2))
        .unwrap());
    assert!(!s
        .set_reference_embedding(ID_B, "v2", &embedding(0.2))
        .unwrap());
    let current = s.current_reference(ID_A).unwrap().unwrap();
    assert_eq!(current.embedding, Some(embedding(0.2)));
    assert_eq!(current.reference.version, "v2");
    let models: Vec<Option<String>> = s
        .reference_versions(ID_A)
        .unwrap()
        .into_iter()
        .map(|v| v.embedding_model_sha256)
        .collect();
    assert_eq!(models, [Some("ab".repeat(32)), Some("ab".repeat(32))]);
}

pub fn region_embeddings_list_the_active_roster(s: &dyn Storage) {
    s.import_roster(&[
        person(ID_A, "A", "110105", RosterStatus::Active),
        person(ID_B, "B", "110105", RosterStatus::Deceased),
        person(ID_C, "C", "310115", RosterStatus::Active),
        person("110105194912310038", "D", "110105", RosterStatus::Active),
    ])
    .unwrap();
    for id in [ID_A, ID_B, ID_C] {
        s.add_reference(id, &photo("v1", id.as_bytes()), Some(&embedding(0.3)))
            .unwrap();
    }
    // D has a reference without an embedding yet; E has an embedding but is on no roster.
    s.put_reference("110105194912310038", &photo("v1", b"d"))
        .unwrap();
    s.add_reference(
        "110101200002290018",
        &photo("v1", b"e"),
        Some(&embedding(0.3)),
    )
    .unwrap();
    // A newer version replaces the older one in the listing.
    s.add_reference(ID_A, &photo("v2", b"newer"), Some(&embedding(0.9)))
        .unwrap();
    let listed = s.current_embeddings_in_region("110105").unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id_number, ID_A);
    assert_eq!(listed[0].version, "v2");
    assert_eq!(listed[0].embedding, embedding(0.9));
    assert_eq!(s.current_embeddings_in_region("310115").unwrap().len(), 1);
    assert!(s.current_embeddings_in_region("999999").unwrap().is_empty());
}

pub fn reference_reads_are_logged_masked(s: &dyn Storage) {
    s.log_reference_read("K1", ID_A, ReadResult::Served)
        .unwrap();
    s.log_reference_read("K2", ID_B, ReadResult::Forbidden)
        .unwrap();
    s.log_reference_read("K1", ID_A, ReadResult::RateLimited)
        .unwrap();
    let all = s.reference_reads(None, 10).unwrap();
    let got: Vec<(&str, &str, ReadResult)> = all
        .iter()
        .map(|r| (r.kiosk_id.as_str(), r.id_masked.as_str(), r.result))
        .collect();
    assert_eq!(
        got,
        [
            ("K1", "1101**********002X", ReadResult::RateLimited),
            ("K2", "3101**********1236", ReadResult::Forbidden),
            ("K1", "1101**********002X", ReadResult::Served),
        ],
        "newest first"
    );
    assert!(all[0].at >= all[2].at);
    assert_eq!(s.reference_reads(Some(ID_A), 10).unwrap().len(), 2);
    assert_eq!(s.reference_reads(Some(ID_A), 1).unwrap().len(), 1);
    assert!(s.reference_reads(Some(ID_C), 10).unwrap().is_empty());
}

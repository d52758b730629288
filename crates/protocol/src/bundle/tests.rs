use ed25519_dalek::{SigningKey, VerifyingKey};
use proptest::prelude::*;

use super::*;
use crate::sign::sign_bytes;

const MODEL: &str = "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581";
const OTHER_MODEL: &str = "1d88aa37a820636876157ff4443def3470efc360cab15053c679703d13d0e48c";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn pinned() -> Vec<VerifyingKey> {
    vec![key().verifying_key()]
}

fn expect(keys: &[VerifyingKey]) -> BundleExpectations<'_> {
    BundleExpectations {
        pinned_keys: keys,
        model_sha256: MODEL,
        dimension: 8,
        scope: Some("110105"),
    }
}

/// An ID number with a valid shape (the bundle does not check the check character).
fn id(n: u32) -> String {
    format!("11010519490101{n:04}")
}

/// A deterministic pseudo-random vector (xorshift), not unit length on purpose.
fn vector(seed: u64, dim: usize) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..dim)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 20_001) as f32 / 10_000.0 - 1.0
        })
        .collect()
}

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

fn bundle(n: u32) -> Vec<u8> {
    let mut b = BundleBuilder::new("110105", at(), MODEL, 8).unwrap();
    // Pushed out of order: the builder sorts.
    for i in (0..n).rev() {
        b.push(&id(i), &format!("v{i}"), &vector(u64::from(i), 8))
            .unwrap();
    }
    b.finish(&key()).unwrap()
}

/// `bytes` with the signature redone after `edit`, so a test reaches the checks that
/// come after the signature.
fn resigned(bytes: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = bytes[..bytes.len() - SIGNATURE_LEN].to_vec();
    edit(&mut body);
    let sig = sign_bytes(&key(), &body);
    body.extend_from_slice(&sig);
    body
}

/// One change to a bundle's signed bytes.
type Edit = Box<dyn Fn(&mut Vec<u8>)>;

fn entries_at(bytes: &[u8]) -> usize {
    FIXED_HEADER + bytes[FIXED_HEADER - 1] as usize
}

fn stride(bytes: &[u8]) -> usize {
    ID_LEN + 1 + bytes[11] as usize + 8
}

fn refuse(bytes: Vec<u8>) -> BundleError {
    let keys = pinned();
    VerifiedBundle::verify(bytes, &expect(&keys)).expect_err("must be refused")
}

#[test]
fn a_bundle_round_trips() {
    let keys = pinned();
    let b = VerifiedBundle::verify(bundle(40), &expect(&keys)).unwrap();
    let h = b.header();
    assert_eq!(h.scope, "110105");
    assert_eq!(h.generated_at, at());
    assert_eq!(h.model_sha256, MODEL);
    assert_eq!((h.dimension, h.count, h.format_version), (8, 40, 1));
    assert_eq!(h.key_id, hex(&crate::key_id(&keys[0])));
    for i in 0..40 {
        let e = b.get(&id(i)).expect("every pushed id is found");
        assert_eq!(e.id_number, id(i));
        assert_eq!(e.reference_version, format!("v{i}"));
        let got = e.embedding();
        assert!((dot(&got, &got) - 1.0).abs() < 1e-5, "unit length");
        assert!(dot(&got, &unit(&vector(u64::from(i), 8))) > 0.999);
    }
    assert!(b.get(&id(40)).is_none());
    assert!(b.get("short").is_none());
    let ids: Vec<&str> = b.entries().map(|e| e.id_number).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert!(!format!("{:?}", b.get(&id(3)).unwrap()).contains(&id(3)));
}

#[test]
fn a_lowercase_x_finds_the_entry() {
    let mut b = BundleBuilder::new("110105", at(), MODEL, 8).unwrap();
    b.push("11010519491231002x", "v1", &vector(1, 8)).unwrap();
    let keys = pinned();
    let v = VerifiedBundle::verify(b.finish(&key()).unwrap(), &expect(&keys)).unwrap();
    assert_eq!(
        v.get("11010519491231002x").unwrap().id_number,
        "11010519491231002X"
    );
    assert!(v.get("11010519491231002X").is_some());
}

#[test]
fn an_empty_bundle_is_valid() {
    let b = BundleBuilder::new("110105", at(), MODEL, 8).unwrap();
    let keys = pinned();
    let v = VerifiedBundle::verify(b.finish(&key()).unwrap(), &expect(&keys)).unwrap();
    assert!(v.is_empty());
    assert!(v.get(&id(1)).is_none());
}

#[test]
fn int8_costs_little_score_on_random_512_d_vectors() {
    let vs: Vec<Vec<f32>> = (0..60).map(|i| unit(&vector(i, 512))).collect();
    let decoded: Vec<Vec<f32>> = vs
        .iter()
        .map(|v| {
            let mut codes = vec![0u8; 512];
            encode(v, &mut codes).unwrap();
            decode(&codes)
        })
        .collect();
    let mut worst = 0f32;
    for a in 0..vs.len() {
        for b in 0..vs.len() {
            worst = worst.max((dot(&vs[a], &vs[b]) - dot(&vs[a], &decoded[b])).abs());
        }
    }
    // Uniform components are the worst case for a max-scaled code; real faces are in
    // tests/reference_cache_faces.rs.
    assert!(worst < 0.01, "max |Δcos| {worst}");
}

#[test]
fn a_changed_byte_fails_the_signature() {
    let mut bytes = bundle(5);
    let at = entries_at(&bytes) + stride(&bytes) + 30;
    bytes[at] ^= 1;
    assert!(matches!(refuse(bytes), BundleError::BadSignature { .. }));
    let mut bytes = bundle(5);
    *bytes.last_mut().unwrap() ^= 0x80;
    assert!(matches!(refuse(bytes), BundleError::BadSignature { .. }));
}

#[test]
fn an_unpinned_key_is_named() {
    let other = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
    let keys = [other];
    let e = VerifiedBundle::verify(bundle(3), &expect(&keys)).unwrap_err();
    let BundleError::UnknownKey { found, pinned } = &e else {
        panic!("{e}")
    };
    assert_eq!(found, &hex(&crate::key_id(&key().verifying_key())));
    assert_eq!(pinned, &hex(&crate::key_id(&other)));
    assert!(e.to_string().contains("reference_cache.agency_public_keys"));
    let none: [VerifyingKey; 0] = [];
    let e = VerifiedBundle::verify(bundle(3), &expect(&none)).unwrap_err();
    assert!(matches!(e, BundleError::UnknownKey { ref pinned, .. } if pinned == "none"));
}

#[test]
fn another_model_dimension_or_scope_is_refused() {
    let keys = pinned();
    let e = VerifiedBundle::verify(
        bundle(3),
        &BundleExpectations {
            model_sha256: OTHER_MODEL,
            ..expect(&keys)
        },
    )
    .unwrap_err();
    assert_eq!(
        e,
        BundleError::WrongModel {
            found: MODEL.into(),
            expected: OTHER_MODEL.into()
        }
    );
    let e = VerifiedBundle::verify(
        bundle(3),
        &BundleExpectations {
            dimension: 512,
            ..expect(&keys)
        },
    )
    .unwrap_err();
    assert_eq!(
        e,
        BundleError::WrongDimension {
            found: 8,
            expected: 512
        }
    );
    let e = VerifiedBundle::verify(
        bundle(3),
        &BundleExpectations {
            scope: Some("320102"),
            ..expect(&keys)
        },
    )
    .unwrap_err();
    assert!(matches!(e, BundleError::WrongScope { .. }), "{e}");
    let any_scope = BundleExpectations {
        scope: None,
        ..expect(&keys)
    };
    assert!(VerifiedBundle::verify(bundle(3), &any_scope).is_ok());
}

#[test]
fn cut_off_garbage_and_trailing_bytes_are_refused() {
    let full = bundle(4);
    for cut in [full.len() - 1, full.len() - 70, entries_at(&full), 40, 9, 3] {
        let e = refuse(full[..cut].to_vec());
        assert!(matches!(e, BundleError::Truncated { .. }), "cut {cut}: {e}");
    }
    assert!(matches!(
        refuse(Vec::new()),
        BundleError::Truncated { found: 0, .. }
    ));
    assert!(matches!(
        refuse(b"CPR".to_vec()),
        BundleError::Truncated { found: 3, .. }
    ));
    assert_eq!(refuse(b"abc".to_vec()), BundleError::NotABundle);
    let mut long = full.clone();
    long.push(0);
    assert!(matches!(refuse(long), BundleError::TrailingBytes { .. }));
    assert_eq!(
        refuse(b"{\"json\": true}".to_vec()),
        BundleError::NotABundle
    );
    let mut v2 = full.clone();
    v2[8] = 2;
    assert!(matches!(
        refuse(v2),
        BundleError::UnsupportedFormat { found: 2, .. }
    ));
    let mut enc = full;
    enc[10] = 7;
    assert_eq!(refuse(enc), BundleError::UnsupportedEncoding(7));
}

#[test]
fn duplicate_and_unsorted_ids_are_refused_even_when_signed() {
    let full = bundle(4);
    let (start, stride) = (entries_at(&full), stride(&full));
    let dup = resigned(&full, |b| {
        let first: Vec<u8> = b[start..start + ID_LEN].to_vec();
        b[start + stride..start + stride + ID_LEN].copy_from_slice(&first);
    });
    let e = refuse(dup);
    assert_eq!(
        e,
        BundleError::DuplicateId {
            masked: crate::mask_id_number(&id(0)),
            index: 1
        }
    );
    assert!(!e.to_string().contains(&id(0)), "masked");
    let swapped = resigned(&full, |b| {
        let (a, c) = b[start..].split_at_mut(stride);
        a[..stride].swap_with_slice(&mut c[..stride]);
    });
    assert_eq!(refuse(swapped), BundleError::NotSorted { index: 1 });
}

#[test]
fn malformed_entries_and_headers_are_refused_even_when_signed() {
    // 12 entries: versions "v0" to "v11", so the first entry's version has padding.
    let full = bundle(12);
    let (start, stride) = (entries_at(&full), stride(&full));
    let cases: Vec<(&str, Edit)> = vec![
        ("letter in id", Box::new(move |b| b[start + 3] = b'A')),
        ("version length", Box::new(move |b| b[start + ID_LEN] = 0)),
        (
            "version too long",
            Box::new(move |b| b[start + ID_LEN] = 200),
        ),
        (
            "padding",
            Box::new(move |b| b[start + ID_LEN + 1 + 2] = b'x'),
        ),
        (
            "zero embedding",
            Box::new(move |b| {
                let codes = start + stride - 8;
                b[codes..start + stride].fill(0);
            }),
        ),
    ];
    for (what, edit) in cases {
        let e = refuse(resigned(&full, edit));
        assert!(
            matches!(e, BundleError::BadEntry { index: 0, .. }),
            "{what}: {e}"
        );
    }
    let headers: Vec<(&str, Edit)> = vec![
        ("width 0", Box::new(|b| b[11] = 0)),
        (
            "dimension 0",
            Box::new(|b| b[52..54].copy_from_slice(&0u16.to_le_bytes())),
        ),
        ("scope", Box::new(|b| b[FIXED_HEADER] = b'/')),
        (
            "count",
            Box::new(|b| b[54..58].copy_from_slice(&u32::MAX.to_le_bytes())),
        ),
        (
            "date",
            Box::new(|b| b[58..66].copy_from_slice(&i64::MAX.to_le_bytes())),
        ),
    ];
    for (what, edit) in headers {
        let e = refuse(resigned(&full, edit));
        assert!(matches!(e, BundleError::BadHeader(_)), "{what}: {e}");
    }
}

#[test]
fn the_builder_refuses_what_a_kiosk_could_not_use() {
    assert!(matches!(
        BundleBuilder::new("11/01", at(), MODEL, 8),
        Err(BuildError::BadScope(_))
    ));
    assert!(matches!(
        BundleBuilder::new("110105", at(), "abc", 8),
        Err(BuildError::BadModelSha(_))
    ));
    assert!(matches!(
        BundleBuilder::new("110105", at(), MODEL, 0),
        Err(BuildError::BadDimension(0))
    ));
    let mut b = BundleBuilder::new("110105", at(), MODEL, 8).unwrap();
    let v = vector(1, 8);
    assert!(matches!(
        b.push("1101051949", "v", &v),
        Err(BuildError::BadIdNumber(_))
    ));
    assert!(matches!(
        b.push("11010519491231002Y", "v", &v),
        Err(BuildError::BadIdNumber(_))
    ));
    assert!(matches!(
        b.push(&id(1), "", &v),
        Err(BuildError::BadVersion { .. })
    ));
    assert!(matches!(
        b.push(&id(1), "v 1", &v),
        Err(BuildError::BadVersion { .. })
    ));
    assert!(matches!(
        b.push(&id(1), "v", &v[..7]),
        Err(BuildError::WrongLength { found: 7, .. })
    ));
    assert!(matches!(
        b.push(&id(1), "v", &[0.0; 8]),
        Err(BuildError::BadEmbedding { .. })
    ));
    let mut nan = v.clone();
    nan[3] = f32::NAN;
    assert!(matches!(
        b.push(&id(1), "v", &nan),
        Err(BuildError::BadEmbedding { .. })
    ));
    assert!(b.is_empty(), "nothing half-pushed");
    b.push(&id(1), "v", &v).unwrap();
    b.push(&id(1), "w", &v).unwrap();
    let e = b.finish(&key()).unwrap_err();
    assert!(matches!(e, BuildError::Duplicate { .. }));
    assert!(!e.to_string().contains(&id(1)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let keys = pinned();
        let _ = VerifiedBundle::verify(bytes.clone(), &expect(&keys));
        let mut with_magic = MAGIC.to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = VerifiedBundle::verify(with_magic, &expect(&keys));
    }

    #[test]
    fn damaged_bundles_are_refused(at in any::<prop::sample::Index>(), bit in 0u8..8, cut in any::<prop::sample::Index>()) {
        let keys = pinned();
        let full = bundle(6);
        let mut flipped = full.clone();
        flipped[at.index(full.len())] ^= 1 << bit;
        prop_assert!(VerifiedBundle::verify(flipped, &expect(&keys)).is_err());
        let cut = cut.index(full.len());
        prop_assert!(VerifiedBundle::verify(full[..cut].to_vec(), &expect(&keys)).is_err());
    }

    /// Edits the agency itself might sign (a faulty export): the checks after the
    /// signature must never panic either, and whatever passes is searchable.
    #[test]
    fn signed_edits_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let keys = pinned();
        let full = bundle(6);
        let signed = resigned(&full, |b| {
            for (at, value) in &edits {
                let i = at.index(b.len());
                b[i] = *value;
            }
        });
        if let Ok(v) = VerifiedBundle::verify(signed, &expect(&keys)) {
            for e in v.entries() {
                prop_assert!(v.get(e.id_number).is_some());
                prop_assert_eq!(e.embedding().len(), 8);
            }
        }
    }
}

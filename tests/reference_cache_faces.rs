//! What the offline cache's int8 encoding costs on real faces: every photo of
//! tests/data/faces is embedded with the real model, put through a real signed bundle
//! (build → verify → lookup, as the kiosk reads it), and every pair's cosine is
//! compared with the f32 score. Run with `--nocapture` to see the figures.

use std::path::Path;

use certpoint::config::Thresholds;
use certpoint::vision::{cosine, Vision, Wants};
use certpoint_protocol::bundle::{BundleBuilder, BundleExpectations, VerifiedBundle};
use certpoint_protocol::ed25519_dalek::SigningKey;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn int8_cache_scores_stay_within_a_hundredth_of_f32_on_real_faces() {
    let mut vision = Vision::load(&root().join("models"), None, 1)
        .expect("models and ONNX Runtime (scripts/setup test installs it)");
    let mut names: Vec<_> = std::fs::read_dir(root().join("tests/data/faces"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    names.sort();
    let mut faces = Vec::new();
    for path in &names {
        let img = image::open(path).unwrap().to_rgb8();
        let wants = Wants {
            liveness: false,
            embedding: true,
        };
        let a = vision.analyze(&img, false, wants).unwrap();
        if let Some(e) = a.faces.first().and_then(|f| f.embedding.clone()) {
            faces.push((path.file_name().unwrap().to_string_lossy().into_owned(), e));
        }
    }
    assert!(faces.len() >= 10, "{} faces", faces.len());

    let model = certpoint::vision::runtime::EMBEDDER.sha256;
    let key = SigningKey::from_bytes(&[1; 32]);
    let id = |i: usize| format!("11010519490101{i:03}X");
    let mut builder = BundleBuilder::new("110105", chrono::Utc::now(), model, 512).unwrap();
    for (i, (_, e)) in faces.iter().enumerate() {
        builder.push(&id(i), "v1", e).unwrap();
    }
    let pinned = [key.verifying_key()];
    let bundle = VerifiedBundle::verify(
        builder.finish(&key).unwrap(),
        &BundleExpectations {
            pinned_keys: &pinned,
            model_sha256: model,
            dimension: 512,
            scope: Some("110105"),
        },
    )
    .unwrap();
    let cached: Vec<Vec<f32>> = (0..faces.len())
        .map(|i| bundle.get(&id(i)).unwrap().embedding())
        .collect();

    let threshold = Thresholds::default().face_match;
    let (mut live_vs_cache, mut cache_vs_cache, mut closest) = (0f32, 0f32, f32::MAX);
    let mut pairs = 0;
    for a in 0..faces.len() {
        for b in 0..faces.len() {
            if a == b {
                continue;
            }
            pairs += 1;
            let exact = cosine(&faces[a].1, &faces[b].1);
            // The kiosk's case: a live f32 embedding against a cached reference.
            let live = cosine(&faces[a].1, &cached[b]);
            live_vs_cache = live_vs_cache.max((exact - live).abs());
            cache_vs_cache = cache_vs_cache.max((exact - cosine(&cached[a], &cached[b])).abs());
            closest = closest.min((exact - threshold).abs());
            assert_eq!(
                exact >= threshold,
                live >= threshold,
                "{} vs {}: the verdict changed ({exact} → {live})",
                faces[a].0,
                faces[b].0
            );
        }
    }
    let own: f32 = (0..faces.len())
        .map(|i| 1.0 - cosine(&faces[i].1, &cached[i]))
        .fold(0.0, f32::max);
    eprintln!(
        "{} faces, {pairs} ordered pairs: max |Δcos| live f32 vs cached int8 = {live_vs_cache:.5}; \
         cached vs cached = {cache_vs_cache:.5}; a face vs its own cached copy ≥ {:.5}; \
         closest f32 score to the threshold {threshold}: {closest:.3} away",
        faces.len(),
        1.0 - own
    );
    assert!(live_vs_cache < 0.01, "max |Δcos| {live_vs_cache}");
    assert!(cache_vs_cache < 0.01, "max |Δcos| {cache_vs_cache}");
}

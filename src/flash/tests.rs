//! The correlation maths against simulated light (see `sim` for the model).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::correlate::{correlate, CorrelateParams};
use super::sequence::{Palette, Sequence};
use super::sim::{frames, pass_rate, Scene, Source};
use super::FlashSettings;

fn settings(p: CorrelateParams) -> FlashSettings {
    FlashSettings {
        steps: 10,
        step_ms: 600,
        fade_ms: 200,
        max_brightness: 0.35,
        correlate: p,
    }
}

fn seq(seed: u64) -> Sequence {
    Sequence::draw(seed, 1, 10, 600, 200, Palette { luminance: 0.35 })
}

#[test]
fn a_live_face_reflecting_with_lag_and_noise_correlates_high() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for seed in 0..20 {
        let s = seq(seed);
        let samples = frames(
            Source::Live { gain: 0.03 },
            &s,
            500,
            &Scene::default(),
            &mut rng,
        );
        let c = correlate(&samples, &s, 500, &CorrelateParams::default());
        assert!(c.passed, "seed {seed}: {c:?}");
        assert!(c.best.unwrap() > 0.8, "seed {seed}: {c:?}");
        // The true lag is 90 ms; the search lands within a step or two of it.
        assert!(
            (33..=165).contains(&c.lag_ms.unwrap()),
            "seed {seed}: {c:?}"
        );
    }
}

#[test]
fn independent_noise_and_other_sequences_correlate_low() {
    let p = CorrelateParams::default();
    for source in [
        Source::Noise,
        Source::Replay { glass: 0.0 },
        Source::Phone {
            emission: 0.5,
            glass: 0.0,
        },
    ] {
        let (passes, results) = pass_rate(source, &Scene::default(), &settings(p), 300, 9);
        let mean = results.iter().filter_map(|c| c.best).sum::<f32>() / results.len() as f32;
        assert!(mean.abs() < 0.2, "{source:?}: mean best correlation {mean}");
        assert!(passes <= 3, "{source:?}: {passes} of 300 passed");
    }
}

#[test]
fn a_white_balance_shift_that_follows_the_screen_is_rejected() {
    // The camera's gains react strongly to the screen colour, on face and wall alike:
    // a face-only measurement would follow the sequence; face minus wall does not.
    let scene = Scene {
        awb_follows_screen: 0.5,
        ..Scene::default()
    };
    let (passes, results) = pass_rate(
        Source::Replay { glass: 0.0 },
        &scene,
        &settings(CorrelateParams::default()),
        200,
        4,
    );
    assert_eq!(
        passes,
        0,
        "{:?}",
        results.iter().filter(|c| c.passed).collect::<Vec<_>>()
    );
}

#[test]
fn too_few_frames_is_unmeasured_not_failed_by_chance() {
    let s = seq(3);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let samples = frames(
        Source::Live { gain: 0.03 },
        &s,
        0,
        &Scene {
            fps: 1.5,
            ..Scene::default()
        },
        &mut rng,
    );
    let c = correlate(&samples, &s, 0, &CorrelateParams::default());
    assert_eq!((c.best, c.passed), (None, false), "{c:?}");
}

#[test]
fn the_lag_search_costs_what_it_buys_a_null_source() {
    // No search, no penalty; 300 ms over 200 ms fades counts 2.5 lags: √(2 ln 2.5) σ₀.
    assert_eq!(super::lag_penalty(10, 0, 200), 0.0);
    let p = super::lag_penalty(10, 300, 200);
    assert!((p - (2.0 * 2.5f32.ln()).sqrt() / 18f32.sqrt()).abs() < 1e-6);
    assert!(super::lag_penalty(10, 600, 200) > p);
}

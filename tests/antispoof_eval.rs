//! Passive anti-spoofing on the evaluation set of tests/data/antispoof (built by its
//! make_set.py; README there): the shipped MiniFASNet V2 + V1SE score per frame, counted at
//! the shipped `thresholds.passive_liveness`. The bounds below are the measured figures
//! (models/README.md, "Passive anti-spoofing evaluation", from evaluate.py) plus slack, so
//! the test fails when the pipeline (crop, colour order, model files) drifts, not on noise.
//!
//! It asserts what the check does: bona fide frames pass, attacks with a paper border or a
//! screen bezel in view (and Silent-Face's two real recaptures) are rejected. It does NOT
//! claim that tight, borderless recaptures (halftone / pixel-grid, no border) are caught:
//! measured, about half of them pass; the active challenges and the face match carry those.
//! Set ANTISPOOF_REPORT=1 to print every score.

use std::path::{Path, PathBuf};

use certpoint::config::Thresholds;
use certpoint::vision::{Vision, Wants};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// Real photos of tests/data/faces, used as files (bona fide).
const BONAFIDE_FILES: &[&str] = &[
    "astronaut.jpg",
    "biden_portrait.jpg",
    "biden_standing.jpg",
    "obama_biden_two_people.jpg",
    "obama_briefing.jpg",
    "obama_podium.jpg",
    "obama_portrait.jpg",
    "obama_standing.jpg",
    "silentface_T1_real.jpg",
];
/// Silent-Face's two real recaptures (attacks).
const SILENTFACE_SPOOFS: &[&str] = &["silentface_F1_spoof.jpg", "silentface_F2_spoof.jpg"];

struct Scored {
    name: String,
    /// "bonafide", or the attack type: print, screen, halftone, pixelgrid, silentface.
    kind: String,
    /// Largest face's passive score; None when no face was found.
    score: Option<f32>,
}

fn score_all() -> Vec<Scored> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for n in BONAFIDE_FILES {
        files.push((root().join("tests/data/faces").join(n), "bonafide".into()));
    }
    for n in SILENTFACE_SPOOFS {
        files.push((root().join("tests/data/faces").join(n), "silentface".into()));
    }
    let dir = root().join("tests/data/antispoof");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jpg"))
        .collect();
    names.sort();
    for n in names {
        let kind = if n.starts_with("bonafide_") {
            "bonafide".to_owned()
        } else if let Some(rest) = n.strip_prefix("attack_") {
            assert!(n.contains("_synth_"), "{n}: synthesised attacks say so");
            rest.split('_').next().unwrap().to_owned()
        } else {
            panic!("{n}: unlabelled file in tests/data/antispoof");
        };
        files.push((dir.join(&n), kind));
    }
    let mut v = Vision::load(&root().join("models"), None, 1)
        .expect("models and ONNX Runtime (scripts/setup test installs it)");
    files
        .into_iter()
        .map(|(path, kind)| {
            let img = image::open(&path).unwrap().to_rgb8();
            let a = v
                .analyze(
                    &img,
                    false,
                    Wants {
                        liveness: true,
                        embedding: false,
                    },
                )
                .unwrap();
            let score = a.faces.first().map(|f| {
                f.passive_liveness
                    .expect("liveness was asked for: every face carries a score")
            });
            Scored {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                kind,
                score,
            }
        })
        .collect()
}

fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[test]
fn shipped_threshold_passes_bona_fide_and_rejects_bordered_attacks() {
    let thr = Thresholds::default().passive_liveness;
    let all = score_all();
    if std::env::var_os("ANTISPOOF_REPORT").is_some() {
        for s in &all {
            eprintln!("{:<12} {:<50} {:?}", s.kind, s.name, s.score);
        }
    }
    let of = |kinds: &[&str]| -> Vec<&Scored> {
        all.iter()
            .filter(|s| kinds.contains(&s.kind.as_str()))
            .collect()
    };
    let accepted = |s: &&Scored| s.score.is_some_and(|x| x >= thr);

    // The set itself: at least 20 bona fide and 30 attacks (measured: 30 and 42).
    let bona = of(&["bonafide"]);
    let attacks: Vec<&Scored> = all.iter().filter(|s| s.kind != "bonafide").collect();
    assert!(
        bona.len() >= 20 && attacks.len() >= 30,
        "{} / {}",
        bona.len(),
        attacks.len()
    );

    // Bona fide, per frame. Measured at 0.5: 1 of 30 rejected (0.105, a kiosk frame whose
    // replicated dark photo edge forms a bar beside the face); every face found.
    let rejected: Vec<_> = bona
        .iter()
        .filter(|s| !accepted(s))
        .map(|s| (&s.name, s.score))
        .collect();
    assert!(
        rejected.len() <= 2,
        "bona fide rejected at {thr}: {rejected:?}"
    );
    // Measured median of the bona fide kiosk frames: 0.978.
    let kiosk: Vec<f32> = bona
        .iter()
        .filter(|s| s.name.starts_with("bonafide_kiosk"))
        .map(|s| s.score.unwrap())
        .collect();
    assert!(kiosk.len() >= 20);
    assert!(
        median(kiosk.clone()) >= 0.9,
        "kiosk bona fide median {}",
        median(kiosk)
    );

    // Print held up (paper border) and phone/tablet replay (bezel), synthesised, plus
    // Silent-Face's real recaptures. Measured: 0 of 22 accepted, highest 0.342 (F1), the
    // synthesised ones all <= 0.17.
    let bordered = of(&["print", "screen", "silentface"]);
    assert_eq!(bordered.len(), 22);
    let passed: Vec<_> = bordered
        .iter()
        .filter(|s| accepted(s))
        .map(|s| (&s.name, s.score))
        .collect();
    assert!(
        passed.len() <= 1,
        "bordered attacks accepted at {thr}: {passed:?}"
    );
    let synth: Vec<f32> = of(&["print", "screen"])
        .iter()
        .filter_map(|s| s.score)
        .collect();
    assert!(
        median(synth.clone()) <= 0.05,
        "median of print/screen {}",
        median(synth)
    );

    // Borderless recaptures: reported, not asserted as caught (measured at 0.5: halftone
    // 5 of 10 and pixel grid 6 of 10 accepted; one pixel-grid frame had no face found).
    let borderless = of(&["halftone", "pixelgrid"]);
    let passed = borderless.iter().filter(|s| accepted(s)).count();
    eprintln!(
        "borderless recaptures accepted at {thr}: {passed} of {} (known limitation)",
        borderless.len()
    );
}

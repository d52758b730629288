//! The retiree's repeat button: shown on every retiree screen when the voice is on, it
//! asks for the prompt on screen again in the screen's language and the configured
//! speaker's pack. The clip requests are caught on a channel (no audio device); the
//! turn-taking they then go through is unit-tested in `ui::voice::turns`.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use certpoint::ui::voice::{Clips, Repeater};

use super::*;

fn packs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/voice")
}

/// A kiosk screen with the voice on: the repeat button is there.
fn voiced(lang: &str, speaker: &str) -> (Harness<'static, App<FlowBackend>>, Receiver<PathBuf>) {
    let mut h = harness(backend(), lang);
    let clips = Clips::new(packs(), speaker, Arc::new(Mutex::new(lang.to_string())));
    let (repeater, asked) = Repeater::for_tests(clips);
    h.state_mut().ui.repeater = Some(repeater);
    h.run();
    (h, asked)
}

#[test]
fn repeat_says_the_prompt_on_screen_again() {
    let (mut h, asked) = voiced("zh-CN", "female");
    h.get_by_label("再听一遍").click();
    h.run();
    assert_eq!(
        asked.try_recv().unwrap(),
        packs().join("zh-CN/female/hand_id_to_clerk.ogg")
    );

    scan(&mut h, ID);
    h.state_mut().backend.frame(FrameObservation {
        placement: Placement::TooFar,
        ..good()
    });
    h.run();
    h.get_by_label("再听一遍").click();
    h.run();
    assert_eq!(
        asked.try_recv().unwrap(),
        packs().join("zh-CN/female/hint.too_far.ogg")
    );
    assert!(asked.try_recv().is_err(), "one press, one prompt");
}

#[test]
fn repeat_follows_the_speaker_setting_and_language() {
    let (mut h, asked) = voiced("zh-CN", "male");
    h.get_by_label("再听一遍").click();
    h.run();
    assert_eq!(
        asked.try_recv().unwrap(),
        packs().join("zh-CN/male/hand_id_to_clerk.ogg")
    );

    let (mut h, asked) = voiced("en", "female");
    h.get_by_label("Say it again").click();
    h.run();
    assert_eq!(
        asked.try_recv().unwrap(),
        packs().join("en/female/hand_id_to_clerk.ogg")
    );
}

#[test]
fn no_repeat_button_when_the_voice_is_off() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    assert!(h.query_by_label("再听一遍").is_none());
}

#[test]
fn snapshots_with_the_repeat_button() {
    let mut results = egui_kittest::SnapshotResults::new();
    for lang in ["zh-CN", "en", "mn"] {
        let tag = lang.replace('-', "_").to_lowercase();
        let (mut h, _asked) = voiced(lang, "female");
        h.snapshot(format!("{tag}_repeat_idle"));
        scan(&mut h, ID);
        h.state_mut().backend.frame(FrameObservation {
            placement: Placement::TooFar,
            ..good()
        });
        h.run();
        h.snapshot(format!("{tag}_repeat_positioning"));
        position_well(&mut h);
        h.state_mut().backend.now_ms += 4_000;
        h.run();
        h.snapshot(format!("{tag}_repeat_challenge"));
        let timeout = h.state().backend.view.params.challenge_timeout_ms;
        h.state_mut().backend.advance(timeout + 1);
        h.run();
        assert_eq!(state_name(&h), "failed");
        h.snapshot(format!("{tag}_repeat_failed"));
        results.extend_harness(&mut h);
    }
}

//! The positioning screen during a screen flash: the colour fills the retiree side
//! around and behind the camera picture, the prompt stays on the dark band above it.

use certpoint::config::FlashSection;
use certpoint::flow::{Effect, FlashRule, FlowParams, Prompt};
use certpoint::ui::testing::FlowBackend;
use egui_kittest::kittest::Queryable;

use super::{fake_camera, good, harness, scan, ID};

fn flashing_backend() -> FlowBackend {
    let mut b = FlowBackend::new(FlowParams {
        screen_flash: FlashRule::Recorded,
        ..FlowParams::for_tests()
    });
    b.view.preview = Some(fake_camera());
    b
}

#[test]
fn snapshots_positioning_during_a_flash() {
    let mut results = egui_kittest::SnapshotResults::new();
    for lang in ["zh-CN", "en"] {
        let mut h = harness(flashing_backend(), lang);
        scan(&mut h, ID);
        h.state_mut().backend.frame(good());
        h.run();
        let b = &mut h.state_mut().backend;
        assert!(b.effects.contains(&Effect::StartFlash));
        assert_eq!(b.view.state.screen_prompt(), Prompt::FlashNotice);
        // What the driver does on StartFlash: draw the attempt's sequence and show it.
        let seq = FlashSection::default().settings().sequence(7, 1);
        let start = b.now_ms;
        b.view.flash.show(seq, start);
        // Well into the second colour (past its cross-fade).
        b.now_ms += 600 + 400;
        h.run();
        let text = if lang == "en" {
            "The screen will slowly change colour. Please keep still"
        } else {
            "屏幕颜色会慢慢变化，请保持不动"
        };
        h.get_by_label(text);
        let tag = lang.replace('-', "_").to_lowercase();
        h.snapshot(format!("{tag}_positioning_flash"));
        results.extend_harness(&mut h);
    }
}

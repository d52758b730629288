//! The positioning screen during a screen flash: the colour fills the retiree side
//! around and behind the camera picture, the prompt stays on the dark band above it.

use certpoint::config::FlashSection;
use certpoint::flow::{Effect, FlashRule, FlowParams, Prompt};
use certpoint::ui::i18n::Catalogue;
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
    for lang in ["zh-CN", "en", "mn"] {
        let mut h = harness(flashing_backend(), lang);
        scan(&mut h, ID);
        h.state_mut().backend.frame(good());
        h.run();
        let b = &mut h.state_mut().backend;
        assert!(b.effects.contains(&Effect::StartFlash));
        assert_eq!(b.view.state.screen_prompt(), Prompt::FlashNotice);
        // What the driver does on StartFlash: draw the attempt's sequence and show it.
        let seq = certpoint::flash::FlashSettings::from(&FlashSection::default()).sequence(7, 1);
        let start = b.now_ms;
        b.view.flash.show(seq, start);
        // Well into the second colour (past its cross-fade).
        b.now_ms += 600 + 400;
        h.run();
        // The catalogues' own text, checked against the literal in two languages so a
        // catalogue edit that loses the notice shows here.
        let text = Catalogue::get(lang).t("flash_notice");
        match lang {
            "en" => assert_eq!(
                text,
                "The screen will slowly change colour. Please keep still"
            ),
            "zh-CN" => assert_eq!(text, "屏幕颜色会慢慢变化，请保持不动"),
            _ => assert!(text.chars().any(|c| ('\u{1800}'..='\u{18AF}').contains(&c))),
        }
        h.get_by_label(text);
        let tag = lang.replace('-', "_").to_lowercase();
        h.snapshot(format!("{tag}_positioning_flash"));
        results.extend_harness(&mut h);
    }
}

//! Mongolian in the traditional script through the screens: the sentences stand in
//! vertical columns left of the pictures, the clerk panel stays horizontal (Mandarin),
//! a card with nation code 02 offers the switch, and the clerk is told when the voice
//! speaks Mandarin because no Mongolian pack is installed.

use std::path::Path;
use std::sync::{Arc, Mutex};

use certpoint::flow::{CardFacts, ChipPhoto, Event};
use certpoint::ui::i18n::Catalogue;
use certpoint::ui::voice::{Clips, Repeater};

use super::*;

fn mn() -> &'static Catalogue {
    Catalogue::get("mn")
}

fn zh() -> &'static Catalogue {
    Catalogue::get("zh-CN")
}

#[test]
fn mongolian_sentences_stand_in_columns_left_of_the_pictures() {
    let mut h = harness(backend(), "mn");
    h.run();
    let prompt = h.get_by_label(mn().t("hand_id_to_clerk")).rect();
    assert!(prompt.height() > prompt.width(), "not a column: {prompt:?}");
    assert!(prompt.min.x >= 0.0 && prompt.min.y >= 0.0 && prompt.max.y <= 1080.0);
    let card = h.get_by_label("id card").rect();
    assert!(
        card.left() > prompt.right(),
        "picture over the text: {prompt:?} {card:?}"
    );
    // The clerk's panel stays in Mandarin.
    h.get_by_label(zh().t("clerk.id_field"));
    // On the fail screen the retry button is a column too, and works.
    scan(&mut h, ID);
    position_well(&mut h);
    let timeout = h.state().backend.view.params.challenge_timeout_ms;
    h.state_mut().backend.advance(timeout + 1);
    h.run();
    assert_eq!(state_name(&h), "failed");
    let retry = h.get_by_label(mn().t("button.retry"));
    assert!(
        retry.rect().height() > retry.rect().width(),
        "{:?}",
        retry.rect()
    );
    retry.click();
    h.run();
    assert_eq!(state_name(&h), "positioning");
    // The positioning prompt is inside the window: nothing clipped.
    let prompt = h.state().backend.view.state.screen_prompt().key();
    let r = h.get_by_label(mn().t(&prompt)).rect();
    assert!(r.max.y <= 1080.0 && r.max.x <= 1920.0, "{prompt}: {r:?}");
}

#[test]
fn a_mongolian_card_offers_the_mongolian_screens_and_the_clerk_switches() {
    let mut h = harness(backend(), "zh-CN");
    let voice = Arc::new(Mutex::new("zh-CN".to_string()));
    h.state_mut().ui.voice_lang = Some(Arc::clone(&voice));
    h.run();
    let id = certpoint::id_number::IdNumber::parse(ID).unwrap();
    let card = CardFacts {
        expired_on: None,
        mongolian: true,
        chip_photo: ChipPhoto::NotConfigured,
    };
    h.state_mut()
        .backend
        .apply(Event::CardRead { id, seed: 7, card });
    h.run();
    h.get_by_label(zh().t("notice.mongolian_card"));
    h.get_by_label(zh().t("clerk.mongolian_offer")).click();
    h.run();
    h.run();
    assert_eq!(h.state().ui.lang, "mn");
    assert_eq!(*voice.lock().unwrap(), "mn", "the voice follows the screen");
    let prompt = h.state().backend.view.state.screen_prompt().key();
    h.get_by_label(mn().t(&prompt));
    assert!(h.query_by_label(zh().t("clerk.mongolian_offer")).is_none());
    h.get_by_label(zh().t("clerk.id_field"));
    // And back: the clerk's Chinese button.
    h.get_by_label(zh().t("language.name")).click();
    h.run();
    assert_eq!(h.state().ui.lang, "zh-CN");
}

#[test]
fn mongolian_screens_spoken_in_mandarin_tell_the_clerk() {
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/voice");
    let mut h = harness(backend(), "mn");
    let clips = Clips::new(packs, "female", Arc::new(Mutex::new("mn".to_string())));
    let (repeater, asked) = Repeater::for_tests(clips);
    h.state_mut().ui.repeater = Some(repeater);
    h.run();
    h.get_by_label(zh().t("clerk.mongolian"));
    h.get_by_label(mn().t("button.repeat")).click();
    h.run();
    let clip = asked
        .try_recv()
        .expect("the repeat button asked for a clip");
    assert!(
        clip.ends_with("zh-CN/female/hand_id_to_clerk.ogg"),
        "{}",
        clip.display()
    );
    // In Mandarin itself there is nothing to tell.
    h.get_by_label(zh().t("language.name")).click();
    h.run();
    assert!(h.query_by_label(zh().t("clerk.mongolian")).is_none());
}

/// A kiosk configured for Mandarin and English only (`[ui] languages`): no Mongolian
/// button, and a Mongolian card brings only the notice.
#[test]
fn a_kiosk_without_mongolian_neither_shows_nor_offers_it() {
    let mut h = harness(backend(), "zh-CN");
    h.state_mut().ui.offer(&["zh-CN".into(), "en".into()]);
    h.run();
    assert!(h.query_by_label(mn().t("language.name")).is_none());
    h.get_by_label("English");
    let id = certpoint::id_number::IdNumber::parse(ID).unwrap();
    let card = CardFacts {
        expired_on: None,
        mongolian: true,
        chip_photo: ChipPhoto::NotConfigured,
    };
    h.state_mut()
        .backend
        .apply(Event::CardRead { id, seed: 7, card });
    h.run();
    h.get_by_label(zh().t("notice.mongolian_card"));
    assert!(h.query_by_label(zh().t("clerk.mongolian_offer")).is_none());
}

use super::*;

/// ᠮᠣᠩᠭᠣᠯ "Mongol": m-o-ng-γ-o-l, every position (initial, medial, final) in one word.
const MONGOL: &str = "\u{182E}\u{1823}\u{1829}\u{182D}\u{1823}\u{182F}";

fn shape(text: &str) -> Vec<u32> {
    let font = harfrust::FontRef::new(FONT).expect("Noto Sans Mongolian parses");
    let data = harfrust::ShaperData::new(&font);
    let shaper = data.shaper(&font).build();
    let mut buffer = harfrust::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    let out = shaper.shape(buffer, harfrust::ShapeOptions::new());
    out.glyph_infos().iter().map(|g| g.glyph_id).collect()
}

#[test]
fn a_word_is_joined_not_a_row_of_isolated_letters() {
    let joined = shape(MONGOL);
    let isolated: Vec<u32> = MONGOL.chars().flat_map(|c| shape(&c.to_string())).collect();
    assert_eq!(joined.len(), isolated.len(), "{joined:?} / {isolated:?}");
    assert!(!joined.contains(&0), "a letter has no glyph: {joined:?}");
    // Every position takes its own form: initial m, medial o, ng, γ, o, final l.
    for (i, (j, s)) in joined.iter().zip(&isolated).enumerate() {
        assert_ne!(j, s, "letter {i} of ᠮᠣᠩᠭᠣᠯ kept its isolated form");
    }
    // The same letter takes different forms at the start and the end of a word.
    let initial_a = shape("\u{1820}\u{1828}")[0]; // ᠠᠨ
    let final_a = *shape("\u{1828}\u{1820}").last().unwrap(); // ᠨᠠ
    let isolated_a = shape("\u{1820}")[0];
    assert!(
        initial_a != final_a && initial_a != isolated_a && final_a != isolated_a,
        "a: initial {initial_a}, final {final_a}, isolated {isolated_a}"
    );
}

#[test]
fn the_vowel_separator_and_variation_selectors_choose_forms() {
    // ᠳᠣᠲᠣᠷ᠎ᠠ "inside": the final a after the vowel separator (U+180E) is the
    // separated form, not the final a joined to r.
    let joined = shape("\u{1833}\u{1823}\u{1832}\u{1823}\u{1837}\u{1820}");
    let separated = shape("\u{1833}\u{1823}\u{1832}\u{1823}\u{1837}\u{180E}\u{1820}");
    assert_ne!(
        joined.last(),
        separated.last(),
        "{joined:?} / {separated:?}"
    );
    // A free variation selector after a letter picks another of its forms: medial
    // γ followed by FVS1 (U+180B) in ᠠᠭ᠋ᠠ takes another glyph than in ᠠᠭᠠ.
    let plain = shape("\u{1820}\u{182D}\u{1820}");
    let fvs1 = shape("\u{1820}\u{182D}\u{180B}\u{1820}");
    // The selector itself is invisible: the letters are compared one by one.
    assert_eq!(plain[0], fvs1[0], "{plain:?} / {fvs1:?}");
    assert_ne!(
        plain[1], fvs1[1],
        "FVS1 left medial γ as it was: {plain:?} / {fvs1:?}"
    );
}

fn context() -> egui::Context {
    let ctx = egui::Context::default();
    ctx.set_fonts(crate::ui::fonts::definitions());
    // Fonts take effect at the next frame; its texture updates are for no screen.
    let mut out = ctx.run_ui(Default::default(), |_| {});
    out.textures_delta.clear();
    ctx
}

#[test]
fn egui_shapes_the_word_as_harfrust_does() {
    // egui's layout of the word differs in width from its letters laid out one by one
    // (the joined forms have other advances): egui's own shaping joins.
    let ctx = context();
    let font = FontId::new(40.0, family());
    let width = |s: &str| {
        ctx.fonts_mut(|f| f.layout_no_wrap(s.into(), font.clone(), Color32::WHITE))
            .size()
            .x
    };
    let apart: f32 = MONGOL.chars().map(|c| width(&c.to_string())).sum();
    let word = width(MONGOL);
    assert!((word - apart).abs() > 5.0, "joined {word} vs apart {apart}");
}

#[test]
fn mongolian_text_stands_in_columns_taller_than_wide() {
    let ctx = context();
    let text = crate::ui::i18n::Catalogue::get("mn").t("look_at_screen");
    assert!(has_mongolian(text), "{text}");
    let one = Columns::layout(&ctx, text, 64.0, Color32::WHITE, 2000.0);
    assert_eq!(one.columns(), 1);
    assert!(one.size.y > 2.0 * one.size.x, "{:?}", one.size);
    // With less room it wraps into more columns, each within the height.
    let wrapped = Columns::layout(&ctx, text, 64.0, Color32::WHITE, one.size.y / 2.0);
    assert!(wrapped.columns() >= 2, "{:?}", wrapped.size);
    assert!(wrapped.size.y <= one.size.y / 2.0 + 1.0);
    assert_eq!(wrapped.size.x, one.size.x * wrapped.columns() as f32);
    // A line break always starts a new column.
    let two = Columns::layout(
        &ctx,
        &format!("{MONGOL}\n{MONGOL}"),
        40.0,
        Color32::WHITE,
        2000.0,
    );
    assert_eq!(two.columns(), 2);
}

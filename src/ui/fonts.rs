//! The CJK font: a subset of WenQuanYi Micro Hei committed under `assets/fonts/` (see
//! its README for licence and how it was subset), embedded in the binary and installed
//! before the first frame that draws text, so the kiosk never depends on the fonts a PC
//! happens to have and never shows tofu boxes for Chinese. Noto Sans Mongolian (whole,
//! 240 KB) serves the Mongolian catalogue through its own family (`ui::mongolian`).

use std::sync::Arc;

use eframe::egui::{self, FontData, FontDefinitions, FontFamily};

pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/certpoint-cjk.ttf");
const NAME: &str = "certpoint-cjk";

/// Font definitions with the CJK font first in both families: its Latin glyphs are
/// fine, and a single face keeps mixed Chinese/number lines even.
pub fn definitions() -> FontDefinitions {
    let mut fonts = FontDefinitions::empty();
    fonts
        .font_data
        .insert(NAME.to_owned(), Arc::new(FontData::from_static(CJK_FONT)));
    fonts
        .families
        .insert(FontFamily::Proportional, vec![NAME.to_owned()]);
    fonts
        .families
        .insert(FontFamily::Monospace, vec![NAME.to_owned()]);
    // Mongolian has a family of its own, so the Chinese and English screens keep their
    // single face (and their snapshots); see `ui::mongolian`.
    use super::mongolian;
    fonts.font_data.insert(
        mongolian::FONT_NAME.to_owned(),
        Arc::new(FontData::from_static(mongolian::FONT)),
    );
    fonts.families.insert(
        mongolian::family(),
        vec![mongolian::FONT_NAME.to_owned(), NAME.to_owned()],
    );
    fonts
}

/// Installs the fonts (takes effect from the next frame: call before the first one).
pub fn install(ctx: &egui::Context) {
    ctx.set_fonts(definitions());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed subset must cover every catalogue character; if this fails, run
    /// `scripts/subset-font` after editing a catalogue.
    #[test]
    fn font_covers_catalogues() {
        let face = ttf_parser_lite::Face::parse(CJK_FONT);
        let mongolian = ttf_parser_lite::Face::parse(crate::ui::mongolian::FONT);
        // Mongolian text is drawn in its own family: Noto Sans Mongolian, then the CJK
        // font (digits, Latin).
        let mut missing: Vec<char> = crate::ui::i18n::all()
            .iter()
            .flat_map(|c| c.chars())
            .filter(|c| !c.is_control() && !face.has(*c) && !mongolian.has(*c))
            .collect();
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "not in assets/fonts/certpoint-cjk.ttf: {missing:?}; run scripts/subset-font"
        );
    }

    /// Just enough of the TrueType `cmap` table (format 4, BMP) to answer "has glyph".
    mod ttf_parser_lite {
        pub struct Face<'a> {
            data: &'a [u8],
            cmap4: usize,
        }

        fn u16_at(d: &[u8], o: usize) -> u16 {
            u16::from_be_bytes([d[o], d[o + 1]])
        }
        fn u32_at(d: &[u8], o: usize) -> u32 {
            u32::from_be_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]])
        }

        impl<'a> Face<'a> {
            pub fn parse(data: &'a [u8]) -> Face<'a> {
                let tables = u16_at(data, 4) as usize;
                let cmap = (0..tables)
                    .map(|i| 12 + 16 * i)
                    .find(|&r| &data[r..r + 4] == b"cmap")
                    .map(|r| u32_at(data, r + 8) as usize)
                    .expect("no cmap table");
                let subtables = u16_at(data, cmap + 2) as usize;
                let cmap4 = (0..subtables)
                    .map(|i| cmap + 4 + 8 * i)
                    .map(|r| cmap + u32_at(data, r + 4) as usize)
                    .find(|&o| u16_at(data, o) == 4)
                    .expect("no format 4 cmap");
                Face { data, cmap4 }
            }

            pub fn has(&self, c: char) -> bool {
                let c = c as u32;
                if c > 0xFFFF {
                    return false;
                }
                let (d, t) = (self.data, self.cmap4);
                let segs = u16_at(d, t + 6) as usize / 2;
                let ends = t + 14;
                let starts = ends + 2 * segs + 2;
                let deltas = starts + 2 * segs;
                let offsets = deltas + 2 * segs;
                for i in 0..segs {
                    let end = u16_at(d, ends + 2 * i) as u32;
                    if c > end {
                        continue;
                    }
                    let start = u16_at(d, starts + 2 * i) as u32;
                    if c < start {
                        return false;
                    }
                    let delta = u16_at(d, deltas + 2 * i);
                    let ro = u16_at(d, offsets + 2 * i) as usize;
                    let glyph = if ro == 0 {
                        (c as u16).wrapping_add(delta)
                    } else {
                        let at = offsets + 2 * i + ro + 2 * (c - start) as usize;
                        let g = u16_at(d, at);
                        if g == 0 {
                            0
                        } else {
                            g.wrapping_add(delta)
                        }
                    };
                    return glyph != 0;
                }
                false
            }
        }
    }
}

//! A small PDF writer for the kiosk's papers: pages of text in one embedded CJK font,
//! rectangles and lines, nothing else.
//!
//! A paper is laid out as a [`Sheet`] (millimetres, origin top-left, as a person
//! measures a form) and [`render`]ed to bytes. The font is the committed
//! `assets/fonts/certpoint-cjk-names.ttf` (every hanzi WenQuanYi Micro Hei has, see
//! `assets/fonts/README.md`); each PDF embeds a subset holding only the glyphs it shows
//! (`subsetter`), written as a CID-keyed Type 0 font with a ToUnicode map, so the text
//! can be searched and copied (`pdftotext` reads it back, which the tests rely on).
//!
//! A character the font lacks is drawn as □ and reported by [`missing_chars`], so the
//! caller can tell the clerk instead of printing a blank.

use std::collections::{BTreeMap, BTreeSet};

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// The paper font (see the module documentation).
pub static FONT: &[u8] = include_bytes!("../../assets/fonts/certpoint-cjk-names.ttf");

/// Drawn in place of a character the font does not have.
pub const MISSING: char = '□';

const PT_PER_MM: f32 = 72.0 / 25.4;

/// One thing drawn on a page. Positions in millimetres from the top-left corner; a
/// text's `y` is its baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        size_pt: f32,
        text: String,
    },
    /// Filled black (QR modules, bars).
    Fill { x: f32, y: f32, w: f32, h: f32 },
    /// A stroked outline, `width_mm` thick.
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        width_mm: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width_mm: f32,
    },
}

/// One page, in millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub width_mm: f32,
    pub height_mm: f32,
    pub title: String,
    pub items: Vec<Item>,
}

impl Sheet {
    pub fn new(width_mm: f32, height_mm: f32, title: &str) -> Sheet {
        Sheet {
            width_mm,
            height_mm,
            title: title.to_owned(),
            items: Vec::new(),
        }
    }

    pub fn text(&mut self, x: f32, y: f32, size_pt: f32, text: impl Into<String>) {
        self.items.push(Item::Text {
            x,
            y,
            size_pt,
            text: text.into(),
        });
    }

    /// `text` centred on the page at baseline `y`.
    pub fn centred(&mut self, y: f32, size_pt: f32, text: &str) {
        let x = (self.width_mm - text_width_mm(text, size_pt)) / 2.0;
        self.text(x.max(0.0), y, size_pt, text);
    }

    /// `text` wrapped to `width_mm` from (`x`, `y`), lines `leading_mm` apart; returns
    /// the baseline after the last line.
    pub fn wrapped(
        &mut self,
        x: f32,
        y: f32,
        width_mm: f32,
        size_pt: f32,
        leading_mm: f32,
        text: &str,
    ) -> f32 {
        let mut y = y;
        for line in wrap(text, size_pt, width_mm) {
            self.text(x, y, size_pt, line);
            y += leading_mm;
        }
        y
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width_mm: f32) {
        self.items.push(Item::Line {
            x1,
            y1,
            x2,
            y2,
            width_mm,
        });
    }

    /// Every text of the sheet, in order (what `pdftotext` should find).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|i| match i {
            Item::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }
}

fn face() -> Face<'static> {
    Face::parse(FONT, 0).expect("the committed paper font parses (tested)")
}

/// Characters of `text` the paper font cannot draw (each once, in order).
pub fn missing_chars(text: &str) -> Vec<char> {
    let face = face();
    let mut seen = BTreeSet::new();
    text.chars()
        .filter(|c| !c.is_control() && face.glyph_index(*c).is_none() && seen.insert(*c))
        .collect()
}

/// Width of `text` at `size_pt`, in millimetres.
pub fn text_width_mm(text: &str, size_pt: f32) -> f32 {
    let face = face();
    let upem = f32::from(face.units_per_em());
    let units: f32 = text.chars().map(|c| advance(&face, glyph(&face, c))).sum();
    units / upem * size_pt / PT_PER_MM
}

/// Punctuation that must not start a line (it hangs past the margin instead).
const NO_LINE_START: &str = "，。、；：！？）》」』〉,.;:!?)";

/// `text` broken into lines no wider than `width_mm` (at any character: Chinese has no
/// spaces to break at; a run of ASCII letters, digits and marks — a word, a masked ID
/// number, a serial — is kept whole when it fits on a line; closing punctuation never
/// starts a line).
pub fn wrap(text: &str, size_pt: f32, width_mm: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for c in para.chars() {
            let mut candidate = line.clone();
            candidate.push(c);
            if !line.is_empty()
                && !NO_LINE_START.contains(c)
                && text_width_mm(&candidate, size_pt) > width_mm
            {
                // Carry an unfinished ASCII word to the next line when it can fit there.
                let cut = line
                    .rfind(|ch: char| !ch.is_ascii_graphic())
                    .map(|i| i + line[i..].chars().next().map_or(1, char::len_utf8))
                    .unwrap_or(0);
                if c.is_ascii_graphic() && cut > 0 && cut < line.len() {
                    let word = line.split_off(cut);
                    lines.push(std::mem::take(&mut line));
                    line = word;
                } else {
                    lines.push(std::mem::take(&mut line));
                }
            }
            line.push(c);
        }
        lines.push(line);
    }
    lines
}

fn glyph(face: &Face, c: char) -> GlyphId {
    face.glyph_index(c)
        .or_else(|| face.glyph_index(MISSING))
        .unwrap_or(GlyphId(0))
}

fn advance(face: &Face, g: GlyphId) -> f32 {
    f32::from(face.glyph_hor_advance(g).unwrap_or(0))
}

/// Why a sheet could not become a PDF.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("cannot subset the paper font: {0}")]
    Subset(String),
}

/// The sheets as one PDF (one page each), the font subset to the glyphs they use.
pub fn render(sheets: &[Sheet]) -> Result<Vec<u8>, PdfError> {
    let face = face();
    let upem = f32::from(face.units_per_em());
    let to_pdf_units = |v: f32| v / upem * 1000.0;

    // Every glyph the pages show, remapped to the subset's consecutive ids.
    let mut remapper = GlyphRemapper::new();
    let mut unicode: BTreeMap<u16, char> = BTreeMap::new();
    for sheet in sheets {
        for text in sheet.texts() {
            for c in text.chars() {
                let g = glyph(&face, c);
                let new = remapper.remap(g.0);
                let shown = if face.glyph_index(c).is_some() {
                    c
                } else {
                    MISSING
                };
                unicode.entry(new).or_insert(shown);
            }
        }
    }
    let subset =
        subsetter::subset(FONT, 0, &remapper).map_err(|e| PdfError::Subset(e.to_string()))?;

    let mut alloc = Ref::new(1);
    let mut next = || alloc.bump();
    let catalog_id = next();
    let pages_id = next();
    let info_id = next();
    let type0_id = next();
    let cid_id = next();
    let descriptor_id = next();
    let cmap_id = next();
    let file_id = next();
    let page_ids: Vec<(Ref, Ref)> = sheets.iter().map(|_| (next(), next())).collect();
    let font_name = Name(b"F1");
    let base_font = Name(b"CPAPER+WenQuanYiMicroHei");

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(sheets.len() as i32);
    if let Some(first) = sheets.first() {
        pdf.document_info(info_id)
            .title(TextStr(&first.title))
            .producer(TextStr(concat!("certpoint ", env!("CARGO_PKG_VERSION"))));
    }

    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0_id)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);
    // Subset glyph ids in order, so the widths are one consecutive run from 0.
    let widths: Vec<f32> = remapper
        .remapped_gids()
        .map(|old| to_pdf_units(advance(&face, GlyphId(old))))
        .collect();
    {
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2)
            .base_font(base_font)
            .system_info(system_info)
            .font_descriptor(descriptor_id)
            .default_width(to_pdf_units(upem))
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(0, widths);
    }
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor_id)
        .name(base_font)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            to_pdf_units(f32::from(bbox.x_min)),
            to_pdf_units(f32::from(bbox.y_min)),
            to_pdf_units(f32::from(bbox.x_max)),
            to_pdf_units(f32::from(bbox.y_max)),
        ))
        .italic_angle(0.0)
        .ascent(to_pdf_units(f32::from(face.ascender())))
        .descent(to_pdf_units(f32::from(face.descender())))
        .cap_height(to_pdf_units(f32::from(
            face.capital_height().unwrap_or(face.ascender()),
        )))
        .stem_v(80.0)
        .font_file2(file_id);
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
    for (new, c) in &unicode {
        cmap.pair(*new, *c);
    }
    pdf.cmap(cmap_id, &cmap.finish());
    let compressed = deflate(&subset);
    let mut file = pdf.stream(file_id, &compressed);
    file.filter(Filter::FlateDecode);
    file.pair(Name(b"Length1"), subset.len() as i32);
    file.finish();

    for (sheet, (page_id, content_id)) in sheets.iter().zip(&page_ids) {
        let (w, h) = (sheet.width_mm * PT_PER_MM, sheet.height_mm * PT_PER_MM);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, w, h))
            .parent(pages_id)
            .contents(*content_id);
        page.resources().fonts().pair(font_name, type0_id);
        page.finish();
        let content = draw(sheet, &face, &remapper, font_name);
        let packed = deflate(&content);
        pdf.stream(*content_id, &packed).filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

fn draw(sheet: &Sheet, face: &Face, remapper: &GlyphRemapper, font: Name) -> Vec<u8> {
    let h = sheet.height_mm;
    let pt = |mm: f32| mm * PT_PER_MM;
    let mut c = Content::new();
    c.set_fill_gray(0.0).set_stroke_gray(0.0);
    for item in &sheet.items {
        match item {
            Item::Text {
                x,
                y,
                size_pt,
                text,
            } => {
                let encoded: Vec<u8> = text
                    .chars()
                    .flat_map(|ch| {
                        let g = glyph(face, ch);
                        remapper.get(g.0).unwrap_or(0).to_be_bytes()
                    })
                    .collect();
                c.begin_text()
                    .set_font(font, *size_pt)
                    .next_line(pt(*x), pt(h - *y))
                    .show(Str(&encoded))
                    .end_text();
            }
            Item::Fill { x, y, w, h: fh } => {
                c.rect(pt(*x), pt(h - *y - *fh), pt(*w), pt(*fh))
                    .fill_nonzero();
            }
            Item::Frame {
                x,
                y,
                w,
                h: fh,
                width_mm,
            } => {
                c.set_line_width(pt(*width_mm))
                    .rect(pt(*x), pt(h - *y - *fh), pt(*w), pt(*fh))
                    .stroke();
            }
            Item::Line {
                x1,
                y1,
                x2,
                y2,
                width_mm,
            } => {
                c.set_line_width(pt(*width_mm))
                    .move_to(pt(*x1), pt(h - *y1))
                    .line_to(pt(*x2), pt(h - *y2))
                    .stroke();
            }
        }
    }
    c.finish().into_vec()
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_has_every_common_hanzi_and_the_missing_mark() {
        let face = face();
        for c in "协助认证证明张王李赵鑫淼垚犇骉玥堃赟昇□０１ABC：，。".chars()
        {
            assert!(face.glyph_index(c).is_some(), "{c}");
        }
        assert_eq!(missing_chars("张三"), Vec::<char>::new());
        // CJK Extension B (𠀀) is beyond the font.
        assert_eq!(missing_chars("张𠀀𠀀"), vec!['𠀀']);
    }

    #[test]
    fn wrapping_keeps_lines_within_the_width() {
        let text =
            "长期卧床，无法到场办理资格认证，由其子女持本人及老人身份证件到经办机构申请协助认证。";
        let lines = wrap(text, 12.0, 60.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.concat(), text);
        for l in &lines {
            assert!(text_width_mm(l, 12.0) <= 60.0 + 0.01, "{l}");
        }
        let words = wrap("verification code ABCDE-12345 printed", 12.0, 40.0);
        assert!(words.iter().all(|l| !l.ends_with("ABC")), "{words:?}");
        // A masked number is one word; a full stop never starts a line.
        let masked = "证明身份证号为 3101**********1236 的退休人员。";
        // (Wide enough for the 18-character number, about 42 mm at 12 pt.)
        for w in [45.0, 50.0, 60.0, 80.0] {
            let lines = wrap(masked, 12.0, w);
            assert!(
                lines.iter().any(|l| l.contains("3101**********1236")),
                "{w}: {lines:?}"
            );
            assert!(lines.iter().all(|l| !l.starts_with('。')), "{w}: {lines:?}");
        }
    }

    #[test]
    fn a_pdf_embeds_a_small_subset() {
        let mut s = Sheet::new(210.0, 297.0, "测试");
        s.centred(30.0, 20.0, "协助认证证明");
        s.items.push(Item::Fill {
            x: 10.0,
            y: 10.0,
            w: 5.0,
            h: 5.0,
        });
        let bytes = render(&[s]).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.len() < 60_000, "{} bytes", bytes.len());
    }
}

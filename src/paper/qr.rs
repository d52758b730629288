//! A QR code drawn as filled rectangles on a sheet (vector, so it stays sharp on any
//! printer), with the quiet zone the standard asks for left blank around it.

use qrcode::{Color, EcLevel, QrCode};

use super::pdf::{Item, Sheet};

/// Draws `data` as a QR code `size_mm` wide (quiet zone included) with its top-left
/// corner at (`x`, `y`). Error correction M: a crease or a stamp over a corner still
/// scans. Long runs of dark modules in a row are one rectangle.
pub fn draw(sheet: &mut Sheet, x: f32, y: f32, size_mm: f32, data: &str) -> Result<(), String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot encode {} bytes as a QR code: {e}", data.len()))?;
    let n = code.width();
    let quiet = 4;
    let module = size_mm / (n + 2 * quiet) as f32;
    let colors = code.to_colors();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == Color::Dark {
                    col += 1;
                }
                sheet.items.push(Item::Fill {
                    x: x + (quiet + start) as f32 * module,
                    y: y + (quiet + row) as f32 * module,
                    w: (col - start) as f32 * module,
                    h: module,
                });
            } else {
                col += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_becomes_dark_modules_inside_the_box() {
        let mut s = Sheet::new(100.0, 100.0, "qr");
        draw(
            &mut s,
            10.0,
            10.0,
            30.0,
            "https://agency.example/v1/assistance/110105-K1-2026-0001?code=ABCDE12345",
        )
        .unwrap();
        assert!(s.items.len() > 20);
        for i in &s.items {
            let Item::Fill { x, y, w, h } = i else {
                panic!("{i:?}")
            };
            assert!(
                *x >= 10.0 && *y >= 10.0 && x + w <= 40.01 && y + h <= 40.01,
                "{i:?}"
            );
        }
    }
}

//! The colour sequence the retiree side of the screen shows, drawn from a seed.
//!
//! Photosensitivity (why the palette and the timing look the way they do): WCAG 2.x
//! success criterion 2.3.1 ("Three Flashes or Below Threshold") and ITU-R BT.1702
//! count a *flash* as a pair of opposing changes in relative luminance of 10 % or more
//! (where the darker state is below 0.80), or any pair of transitions involving a
//! saturated red, and forbid more than three flashes in any one second; the danger
//! band for photosensitive epilepsy is about 3–30 flashes per second. This sequence
//! stays well clear of all of it, by construction and checked by tests:
//! - every palette colour has the *same* relative luminance (to within 2 %), so no
//!   change between them is a flash in the WCAG sense at all;
//! - no saturated red (the red-flash rule), saturation at most moderate;
//! - at most `1000 / step_ms` colour changes per second, and `step_ms` may not go below
//!   [`MIN_STEP_MS`] (≤ 2 changes a second, i.e. ≤ 1 flash-pair a second even if it were
//!   one), each change a cross-fade over `fade_ms`, never a cut;
//! - brightness capped by `max_brightness` (the luminance every colour is set to).
//!   Elderly eyes: nothing glaring, nothing fast.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The limits `[flash]` enforces (defined with the configuration, which stands alone).
pub use crate::config::flash::{MAX_LUMINANCE, MIN_FADE_MS, MIN_STEP_MS};

/// The palette, as sRGB directions (hue and saturation); [`Palette::colour`] sets each
/// to the common luminance. Warm amber, cool blue, soft green, soft pink: four hues
/// whose chroma directions span both axes the analysis measures (red–green and
/// blue–green), none of them a saturated red.
const HUES: [[u8; 3]; 4] = [
    [255, 196, 128],
    [128, 176, 255],
    [150, 224, 156],
    [236, 160, 226],
];

/// One letter per palette entry, for the record (`"ABGP…"`).
const LETTERS: [char; 4] = ['A', 'B', 'G', 'P'];

/// sRGB component (0–255) to linear light.
pub fn linear(c: u8) -> f32 {
    let c = f32::from(c) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear light (clamped to 0–1) to an sRGB component, the inverse of [`linear`].
pub fn encode(l: f32) -> u8 {
    let l = l.clamp(0.0, 1.0);
    let c = if l <= 0.003_130_8 {
        l * 12.92
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    };
    (c * 255.0).round() as u8
}

/// WCAG relative luminance of an sRGB colour.
pub fn relative_luminance(rgb: [u8; 3]) -> f32 {
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/// The palette at one brightness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    /// Relative luminance every colour is set to, 0–1.
    pub luminance: f32,
}

impl Palette {
    pub const LEN: usize = HUES.len();

    /// Palette entry `i` in sRGB, scaled in linear light to the palette's luminance.
    pub fn colour(&self, i: usize) -> [u8; 3] {
        let hue = HUES[i % HUES.len()];
        let k = self.luminance / relative_luminance(hue);
        let lin = hue.map(|c| linear(c) * k);
        lin.map(encode)
    }

    pub fn letter(i: usize) -> char {
        LETTERS[i % LETTERS.len()]
    }
}

/// A drawn sequence: palette indices, each held `step_ms` and cross-faded in over
/// `fade_ms`. Time 0 is when the first colour starts fading in from the neutral
/// background; after the last step the screen fades back to neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub steps: Vec<usize>,
    pub step_ms: u32,
    pub fade_ms: u32,
    pub palette: Palette,
}

impl Sequence {
    /// `len` steps from the seed; consecutive steps always differ (a repeat would be a
    /// step without information). The attempt number selects the ChaCha stream, as for
    /// the challenge order, so attempts are independent and a replay reproduces them;
    /// the stream is offset so it never equals the challenge order's.
    pub fn draw(
        seed: u64,
        attempt: u32,
        len: usize,
        step_ms: u32,
        fade_ms: u32,
        palette: Palette,
    ) -> Sequence {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream((1u64 << 32) | u64::from(attempt));
        let mut steps = Vec::with_capacity(len);
        for _ in 0..len {
            let last = steps.last().copied();
            let mut next = rng.random_range(0..Palette::LEN);
            while Some(next) == last {
                next = rng.random_range(0..Palette::LEN);
            }
            steps.push(next);
        }
        Sequence {
            steps,
            step_ms: step_ms.max(1),
            fade_ms: fade_ms.min(step_ms),
            palette,
        }
    }

    /// Total time the flash runs, the closing fade included.
    pub fn duration_ms(&self) -> u64 {
        (self.steps.len() as u64 + 1) * u64::from(self.step_ms)
    }

    /// The sequence as letters for the record, e.g. `"ABGPBA"`.
    pub fn code(&self) -> String {
        self.steps.iter().map(|&i| Palette::letter(i)).collect()
    }

    /// The colour on screen `t_ms` after the start, as a mix of the neutral background
    /// (`None` weight) and palette colours, in linear light: `(weight, colour)` pairs.
    fn mix(&self, t_ms: i64) -> [(f32, Option<usize>); 2] {
        let step = i64::from(self.step_ms);
        if t_ms < 0 {
            return [(1.0, None), (0.0, None)];
        }
        let k = (t_ms / step) as usize;
        let into = (t_ms % step) as f32;
        let current = self.steps.get(k).copied();
        let previous = if k == 0 {
            None
        } else {
            self.steps.get(k - 1).copied()
        };
        let a = if self.fade_ms == 0 {
            1.0
        } else {
            (into / self.fade_ms as f32).min(1.0)
        };
        // Cosine easing: no corner in the luminance curve at either end of a fade.
        let a = 0.5 - 0.5 * (std::f32::consts::PI * a).cos();
        [(1.0 - a, previous), (a, current)]
    }

    /// The displayed colour in linear light (0–1 per channel), `None` for neutral,
    /// `t_ms` after the start; neutral is the given linear grey.
    pub fn linear_at(&self, t_ms: i64, neutral: [f32; 3]) -> [f32; 3] {
        let mut out = [0.0; 3];
        for (w, c) in self.mix(t_ms) {
            let lin = match c {
                Some(i) => self.palette.colour(i).map(linear),
                None => neutral,
            };
            for ch in 0..3 {
                out[ch] += w * lin[ch];
            }
        }
        out
    }

    /// The sRGB colour to paint `t_ms` after the start, over the neutral `background`.
    pub fn srgb_at(&self, t_ms: i64, background: [u8; 3]) -> [u8; 3] {
        self.linear_at(t_ms, background.map(linear)).map(encode)
    }

    /// The reference signal the analysis correlates with: the displayed light's chroma
    /// in the two directions measured on the face (red − green, blue − green, linear
    /// light), relative to the neutral background.
    pub fn chroma_at(&self, t_ms: i64) -> [f32; 2] {
        // Neutral grey carries no chroma, so only the palette part counts.
        let l = self.linear_at(t_ms, [0.0; 3]);
        [l[0] - l[1], l[2] - l[1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_is_isoluminant_moderate_and_never_saturated_red() {
        for lum in [0.15, 0.3, MAX_LUMINANCE] {
            let p = Palette { luminance: lum };
            for i in 0..Palette::LEN {
                let c = p.colour(i);
                let l = relative_luminance(c);
                assert!(
                    (l - lum).abs() / lum < 0.02,
                    "colour {i} {c:?}: luminance {l} vs {lum}"
                );
                let max = *c.iter().max().unwrap() as f32;
                let min = *c.iter().min().unwrap() as f32;
                assert!((max - min) / max <= 0.6, "colour {i} {c:?} too saturated");
                // WCAG's red-flash rule: R/(R+G+B) ≥ 0.8 in linear light is "saturated red".
                let lin = c.map(linear);
                assert!(
                    lin[0] / (lin[0] + lin[1] + lin[2]) < 0.6,
                    "colour {i} is reddish {c:?}"
                );
            }
        }
    }

    #[test]
    fn no_change_between_palette_colours_is_a_wcag_flash() {
        let p = Palette { luminance: 0.35 };
        for a in 0..Palette::LEN {
            for b in 0..Palette::LEN {
                let (la, lb) = (
                    relative_luminance(p.colour(a)),
                    relative_luminance(p.colour(b)),
                );
                assert!((la - lb).abs() < 0.1 * la.max(lb), "{a}->{b}: {la} vs {lb}");
            }
        }
    }

    #[test]
    fn sequences_are_reproducible_per_attempt_and_never_repeat_a_step() {
        let p = Palette { luminance: 0.35 };
        let a = Sequence::draw(7, 1, 12, 600, 200, p);
        assert_eq!(a, Sequence::draw(7, 1, 12, 600, 200, p));
        assert_ne!(a.steps, Sequence::draw(7, 2, 12, 600, 200, p).steps);
        assert!(a.steps.windows(2).all(|w| w[0] != w[1]));
        assert_eq!(a.code().len(), 12);
    }

    #[test]
    fn colour_changes_are_slow_fades() {
        let s = Sequence::draw(3, 1, 6, 600, 200, Palette { luminance: 0.35 });
        // Mid-fade the colour lies between the two steps, never a cut.
        let before = s.srgb_at(600 - 1, [128; 3]);
        let mid = s.srgb_at(600 + 100, [128; 3]);
        let after = s.srgb_at(600 + 250, [128; 3]);
        assert_ne!(mid, after);
        for ch in 0..3 {
            let (lo, hi) = (before[ch].min(after[ch]), before[ch].max(after[ch]));
            assert!((lo..=hi).contains(&mid[ch]), "{before:?} {mid:?} {after:?}");
        }
    }
}

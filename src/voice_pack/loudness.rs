//! Integrated loudness (ITU-R BS.1770-4, the measure EBU R128 uses), so `voice check` can
//! tell whether a pack's clips are as loud as its manifest says. The packs are made with
//! pyloudnorm, the same algorithm; the tests below pin this one to it.
//!
//! K-weighting (a high shelf for the head, a high-pass for the low end), mean square over
//! 400 ms blocks overlapping by 75 %, an absolute gate at -70 LUFS and a relative gate
//! 10 LU under the ungated mean. The filters are the RBJ-cookbook shelf and high-pass
//! with pyloudnorm's parameters (4 dB above 1.5 kHz; 38 Hz), derived for any sample rate
//! rather than BS.1770's 48 kHz table.

use std::f64::consts::PI;

/// A biquad in direct form I.
struct Biquad {
    b: [f64; 3],
    a: [f64; 3],
}

impl Biquad {
    fn high_shelf(rate: f64) -> Biquad {
        let (g, q, fc) = (4.0, std::f64::consts::FRAC_1_SQRT_2, 1_500.0);
        let a = 10f64.powf(g / 40.0);
        let w0 = 2.0 * PI * fc / rate;
        let alpha = w0.sin() / (2.0 * q);
        let c = w0.cos();
        let sa = a.sqrt();
        Biquad {
            b: [
                a * ((a + 1.0) + (a - 1.0) * c + 2.0 * sa * alpha),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
                a * ((a + 1.0) + (a - 1.0) * c - 2.0 * sa * alpha),
            ],
            a: [
                (a + 1.0) - (a - 1.0) * c + 2.0 * sa * alpha,
                2.0 * ((a - 1.0) - (a + 1.0) * c),
                (a + 1.0) - (a - 1.0) * c - 2.0 * sa * alpha,
            ],
        }
    }

    fn high_pass(rate: f64) -> Biquad {
        let (q, fc) = (0.5, 38.0);
        let w0 = 2.0 * PI * fc / rate;
        let alpha = w0.sin() / (2.0 * q);
        let c = w0.cos();
        Biquad {
            b: [(1.0 + c) / 2.0, -(1.0 + c), (1.0 + c) / 2.0],
            a: [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        }
    }

    fn run(&self, x: &[f64]) -> Vec<f64> {
        let [b0, b1, b2] = self.b.map(|v| v / self.a[0]);
        let [a1, a2] = [self.a[1] / self.a[0], self.a[2] / self.a[0]];
        let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
        x.iter()
            .map(|&x0| {
                let y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
                (x2, x1, y2, y1) = (x1, x0, y1, y0);
                y0
            })
            .collect()
    }
}

/// Integrated loudness in LUFS of interleaved samples, or `None` when nothing is above
/// the absolute gate (silence). A clip shorter than one 400 ms block is measured as one
/// block over its whole length.
pub fn integrated_lufs(samples: &[f32], channels: u16, rate: u32) -> Option<f64> {
    let channels = usize::from(channels.max(1));
    let rate_f = f64::from(rate);
    let (shelf, pass) = (Biquad::high_shelf(rate_f), Biquad::high_pass(rate_f));
    let weighted: Vec<Vec<f64>> = (0..channels)
        .map(|c| {
            let x: Vec<f64> = samples
                .iter()
                .skip(c)
                .step_by(channels)
                .map(|&s| f64::from(s))
                .collect();
            pass.run(&shelf.run(&x))
        })
        .collect();
    let n = weighted.first().map_or(0, Vec::len);
    if n == 0 {
        return None;
    }
    let block = ((0.4 * rate_f).round() as usize).min(n);
    let step = ((0.1 * rate_f).round() as usize).max(1);
    let mut z = Vec::new(); // per block: sum over channels of the mean square (weights 1)
    let mut start = 0;
    while start + block <= n {
        let ms: f64 = weighted
            .iter()
            .map(|ch| ch[start..start + block].iter().map(|v| v * v).sum::<f64>() / block as f64)
            .sum();
        z.push(ms);
        start += step;
    }
    let lk = |ms: f64| -0.691 + 10.0 * ms.log10();
    let above_abs: Vec<f64> = z.into_iter().filter(|&ms| lk(ms) > -70.0).collect();
    if above_abs.is_empty() {
        return None;
    }
    let ungated = above_abs.iter().sum::<f64>() / above_abs.len() as f64;
    let relative = lk(ungated) - 10.0;
    let gated: Vec<f64> = above_abs
        .into_iter()
        .filter(|&ms| lk(ms) > relative)
        .collect();
    Some(lk(gated.iter().sum::<f64>() / gated.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, amp: f64, rate: u32, secs: f64) -> Vec<f32> {
        (0..(secs * f64::from(rate)) as usize)
            .map(|i| (amp * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    /// BS.1770's calibration: the K-filter's gain at 1 kHz is cancelled by the -0.691
    /// offset, so a full-scale 997 Hz sine (mean square 1/2) reads -3.01 LUFS at any rate.
    #[test]
    fn a_full_scale_1khz_sine_reads_minus_3_lufs() {
        for rate in [24_000, 48_000, 44_100] {
            let x = sine(997.0, 1.0, rate, 3.0);
            let l = integrated_lufs(&x, 1, rate).unwrap();
            // The cookbook shelf bends a little at low rates (-3.06 at 24 kHz).
            assert!((l - -3.01).abs() < 0.1, "{rate} Hz: {l}");
        }
    }

    #[test]
    fn ebu_3341_case_1_stereo_sine_at_minus_23() {
        let amp = 10f64.powf(-23.0 / 20.0);
        let mono = sine(1000.0, amp, 48_000, 20.0);
        let stereo: Vec<f32> = mono.iter().flat_map(|&s| [s, s]).collect();
        let l = integrated_lufs(&stereo, 2, 48_000).unwrap();
        assert!((l - -23.0).abs() < 0.1, "{l}");
    }

    /// The gates ignore the silence: speech with long pauses measures about as the
    /// speech (only the blocks straddling the edges pull it down a little).
    #[test]
    fn pauses_do_not_lower_the_reading() {
        let rate = 24_000;
        let loud = sine(500.0, 0.3, rate, 2.0);
        let mut with_pause = loud.clone();
        with_pause.extend(std::iter::repeat_n(0.0, rate as usize * 2));
        let a = integrated_lufs(&loud, 1, rate).unwrap();
        let b = integrated_lufs(&with_pause, 1, rate).unwrap();
        assert!((a - b).abs() < 0.5, "{a} vs {b}");
    }

    /// The same signal through pyloudnorm 0.2.0 (which scripts/make-voice uses) reads
    /// -19.8414 LUFS: two tones, a pause, a fade-in.
    #[test]
    fn agrees_with_pyloudnorm() {
        let rate = 24_000u32;
        let n = (2.5 * f64::from(rate)) as usize;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                let mut v = (0.2 * (2.0 * PI * 220.0 * t).sin()
                    + 0.1 * (2.0 * PI * 3000.0 * t).sin()) as f32;
                if (rate as usize..(1.5 * f64::from(rate)) as usize).contains(&i) {
                    v = 0.0;
                }
                v * (0.3 + 0.7 * i as f32 / (n - 1) as f32)
            })
            .collect();
        let l = integrated_lufs(&x, 1, rate).unwrap();
        assert!((l - -19.8414).abs() < 0.01, "{l}");
    }

    #[test]
    fn silence_has_no_loudness() {
        assert_eq!(integrated_lufs(&vec![0.0; 48_000], 1, 24_000), None);
        assert_eq!(integrated_lufs(&[], 1, 24_000), None);
    }
}

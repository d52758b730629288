//! Does the face's colour follow the screen? Correlates the measured face-minus-
//! background chroma with the displayed sequence, searching a small window of display
//! lags and paying for the search.
//!
//! - **Drift.** A linear trend (over the few seconds of the flash) is removed from both
//!   the measurement and the reference before correlating: the person leaning, a cloud
//!   passing, the camera's slow white-balance settling are not the flash.
//! - **Lag.** The screen shows a colour some tens of ms after it is asked to (vsync, the
//!   panel), the camera stamps a frame after the exposure; neither is known exactly.
//!   Each lag in `0..=max_lag_ms` (step `lag_step_ms`) is tried and the best kept.
//! - **The price of the search.** Taking the best of K lags lets a source that does not
//!   follow the screen at all score higher than at one fixed lag: the expected maximum
//!   of K independent null correlations is about `σ₀·√(2 ln K)`, with
//!   `σ₀ = 1/√(2·(steps−1))` (two chroma channels, each with about `steps − 1`
//!   independent values after detrending, however many frames there are). Lags closer
//!   than a cross-fade see nearly the same reference, so K counts one lag per fade:
//!   `K = 1 + max_lag / fade`. That amount is subtracted before the threshold; the
//!   simulation (`certpoint flash simulate`) measures what it leaves.
//! - **Sign.** Reflection adds the screen's light, so only positive correlation counts;
//!   a face that turns bluer when the screen turns amber is not reflecting it.

use super::measure::ChromaSample;
use super::sequence::Sequence;

/// How the search is run and judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrelateParams {
    pub max_lag_ms: u32,
    pub lag_step_ms: u32,
    pub threshold: f32,
    /// Fewer usable frames than this per sequence step: not measurable.
    pub min_frames_per_step: f32,
}

impl Default for CorrelateParams {
    fn default() -> Self {
        CorrelateParams {
            max_lag_ms: 300,
            lag_step_ms: 33,
            threshold: crate::config::flash::DEFAULT_THRESHOLD,
            min_frames_per_step: 2.0,
        }
    }
}

/// The outcome of one flash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    pub frames: u32,
    /// Best correlation over the lags (mean of the two channels), −1..1; `None` when
    /// too few frames were usable.
    pub best: Option<f32>,
    /// `best` minus the lag-search penalty: what the threshold judges.
    pub score: Option<f32>,
    pub lag_ms: Option<u32>,
    pub threshold: f32,
    pub passed: bool,
}

/// Residuals of `y` after a least-squares fit of `a + b·t`.
fn detrend(t: &[f64], y: &[f64]) -> Vec<f64> {
    let n = t.len() as f64;
    let (mt, my) = (t.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let stt: f64 = t.iter().map(|x| (x - mt).powi(2)).sum();
    let sty: f64 = t.iter().zip(y).map(|(x, v)| (x - mt) * (v - my)).sum();
    let b = if stt > 0.0 { sty / stt } else { 0.0 };
    t.iter()
        .zip(y)
        .map(|(x, v)| v - my - b * (x - mt))
        .collect()
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let (saa, sbb): (f64, f64) = (a.iter().map(|x| x * x).sum(), b.iter().map(|x| x * x).sum());
    if saa <= 1e-18 || sbb <= 1e-18 {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (saa * sbb).sqrt()
}

/// The lag-search penalty for a search over `max_lag_ms` of a sequence of `steps`
/// steps with `fade_ms` cross-fades.
pub fn lag_penalty(steps: usize, max_lag_ms: u32, fade_ms: u32) -> f32 {
    let dof = (2 * steps.saturating_sub(1)).max(1) as f64;
    let k = 1.0 + f64::from(max_lag_ms) / f64::from(fade_ms.max(1));
    ((2.0 * k.ln()).sqrt() / dof.sqrt()) as f32
}

/// Correlates the samples (capture times on the flow's clock) with `seq`, shown from
/// `start_ms` on the same clock.
pub fn correlate(
    samples: &[ChromaSample],
    seq: &Sequence,
    start_ms: u64,
    p: &CorrelateParams,
) -> Correlation {
    let end = start_ms + seq.duration_ms() + u64::from(p.max_lag_ms);
    let used: Vec<&ChromaSample> = samples
        .iter()
        .filter(|s| s.captured_ms >= start_ms && s.captured_ms <= end)
        .filter(|s| s.face_minus_background.iter().all(|v| v.is_finite()))
        .collect();
    let frames = used.len() as u32;
    let unmeasured = Correlation {
        frames,
        best: None,
        score: None,
        lag_ms: None,
        threshold: p.threshold,
        passed: false,
    };
    if (frames as f32) < p.min_frames_per_step * seq.steps.len() as f32 || seq.steps.len() < 2 {
        return unmeasured;
    }
    let t: Vec<f64> = used
        .iter()
        .map(|s| (s.captured_ms - start_ms) as f64)
        .collect();
    let obs: [Vec<f64>; 2] = [0, 1].map(|c| {
        detrend(
            &t,
            &used
                .iter()
                .map(|s| f64::from(s.face_minus_background[c]))
                .collect::<Vec<_>>(),
        )
    });
    let step = p.lag_step_ms.max(1);
    let lags: Vec<u32> = (0..=p.max_lag_ms / step).map(|i| i * step).collect();
    let mut best: Option<(f64, u32)> = None;
    for &lag in &lags {
        let reference: Vec<[f32; 2]> = used
            .iter()
            .map(|s| seq.chroma_at(s.captured_ms as i64 - start_ms as i64 - i64::from(lag)))
            .collect();
        let r = [0, 1].map(|c| {
            detrend(
                &t,
                &reference
                    .iter()
                    .map(|v| f64::from(v[c]))
                    .collect::<Vec<_>>(),
            )
        });
        let c = (pearson(&obs[0], &r[0]) + pearson(&obs[1], &r[1])) / 2.0;
        if best.is_none_or(|(b, _)| c > b) {
            best = Some((c, lag));
        }
    }
    let Some((corr, lag)) = best else {
        return unmeasured;
    };
    let score = corr as f32 - lag_penalty(seq.steps.len(), p.max_lag_ms, seq.fade_ms);
    Correlation {
        frames,
        best: Some(corr as f32),
        score: Some(score),
        lag_ms: Some(lag),
        threshold: p.threshold,
        passed: score >= p.threshold,
    }
}

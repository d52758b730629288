//! Simulated light, honestly modelled, for the tests and the false-accept figures
//! (`certpoint flash simulate`). No real footage with this flash exists yet: these
//! models are what the threshold is set from, and real kiosks must confirm it.
//!
//! Light model per frame (linear light, per channel): the face's skin reflects the
//! room's light `A` plus the screen's light `gain·D(t − lag)`; the wall behind reflects
//! the room and, being metres away instead of ~50 cm, a screen term `gain/20`; the
//! camera multiplies everything by its white-balance/exposure gains `W(t)` (drifting,
//! and here deliberately reacting to the screen's colour too); the frame means carry
//! Gaussian noise `noise` (relative). What the sources differ in:
//! - **live**: as above;
//! - **replay** (a video or photo on a screen or paper): the face's pixels do not
//!   depend on this kiosk's `D` at all; the recording may hold another session's flash
//!   (an independent sequence), and a glossy surface reflects `glass·D` as well;
//! - **phone**: a screen held close emits its own light, brighter than the kiosk's
//!   reflection, changing with whatever it plays (independent random colour steps),
//!   plus the same glass reflection;
//! - **noise**: measurement noise only.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::correlate::{correlate, Correlation};
use super::measure::ChromaSample;
use super::sequence::Sequence;
use super::FlashSettings;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// A live face; `gain` is the screen's light at the face relative to the room's.
    Live { gain: f32 },
    /// A replayed recording that holds another session's flash; `glass` is the part
    /// of this kiosk's light its surface reflects (relative to the room's light).
    Replay { glass: f32 },
    /// A phone screen emitting its own varying light (`emission` relative to the room).
    Phone { emission: f32, glass: f32 },
    /// Nothing but measurement noise.
    Noise,
}

/// Everything a simulated flash needs besides the source.
#[derive(Debug, Clone, Copy)]
pub struct Scene {
    pub fps: f32,
    /// True display-to-capture lag, ms.
    pub lag_ms: u32,
    /// Relative noise of a frame's mean skin colour (per channel).
    pub noise: f32,
    /// Camera auto-white-balance reacting to the screen (same on face and wall).
    pub awb_follows_screen: f32,
}

impl Default for Scene {
    fn default() -> Self {
        Scene {
            fps: 15.0,
            lag_ms: 90,
            noise: 0.004,
            awb_follows_screen: 0.0,
        }
    }
}

const SKIN: [f32; 3] = [0.55, 0.38, 0.30];
const WALL: [f32; 3] = [0.50, 0.50, 0.48];
const ROOM: [f32; 3] = [1.0, 0.95, 0.85];

fn gauss(rng: &mut ChaCha8Rng) -> f32 {
    // Box–Muller; good enough for simulation noise.
    let u: f32 = rng.random_range(1e-7..1.0);
    let v: f32 = rng.random_range(0.0..1.0);
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f32::consts::PI * v).cos()
}

fn log_chroma(c: [f32; 3]) -> [f32; 2] {
    [(c[0] / c[1]).ln(), (c[2] / c[1]).ln()]
}

/// The frames a source yields while `seq` is shown from `start_ms`.
pub fn frames(
    source: Source,
    seq: &Sequence,
    start_ms: u64,
    scene: &Scene,
    rng: &mut ChaCha8Rng,
) -> Vec<ChromaSample> {
    // What a recording or a phone shows instead: an independent sequence.
    let other = Sequence::draw(
        rng.random(),
        1,
        seq.steps.len(),
        seq.step_ms,
        seq.fade_ms,
        seq.palette,
    );
    let drift = [
        rng.random_range(-0.02..0.02f32),
        rng.random_range(-0.02..0.02f32),
    ];
    let period = 1000.0 / scene.fps;
    let n = ((seq.duration_ms() as f32 + 400.0) / period) as u32;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        // Frame times jitter by a few ms, as real cameras' do.
        let t = (i as f32 * period + rng.random_range(-4.0..4.0f32)).max(0.0) as i64;
        let shown = seq.linear_at(t - i64::from(scene.lag_ms), [0.0; 3]);
        let dim = |c: [f32; 3], k: f32| c.map(|v| v * k);
        let (face_light, wall_light) = match source {
            Source::Live { gain } => {
                let face: [f32; 3] = std::array::from_fn(|c| ROOM[c] + gain * shown[c] / 0.35);
                let wall: [f32; 3] =
                    std::array::from_fn(|c| ROOM[c] + gain / 20.0 * shown[c] / 0.35);
                (
                    std::array::from_fn(|c| SKIN[c] * face[c]),
                    std::array::from_fn(|c| WALL[c] * wall[c]),
                )
            }
            Source::Replay { glass } => {
                let recorded = other.linear_at(t, [0.0; 3]);
                let face: [f32; 3] = std::array::from_fn(|c| {
                    SKIN[c] * (ROOM[c] + 0.02 * recorded[c] / 0.35) + glass * shown[c] / 0.35
                });
                (face, std::array::from_fn(|c| WALL[c] * ROOM[c]))
            }
            Source::Phone { emission, glass } => {
                let own = other.linear_at(t, [0.1; 3]);
                let face: [f32; 3] = std::array::from_fn(|c| {
                    SKIN[c] * ROOM[c] * 0.3 + emission * own[c] / 0.35 + glass * shown[c] / 0.35
                });
                (face, std::array::from_fn(|c| WALL[c] * ROOM[c]))
            }
            Source::Noise => (dim(SKIN, 1.0), dim(WALL, 1.0)),
        };
        // The camera's gains: slow drift plus, optionally, a reaction to the screen.
        let secs = t as f32 / 1000.0;
        let awb: [f32; 3] = [
            (drift[0] * secs).exp() * (1.0 - scene.awb_follows_screen * shown[0]),
            1.0,
            (drift[1] * secs).exp() * (1.0 - scene.awb_follows_screen * shown[2]),
        ];
        let mut noisy = |l: [f32; 3]| -> [f32; 3] {
            std::array::from_fn(|c| l[c] * awb[c] * (1.0 + scene.noise * gauss(rng)))
        };
        let (f, w) = (noisy(face_light), noisy(wall_light));
        let (lf, lw) = (log_chroma(f), log_chroma(w));
        out.push(ChromaSample {
            captured_ms: start_ms + t as u64,
            face_minus_background: [lf[0] - lw[0], lf[1] - lw[1]],
        });
    }
    out
}

/// How often `source` passes over `trials` flashes, each with a fresh sequence drawn
/// with `settings`.
pub fn pass_rate(
    source: Source,
    scene: &Scene,
    settings: &FlashSettings,
    trials: u32,
    seed: u64,
) -> (u32, Vec<Correlation>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut passes = 0;
    let mut results = Vec::with_capacity(trials as usize);
    for _ in 0..trials {
        let seq = settings.sequence(rng.random(), 1);
        let samples = frames(source, &seq, 1_000, scene, &mut rng);
        let c = correlate(&samples, &seq, 1_000, &settings.correlate);
        passes += u32::from(c.passed);
        results.push(c);
    }
    (passes, results)
}

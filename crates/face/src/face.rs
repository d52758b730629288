//! Everything measured on the subject's face once its box is known: landmarks, both
//! eyes, pose, quality, passive liveness and (on request) the embedding.
//!
//! The work is spread over the two cores of a kiosk PC: the anti-spoofing crops need
//! only the box, so they start at once on a second thread; the right eye runs beside
//! the left once the landmarks are in. Each model session is used by one thread at a
//! time (the borrows below are disjoint), so no locking is needed.

use std::time::Instant;

use image::RgbImage;

use super::geometry::BoxF;
use super::models::{AntiSpoof, Embedder, Iris, Landmarks};
use super::{FaceAnalysis, FacePoints, FaceQuality, Pose, Timings, VisionError, Wants};

/// The models one face analysis borrows.
pub(super) struct Models<'a> {
    pub landmarks: &'a mut Landmarks,
    pub iris: &'a mut Iris,
    pub iris_b: &'a mut Iris,
    pub antispoof: &'a mut AntiSpoof,
    pub embedder: &'a mut Embedder,
}

fn ms(t: Instant) -> f32 {
    t.elapsed().as_secs_f32() * 1000.0
}

pub(super) fn analyze(
    m: Models<'_>,
    img: &RgbImage,
    bbox: BoxF,
    score: f32,
    mirrored: bool,
    wants: Wants,
    timings: &mut Timings,
) -> Result<FaceAnalysis, VisionError> {
    let Models {
        landmarks,
        iris,
        iris_b,
        antispoof,
        embedder,
    } = m;
    let (points, liveness) = std::thread::scope(|s| {
        let live = wants.liveness.then(|| {
            s.spawn(move || {
                let t = Instant::now();
                (antispoof.real_probability(img, &bbox), ms(t))
            })
        });
        let t = Instant::now();
        let points = landmarks.landmarks(img, &bbox).and_then(|p| {
            let landmarks_ms = ms(t);
            let t = Instant::now();
            let right = s.spawn(move || iris_b.openness(img, p[42], p[45], true));
            let left = iris.openness(img, p[36], p[39], false);
            let right = right.join().expect("iris thread panicked");
            Ok((p, landmarks_ms, left?, right?, ms(t)))
        });
        (
            points,
            live.map(|h| h.join().expect("anti-spoofing thread panicked")),
        )
    });
    let (p, landmarks_ms, left, right, eyes_ms) = points?;
    timings.landmarks_ms = landmarks_ms;
    timings.eyes_ms = eyes_ms;
    let passive_liveness = match liveness {
        Some((v, t)) => {
            timings.liveness_ms = t;
            Some(v?)
        }
        None => None,
    };
    let sharpness = laplacian_variance(landmarks.last_grey(), 64);
    let five = five_points(&p);
    let mut pose = pose(&p);
    if mirrored {
        pose.yaw = -pose.yaw;
        pose.roll = -pose.roll;
    }
    let quality = FaceQuality {
        brightness: mean_luma(img, &bbox),
        sharpness,
        face_size: bbox.width() / img.width() as f32,
    };
    let (embedding, embedding_norm) = if wants.embedding {
        let t = Instant::now();
        let (e, n) = embedder.embed(img, &five.five())?;
        timings.embedding_ms = ms(t);
        (Some(e), Some(n))
    } else {
        (None, None)
    };
    Ok(FaceAnalysis {
        bbox,
        score,
        landmarks: five,
        pose,
        eye_openness: [left, right],
        mouth_openness: mouth_openness(&p),
        quality,
        passive_liveness,
        embedding_norm,
        embedding,
        points68: p.to_vec(),
    })
}

fn mean(points: &[(f32, f32)]) -> (f32, f32) {
    let n = points.len() as f32;
    let (x, y) = points
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
    (x / n, y / n)
}

pub(super) fn five_points(p: &[(f32, f32); 68]) -> FacePoints {
    FacePoints {
        left_eye: mean(&p[36..42]),
        right_eye: mean(&p[42..48]),
        nose: p[30],
        mouth_left: p[48],
        mouth_right: p[54],
    }
}

/// Pose proxy (see [`Pose`]): roll from the eye line; in the roll-corrected frame, yaw
/// from the nose tip's offset from the eye midpoint and pitch from the nose tip's height
/// between the eye line and the mouth, both as ratios turned into approximate degrees
/// (a nose tip sits about half an inter-eye distance in front of the eyes).
fn pose(p: &[(f32, f32); 68]) -> Pose {
    let (el, er) = (mean(&p[36..42]), mean(&p[42..48]));
    let (dx, dy) = (er.0 - el.0, er.1 - el.1);
    let iod = dx.hypot(dy).max(1e-3);
    let (c, s) = (dx / iod, dy / iod);
    let local = |q: (f32, f32)| {
        let (x, y) = (q.0 - el.0, q.1 - el.1);
        (c * x + s * y, -s * x + c * y)
    };
    let nose = local(p[30]);
    let mouth_y = (local(p[48]).1 + local(p[54]).1) / 2.0;
    let yaw_ratio = (nose.0 - iod / 2.0) / iod;
    let pitch_ratio = nose.1 / mouth_y.max(1e-3);
    // Frontal faces put the nose tip ~0.6 of the way from the eye line to the mouth
    // (0.64 on the astronaut photo); looking up moves it towards the eyes.
    Pose {
        yaw: (yaw_ratio / 0.5).atan().to_degrees(),
        pitch: ((0.6 - pitch_ratio) / 0.5).atan().to_degrees(),
        roll: dy.atan2(dx).to_degrees(),
    }
}

/// Inner-lip gap (62–66) over mouth width (60–64).
fn mouth_openness(p: &[(f32, f32); 68]) -> f32 {
    let d = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).hypot(a.1 - b.1);
    d(p[62], p[66]) / d(p[60], p[64]).max(1e-3)
}

fn mean_luma(img: &RgbImage, b: &BoxF) -> f32 {
    let (w, h) = img.dimensions();
    let (x0, y0) = (b.x1.max(0.0) as u32, b.y1.max(0.0) as u32);
    let (x1, y1) = ((b.x2 as u32).min(w), (b.y2 as u32).min(h));
    let (mut sum, mut n) = (0.0f64, 0u32);
    // Every second pixel is plenty for a mean and halves the cost.
    for y in (y0..y1).step_by(2) {
        for x in (x0..x1).step_by(2) {
            let p = img.get_pixel(x, y);
            sum += 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum / n as f64) as f32
    }
}

/// Variance of the 4-neighbour Laplacian over a `side×side` grey image in 0–1 (scaled
/// to 8-bit levels so thresholds read like the usual OpenCV figure).
fn laplacian_variance(grey: &[f32], side: usize) -> f32 {
    let (mut sum, mut sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..side - 1 {
        for x in 1..side - 1 {
            let at = |x: usize, y: usize| grey[y * side + x] as f64 * 256.0;
            let l = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += l;
            sq += l * l;
            n += 1.0;
        }
    }
    let m = sum / n;
    (sq / n - m * m) as f32
}

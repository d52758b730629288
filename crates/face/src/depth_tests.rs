//! The geometry on synthetic 3-D points seen by a pinhole camera: a head turned must
//! leave every ruler; a picture, flat, tilted, curved or folded, must not.

use super::*;

/// A rough head in face widths (outer eye corner to outer eye corner = 1, about 9 cm):
/// x to the image right, y down, z towards the camera. Only the points the check
/// reads are placed; the rest sit at the origin.
fn head() -> Vec<[f32; 3]> {
    let mut p = vec![[0.0f32; 3]; 468];
    let set: &[(usize, [f32; 3])] = &[
        (33, [-0.5, 0.0, 0.0]),
        (263, [0.5, 0.0, 0.0]),
        (133, [-0.18, 0.0, 0.03]),
        (362, [0.18, 0.0, 0.03]),
        (168, [0.0, -0.02, 0.12]),
        (1, [0.0, 0.45, 0.36]),
        (0, [0.0, 0.68, 0.2]),
        (205, [-0.33, 0.45, 0.1]),
        (425, [0.33, 0.45, 0.1]),
        (61, [-0.27, 0.75, 0.09]),
        (291, [0.27, 0.75, 0.09]),
        (70, [-0.45, -0.2, 0.05]),
        (105, [-0.25, -0.25, 0.1]),
        (334, [0.25, -0.25, 0.1]),
        (300, [0.45, -0.2, 0.05]),
        (10, [0.0, -0.6, 0.1]),
        (151, [0.0, -0.4, 0.13]),
        (17, [0.0, 0.88, 0.18]),
        (152, [0.0, 1.15, 0.12]),
        (199, [0.0, 1.05, 0.15]),
    ];
    for &(i, v) in set {
        p[i] = v;
    }
    p
}

/// Rotates about the vertical axis by `yaw_deg` and projects (camera 6 face widths
/// away, 400 px per face width at that distance, principal point (320, 240)).
fn view(points: &[[f32; 3]], yaw_deg: f32) -> Vec<(f32, f32)> {
    let (s, c) = yaw_deg.to_radians().sin_cos();
    let d = 6.0;
    points
        .iter()
        .map(|&[x, y, z]| {
            let (xr, zr) = (c * x + s * z, -s * x + c * z);
            let k = 400.0 * d / (d - zr);
            (320.0 + k * xr, 240.0 + k * y)
        })
        .collect()
}

/// The head printed on paper: its frontal image (x, y), flat (z = 0), then shaped by
/// `bend` (x, y) → (x, y, z) on the paper.
fn picture(bend: impl Fn(f32, f32) -> [f32; 3]) -> Vec<[f32; 3]> {
    head().iter().map(|&[x, y, _]| bend(x, y)).collect()
}

fn flat(x: f32, y: f32) -> [f32; 3] {
    [x, y, 0.0]
}

#[test]
fn a_turning_head_leaves_every_ruler() {
    let h = head();
    let front = view(&h, 0.0);
    for yaw in [12.0f32, 20.0, -15.0, -25.0] {
        let v = parallax(&front, &view(&h, yaw)).unwrap();
        assert!(v > 0.04, "yaw {yaw}: {v}");
        assert!(homography_residual(&front, &view(&h, yaw)).unwrap() > 0.03);
    }
    // No turn, no parallax: the figure measures movement, not shape.
    assert!(parallax(&front, &front).unwrap() < 1e-5);
}

#[test]
fn a_tilted_flat_picture_stays_on_the_rulers_and_on_the_plane() {
    let pic = picture(flat);
    let front = view(&pic, 0.0);
    for yaw in [15.0f32, 35.0, -30.0] {
        let turned = view(&pic, yaw);
        assert!(parallax(&front, &turned).unwrap() < 2e-3, "yaw {yaw}");
        assert!(homography_residual(&front, &turned).unwrap() < 2e-3);
    }
}

#[test]
fn a_curved_or_folded_picture_stays_on_some_ruler_though_not_on_a_plane() {
    let r = 0.8; // a tight curve: radius 0.8 face widths (about 7 cm)
    let vertical_axis = |x: f32, y: f32| [r * (x / r).sin(), y, r * (x / r).cos() - r];
    let horizontal_axis = |x: f32, y: f32| {
        [
            x,
            0.45 + r * ((y - 0.45) / r).sin(),
            r * ((y - 0.45) / r).cos() - r,
        ]
    };
    let fold = |x: f32, y: f32| [x * 0.8, y, -x.abs() * 0.6];
    let shapes: [(&str, Vec<[f32; 3]>); 3] = [
        ("cylinder, vertical axis", picture(vertical_axis)),
        ("cylinder, horizontal axis", picture(horizontal_axis)),
        ("folded down the middle", picture(fold)),
    ];
    for (name, pic) in shapes {
        let front = view(&pic, 0.0);
        for yaw in [20.0f32, -30.0] {
            let turned = view(&pic, yaw);
            let v = parallax(&front, &turned).unwrap();
            assert!(v < 0.01, "{name}, yaw {yaw}: {v}");
        }
    }
    // The plane fit cannot tell the folded picture from a head.
    let folded = picture(fold);
    let h = homography_residual(&view(&folded, 0.0), &view(&folded, 30.0)).unwrap();
    assert!(h > 0.02, "{h}");
}

#[test]
fn the_homography_fit_recovers_a_known_projective_map() {
    let h = [1.1, 0.05, 3.0, -0.02, 0.95, -7.0, 1e-4, -2e-4, 1.0];
    let src: Vec<(f32, f32)> = (0..10)
        .map(|i| ((i * 37 % 200) as f32, (i * 53 % 170) as f32))
        .collect();
    let dst: Vec<(f32, f32)> = src.iter().map(|&p| apply_h(&h, p)).collect();
    let fit = homography(&src, &dst).unwrap();
    for (s, d) in src.iter().zip(&dst) {
        let q = apply_h(&fit, *s);
        assert!((q.0 - d.0).abs() < 1e-2 && (q.1 - d.1).abs() < 1e-2);
    }
    assert!(homography(&src[..3], &dst[..3]).is_none());
}

#[test]
fn degenerate_input_gives_no_figure() {
    assert!(parallax(&[(0.0, 0.0); 10], &[(0.0, 0.0); 10]).is_none());
    assert!(parallax(&[(0.0, 0.0); 468], &[(0.0, 0.0); 468]).is_none());
}

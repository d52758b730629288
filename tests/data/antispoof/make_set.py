#!/usr/bin/env python3
"""Build the passive anti-spoofing evaluation set (tests/data/antispoof/).

Deterministic (fixed seeds, numpy + Pillow only). Input: the bona fide photos of
tests/data/faces (real photographs from registry packages / public repositories; sources in
tests/data/faces/README.md) and their face boxes from tests/data/faces/expected.json.
Also bonafide_photo_grace_hopper.jpg, a real photo kept in this folder (source in README.md).
Output, all 640x480 JPEG quality 90 (the kiosk camera's frame size):

  bonafide_kiosk_<photo>.jpg      the real photo re-framed as a kiosk frame: face ~30 % of
                                  the width, centred, edges replicated (no black bars)
  bonafide_kiosk2_<photo>.jpg     second framing: face ~24 %, off-centre, 15 % darker
  attack_print_synth_<photo>.jpg  SYNTHESISED printed-photo attack: the photo on paper with
                                  a white border, lower contrast, uneven light, slight
                                  perspective, held in front of a synthetic room
  attack_screen_synth_<photo>.jpg SYNTHESISED phone/tablet replay: the photo inside a dark
                                  bezel with rounded corners, RGB sub-pixel grid (moire after
                                  resampling), glare gradient, blue-ish tint, perspective
  attack_halftone_synth_<photo>.jpg  SYNTHESISED tight borderless print: the kiosk frame
                                  with a rotated halftone dot screen and paper tint, no border
  attack_pixelgrid_synth_<photo>.jpg SYNTHESISED tight borderless screen: the kiosk frame
                                  with an RGB sub-pixel grid, moire beat pattern and screen
                                  gamma, no border

None of the attack images is a real recapture: they imitate the visible cues of one. The two
real recaptures available are Silent-Face's samples (tests/data/faces/silentface_F1/F2).

Usage: python3 tests/data/antispoof/make_set.py [--faces tests/data/faces] [--out tests/data/antispoof]
"""
import argparse
import json
import math
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

W, H = 640, 480
# The bona fide photos of tests/data/faces (the Silent-Face spoof samples are attacks).
PHOTOS = [
    "astronaut.jpg",
    "biden_portrait.jpg",
    "biden_standing.jpg",
    "obama_biden_two_people.jpg",
    "obama_briefing.jpg",
    "obama_podium.jpg",
    "obama_portrait.jpg",
    "obama_standing.jpg",
    "silentface_T1_real.jpg",
]
# Bona fide photos kept in this folder (not in tests/data/faces), with the face box the
# shipped detector finds in them (`certpoint analyze FILE --json`, faces[0].box).
EXTRA = {
    "bonafide_photo_grace_hopper.jpg": [177.27, 122.76, 350.41, 328.24],
}


def largest_box(entry):
    faces = entry["faces"]
    return max(faces, key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]))["box"]


def reframe(img, box, face_frac, centre, gain=1.0):
    """Scale so the face box is face_frac of the frame width, put its centre at `centre`,
    and fill everything outside the photo by replicating its edge pixels."""
    x1, y1, x2, y2 = box
    s = face_frac * W / (x2 - x1)
    rw, rh = max(1, round(img.width * s)), max(1, round(img.height * s))
    a = np.asarray(img.resize((rw, rh), Image.LANCZOS), dtype=np.float32)
    cx, cy = (x1 + x2) / 2 * s, (y1 + y2) / 2 * s
    ox, oy = round(centre[0] - cx), round(centre[1] - cy)
    xs = np.clip(np.arange(W) - ox, 0, rw - 1)
    ys = np.clip(np.arange(H) - oy, 0, rh - 1)
    out = a[ys][:, xs] * gain
    return out


def persp_coeffs(dst, src):
    """Coefficients for Image.transform(PERSPECTIVE): output point dst_i -> input src_i."""
    m, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        m.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); b.append(u)
        m.append([0, 0, 0, x, y, 1, -v * x, -v * y]); b.append(v)
    return np.linalg.solve(np.array(m, float), np.array(b, float)).tolist()


def room(rng):
    """A synthetic blurred indoor background (wall gradient, a door/shelf block, noise)."""
    base = rng.uniform(110, 200, 3)
    tint = rng.uniform(-25, 25, 3)
    yy = np.linspace(0, 1, H)[:, None, None]
    xx = np.linspace(0, 1, W)[None, :, None]
    bg = base + tint * yy - 30 * xx * rng.uniform(-1, 1)
    bg = np.broadcast_to(bg, (H, W, 3)).copy()
    for _ in range(3):
        x0, y0 = rng.integers(0, W - 100), rng.integers(0, H - 100)
        bg[y0:y0 + rng.integers(80, 300), x0:x0 + rng.integers(60, 250)] *= rng.uniform(0.5, 0.9)
    im = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(6))
    return np.asarray(im, dtype=np.float32)


def crop_around_face(img, box, fw, fh):
    """Region of the photo around the face: fw x fh face widths/heights, clamped."""
    x1, y1, x2, y2 = box
    cx, cy, bw, bh = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    w, h = min(img.width, bw * fw), min(img.height, bh * fh)
    l = min(max(0, cx - w / 2), img.width - w)
    t = min(max(0, cy - h * 0.45), img.height - h)
    return img.crop((round(l), round(t), round(l + w), round(t + h)))


def paste_quad(bg, obj, mask, quad):
    """Warp `obj` (RGB float array) onto the quadrilateral `quad` (tl, tr, br, bl) of bg."""
    oh, ow = obj.shape[:2]
    src = [(0, 0), (ow, 0), (ow, oh), (0, oh)]
    c = persp_coeffs(quad, src)
    o = Image.fromarray(np.clip(obj, 0, 255).astype(np.uint8)).transform((W, H), Image.PERSPECTIVE, c, Image.BILINEAR)
    m = Image.fromarray(mask).transform((W, H), Image.PERSPECTIVE, c, Image.BILINEAR)
    a = np.asarray(m, dtype=np.float32)[..., None] / 255
    return bg * (1 - a) + np.asarray(o, dtype=np.float32) * a


def jitter_quad(rng, cx, cy, w, h, amount):
    q = [(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2), (cx + w / 2, cy + h / 2), (cx - w / 2, cy + h / 2)]
    return [(x + rng.uniform(-amount, amount) * w, y + rng.uniform(-amount, amount) * h) for x, y in q]


def camera(arr, rng, blur=0.7, noise=1.0):
    """The kiosk camera looking at the scene: slight blur, sensor noise."""
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur))
    a = np.asarray(im, dtype=np.float32) + rng.normal(0, noise, (H, W, 3))
    return a


def print_attack(img, box, rng):
    photo = crop_around_face(img, box, 2.1, 2.0)
    # print: lower contrast, slightly warm paper, white border (~7 %)
    p = np.asarray(photo, dtype=np.float32)
    p = 18 + p * 0.86 * np.array([1.0, 0.98, 0.93])
    bw = max(6, round(0.07 * max(p.shape[:2])))
    paper = np.full((p.shape[0] + 2 * bw, p.shape[1] + 2 * bw, 3), 242.0) * np.array([1.0, 0.99, 0.95])
    paper[bw:bw + p.shape[0], bw:bw + p.shape[1]] = p
    ph, pw = paper.shape[:2]
    # uneven light over the sheet (a lamp to one side)
    g = np.linspace(rng.uniform(0.75, 0.9), rng.uniform(1.0, 1.08), pw)[None, :, None]
    paper = paper * g
    # size: the face in the photo ends up ~26-32 % of the frame width
    face_w = box[2] - box[0]  # face width in paper pixels (the photo is not rescaled)
    s = rng.uniform(0.22, 0.28) * W / face_w
    w, h = pw * s, ph * s
    if h > H * 0.95:
        s2 = H * 0.95 / h
        w, h = w * s2, h * s2
    quad = jitter_quad(rng, W / 2 + rng.uniform(-40, 40), H / 2 + rng.uniform(-15, 15), w, h, 0.04)
    mask = np.full((ph, pw), 255, np.uint8)
    out = paste_quad(room(rng) * rng.uniform(0.85, 1.05), paper, mask, quad)
    return camera(out, rng)


def subpixel_grid(h, w, pitch=3, depth=0.35):
    """RGB stripe mask of a display: each `pitch` columns one R, G, B stripe, dark row gaps."""
    m = np.full((h, w, 3), 1 - depth, np.float32)
    for c in range(3):
        m[:, c::pitch, c] = 1.0
    m[::pitch, :, :] *= 0.8
    return m


def screen_attack(img, box, rng):
    photo = crop_around_face(img, box, 2.0, 2.0)
    # displayed image at ~1.6x so the grid is fine; screen gamma/tint
    sw = round(photo.width * 1.6)
    sh = round(photo.height * 1.6)
    p = np.asarray(photo.resize((sw, sh), Image.BILINEAR), dtype=np.float32)
    p = 255 * (p / 255) ** 0.85 * np.array([0.92, 0.97, 1.06]) + 8
    p = p * subpixel_grid(sh, sw, 3, 0.3) * 1.15
    # glare: a bright diagonal band
    yy, xx = np.mgrid[0:sh, 0:sw]
    d = (xx / sw + yy / sh - rng.uniform(0.6, 1.2)) / 0.25
    p = p + 90 * np.exp(-d ** 2)[..., None]
    bz = max(10, round(0.08 * min(sw, sh)))
    dev = np.full((sh + 2 * bz, sw + 2 * bz + bz // 2, 3), 22.0)
    dev[bz:bz + sh, bz:bz + sw] = p
    dh, dw = dev.shape[:2]
    mimg = Image.new("L", (dw, dh), 0)
    ImageDraw.Draw(mimg).rounded_rectangle((0, 0, dw - 1, dh - 1), radius=round(1.6 * bz), fill=255)
    mask = np.asarray(mimg)
    face_w = (box[2] - box[0]) * sw / photo.width
    s = rng.uniform(0.22, 0.28) * W / face_w
    w, h = dw * s, dh * s
    if h > H * 0.97:
        s2 = H * 0.97 / h
        w, h = w * s2, h * s2
    quad = jitter_quad(rng, W / 2 + rng.uniform(-40, 40), H / 2 + rng.uniform(-10, 10), w, h, 0.035)
    out = paste_quad(room(rng) * rng.uniform(0.6, 0.85), dev, mask, quad)
    return camera(out, rng, blur=0.6)


def halftone_attack(frame, rng):
    """Borderless print: rotated dot screen (period ~3 px) blended 35 % into the image, lower
    contrast, paper tint. (A dot screen blended at 50 % with 4-px dots hid the face from the
    detector in 6 of 9 frames; a webcam does not resolve print dots that sharply anyway.)"""
    period = rng.uniform(2.8, 3.4)
    ang = math.radians(rng.uniform(15, 45))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    u = (xx * math.cos(ang) + yy * math.sin(ang)) / period
    v = (-xx * math.sin(ang) + yy * math.cos(ang)) / period
    dist = np.sqrt((u - np.round(u)) ** 2 + (v - np.round(v)) ** 2)  # 0..0.707
    lum = frame.mean(axis=2, keepdims=True) / 255
    radius = np.sqrt(np.clip(1 - lum, 0, 1) / math.pi)  # dot area ~ ink coverage
    ink = (dist[..., None] < radius).astype(np.float32)
    ht = 250 - ink * 220
    colour = frame / np.maximum(frame.mean(axis=2, keepdims=True), 1) * ht
    out = 0.65 * frame + 0.35 * colour
    out = 12 + out * 0.88 * np.array([1.0, 0.98, 0.92])
    return camera(out, rng, blur=0.9, noise=0.6)


def pixelgrid_attack(frame, rng):
    """Borderless screen: sub-pixel grid, beat-frequency moire, screen gamma, blue cast."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    ang = math.radians(rng.uniform(2, 8))
    f1, f2 = 1 / 3.0, 1 / rng.uniform(3.15, 3.4)
    moire = 0.5 + 0.5 * np.cos(2 * math.pi * (f1 * xx)) * np.cos(2 * math.pi * f2 * (xx * math.cos(ang) + yy * math.sin(ang)))
    p = 255 * (frame / 255) ** 0.85 * np.array([0.92, 0.97, 1.06]) + 6
    p = p * subpixel_grid(H, W, 3, 0.25) * (0.88 + 0.2 * moire[..., None]) * 1.12
    return camera(p, rng, blur=0.45, noise=0.6)


def save(arr, path):
    Image.fromarray(np.clip(np.round(arr), 0, 255).astype(np.uint8)).save(path, quality=90)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", default=os.path.join(here, "..", "faces"))
    ap.add_argument("--out", default=here)
    args = ap.parse_args()
    exp = json.load(open(os.path.join(args.faces, "expected.json")))["images"]
    sources = [(os.path.join(args.faces, n), os.path.splitext(n)[0], largest_box(exp[n])) for n in PHOTOS]
    sources += [(os.path.join(here, n), os.path.splitext(n)[0].replace("bonafide_photo_", ""), b) for n, b in EXTRA.items()]
    for i, (path, stem, box) in enumerate(sources):
        img = Image.open(path).convert("RGB")
        name = os.path.basename(path)
        rng = np.random.default_rng(1000 + i)
        frame = reframe(img, box, 0.30, (W / 2, H * 0.42))
        save(frame, os.path.join(args.out, f"bonafide_kiosk_{stem}.jpg"))
        side = 1 if i % 2 else -1
        save(reframe(img, box, 0.24, (W / 2 + side * 60, H * 0.45), gain=0.85),
             os.path.join(args.out, f"bonafide_kiosk2_{stem}.jpg"))
        save(print_attack(img, box, rng), os.path.join(args.out, f"attack_print_synth_{stem}.jpg"))
        save(screen_attack(img, box, rng), os.path.join(args.out, f"attack_screen_synth_{stem}.jpg"))
        save(halftone_attack(frame, rng), os.path.join(args.out, f"attack_halftone_synth_{stem}.jpg"))
        save(pixelgrid_attack(frame, rng), os.path.join(args.out, f"attack_pixelgrid_synth_{stem}.jpg"))
        print("done", name)


if __name__ == "__main__":
    main()

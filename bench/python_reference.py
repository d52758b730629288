#!/usr/bin/env python3
"""Python reference pipeline: the peer the Rust analysis has to beat.

Usage:
  python bench/python_reference.py FRAMES_DIR [--models models] [--min-frames 300]
         [--threads 1] [--with-embedding] [--per-image]

Prints one JSON line:
  {"frames": N, "p50_ms": .., "p99_ms": .., "runtime": "1.23.2", ...}
"frames" is the number of timed per-frame analyses (the images are cycled until at least
--min-frames have been timed, after one untimed warm-up pass). Only the analysis is timed:
image files are decoded and converted to 640x480 RGB before timing starts.

Frames: 640x480 RGB. An image of another size is letterboxed to 640x480 at load time
(scaled to fit with PIL's bilinear resize, centred on black) and counted in "letterboxed".

Per-frame pipeline (ONNX Runtime, CPU, intra-op threads = --threads, inter-op 1, sequential):

 All crops below are affine resamplings: output pixel centre (x+0.5, y+0.5) is mapped by a
 2x3 matrix M to a continuous input position (u, v) (pixel centres at +0.5), sampled
 bilinearly, outside the frame = 0, rounded to uint8 (PIL Image.transform AFFINE/BILINEAR).

 1. Detection, models/face_detect_rfb320.onnx (Ultra-Light RFB-320):
    frame 640x480 -> 320x240 by 2x2 box averaging (round half up: (a+b+c+d+2)>>2, PIL
    Image.reduce(2)); RGB; x = (v - 127) / 128; NCHW [1,3,240,320].
    Outputs "scores" [1,4420,2] (softmaxed, column 1 = face) and "boxes" [1,4420,4]
    (x1,y1,x2,y2 already decoded, normalised to 0..1). Keep score >= 0.9, greedy NMS IoU 0.4
    (on the 50 best), boxes * (640,480,640,480). The subject = the largest box.
 2. Landmarks, models/face_landmark68.onnx: square box of side = box height centred on the box
    centre (faceplugin's convention); crop it to 64x64 RGB, grey = 0.299 R + 0.587 G + 0.114 B
    (float, not rounded), x = grey / 256, [1,1,64,64]. Output [1,136] = 68 (x,y) in 0..1 of
    the square: point = sq_origin + out * side. iBUG-300W 68-point order (0-based: jaw 0-16,
    brows 17-26, nose 27-35, eyes 36-41 (image-left eye) and 42-47, mouth 48-67).
 3. Eyes, models/iris_landmark.onnx (MediaPipe iris landmark) on each eye, eye corners from
    step 2 (image-left eye: 36 -> 39, image-right eye: 42 -> 45): centre = midpoint of the
    corners, side = 2.3 * corner distance, rotated so the corners are level; the image-right
    eye is mirrored horizontally (the model expects this; MediaPipe does the same).
    64x64 RGB, x = v / 255, NCHW [1,3,64,64]. Output "output_eyes_contours_and_brows" [1,213]
    = 71 (x,y,z) in 64-px crop coordinates; points 0..15 are the eye contour (0 and 8 the
    corners, 4 lower lid middle, 12 upper lid middle). Openness per eye =
    |p12 - p4| / |p8 - p0| (crop coordinates; a similarity transform does not change it).
    Measured (models/README.md): open eyes 0.27..0.47 across people; synthetic fully closed
    lids give 0.54x the person's open value on average (max 0.75x); box jitter sd 0.007.
    So: blink = drop below ~0.75x the per-person open baseline, reopen above ~0.9x.
 4. Head pose (cheap geometric proxy from the 68 points, no model): roll = angle of the line
    between the eye centres (mean of 36-41 and 42-47); in the frame de-rotated by roll:
    yaw = (nose tip 30 x - eye-midpoint x) / inter-eye distance (positive: nose toward
    image right), pitch = (nose y - eye-line y) / (mouth-centre y - eye-line y).
 5. Passive liveness, models/minifasnet_v2_2.7_80x80.onnx and minifasnet_v1se_4.0_80x80.onnx:
    bbox = detector box as (x, y, w, h) (NOT squared); for scale s in (2.7, 4.0): Silent-Face's
    CropImage._get_new_box (s clamped to min(s, (H-1)/h, (W-1)/w); box scaled s about its
    centre, shifted back inside the frame, corners truncated to int), region
    [x0, x1+1) x [y0, y1+1) resampled to 80x80; BGR, raw 0..255 float, NCHW [1,3,80,80].
    Output "logits" [1,3]: softmax each, average the two; class 1 = real, 0 and 2 = attacks.
 6. (only with --with-embedding) Recognition, models/face_embed_mobilefacenet.onnx:
    5 points (eye centres, nose tip 30, mouth corners 48, 54) -> least-squares similarity
    (Umeyama) to the ArcFace 112x112 template; crop 112x112 RGB, x = (v - 127) / 128; output
    [1,512] -> L2-normalise; similarity = dot product (cosine).
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                        [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)


def session(path, threads):
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.log_severity_level = 3
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


def affine_crop(img, m, size):
    """img: PIL image or HxWxC uint8 array; m: 2x3 (6 floats), output (x, y) -> input (u, v);
    bilinear; outside = 0."""
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    return np.asarray(img.transform(size, Image.AFFINE, tuple(float(v) for v in m), resample=Image.BILINEAR))


def as_pil(img):
    return Image.fromarray(img) if isinstance(img, np.ndarray) else img


def nms(boxes, scores, thr):
    order = np.argsort(-scores)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        r = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[r, 0]); yy1 = np.maximum(boxes[i, 1], boxes[r, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[r, 2]); yy2 = np.minimum(boxes[i, 3], boxes[r, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        a = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
        b = (boxes[r, 2] - boxes[r, 0]) * (boxes[r, 3] - boxes[r, 1])
        order = r[inter / (a + b - inter + 1e-9) <= thr]
    return keep


def square_box(b):
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    s = b[3] - b[1]
    return np.array([cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2], np.float32)


def fas_box(W, H, x, y, w, h, scale):
    """Silent-Face-Anti-Spoofing CropImage._get_new_box (same arithmetic)."""
    scale = min((H - 1) / h, min((W - 1) / w, scale))
    nw, nh = w * scale, h * scale
    cx, cy = w / 2 + x, h / 2 + y
    x0, y0, x1, y1 = cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2
    if x0 < 0:
        x1 -= x0; x0 = 0
    if y0 < 0:
        y1 -= y0; y0 = 0
    if x1 > W - 1:
        x0 -= x1 - W + 1; x1 = W - 1
    if y1 > H - 1:
        y0 -= y1 - H + 1; y1 = H - 1
    return int(x0), int(y0), int(x1), int(y1)


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def umeyama(src, dst):
    n = src.shape[0]
    ms, md = src.mean(0), dst.mean(0)
    sc, dc = src - ms, dst - md
    U, S, Vt = np.linalg.svd(dc.T @ sc / n)
    d = np.ones(2)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        d[-1] = -1
    R = U @ np.diag(d) @ Vt
    scale = (S * d).sum() / ((sc ** 2).sum() / n)
    t = md - scale * R @ ms
    return np.hstack([scale * R, t[:, None]])


class Pipeline:
    def __init__(self, models, threads=1):
        p = lambda n: os.path.join(models, n)
        self.det = session(p("face_detect_rfb320.onnx"), threads)
        self.lm = session(p("face_landmark68.onnx"), threads)
        self.iris = session(p("iris_landmark.onnx"), threads)
        self.fas = [(2.7, session(p("minifasnet_v2_2.7_80x80.onnx"), threads)),
                    (4.0, session(p("minifasnet_v1se_4.0_80x80.onnx"), threads))]
        self.emb = session(p("face_embed_mobilefacenet.onnx"), threads)
        self.t = {}

    # 1. detection -----------------------------------------------------------------------
    def detect(self, img, thr=0.9):
        img = as_pil(img)
        w, h = img.size
        if (w, h) == (640, 480):
            small = np.asarray(img.reduce(2), np.float32)
            sx = sy = 2.0
        else:  # any other size: fit into a 4:3 canvas anchored top-left, bilinear
            s = max(w / 320, h / 240)
            sx = sy = s
            small = affine_crop(img, (s, 0, 0, 0, s, 0), (320, 240)).astype(np.float32)
        x = np.ascontiguousarray(((small - 127.0) / 128.0).transpose(2, 0, 1)[None], np.float32)
        scores, boxes = self.det.run(None, {"input": x})
        sc = scores[0, :, 1]
        m = sc >= thr
        if not m.any():
            return []
        b = boxes[0][m] * np.array([320 * sx, 240 * sy, 320 * sx, 240 * sy], np.float32)
        sc = sc[m]
        if len(sc) > 50:
            o = np.argsort(-sc)[:50]
            b, sc = b[o], sc[o]
        return [(b[i], float(sc[i])) for i in nms(b, sc, 0.4)]

    # 2. 68 landmarks ------------------------------------------------------------------
    def landmarks68(self, img, box):
        img = as_pil(img)
        sq = square_box(box)
        side = float(sq[2] - sq[0])
        k = side / 64.0
        crop = affine_crop(img, (k, 0, sq[0], 0, k, sq[1]), (64, 64)).astype(np.float32)
        grey = crop[:, :, 0] * 0.299 + crop[:, :, 1] * 0.587 + crop[:, :, 2] * 0.114
        out = self.lm.run(None, {"input": (grey / 256.0)[None, None].astype(np.float32)})[0]
        return out[0].reshape(68, 2) * side + sq[:2]

    # 3. eye openness ------------------------------------------------------------------
    def eye_openness(self, img, p68):
        img = as_pil(img)
        res = []
        for (a, b), mirror in (((p68[36], p68[39]), False), ((p68[42], p68[45]), True)):
            cx, cy = (a + b) / 2
            side = float(np.linalg.norm(b - a)) * 2.3
            ang = np.arctan2(b[1] - a[1], b[0] - a[0])
            c, s = np.cos(ang), np.sin(ang)
            k = side / 64.0
            f = -1.0 if mirror else 1.0
            m = (f * k * c, -k * s, cx - f * k * c * 32 + k * s * 32,
                 f * k * s, k * c, cy - f * k * s * 32 - k * c * 32)
            crop = affine_crop(img, m, (64, 64)).astype(np.float32) / 255.0
            con = self.iris.run(None, {"input_1": np.ascontiguousarray(crop.transpose(2, 0, 1)[None])})[0]
            q = con.reshape(71, 3)[:, :2]
            res.append(float(np.linalg.norm(q[12] - q[4]) / np.linalg.norm(q[8] - q[0])))
        return res  # [image-left eye, image-right eye]

    # 4. pose proxy -----------------------------------------------------------------------
    @staticmethod
    def pose(p):
        el, er = p[36:42].mean(0), p[42:48].mean(0)
        d = er - el
        roll = float(np.degrees(np.arctan2(d[1], d[0])))
        c, s = d / np.linalg.norm(d)
        R = np.array([[c, s], [-s, c]])  # de-rotate by roll
        q = (p - el) @ R.T
        eyes_y = 0.0
        iod = float(np.linalg.norm(d))
        yaw = float((q[30, 0] - iod / 2) / iod)
        mouth_y = float((q[48, 1] + q[54, 1]) / 2)
        pitch = float((q[30, 1] - eyes_y) / (mouth_y - eyes_y))
        return yaw, pitch, roll

    # 5. passive liveness ---------------------------------------------------------------
    def liveness(self, img, box):
        img = as_pil(img)
        W, H = img.size
        x, y, w, h = float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])
        prob = np.zeros(3)
        for scale, sess in self.fas:
            x0, y0, x1, y1 = fas_box(W, H, x, y, w, h, scale)
            sx, sy = (x1 + 1 - x0) / 80.0, (y1 + 1 - y0) / 80.0
            crop = affine_crop(img, (sx, 0, x0, 0, sy, y0), (80, 80))  # RGB
            xin = np.ascontiguousarray(crop[:, :, ::-1].astype(np.float32).transpose(2, 0, 1)[None])  # BGR
            prob += softmax(sess.run(None, {"input": xin})[0][0])
        return prob / 2  # [attack-0, real, attack-2]

    # 6. embedding ------------------------------------------------------------------------
    @staticmethod
    def five_points(p):
        return np.array([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]], np.float32)

    def embed(self, img, p68):
        img = as_pil(img)
        T = np.vstack([umeyama(self.five_points(p68), ARCFACE_112), [0, 0, 1]])
        inv = np.linalg.inv(T)[:2].reshape(-1)  # template -> image
        crop = affine_crop(img, inv, (112, 112)).astype(np.float32)
        x = np.ascontiguousarray(((crop - 127.0) / 128.0).transpose(2, 0, 1)[None], np.float32)
        e = self.emb.run(None, {"input": x})[0][0]
        return e / np.linalg.norm(e)

    def analyse(self, frame, with_embedding=False):
        """frame: HxWx3 uint8 RGB array."""
        t0 = time.perf_counter()
        img = Image.fromarray(frame)  # one PIL view of the frame for all crops
        faces = self.detect(img)
        t1 = time.perf_counter()
        if not faces:
            return None
        box, score = max(faces, key=lambda f: (f[0][2] - f[0][0]) * (f[0][3] - f[0][1]))
        p = self.landmarks68(img, box)
        t2 = time.perf_counter()
        eyes = self.eye_openness(img, p)
        yaw, pitch, roll = self.pose(p)
        t3 = time.perf_counter()
        live = self.liveness(img, box)
        t4 = time.perf_counter()
        out = {"box": [float(v) for v in box], "score": score, "eyes": eyes,
               "yaw": yaw, "pitch": pitch, "roll": roll, "p_real": float(live[1])}
        if with_embedding:
            out["embedding"] = self.embed(img, p)
        t5 = time.perf_counter()
        for k, a, b in (("detect", t0, t1), ("landmarks68", t1, t2), ("eyes_pose", t2, t3),
                        ("liveness", t3, t4), ("embedding", t4, t5)):
            self.t.setdefault(k, []).append((b - a) * 1e3)
        return out


def load_frame(path):
    im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    if im.size == (640, 480):
        return np.asarray(im), False
    s = min(640 / im.width, 480 / im.height)
    r = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.BILINEAR)
    can = Image.new("RGB", (640, 480))
    can.paste(r, ((640 - r.width) // 2, (480 - r.height) // 2))
    return np.asarray(can), True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("frames")
    ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    ap.add_argument("--min-frames", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--with-embedding", action="store_true")
    ap.add_argument("--per-image", action="store_true", help="also print per-image results (stderr)")
    a = ap.parse_args()
    files = sorted(f for f in glob.glob(os.path.join(a.frames, "*"))
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))
    if not files:
        sys.exit("no .jpg/.jpeg/.png frames in " + a.frames)
    frames, lb = [], 0
    for f in files:
        img, boxed = load_frame(f)
        frames.append(img)
        lb += boxed
    pipe = Pipeline(a.models, a.threads)
    no_face = 0
    for f, img in zip(files, frames):  # warm-up pass, untimed
        r = pipe.analyse(img, a.with_embedding)
        no_face += r is None
        if a.per_image:
            if r is not None:
                r = {k: (v if k != "embedding" else None) for k, v in r.items()}
            print(json.dumps({"file": os.path.basename(f), "result": r}), file=sys.stderr)
    times = []
    pipe.t = {}
    i = 0
    while len(times) < a.min_frames:
        img = frames[i % len(frames)]
        t0 = time.perf_counter()
        pipe.analyse(img, a.with_embedding)
        times.append((time.perf_counter() - t0) * 1e3)
        i += 1
    print(json.dumps({"frames": len(times), "p50_ms": round(float(np.percentile(times, 50)), 3),
                      "p99_ms": round(float(np.percentile(times, 99)), 3), "runtime": ort.__version__,
                      "threads": a.threads, "images": len(files), "letterboxed": lb,
                      "no_face": no_face, "with_embedding": a.with_embedding,
                      "stage_p50_ms": {k: round(float(np.percentile(v, 50)), 3) for k, v in pipe.t.items()
                                       if a.with_embedding or k != "embedding"},
                      "loadavg_1m": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Passive anti-spoofing evaluation: APCER / BPCER of the shipped check on tests/data/antispoof.

Runs the shipped pipeline (`certpoint analyze IMG... --json`, which prints per image the
largest face's `passive_liveness` = mean of MiniFASNet V2 and V1SE real-class softmax) over
the set and prints Markdown tables. Optionally (`--faceplugin PATH/fr_liveness.onnx`) scores
the same faces (the box certpoint found) with faceplugin's fr_liveness.onnx in Python
onnxruntime, for comparison.

  python3 tests/data/antispoof/evaluate.py [--bin target/debug/certpoint] [--faceplugin fr_liveness.onnx]
                                           [--sweep] [--json out.json]

(numpy + Pillow are needed for --sweep, plus onnxruntime for --faceplugin; the tables in
models/README.md came from onnxruntime==1.23.2 numpy pillow in a venv.)

Labels come from the file names:
  bona fide  tests/data/faces/<real photo>.jpg and bonafide_photo_*.jpg (real photos as files),
             bonafide_kiosk*_*.jpg (the same photos re-framed as 640x480 kiosk frames)
  attacks    attack_<type>_synth_*.jpg (SYNTHESISED) and tests/data/faces/silentface_F1/F2
             (real recaptures, type "silentface").
Counting: APCER = attacks whose score >= threshold / attacks ("accepted"); BPCER = bona fide
whose score < threshold / bona fide. An image where no face is found is listed apart and
counted as not accepted (an attack with no face cannot feed the session) and as rejected
(a bona fide frame with no face is a failure for the person).
"""
import argparse
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FACES = os.path.join(ROOT, "tests", "data", "faces")
BONAFIDE_FILES = [
    "astronaut.jpg", "biden_portrait.jpg", "biden_standing.jpg", "obama_biden_two_people.jpg",
    "obama_briefing.jpg", "obama_podium.jpg", "obama_portrait.jpg", "obama_standing.jpg",
    "silentface_T1_real.jpg",
]
SILENTFACE_SPOOFS = ["silentface_F1_spoof.jpg", "silentface_F2_spoof.jpg"]
THRESHOLDS = [0.3, 0.5, 0.7, 0.9]
ATTACK_TYPES = ["print", "screen", "halftone", "pixelgrid", "silentface"]


def dataset():
    items = []  # (path, label, kind)
    for n in BONAFIDE_FILES:
        items.append((os.path.join(FACES, n), "bonafide", "photo file"))
    for p in sorted(glob.glob(os.path.join(HERE, "bonafide_*.jpg"))):
        b = os.path.basename(p)
        kind = "photo file" if b.startswith("bonafide_photo_") else "kiosk frame" if b.startswith("bonafide_kiosk_") else "kiosk frame 2"
        items.append((p, "bonafide", kind))
    for p in sorted(glob.glob(os.path.join(HERE, "attack_*_synth_*.jpg"))):
        items.append((p, "attack", os.path.basename(p).split("_")[1]))
    for n in SILENTFACE_SPOOFS:
        items.append((os.path.join(FACES, n), "attack", "silentface"))
    return items


def run_certpoint(binary, paths):
    out = subprocess.run([binary, "analyze", *paths, "--json"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    objs = [json.loads(l) for l in out.splitlines() if l.strip()]
    assert len(objs) == len(paths), (len(objs), len(paths))
    return objs


class FacePlugin:
    """faceplugin fr_liveness.onnx as its JS does it: box (x, y, w, h) scaled 2.7x with
    Silent-Face's clamping, cv.resize (bilinear) to 128x128, raw RGB 0..255, softmax."""

    def __init__(self, path):
        import numpy as np
        import onnxruntime as ort
        from PIL import Image
        self.np, self.Image = np, Image
        o = ort.SessionOptions(); o.intra_op_num_threads = 1
        self.s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])

    def probs(self, path, box, bgr=False):
        np = self.np
        img = self.Image.open(path).convert("RGB")
        W, H = img.size
        x1, y1, x2, y2 = [int(v) for v in box]
        bw, bh = abs(x2 - x1), abs(y2 - y1)
        sc = min((H - 1) / bh, (W - 1) / bw, 2.7)
        nw, nh = bw * sc, bh * sc
        cx, cy = bw / 2 + x1, bh / 2 + y1
        l, t, r, b = cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2
        if l < 0: r -= l; l = 0
        if t < 0: b -= t; t = 0
        if r > W - 1: l -= r - W + 1; r = W - 1
        if b > H - 1: t -= b - H + 1; b = H - 1
        l, t = max(int(l), 0), max(int(t), 0)
        w, h = min(int(r - l), W - 1), min(int(b - t), H - 1)
        crop = img.crop((l, t, l + w, t + h)).resize((128, 128), self.Image.BILINEAR)
        a = np.asarray(crop, dtype=np.float32)
        if bgr:
            a = a[..., ::-1]
        x = np.ascontiguousarray(a.transpose(2, 0, 1)[None])
        z = self.s.run(None, {"input": x})[0][0].astype(np.float64)
        e = np.exp(z - z.max())
        return (e / e.sum()).tolist()


def rates(rows, key, thr):
    """rows: dicts with label, kind, key score (None = no face). Returns dict of fractions."""
    bona = [r for r in rows if r["label"] == "bonafide"]
    att = [r for r in rows if r["label"] == "attack"]
    rej = lambda r: r[key] is None or r[key] < thr
    acc = lambda r: r[key] is not None and r[key] >= thr
    out = {"BPCER": (sum(map(rej, bona)), len(bona)), "APCER all": (sum(map(acc, att)), len(att))}
    for t in ATTACK_TYPES:
        a = [r for r in att if r["kind"] == t]
        out[f"APCER {t}"] = (sum(map(acc, a)), len(a))
    bb = [r for r in att if r["kind"] in ("print", "screen", "silentface")]
    out["APCER bordered+silentface"] = (sum(map(acc, bb)), len(bb))
    bl = [r for r in att if r["kind"] in ("halftone", "pixelgrid")]
    out["APCER borderless"] = (sum(map(acc, bl)), len(bl))
    return out


def table(rows, key, title):
    lines = [f"#### {title}", "", "| threshold | " + " | ".join(rates(rows, key, 0.5).keys()) + " |",
             "| --- |" + " --- |" * len(rates(rows, key, 0.5))]
    for thr in THRESHOLDS:
        r = rates(rows, key, thr)
        cells = [f"{n}/{d} ({100 * n / d:.0f} %)" if d else "-" for n, d in r.values()]
        lines.append(f"| {thr} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def distributions(rows, key, title):
    groups = [("bona fide: photo files", lambda r: r["label"] == "bonafide" and r["kind"] == "photo file"),
              ("bona fide: kiosk frames", lambda r: r["label"] == "bonafide" and r["kind"] != "photo file")]
    groups += [(f"attack: {t}", (lambda t: lambda r: r["label"] == "attack" and r["kind"] == t)(t)) for t in ATTACK_TYPES]
    lines = [f"#### {title}", "", "| group | n | no face | min | median | max | scores (sorted) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, f in groups:
        g = [r for r in rows if f(r)]
        s = sorted(r[key] for r in g if r[key] is not None)
        nf = sum(1 for r in g if r[key] is None)
        med = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2 if s else None
        fmt = lambda v: "-" if v is None else f"{v:.3f}"
        lines.append(f"| {name} | {len(g)} | {nf} | {fmt(s[0] if s else None)} | {fmt(med)} | {fmt(s[-1] if s else None)} | {' '.join(f'{v:.2f}' for v in s)} |")
    return "\n".join(lines)


def sweep(binary, fracs=(0.20, 0.25, 0.30, 0.35, 0.40, 0.45)):
    """Bona fide score against face size: every bona fide photo re-framed (make_set.reframe,
    edge-replicated) with the face at each fraction of the frame width, centred. Frames are
    written to a temporary folder, not committed."""
    import tempfile
    sys.dont_write_bytecode = True  # keep tests/data/antispoof free of __pycache__
    sys.path.insert(0, HERE)
    import make_set
    from PIL import Image
    exp = json.load(open(os.path.join(FACES, "expected.json")))["images"]
    srcs = [(os.path.join(FACES, n), make_set.largest_box(exp[n])) for n in make_set.PHOTOS]
    srcs += [(os.path.join(HERE, n), b) for n, b in make_set.EXTRA.items()]
    lines = ["#### Bona fide score against face size (kiosk re-framing, face centred at 42 % height)", "",
             f"| face width / frame width | n | no face | below 0.5 | below 0.7 | min | median | scores (sorted) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as d:
        for frac in fracs:
            paths = []
            for path, box in srcs:
                img = Image.open(path).convert("RGB")
                out = os.path.join(d, f"{frac:.2f}_{os.path.basename(path)}")
                make_set.save(make_set.reframe(img, box, frac, (make_set.W / 2, make_set.H * 0.42)), out)
                paths.append(out)
            objs = run_certpoint(binary, paths)
            sc = sorted(o["faces"][0]["passive_liveness"] for o in objs if o["faces"])
            nf = sum(1 for o in objs if not o["faces"])
            lines.append(f"| {frac:.2f} | {len(objs)} | {nf} | {sum(v < 0.5 for v in sc) + nf} | {sum(v < 0.7 for v in sc) + nf} | "
                         f"{sc[0]:.3f} | {sc[len(sc) // 2]:.3f} | {' '.join(f'{v:.2f}' for v in sc)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweep", action="store_true", help="also: bona fide score against face size")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "certpoint"))
    ap.add_argument("--faceplugin", help="path to faceplugin fr_liveness.onnx (optional)")
    ap.add_argument("--json", help="write per-image scores here")
    args = ap.parse_args()
    items = dataset()
    objs = run_certpoint(args.bin, [p for p, _, _ in items])
    fp = FacePlugin(args.faceplugin) if args.faceplugin else None
    rows = []
    for (p, label, kind), o in zip(items, objs):
        f = o["faces"][0] if o["faces"] else None
        r = {"image": os.path.relpath(p, ROOT), "label": label, "kind": kind,
             "faces": len(o["faces"]), "minifasnet": f["passive_liveness"] if f else None}
        if fp and f:
            r["faceplugin_probs_rgb"] = fp.probs(p, f["box"])
            r["faceplugin_probs_bgr"] = fp.probs(p, f["box"], bgr=True)
        rows.append(r)
    n_b = sum(r["label"] == "bonafide" for r in rows)
    print(f"{len(rows)} images: {n_b} bona fide, {len(rows) - n_b} attacks\n")
    print(distributions(rows, "minifasnet", "MiniFASNet V2+V1SE (shipped, certpoint analyze): passive_liveness"))
    print()
    print(table(rows, "minifasnet", "MiniFASNet V2+V1SE (shipped): error rates per threshold"))
    if args.sweep:
        print()
        print(sweep(args.bin))
    if fp:
        # Which class is "real": the one that dominates on bona fide photo files.
        import statistics
        bona = [r for r in rows if r["label"] == "bonafide" and "faceplugin_probs_rgb" in r]
        means = [statistics.mean(r["faceplugin_probs_rgb"][c] for r in bona) for c in range(3)]
        att = [r for r in rows if r["label"] == "attack" and "faceplugin_probs_rgb" in r]
        ameans = [statistics.mean(r["faceplugin_probs_rgb"][c] for r in att) for c in range(3)]
        print(f"\nfaceplugin mean softmax per class: bona fide {['%.3f' % m for m in means]}, attacks {['%.3f' % m for m in ameans]}")
        bmeans = [statistics.mean(r["faceplugin_probs_bgr"][c] for r in bona) for c in range(3)]
        print(f"faceplugin fed BGR: mean softmax per class on bona fide {['%.3f' % m for m in bmeans]}")
        real = max(range(3), key=lambda c: means[c])
        if max(range(3), key=lambda c: bmeans[c]) != real:
            print("warning: RGB and BGR disagree on the real class")
        print(f"faceplugin: taking class {real} as real (highest mean on bona fide)\n")
        for r in rows:
            r["faceplugin"] = r["faceplugin_probs_rgb"][real] if "faceplugin_probs_rgb" in r else None
            r["faceplugin_bgr"] = r["faceplugin_probs_bgr"][real] if "faceplugin_probs_bgr" in r else None
        print(distributions(rows, "faceplugin", f"faceplugin fr_liveness.onnx (RGB, class {real}): p(real)"))
        print()
        print(table(rows, "faceplugin", f"faceplugin fr_liveness.onnx (RGB, class {real}): error rates per threshold"))
        print()
        print(distributions(rows, "faceplugin_bgr", f"faceplugin fr_liveness.onnx fed BGR (as Silent-Face does; the package's JS feeds RGB), class {real}"))
        print()
        print(table(rows, "faceplugin_bgr", f"faceplugin fr_liveness.onnx fed BGR, class {real}: error rates per threshold"))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write tests/data/faces/expected.json: what the Python reference pipeline
(bench/python_reference.py, ONNX Runtime 1.23.2) finds in each test photo, as
parity values for the Rust tests. The photos are analysed as they are (no
letterboxing). Faces are listed left to right; all coordinates in image pixels.

Usage: python bench/make_expected.py [tests/data/faces] [--models models]
"""
import argparse, glob, json, os, sys
import numpy as np
from PIL import Image, ImageOps
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_reference as R

ap = argparse.ArgumentParser()
ap.add_argument("dir", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "faces"))
ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
a = ap.parse_args()
P = R.Pipeline(a.models)
r2 = lambda v: [round(float(x), 2) for x in v]
out = {"runtime": R.ort.__version__, "images": {}, "pairs": []}
emb = {}
for f in sorted(glob.glob(os.path.join(a.dir, "*.jpg"))):
    name = os.path.basename(f)
    img = Image.open(f)
    img = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    faces = []
    for i, (b, s) in enumerate(sorted(P.detect(img), key=lambda t: t[0][0])):
        p = P.landmarks68(img, b)
        five = P.five_points(p)
        yaw, pitch, roll = P.pose(p)
        live = P.liveness(img, b)
        e = P.embed(img, p)
        emb[(name, i)] = e
        faces.append({"box": r2(b), "score": round(s, 4), "five_points": [r2(q) for q in five],
                      "eye_openness": r2(P.eye_openness(img, p)), "yaw": round(yaw, 3), "pitch": round(pitch, 3),
                      "roll_deg": round(roll, 2), "liveness_probs": [round(float(x), 4) for x in live],
                      "embedding_first4": [round(float(x), 4) for x in e[:4]]})
    out["images"][name] = {"width": img.shape[1], "height": img.shape[0], "faces": faces}
keys = sorted(emb)
for i in range(len(keys)):
    for j in range(i + 1, len(keys)):
        out["pairs"].append({"a": "%s#%d" % keys[i], "b": "%s#%d" % keys[j],
                             "cosine": round(float(emb[keys[i]] @ emb[keys[j]]), 4)})
path = os.path.join(a.dir, "expected.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", path)

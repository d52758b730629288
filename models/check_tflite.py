#!/usr/bin/env python3
"""Compare a converted ONNX model with its original .tflite run in the TFLite interpreter,
on random inputs and on centre crops of the committed face photos; prints max |difference|
per output.

Usage: python check_tflite.py IN.tflite OUT.onnx [PHOTO ...]
Needs: ai-edge-litert==2.3.0 onnxruntime==1.23.2 numpy pillow (NHWC .tflite input, NCHW ONNX).
"""
import sys
import numpy as np
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter
from PIL import Image

tfl, onx, photos = sys.argv[1], sys.argv[2], sys.argv[3:]
sess = ort.InferenceSession(onx, providers=["CPUExecutionProvider"])
it = Interpreter(model_path=tfl)
it.allocate_tensors()
_, h, w, _ = it.get_input_details()[0]["shape"]
inp = sess.get_inputs()[0].name

def compare(x, label):
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    ref = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
    got = sess.run(None, {inp: x.transpose(0, 3, 1, 2).copy()})
    for o, v in zip(sess.get_outputs(), got):
        t = ref[o.name].reshape(v.shape)
        print(f"{label:28} {o.name:12} max|diff| {float(np.abs(t - v).max()):.2e}  max|value| {float(np.abs(t).max()):.1f}")

rng = np.random.default_rng(7)
for i in range(3):
    compare(rng.random((1, h, w, 3), dtype=np.float32), f"random #{i}")
for p in photos:
    im = Image.open(p).convert("RGB")
    m = min(im.size)
    x0 = (im.size[0] - m) // 2
    crop = im.crop((x0, 0, x0 + m, m)).resize((w, h), Image.BILINEAR)
    compare(np.asarray(crop, dtype=np.float32)[None] / 255.0, p.split("/")[-1])

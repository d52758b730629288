#!/usr/bin/env python3
"""Convert a MediaPipe .tflite model to ONNX with tflite2onnx, then canonicalise it so the
output is byte-for-byte reproducible (tflite2onnx writes initializers and value_info in a
set-dependent order that changes from run to run; the graph itself does not change).

Usage: python convert_tflite.py IN.tflite OUT.onnx
Needs: tflite2onnx==0.4.1, onnx (see build-models.sh for the pinned versions).
"""
import sys, tempfile, os
import onnx
import tflite2onnx

src, dst = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as tmp:
    raw = os.path.join(tmp, "raw.onnx")
    tflite2onnx.convert(src, raw)
    m = onnx.load(raw)
inits = sorted(m.graph.initializer, key=lambda t: t.name)
del m.graph.initializer[:]
m.graph.initializer.extend(inits)
vis = sorted(m.graph.value_info, key=lambda t: t.name)
del m.graph.value_info[:]
m.graph.value_info.extend(vis)
onnx.checker.check_model(m)
onnx.save(m, dst)
print("converted", src, "->", dst)

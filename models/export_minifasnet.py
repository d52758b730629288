#!/usr/bin/env python3
"""Export Silent-Face-Anti-Spoofing's MiniFASNet .pth weights to ONNX.

Usage: python export_minifasnet.py SILENT_FACE_CHECKOUT OUT_DIR

SILENT_FACE_CHECKOUT is a checkout of minivision-ai/Silent-Face-Anti-Spoofing
(Apache-2.0; commit b6d5f04ad78778917853b25c778acef6d5626d15 was used). The model
class is imported from that checkout at export time; none of its code is copied here.
Needs torch (1.12.1 CPU was used, Python 3.10) and onnx.

Output: OUT_DIR/minifasnet_v2_2.7_80x80.onnx, OUT_DIR/minifasnet_v1se_4.0_80x80.onnx
  input  "input"  float32 [1,3,80,80], BGR, raw 0..255 (no normalisation)
  output "logits" float32 [1,3] (softmax NOT in the graph; class 1 = real)
"""
import sys, os
from collections import OrderedDict

import torch

src, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, src)
from src.model_lib.MiniFASNet import MiniFASNetV2, MiniFASNetV1SE  # noqa: E402

MODELS = [
    ("2.7_80x80_MiniFASNetV2.pth", MiniFASNetV2, "minifasnet_v2_2.7_80x80.onnx"),
    ("4_0_0_80x80_MiniFASNetV1SE.pth", MiniFASNetV1SE, "minifasnet_v1se_4.0_80x80.onnx"),
]
torch.manual_seed(0)
os.makedirs(out, exist_ok=True)
for pth, cls, name in MODELS:
    model = cls(conv6_kernel=(5, 5))  # get_kernel(80, 80) in the repo
    sd = torch.load(os.path.join(src, "resources/anti_spoof_models", pth), map_location="cpu")
    sd = OrderedDict((k[7:] if k.startswith("module.") else k, v) for k, v in sd.items())
    model.load_state_dict(sd)
    model.eval()
    x = torch.rand(1, 3, 80, 80) * 255.0
    path = os.path.join(out, name)
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"],
                      output_names=["logits"], do_constant_folding=True)
    print("exported", path)

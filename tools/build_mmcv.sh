#!/usr/bin/env bash
# Build an mmcv 2.0.1 wheel with its compiled ops and put it in a wheelhouse.
#
#   bash tools/build_mmcv.sh PYTHON WHEELHOUSE
#
# PyPI only has mmcv 2.0.1 as a source distribution, and its setup.py asks for
# -std=c++14 while torch >= 2.10 headers need C++20. The sdist is downloaded,
# patched to -std=c++20 and built without build isolation against the torch
# installed beside PYTHON. CUDA ops are built when nvcc and a GPU are present,
# CPU ops otherwise (about 10 minutes on 2 cores; paid once per machine since
# the wheel is kept in WHEELHOUSE). FORCE_CUDA=0 or 1 in the environment
# overrides that choice; MMCV_SDIST=path/to/mmcv-2.0.1.tar.gz builds from that
# file instead of downloading it (machines without network).
set -euo pipefail
PY="$1"
WHEELHOUSE="$2"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WHEELHOUSE"
# --no-build-isolation: pip prepares the sdist metadata by running its setup.py,
# which imports pkg_resources (gone from setuptools >= 81, which an isolated
# build would pick).
if [[ -n "${MMCV_SDIST:-}" ]]; then
    cp "$MMCV_SDIST" "$WORK/mmcv-2.0.1.tar.gz"
else
    "$PY" -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation \
        "mmcv==2.0.1" -d "$WORK"
fi
tar -xzf "$WORK"/mmcv-2.0.1.tar.gz -C "$WORK"
SRC="$WORK/mmcv-2.0.1"
sed -i "s/-std=c++14/-std=c++20/g" "$SRC/setup.py"
grep -q -- "-std=c++20" "$SRC/setup.py" || { echo "[build_mmcv] could not patch the C++ standard" >&2; exit 1; }

export MMCV_WITH_OPS=1
export MAX_JOBS="${MAX_JOBS:-$(nproc)}"
if [[ -z "${FORCE_CUDA:-}" ]]; then
    if command -v nvcc >/dev/null 2>&1 && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
        FORCE_CUDA=1
    else
        FORCE_CUDA=0
    fi
fi
export FORCE_CUDA
if [[ "$FORCE_CUDA" == 1 ]]; then
    echo "[build_mmcv] building with CUDA ops"
else
    echo "[build_mmcv] building CPU ops only"
fi
"$PY" -m pip wheel --no-build-isolation --no-deps -w "$WHEELHOUSE" "$SRC"
ls "$WHEELHOUSE"/mmcv-2.0.1-*.whl

#!/usr/bin/env bash
# The project's checks on a bare GPU machine without network: Python and a
# preinstalled CUDA torch, nothing of the OpenMMLab stack.
#
#   bash tools/gpu_check.sh WHEELS_DIR OUT_DIR
#
# WHEELS_DIR comes from tools/gpu_wheels.sh (run where there is network). The
# wheels go into a private folder ($SITE, default /tmp/false-plugin-site) put
# first on PYTHONPATH, so the machine's own packages, torch above all, are
# untouched. Then, each step timed and logged to OUT_DIR/gpu_check.log:
#   1. mmcv 2.0.1 built from its sdist against the machine's torch, CPU ops
#      (FORCE_CUDA=1 builds the CUDA ops too, if time allows);
#   2. the `cuda` tests (pytest -m cuda)               -> OUT_DIR/cuda_tests.txt
#   3. tools/benchmarks/fncc_speed.py on CUDA, B up to 8192, the row loop at
#      4096                                             -> OUT_DIR/fncc_speed.md
#   4. tools/benchmarks/pretrain_step.py: ResNet-50, 224 px, batch 256, bf16,
#      each baseline against its FALSE version        -> OUT_DIR/pretrain_step.md
# On a machine without a GPU it stops after step 2 (the tests skip), which is
# the dry run.
set -uo pipefail
WHEELS=$(cd "${1:?usage: bash tools/gpu_check.sh WHEELS_DIR OUT_DIR}" && pwd)
OUT=${2:?usage: bash tools/gpu_check.sh WHEELS_DIR OUT_DIR}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-python3}
SITE=${SITE:-/tmp/false-plugin-site}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
exec > >(tee "$OUT/gpu_check.log") 2>&1
START=$SECONDS
step() { echo "[gpu_check +$(( SECONDS - START ))s] $*"; }
fail() { step "FAILED: $*"; exit 1; }

step "python: $("$PY" -c 'import sys; print(sys.version.split()[0])'), torch: $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available())' 2>/dev/null)" \
    || fail "no torch for $PY"
step "installing $(ls "$WHEELS"/*.whl | wc -l) wheels into $SITE"
"$PY" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target "$SITE" "$WHEELS"/*.whl || fail "wheel install"
export PYTHONPATH="$ROOT:$SITE${PYTHONPATH:+:$PYTHONPATH}"

step "building mmcv 2.0.1 (FORCE_CUDA=${FORCE_CUDA:=0}, MAX_JOBS=${MAX_JOBS:=$(nproc)})"
export FORCE_CUDA MAX_JOBS MMCV_SDIST="$WHEELS/mmcv-2.0.1.tar.gz"
MMCV_WHEELS=$(mktemp -d)
bash "$ROOT/tools/build_mmcv.sh" "$PY" "$MMCV_WHEELS" > "$OUT/mmcv_build.log" 2>&1 \
    || { tail -30 "$OUT/mmcv_build.log"; fail "mmcv build (log: mmcv_build.log)"; }
"$PY" -m pip install --quiet --no-index --no-deps --no-compile --target "$SITE" \
    --upgrade "$MMCV_WHEELS"/mmcv-2.0.1-*.whl || fail "mmcv install"
"$PY" -c 'import mmcv.ops, mmselfsup, mmseg, rasterio, false_plugin' \
    || fail "the stack does not import"
step "stack imports"

cd "$ROOT"
step "cuda tests"
"$PY" -m pytest tests -m cuda -q -p no:cacheprovider -rs 2>&1 | tee "$OUT/cuda_tests.txt"
TESTS=${PIPESTATUS[0]}
if ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    step "no GPU visible: dry run ends here (tests exit status $TESTS)"
    exit "$TESTS"
fi

step "fncc_speed"
"$PY" tools/benchmarks/fncc_speed.py --devices cuda \
    --batch-sizes 512 1024 4096 8192 --loop-max-cuda 4096 --rounds 3 \
    --repeats 20 | tee "$OUT/fncc_speed.md"
step "pretrain_step"
"$PY" tools/benchmarks/pretrain_step.py --batch-size 256 --size 224 \
    --dtype bfloat16 --steps 10 --warmup 3 | tee "$OUT/pretrain_step.md"
step "done (cuda tests exit status $TESTS)"
exit "$TESTS"

#!/usr/bin/env bash
# Create or refresh the project's virtual environment.
#
#   [TORCH=pinned|system] [PYTHON=python3] bash tools/install_env.sh [VENV_DIR]
#
# TORCH=pinned (the default) installs the pinned torch 2.14.1 in the venv.
# TORCH=system keeps the torch that PYTHON already has (a CUDA build matching
# the machine's driver): the venv sees PYTHON's site-packages (a .pth file),
# torch and torchvision are never installed or upgraded, the pinned OpenMMLab
# stack goes on top, and mmcv is built against that torch (cached per torch
# version in $CACHE/torch-VERSION).
#
# The environment is keyed on the pinned requirement files: when their hash
# differs from the one recorded in VENV_DIR/.requirements-hash, the pinned
# packages are (re)installed. mmcv 2.0.1 has no PyPI wheel, so it is taken
# from PIP_FIND_LINKS or from the per-machine wheel cache
# ($FALSE_PLUGIN_WHEEL_CACHE, default ~/.cache/false-plugin/wheels), and built
# from source by tools/build_mmcv.sh when neither has it.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${1:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
CACHE="${FALSE_PLUGIN_WHEEL_CACHE:-$HOME/.cache/false-plugin/wheels}"
TORCH="${TORCH:-pinned}"
HASH_FILE="$VENV/.requirements-hash"
case "$TORCH" in
    pinned) ;;
    system)
        "$PYTHON" -c 'import torch, torchvision' 2>/dev/null || {
            echo "[install_env] TORCH=system: $PYTHON cannot import torch and torchvision; install them (the build for your driver) or use TORCH=pinned" >&2
            exit 1
        } ;;
    *) echo "[install_env] TORCH must be pinned or system, got '$TORCH'" >&2; exit 1 ;;
esac
want_hash="$( (cat "$ROOT"/requirements/*.txt "$ROOT/setup.py"; echo "torch=$TORCH") | sha256sum | cut -c1-16)"

if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    if [[ -f "$HASH_FILE" && "$(cat "$HASH_FILE")" == "$want_hash" ]]; then
        exit 0
    fi
    echo "[install_env] $VENV is stale (requirements changed): updating"
else
    echo "[install_env] creating $VENV (torch: $TORCH)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    if [[ "$TORCH" == system ]]; then
        # PYTHON's own site-packages (where its torch is), after the venv's:
        # unlike --system-site-packages this also works when PYTHON is itself
        # a venv's or a conda environment's interpreter.
        purelib="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
        "$PYTHON" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' \
            > "$purelib/false_plugin_system_torch.pth"
    fi
fi

PIP=("$VENV/bin/python" -m pip)
"${PIP[@]}" install --quiet --upgrade pip wheel "setuptools<81"
REQS="$ROOT/requirements/runtime.txt"
if [[ "$TORCH" == system ]]; then
    torch_version="$("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
    echo "[install_env] using the installed torch $torch_version"
    # An mmcv wheel only fits the torch it was built against.
    CACHE="$CACHE/torch-${torch_version//+/_}"
    [[ "${torch_version%%+*}" == 2.14.1 ]] || PIP_FIND_LINKS=""
    # The pinned stack without the torch pins, and torch held where it is.
    REQS="$VENV/requirements-no-torch.txt"
    grep -Ev '^(torch|torchvision)==' "$ROOT/requirements/runtime.txt" > "$REQS"
    "$VENV/bin/python" -c 'import torch, torchvision; print(f"torch=={torch.__version__}\ntorchvision=={torchvision.__version__}")' \
        > "$VENV/torch-constraints.txt"
    export PIP_CONSTRAINT="$VENV/torch-constraints.txt"
else
    # torch first: building mmcv needs it importable (no build isolation).
    "${PIP[@]}" install --quiet -c "$ROOT/requirements/runtime.txt" torch torchvision
fi
mkdir -p "$CACHE"
export PIP_FIND_LINKS="${PIP_FIND_LINKS:+$PIP_FIND_LINKS }$CACHE"
if ! "${PIP[@]}" install --quiet --no-deps --no-index --find-links "$CACHE" \
        $(for d in ${PIP_FIND_LINKS}; do printf -- '--find-links %s ' "$d"; done) \
        "mmcv==2.0.1" 2>/dev/null; then
    echo "[install_env] no mmcv 2.0.1 wheel on PIP_FIND_LINKS or in $CACHE: building it from source"
    bash "$ROOT/tools/build_mmcv.sh" "$VENV/bin/python" "$CACHE"
    "${PIP[@]}" install --quiet --no-deps --no-index --find-links "$CACHE" "mmcv==2.0.1"
fi
"${PIP[@]}" install --quiet -r "$REQS" -r "$ROOT/requirements/tests.txt"
"${PIP[@]}" install --quiet --no-deps --no-build-isolation -e "$ROOT"
"$VENV/bin/python" -c 'import mmcv.ops, mmselfsup, mmseg, false_plugin' \
    || { echo "[install_env] the environment does not import" >&2; exit 1; }
echo "$want_hash" > "$HASH_FILE"
echo "[install_env] $VENV ready"

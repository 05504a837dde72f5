#!/usr/bin/env bash
# Create or refresh the project's virtual environment.
#
#   bash tools/install_env.sh [VENV_DIR]
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
HASH_FILE="$VENV/.requirements-hash"
want_hash="$(cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" | sha256sum | cut -c1-16)"

if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    if [[ -f "$HASH_FILE" && "$(cat "$HASH_FILE")" == "$want_hash" ]]; then
        exit 0
    fi
    echo "[install_env] $VENV is stale (requirements changed): updating"
else
    echo "[install_env] creating $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

mkdir -p "$CACHE"
export PIP_FIND_LINKS="${PIP_FIND_LINKS:+$PIP_FIND_LINKS }$CACHE"
PIP=("$VENV/bin/python" -m pip)

"${PIP[@]}" install --quiet --upgrade pip wheel "setuptools<81"
# torch first: building mmcv needs it importable (no build isolation).
"${PIP[@]}" install --quiet -c "$ROOT/requirements/runtime.txt" torch torchvision
if ! "${PIP[@]}" install --quiet --no-deps --no-index --find-links "$CACHE" \
        $(for d in ${PIP_FIND_LINKS}; do printf -- '--find-links %s ' "$d"; done) \
        "mmcv==2.0.1" 2>/dev/null; then
    echo "[install_env] no mmcv 2.0.1 wheel on PIP_FIND_LINKS or in $CACHE: building it from source"
    bash "$ROOT/tools/build_mmcv.sh" "$VENV/bin/python" "$CACHE"
    "${PIP[@]}" install --quiet --no-deps --no-index --find-links "$CACHE" "mmcv==2.0.1"
fi
"${PIP[@]}" install --quiet -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
"${PIP[@]}" install --quiet --no-deps --no-build-isolation -e "$ROOT"
"$VENV/bin/python" -c 'import mmcv.ops, mmselfsup, mmseg, false_plugin' \
    || { echo "[install_env] the environment does not import" >&2; exit 1; }
echo "$want_hash" > "$HASH_FILE"
echo "[install_env] $VENV ready"

#!/usr/bin/env bash
# Multi-process training through torch.distributed (torchrun) and mmengine.
#
#   bash tools/dist_train.sh CONFIG GPUS [train.py options]
#
# NNODES, NODE_RANK, MASTER_ADDR and PORT select a multi-node run. On a machine
# without CUDA, pass --cfg-options env_cfg.dist_cfg.backend=gloo.
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$ROOT/tools/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"

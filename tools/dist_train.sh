#!/usr/bin/env bash
# Multi-process training with torchrun: one process per GPU, or per CPU slot where there is
# no GPU (the tools then use the gloo backend).
#   tools/dist_train.sh CONFIG GPUS [train.py args...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node. PYTHON picks the
# interpreter (default: python), e.g. PYTHON=.venv/bin/python.
set -e

CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
TOOLS_DIR=$(dirname "$0")

PYTHONPATH="${TOOLS_DIR}/..":$PYTHONPATH \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "${TOOLS_DIR}/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"

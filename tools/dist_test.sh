#!/usr/bin/env bash
# Multi-process testing with torchrun (see dist_train.sh for the environment variables).
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
set -e

CONFIG=$1
CHECKPOINT=$2
GPUS=$3
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
    "${TOOLS_DIR}/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"

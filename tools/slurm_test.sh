#!/usr/bin/env bash
# Testing on a SLURM cluster, one task per GPU (CPU partitions: see slurm_train.sh).
#   [GPUS=4] [GPUS_PER_NODE=4] tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args...]
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=("${@:5}")

if [ "$GPUS_PER_NODE" -gt 0 ]; then
    GRES="--gres=gpu:${GPUS_PER_NODE}"
    TASKS_PER_NODE=${TASKS_PER_NODE:-$GPUS_PER_NODE}
else
    GRES=""
    TASKS_PER_NODE=${TASKS_PER_NODE:-1}
fi

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    ${GRES} \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${TASKS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "$(dirname "$0")/test.py" "${CONFIG}" "${CHECKPOINT}" \
    --launcher="slurm" "${PY_ARGS[@]}"

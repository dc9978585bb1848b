#!/usr/bin/env bash
# Set up the MaRS-Bench stack in a virtual environment (default: ./.venv).
#
# mmcv 2.1.0 has no wheel for torch 2.14, so its compiled-ops wheel is taken from, in order:
#   1. $MARS_WHEELHOUSE (a directory holding mmcv-2.1.0-*.whl),
#   2. the local cache $MARS_CACHE_DIR/wheels (default ~/.cache/mars-bench/wheels),
#   3. a build from the PyPI sdist with -std=c++20 (about 30 min on 2 cores), then cached.
# MARS_MMCV_FROM_SOURCE=1 skips 1 and 2 and rebuilds (with FORCE_CUDA=1 for GPU ops).
# Finally `import mmcv._ext` is checked: a build without ops fails here, not at run time.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
CACHE_DIR="${MARS_CACHE_DIR:-$HOME/.cache/mars-bench}/wheels"
MMCV_VERSION=2.1.0
PY_TAG=cp311-cp311-linux_x86_64

say() { printf '[setup] %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip wheel 'setuptools>=77,<82'

say "installing torch / torchvision"
"${PIP[@]}" install -q -r "$REPO_ROOT/requirements/torch.txt"

find_mmcv_wheel() {
    local dir whl
    for dir in "${MARS_WHEELHOUSE:-}" "$CACHE_DIR"; do
        for whl in "$dir"/mmcv-"$MMCV_VERSION"-"$PY_TAG".whl; do
            [ -n "$dir" ] && [ -f "$whl" ] && { echo "$whl"; return; }
        done
    done
    return 0
}

build_mmcv_wheel() {
    local work
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' RETURN
    say "no mmcv $MMCV_VERSION wheel found: building from the PyPI sdist (about 30 minutes)"
    # The build needs torch importable (hence --no-build-isolation) and its own build deps;
    # setuptools < 70 is the version the verified wheel in shared/wheels was built with.
    "${PIP[@]}" install -q ninja psutil 'numpy<2' 'setuptools<70'
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation -d "$work" \
        "mmcv==$MMCV_VERSION"
    tar -xzf "$work"/mmcv-"$MMCV_VERSION".tar.gz -C "$work"
    # torch 2.14 headers need C++20; mmcv's setup.py hard-codes c++14 / c++17.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' \
        "$work/mmcv-$MMCV_VERSION/setup.py"
    MMCV_WITH_OPS=1 "${PIP[@]}" wheel --no-build-isolation --no-deps \
        -w "$work/dist" "$work/mmcv-$MMCV_VERSION"
    "${PIP[@]}" install -q 'setuptools>=77,<82'
    mkdir -p "$CACHE_DIR"
    cp "$work"/dist/mmcv-"$MMCV_VERSION"-*.whl "$CACHE_DIR/"
}

if [ "${MARS_MMCV_FROM_SOURCE:-0}" = 1 ]; then
    build_mmcv_wheel
    say "installing the freshly built mmcv"
    "${PIP[@]}" install -q --force-reinstall --no-deps "$CACHE_DIR"/mmcv-"$MMCV_VERSION"-"$PY_TAG".whl
elif ! "$VENV/bin/python" -c "import mmcv._ext" 2>/dev/null; then
    wheel="$(find_mmcv_wheel)"
    if [ -z "$wheel" ]; then
        build_mmcv_wheel
        wheel="$(find_mmcv_wheel)"
    fi
    say "installing $wheel"
    "${PIP[@]}" install -q --force-reinstall --no-deps "$wheel"
    # Cache a wheelhouse wheel too, so a later set-up without the variable reuses it.
    mkdir -p "$CACHE_DIR" && cp -n "$wheel" "$CACHE_DIR/" 2>/dev/null || true
fi

say "installing mmengine, downstream libraries and mars"
"${PIP[@]}" install -q --no-deps "mmengine==0.10.7"
# mmengine and mmcv were installed without their dependencies, so pip's resolver would
# flag their opencv-python requirement here; check_install.py below explains and checks it.
"${PIP[@]}" install -q --no-warn-conflicts -r "$REPO_ROOT/requirements/runtime.txt" \
    -r "$REPO_ROOT/requirements/tests.txt"
"${PIP[@]}" install -q --no-deps -e "$REPO_ROOT"

if ! "$VENV/bin/python" -c "import mmcv._ext; from mmcv.ops import nms, RoIAlign; import mmseg, mmdet, mars"; then
    echo "[setup] ERROR: mmcv was installed without its compiled ops (import mmcv._ext failed)." >&2
    echo "[setup] Remove the bad wheel from \$MARS_WHEELHOUSE / $CACHE_DIR and run again." >&2
    exit 1
fi
"$VENV/bin/python" "$REPO_ROOT/tools/misc/check_install.py"
say "ok: mmcv ops compiled, mmseg / mmdet / mars import"

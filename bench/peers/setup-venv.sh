#!/usr/bin/env bash
# Python peers for the benchmarks (PyTorch CPU for training, scikit-learn for t-SNE),
# in a local virtualenv: bench/.venv. Idempotent; works offline against a local pip index.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# BENCH_VENV: an existing virtualenv with torch (e.g. one shared by several checkouts); used as is
if [ -n "${BENCH_VENV:-}" ]; then
  "$BENCH_VENV/bin/python" -c 'import torch, numpy' >&2 || { echo "BENCH_VENV=$BENCH_VENV: no python with torch and numpy there" >&2; exit 1; }
  echo "$BENCH_VENV/bin/python"
  exit 0
fi
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import torch, sklearn, numpy' 2>/dev/null; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check torch numpy scikit-learn >&2
fi
echo "$venv/bin/python"

#!/usr/bin/env bash
# Python peers for the benchmarks (PyTorch CPU for training, scikit-learn for t-SNE),
# in a local virtualenv: bench/.venv. Idempotent; works offline against a local pip index.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import torch, sklearn, numpy' 2>/dev/null; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check torch numpy scikit-learn >&2
fi
echo "$venv/bin/python"

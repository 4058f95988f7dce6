#!/usr/bin/env bash
# Side-by-side speed of the MNIST hot path on this machine: `mnist-bench --protocol` measures this
# machine's peak, times the JAX reference in ../shared/anchors in the same session (its eval pass,
# per-step blocks and complete runs), then samlab's eval pass, steps, complete SGD run and the
# 15-run protocol, and judges the targets from those same-session numbers. Writes
# results/mnist/bench.json (atomically), which the MNIST report's speed section reads, and
# refills that section.
# Needs Python 3 with jax and numpy: the system python3 if it has them, else a venv in
# target/jaxenv (installed from PyPI on first use). Run it on a quiet machine: it is a timing,
# not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${SAM_MNIST_DIR:-../shared/data/mnist}"
ANCHOR="../shared/anchors/mnist_sam_jax.py"
VENV="${JAX_VENV:-target/jaxenv}"
OUT=results/mnist/bench.json

if python3 -c "import jax, numpy" 2>/dev/null; then
  PY=python3
else
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q jax numpy
  fi
  PY="$VENV/bin/python"
fi

echo "== mnist-bench --protocol with the JAX reference (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
cargo build -q --release -p sam-mnist --bin mnist-bench
mkdir -p "$(dirname "$OUT")"
target/release/mnist-bench --data-dir "$DATA" --protocol --threads 2 \
  --python "$PY" --jax-script "$ANCHOR" --json > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d['targets'], indent=1))" "$OUT"

# Refill the speed section of notebooks-md/03-mnist.md from the new bench.json.
cargo run -q --release --bin figures -- --only mnist --no-run

#!/usr/bin/env bash
# Side-by-side speed of the MNIST protocol on this machine: samlab's `mnist-bench --protocol`
# (all 15 runs, two at a time on the two cores) and the JAX reference in ../shared/anchors (one
# complete run per optimizer, sequentially; its 15-run time is 5x their sum, as the anchors README
# runs it). Writes results/mnist/bench.json, which the MNIST report's speed section reads.
# Needs Python 3 with pip (jax and numpy are installed from PyPI into target/jaxenv on first use).
# Run it on a quiet machine: it is a timing, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${SAM_MNIST_DIR:-../shared/data/mnist}"
ANCHOR="../shared/anchors/mnist_sam_jax.py"
VENV="${JAX_VENV:-target/jaxenv}"
OUT=results/mnist/bench.json
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q jax numpy
fi

echo "== samlab: mnist-bench --protocol (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
cargo run -q --release -p sam-mnist --bin mnist-bench -- --data-dir "$DATA" --protocol --threads 2 > "$TMP/samlab.json"

for spec in sgd:0.01:0 adam:0.0003:0 sam:0.01:0.2; do
  IFS=: read -r opt lr rho <<< "$spec"
  echo "== JAX: $opt lr $lr rho $rho, complete run (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$VENV/bin/python" "$ANCHOR" --data "$DATA" run --opt "$opt" --seed 0 --lr "$lr" --rho "$rho" > "$TMP/jax_$opt.json"
done

python3 - "$TMP" "$OUT" <<'PY'
import json, sys, os, platform
tmp, out = sys.argv[1], sys.argv[2]
ours = json.load(open(os.path.join(tmp, "samlab.json")))
jax = {o: json.load(open(os.path.join(tmp, f"jax_{o}.json"))) for o in ["sgd", "adam", "sam"]}
jax_protocol = 5 * sum(j["wall_s"] for j in jax.values())
res = {
    "machine": {"cpus": os.cpu_count(), "load_after": open("/proc/loadavg").read().split()[:3]},
    "samlab": ours,
    "jax_runs": {o: {"wall_s": j["wall_s"], "cpu_s": j["cpu_s"], "compile_s": j["compile_s"],
                     "final_test_loss": j["final"]["test_loss"], "jax": j["env"]["jax"]}
                 for o, j in jax.items()},
    "jax_protocol_sequential_s": jax_protocol,
    "samlab_protocol_s": ours["protocol"]["wall_s"],
    "protocol_speedup": jax_protocol / ours["protocol"]["wall_s"],
}
tmp_out = out + ".tmp"
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump(res, open(tmp_out, "w"), indent=1)
os.replace(tmp_out, out)
print(json.dumps({k: res[k] for k in ["jax_protocol_sequential_s", "samlab_protocol_s", "protocol_speedup"]}, indent=1))
PY

# Refill the speed section of notebooks-md/03-mnist.md from the new bench.json.
cargo run -q --release --bin figures -- --only mnist --no-run

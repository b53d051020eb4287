#!/usr/bin/env bash
# Benchmarks: measures and prints, never asserts. Builds the simulator and the ceiling server
# (bench/ceiling, a minimal actix-web + rusqlite server doing the same two calls), installs wrk
# (Debian) and Stoplight Prism (npm, pinned) when missing, then runs bench/bench.py: every figure
# printed as a ratio to the ceiling (and to Prism) measured in the same run, plus the absolute
# figures on the large seed. Loopback only; every load run is bounded.
#   DURATION=10 ROUNDS=3 CONNECTIONS=32 THREADS=2 bench/run.sh
#   SKIP_PRISM=1 leaves the peer out; BENCH_JSON=out.json keeps the raw figures; BENCH_KEEP=1
#   keeps the run's databases and logs (a temporary directory, removed otherwise).
# Then benches/parts.rs prints what each part of a vendor call costs, in one process
# (PARTS_SECONDS per figure, default 2; SKIP_PARTS=1 leaves it out).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PRISM_VERSION=5.16.0 # runs on Node 20
TOOLS="${BENCH_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/synthesize-sim-bench}"

command -v wrk >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
cargo build --release --bin synthesize-sim >&2
[ -n "${SKIP_PARTS:-}" ] || cargo bench --no-run --bench parts >&2
# Its own project and lockfile; built into its own target directory.
cargo build --release --manifest-path bench/ceiling/Cargo.toml --target-dir target/ceiling >&2

prism=()
if [ -z "${SKIP_PRISM:-}" ]; then
  if [ ! -x "$TOOLS/prism/node_modules/.bin/prism" ]; then
    command -v npm >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm >/dev/null; }
    mkdir -p "$TOOLS/prism"
    npm install --prefix "$TOOLS/prism" --no-audit --no-fund --silent "@stoplight/prism-cli@$PRISM_VERSION" >&2
  fi
  prism=(--prism "$TOOLS/prism/node_modules/.bin/prism")
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr);" \
  "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/bench.py --sim target/release/synthesize-sim --ceiling target/ceiling/release/ceiling "${prism[@]}" \
  --duration "${DURATION:-10}" --rounds "${ROUNDS:-3}" --threads "${THREADS:-2}" \
  --connections "${CONNECTIONS:-32}" ${BENCH_JSON:+--json "$BENCH_JSON"}
if [ -z "${SKIP_PARTS:-}" ]; then
  echo
  cargo bench --quiet --bench parts -- --seconds "${PARTS_SECONDS:-2}"
fi

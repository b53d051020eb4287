#!/usr/bin/env bash
# Benchmarks: measures and prints, never asserts. Builds the release binary, starts it on a free
# port with a fresh SQLite file and the rate limit off, drives it to a mapped integration, then
# loads each path with wrk (installed from Debian when missing) and prints requests/s and latency,
# plus start-up time, reset latency and memory. Loopback only; every wrk run is bounded.
#   DURATION=10 CONNECTIONS=32 THREADS=2 bench/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"

command -v wrk >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
cargo build --release --bin synthesize-sim >&2

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
start_ns=$(date +%s%N)
target/release/synthesize-sim --port "$PORT" --db "$WORK/bench.db" --rate-limit 0 --rebuild-debounce-ms 2000 \
  >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
until curl -fs "$BASE/sim/health" >/dev/null 2>&1; do sleep 0.01; done
startup_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$PID/status"; }
rss_idle=$(rss)

# A mapped integration, as after a vendor's QA setup; prints "token service account".
read -r TOKEN SERVICE ACCOUNT < <(python3 bench/setup.py "$BASE")

run() { # name method path [lua]
  local name=$1 method=$2 path=$3 script=${4:-}
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "GRADIENT-TOKEN: $TOKEN")
  if [ -n "$script" ]; then args+=(-s "$script"); fi
  local out; out=$(wrk "${args[@]}" "$BASE$path")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  printf '%-44s %12s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "$non2xx"
}

echo
echo "synthesize-sim $(target/release/synthesize-sim --version | awk '{print $2}') on $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s; SQLite file in WAL mode"
printf '%-44s %12s %10s %10s %8s\n' "path" "requests/s" "p50" "p99" "non-2xx"
run "GET /sim/health" GET /sim/health
run "GET /api/vendor-api (vendor + skus)" GET /api/vendor-api
run "GET /api/vendor-api/organization" GET /api/vendor-api/organization
run "GET /api/vendor-api/organization/accounts" GET /api/vendor-api/organization/accounts
SERVICE="$SERVICE" ACCOUNT="$ACCOUNT" run "POST /service/{id}/count (write, no_build)" POST "/api/vendor-api/service/$SERVICE/count?no_build=true" bench/count.lua
SERVICE="$SERVICE" ACCOUNT="$ACCOUNT" run "POST /service/{id}/count (write + debounce)" POST "/api/vendor-api/service/$SERVICE/count" bench/count.lua
run "GET /sim/billing (service cards)" GET /sim/billing
rss_loaded=$(rss)

reset_total=0
for _ in $(seq 1 20); do
  t0=$(date +%s%N); curl -fs -X POST "$BASE/sim/reset" >/dev/null; t1=$(date +%s%N)
  reset_total=$(( reset_total + (t1 - t0) ))
done
echo
echo "start-up to first /sim/health: ${startup_ms} ms (includes creating and seeding the database)"
echo "POST /sim/reset (atomic reseed + rebuild), mean of 20: $(( reset_total / 20 / 1000 )) µs"
echo "resident memory: idle $rss_idle, after the load $rss_loaded (journal bounded at 2000 calls)"

#!/usr/bin/env bash
# Snapshot latency on the default seed: measures and prints, never asserts (the goal is under
# 50 ms each). Builds the release binary, starts it on a free port with a fresh SQLite file,
# drives it to a mapped integration with usage, then times N rounds of save, list, export,
# import, restore and delete with curl (loopback only, bounded by N).
#   N=20 bench/snapshots.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N="${N:-20}"
cargo build --release --bin synthesize-sim >&2

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
target/release/synthesize-sim --port "$PORT" --db "$WORK/bench.db" --rate-limit 0 >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 500); do curl -fs "$BASE/sim/health" >/dev/null 2>&1 && break; sleep 0.01; done
read -r _TOKEN _SERVICE _ACCOUNT < <(python3 bench/setup.py "$BASE")

ms() { curl -fs -o "${OUT:-/dev/null}" -w '%{time_total}\n' "$@" | awk '{printf "%.2f\n", $1 * 1000}'; }
declare -A T
for i in $(seq 1 "$N"); do
  T[save]+="$(ms -X POST -H 'content-type: application/json' -d "{\"name\":\"s$i\"}" "$BASE/sim/snapshots") "
  T[list]+="$(ms "$BASE/sim/snapshots") "
  T[export]+="$(OUT="$WORK/s.json" ms "$BASE/sim/snapshots/s$i/export") "
  T[import]+="$(ms -X POST -H 'content-type: application/json' --data-binary @"$WORK/s.json" "$BASE/sim/snapshots/import?name=i$i") "
  T[restore]+="$(ms -X POST "$BASE/sim/snapshots/s$i/restore") "
  T[delete]+="$(ms -X DELETE "$BASE/sim/snapshots/s$i") "
  curl -fs -X DELETE "$BASE/sim/snapshots/i$i" >/dev/null
done
size=$(wc -c <"$WORK/s.json")
rows=$(curl -fs -X POST -H 'content-type: application/json' -d '{"name":"count"}' "$BASE/sim/snapshots" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"])')

echo
echo "snapshots on the default seed after a mapped setup: $rows rows, export file $size bytes; $N rounds (curl, loopback)"
printf '%-10s %10s %10s %10s\n' "operation" "median ms" "p90 ms" "max ms"
for op in save list export import restore delete; do
  # shellcheck disable=SC2086
  printf '%s\n' ${T[$op]} | sort -n | awk -v op="$op" '{a[NR]=$1} END {printf "%-10s %10.2f %10.2f %10.2f\n", op, a[int((NR+1)/2)], a[int(NR*0.9+0.5)], a[NR]}'
done

#!/usr/bin/env bash
# The console benchmark: measures and prints, never asserts. Builds the simulator (release by
# default), starts it with the large seed on a free loopback port, and drives Debian's chromium
# through the account mapping step (1,000 PSA companies, 5,000 vendor accounts) and the billing
# page (10,000 service cards with usage): bench/console.mjs prints the timings.
#   SIM_BUILD=debug bench/console.sh   (a debug build: slower server, quicker to build)
#   ROUNDS=5 bench/console.sh          (samples per figure)
# Figures depend on the machine and on what else runs on it: note both with them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROFILE="${SIM_BUILD:-release}"

command -v node >/dev/null && command -v npm >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm >/dev/null; }
[ -x /usr/bin/chromium ] || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null; }
[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && npm ci --no-audit --no-fund >&2)
if [ "$PROFILE" = release ]; then cargo build --release --bin synthesize-sim >&2; else cargo build --bin synthesize-sim >&2; fi

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
LOG="$(mktemp)"
"target/$PROFILE/synthesize-sim" --port "$PORT" --db :memory: --seed large --rate-limit 0 --quiet \
  --rebuild-debounce-ms 100 >"$LOG" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -f "$LOG"; }
trap cleanup EXIT INT TERM
for i in $(seq 1 150); do
  curl -fs "http://127.0.0.1:$PORT/sim/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  [ "$i" -eq 150 ] && { echo "the server did not answer in 30 s" >&2; exit 1; }
  sleep 0.2
done

echo "machine: $(nproc) cores, $(uname -sr); load average now: $(cut -d' ' -f1-3 /proc/loadavg); server: $PROFILE build"
SIM_URL="http://127.0.0.1:$PORT" node bench/console.mjs

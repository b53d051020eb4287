#!/usr/bin/env bash
# Browser tests of the partner console: builds synthesize-sim, starts it on a free port with an
# in-memory database, runs tests/browser with Node's test runner (playwright-core driving Debian's
# chromium), and always stops the server. Screenshots land in target/screenshots/.
#
# Environment: SIM_BUILD=release to test a release build (default: debug, faster to build);
# SIM_NO_BUILD=1 to use the binary already in target/ without running cargo;
# SIM_URL=http://127.0.0.1:PORT to test a server that is already running (nothing is built or started).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TESTS="$ROOT/tests/browser"
export SCREENSHOT_DIR="$ROOT/target/screenshots"
mkdir -p "$SCREENSHOT_DIR"
rm -f "$SCREENSHOT_DIR"/*.png

log() { echo "browser-tests: $*" >&2; }

# --- what the tests need -------------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  log "installing chromium (Debian package)"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing nodejs and npm (Debian packages)"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm >&2
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  log "node $(node --version) is too old: the tests need Node 20 or newer"
  exit 1
fi
# Every package the tests' package.json names (playwright-core, har-validator, ...), installed once.
MISSING="$(cd "$TESTS" && node -e 'const p = require("./package.json"); const fs = require("fs");
  console.log(Object.keys({ ...p.dependencies, ...p.devDependencies }).filter((d) => !fs.existsSync(`node_modules/${d}`)).join(" "))')"
if [ -n "$MISSING" ]; then
  log "installing $MISSING (npm ci)"
  (cd "$TESTS" && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }) >&2
fi

# --- the server ------------------------------------------------------------------------------
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

if [ -z "${SIM_URL:-}" ]; then
  PROFILE="${SIM_BUILD:-debug}"
  # shellcheck source=scripts/lib.sh
  . "$ROOT/scripts/lib.sh"
  BIN="$(target_dir)/$PROFILE/synthesize-sim"
  if [ -n "${SIM_NO_BUILD:-}" ] && [ -x "$BIN" ]; then
    log "SIM_NO_BUILD set: using $BIN as it is"
  elif [ "$PROFILE" = "release" ]; then
    log "cargo build --release"
    cargo build --release --bin synthesize-sim >&2
  else
    log "cargo build"
    cargo build --bin synthesize-sim >&2
  fi
  PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  SERVER_LOG="$ROOT/target/browser-tests-server.log"
  log "starting $BIN on port $PORT (log: $SERVER_LOG)"
  "$BIN" --port "$PORT" --db :memory: --rebuild-debounce-ms 100 --alert-delay-ms 100 >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  export SIM_URL="http://127.0.0.1:$PORT"
  for i in $(seq 1 150); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$SIM_URL/sim/health" 2>/dev/null; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "the server exited before answering; its log:"
      cat "$SERVER_LOG" >&2
      exit 1
    fi
    if [ "$i" -eq 150 ]; then log "the server did not answer /sim/health in 30 s"; cat "$SERVER_LOG" >&2; exit 1; fi
    sleep 0.2
  done
  log "server up at $SIM_URL"
else
  log "testing the running server at $SIM_URL"
fi

# --- the tests -------------------------------------------------------------------------------
cd "$TESTS"
set +e
node --test --test-reporter=tap --test-concurrency=1 ./*.test.mjs
STATUS=$?
set -e
exit $STATUS

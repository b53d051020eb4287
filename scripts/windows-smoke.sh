#!/usr/bin/env bash
# A smoke test of the Windows build under Wine: `scripts/windows-smoke.sh [EXE]` (default: the
# .exe of scripts/build-windows.sh, built when missing). It starts the .exe on a free port with a
# database in a temporary folder, checks that the GRADIENT-TOKEN it prints is answered 200 by
# GET /api/vendor-api, runs the same .exe's `demo-vendor` against it, checks /sim/qa and the journal
# saw those calls, stops it with Ctrl+C's signal, starts it again on the same database and checks
# the data is still there. Installs Wine (Debian's wine64) when missing. Prints one line per check
# and a closing `N passed, N failed`.
#
# Wine 8 (Debian 12) lacks ProcessPrng, which Rust's standard library imports from
# bcryptprimitives.dll (Windows 10 and later have it). The test builds a stand-in DLL from
# tests/windows/processprng.c next to the .exe under test, for this test only: release archives
# never contain it.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { echo "windows-smoke: $*" >&2; }

PASSED=0
FAILED=0
check() { # check NAME COMMAND...: one line per check
  local name="$1"
  shift
  if "$@"; then
    PASSED=$((PASSED + 1))
    echo "ok   $name"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $name"
  fi
}

EXE="${1:-}"
if [ -z "$EXE" ]; then
  EXE="${CARGO_TARGET_DIR:-target}/x86_64-pc-windows-gnu/release/synthesize-sim.exe"
  [ -f "$EXE" ] || EXE="$(scripts/build-windows.sh)" || { log "the Windows build failed"; exit 1; }
fi
[ -f "$EXE" ] || { log "no .exe at $EXE"; exit 1; }

if ! [ -x /usr/lib/wine/wine64 ]; then
  log "installing wine64 (Debian package)"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y wine64 >&2
fi
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || {
  log "installing the mingw-w64 compiler for the stand-in DLL"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y gcc-mingw-w64-x86-64 >&2
}
WINE=/usr/lib/wine/wine64

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -9 "$SERVER_PID" 2>/dev/null; fi
  WINEPREFIX="$WORK/prefix" /usr/lib/wine/wineserver -k 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/app" "$WORK/data"
cp "$EXE" "$WORK/app/synthesize-sim.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$WORK/app/bcryptprimitives.dll" tests/windows/processprng.c -ladvapi32 \
  || { log "cannot build the stand-in DLL"; exit 1; }
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n,b;mscoree,mshtml="
log "preparing a Wine prefix (the first start takes a while)"
"$WINE" wineboot --init >/dev/null 2>&1 || true

# The database as a Windows user names it: a drive path, backslashes.
DB_WIN="Z:$(echo "$WORK/data/sim.db" | tr / '\\')"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

start() { # start LOG: the server in the background, waits for its health
  "$WINE" "$WORK/app/synthesize-sim.exe" --port "$PORT" --db "$DB_WIN" >"$1" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    curl -fsS "$BASE/sim/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.5
  done
  log "the server did not come up; its output:"
  cat "$1" >&2
  return 1
}

check "the .exe reports its version" bash -c "'$WINE' '$WORK/app/synthesize-sim.exe' --version | grep -q '^synthesize-sim '"
start "$WORK/first.log" || { echo "0 passed, 1 failed"; exit 1; }
TOKEN="$(sed -n 's/^  GRADIENT-TOKEN *//p' "$WORK/first.log" | tr -d '\r' | head -n 1)"
check "the banner prints a GRADIENT-TOKEN" test -n "$TOKEN"
check "the printed token is answered 200 by GET /api/vendor-api" \
  bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'GRADIENT-TOKEN: $TOKEN' '$BASE/api/vendor-api')\" = 200 ]"
check "the banner names the database as given" grep -qF "$DB_WIN" "$WORK/first.log"
check "the same .exe's demo-vendor connects and sets up" \
  "$WINE" "$WORK/app/synthesize-sim.exe" demo-vendor --base-url "$BASE" connect setup
# The seeded integration is connected with the kickoff key, before QA's first step: the checklist
# has no step done yet, and its report counts the calls it saw.
check "/sim/qa's report counts the demo vendor's calls" \
  bash -c "curl -fsS '$BASE/sim/qa/report' | python3 -c 'import json,sys; c=json.load(sys.stdin)[\"reports\"][0][\"calls\"]; sys.exit(0 if c[\"recorded\"] >= 5 and c[\"failed\"] == 0 else 1)'"
check "the journal kept the calls" \
  bash -c "curl -fsS '$BASE/sim/journal' | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"total\"] >= 3 else 1)'"
ACCOUNTS="$(curl -fsS -H "GRADIENT-TOKEN: $TOKEN" "$BASE/api/vendor-api/organization/accounts" | tr -d '\r')"

# Ctrl+C: Wine delivers SIGINT to the console process as Windows delivers CTRL_C_EVENT.
kill -INT "$SERVER_PID"
STOPPED=""
for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || { STOPPED=1; break; }; sleep 0.25; done
check "Ctrl+C stops the server" test -n "$STOPPED"
[ -n "$STOPPED" ] || kill -9 "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""

start "$WORK/second.log" || { echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1; }
AGAIN="$(curl -fsS -H "GRADIENT-TOKEN: $TOKEN" "$BASE/api/vendor-api/organization/accounts" | tr -d '\r')"
check "a restart on the same database still has the accounts" test "$AGAIN" = "$ACCOUNTS"
check "the accounts are the demo vendor's" bash -c "echo '$AGAIN' | grep -q '\"name\"'"

kill -INT "$SERVER_PID" 2>/dev/null
for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.25; done
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

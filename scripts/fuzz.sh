#!/usr/bin/env bash
# Property-based checks of both served OpenAPI documents with schemathesis (pinned, from PyPI,
# into a virtualenv under target/): thousands of generated requests, none may get a 5xx, an
# undocumented status, a non-JSON answer or a body off its schema. Fixed seeds keep runs repeatable.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/target/fuzz-venv"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
ensure_venv "$VENV" st "schemathesis==4.32.5"
BIN="$(ensure_binary)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
LOG="$ROOT/target/fuzz-server.log"
"$BIN" --port "$PORT" --db :memory: --rate-limit 0 --quiet >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/sim/health" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN="$(awk '/GRADIENT-TOKEN/ {print $2}' "$LOG")"
# With the status pending, mapping and counting routes are reachable too.
curl -fs -X PATCH -H "GRADIENT-TOKEN: $TOKEN" "$BASE/api/vendor-api/organization/status/pending" >/dev/null
CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
# Both documents run even when the first fails; one line each says how it went (scripts/test.sh
# counts them), and the exit code says whether both passed.
FAILED=0
check() {
  local name="$1"
  shift
  echo "== schemathesis: $name"
  if "$VENV/bin/st" run "$@" --checks "$CHECKS" --max-examples "${FUZZ_EXAMPLES:-40}" --seed 20261127 --no-color; then
    echo "fuzz: $name: ok"
  else
    echo "fuzz: $name: failed"
    FAILED=1
  fi
}
check "vendor API" "$BASE/api-docs" --url "$BASE" -H "GRADIENT-TOKEN: $TOKEN"
check "control API" "$BASE/sim/openapi.json" --url "$BASE" --exclude-path /sim/reset
exit $FAILED

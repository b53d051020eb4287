#!/usr/bin/env bash
# Runs the CI example of the README (examples/python) against the debug build, as a vendor's CI
# would run it against a released binary: pytest (pinned, into a virtualenv under target/), the
# simulator started by the example's own fixture. Exit 5 (no tests collected) counts as failure,
# so an example that silently stops being collected cannot pass.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/target/examples-venv"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
ensure_venv "$VENV" pytest -r examples/python/requirements.txt
BIN="$(ensure_binary)"
echo "== examples/python (pytest)"
set +e
SYNTH_SIM_BIN="$BIN" "$VENV/bin/pytest" -q -p no:cacheprovider examples/python
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "examples/python: pytest collected no tests" >&2
  exit 1
fi
exit "$status"

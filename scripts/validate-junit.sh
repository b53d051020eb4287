#!/usr/bin/env bash
# validate-junit.sh FILE...: checks JUnit XML files against the schema Jenkins reads them with
# (tests/fixtures/junit-10.xsd, origin named in it), with python's xmlschema, pinned, in a
# virtualenv under target/ made on first use. A validator that cannot be installed is a failure,
# never a skip: exit 0 only when every file is valid.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "$#" -eq 0 ]; then
  echo "usage: scripts/validate-junit.sh FILE..." >&2
  exit 2
fi
VENV="${CARGO_TARGET_DIR:-$ROOT/target}/junit-venv"
if ! command -v python3 >/dev/null; then
  echo "validate-junit: python3 is needed to install the validator (xmlschema)" >&2
  exit 1
fi
# Parallel tests may ask at once: one of them makes the virtualenv.
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import xmlschema" 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "xmlschema==4.3.2" >&2
fi
flock -u 9
"$VENV/bin/python" - "$ROOT/tests/fixtures/junit-10.xsd" "$@" <<'EOF'
import sys
import xmlschema

schema = xmlschema.XMLSchema(sys.argv[1])
bad = 0
for path in sys.argv[2:]:
    errors = list(schema.iter_errors(path))
    for e in errors[:5]:
        print(f"{path}: {e.reason} at {e.path}", file=sys.stderr)
    bad += bool(errors)
    print(f"{path}: {'invalid' if errors else 'valid'} (JUnit, Jenkins xunit junit-10.xsd)")
sys.exit(1 if bad else 0)
EOF

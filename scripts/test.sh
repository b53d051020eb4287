#!/usr/bin/env bash
# The test command of the README: every Rust test (unit and integration, each spawning the real
# server on port 0), then the partner console's browser tests in headless Chromium (installed by
# scripts/browser-tests.sh when missing), then property-based checks of both OpenAPI documents
# (scripts/fuzz.sh). SKIP_BROWSER=1 or SKIP_FUZZ=1 leave those out. The CI example of the README
# (examples/python, pytest) runs right after the Rust tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo test --all-targets
SIM_NO_BUILD=1 scripts/examples.sh
if [ -z "${SKIP_BROWSER:-}" ]; then
  scripts/browser-tests.sh
fi
if [ -z "${SKIP_FUZZ:-}" ]; then
  SIM_NO_BUILD=1 scripts/fuzz.sh
fi

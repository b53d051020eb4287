#!/usr/bin/env bash
# The test command of the README: every Rust test (unit and integration, each spawning the real
# server on port 0), then the partner console's browser tests in headless Chromium (installed by
# scripts/browser-tests.sh when missing). SKIP_BROWSER=1 runs the Rust tests only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo test --all-targets
if [ -z "${SKIP_BROWSER:-}" ]; then
  scripts/browser-tests.sh
fi

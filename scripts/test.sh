#!/usr/bin/env bash
# The test command of the README: every Rust test (unit and integration, each spawning the real
# server on port 0), then the partner console's browser tests in headless Chromium (installed by
# scripts/browser-tests.sh when missing), then property-based checks of both OpenAPI documents
# (scripts/fuzz.sh). SKIP_BROWSER=1 or SKIP_FUZZ=1 leave those out. The CI example of the README
# (examples/python, pytest) runs right after the Rust tests.
#
# Each stage's whole output (cargo's, apt's, npm's, pip's) goes to target/test-logs/STAGE.log;
# the terminal gets one progress line per stage with its counts, the failures of a stage that
# failed, and a last line summing every stage: `summary: N passed, N failed`. The exit code is
# non-zero when any stage failed, whatever its counts say.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

LOGS=target/test-logs
mkdir -p "$LOGS"
TOTAL_PASSED=0
TOTAL_FAILED=0
STAGES=()
STATUS=0

# Counts of a finished stage, from its log: "passed failed".
count_rust() {
  # cargo test prints one "test result: ok. 12 passed; 0 failed; ..." per test binary.
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
       END { print p + 0, f + 0 }' "$1"
}
count_tap() {
  # Node's test runner (TAP reporter) closes with "# pass N" and "# fail N".
  awk '/^# pass / { p = $3 } /^# fail / { f = $3 } END { print p + 0, f + 0 }' "$1"
}
count_pytest() {
  # pytest -q closes with "12 passed in 3.1s" or "10 passed, 2 failed in 3.4s".
  awk '/ in [0-9.]+s/ && / passed| failed/ { p = 0; f = 0; for (i = 2; i <= NF; i++) { if ($(i) ~ /^passed,?$/) p = $(i-1); if ($(i) ~ /^failed,?$/) f = $(i-1) } }
       END { print p + 0, f + 0 }' "$1"
}
count_fuzz() {
  # schemathesis sums each document's cases ("1836 generated, 1836 passed", ", 2 failed" when
  # some did); scripts/fuzz.sh adds "fuzz: <document>: failed" for a run that failed otherwise.
  awk '/ generated, / { for (i = 2; i <= NF; i++) { if ($(i) ~ /^passed,?$/) p += $(i-1); if ($(i) ~ /^failed,?$/) f += $(i-1) } }
       /^fuzz: .*: failed$/ { docs++ }
       END { if (f == 0) f = docs; print p + 0, f + 0 }' "$1"
}

# run NAME COUNTER COMMAND...: runs one stage with its output in the log, then reports it.
run() {
  local name="$1" counter="$2"
  shift 2
  local log="$LOGS/$name.log" started=$SECONDS rc
  echo "== $name: $* (log: $log)"
  "$@" >"$log" 2>&1
  rc=$?
  local counts passed failed
  counts="$($counter "$log")"
  passed="${counts% *}"
  failed="${counts#* }"
  # A stage that failed without a failed test (a build error, a crash) still counts as a failure.
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  if [ "$rc" -eq 0 ] && [ "$passed" -eq 0 ]; then
    echo "   $name ran no test"
    failed=1
    rc=1
  fi
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  STAGES+=("$name $passed/$failed")
  local took=$((SECONDS - started))
  if [ "$rc" -eq 0 ]; then
    echo "   $name: $passed tests pass, $failed fail ($((took / 60))m$((took % 60))s)"
  else
    STATUS=1
    echo "   $name FAILED (exit $rc): $passed tests pass, $failed fail ($((took / 60))m$((took % 60))s); what failed:"
    grep -E "^test .* FAILED$|panicked at|^not ok |^# Subtest|AssertionError|error(\[E[0-9]+\])?:|^fuzz: .*: failed$|FAILED|Error:" "$log" \
      | grep -v "^# Subtest" | head -40 | sed 's/^/     /'
    echo "     (last lines of $log:)"
    tail -15 "$log" | sed 's/^/     /'
  fi
}

run rust count_rust cargo test --all-targets
run examples count_pytest env SIM_NO_BUILD=1 scripts/examples.sh
if [ -z "${SKIP_BROWSER:-}" ]; then
  run browser count_tap scripts/browser-tests.sh
fi
if [ -z "${SKIP_FUZZ:-}" ]; then
  run fuzz count_fuzz env SIM_NO_BUILD=1 scripts/fuzz.sh
fi

echo "stages: ${STAGES[*]} (passed/failed)"
echo "summary: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
exit $STATUS

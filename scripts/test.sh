#!/usr/bin/env bash
# The test command of the README: every Rust test (unit and integration, each spawning the real
# server on port 0), then the partner console's browser tests in headless Chromium (installed by
# scripts/browser-tests.sh when missing), then property-based checks of both OpenAPI documents
# (scripts/fuzz.sh), the Windows build under Wine (scripts/windows-smoke.sh) and the workflows'
# lint (scripts/actionlint.sh). SKIP_BROWSER=1, SKIP_FUZZ=1 or SKIP_WINDOWS=1 leave those out. The CI example of the README
# (examples/python, pytest) runs right after the Rust tests.
#
# Each stage's whole output (cargo's, apt's, npm's, pip's) goes to target/test-logs/STAGE.log;
# the terminal gets a line as each stage starts (and one a minute while it runs), its counts,
# the failures of a stage that failed, and a last line summing every stage: `summary: N passed,
# N failed`. The exit code is non-zero when any stage failed, whatever its counts say. Benchmarks
# are not part of it: `cargo test` builds benches/parts.rs but does not run it (bench/run.sh does).
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

count_plain() {
  # A script of ours closes with the plain line "N passed, N failed".
  awk '/^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3 } END { print p + 0, f + 0 }' "$1"
}

# While a stage runs, a line a minute says it is alive and what its log last said (cargo's
# "Compiling ..." during a first build, apt's or npm's installs), so no stage is silent for long.
heartbeat() {
  local name="$1" log="$2" started="$3" pause
  # Stopped with TERM when its stage ends; the sleep under way goes with it, so that no stray
  # process keeps the terminal (or a CI's pipe) open.
  trap 'kill "$pause" 2>/dev/null; exit 0' TERM
  while :; do
    sleep 60 &
    pause=$!
    wait "$pause"
    local last
    # A line that says how far it got (a crate compiled, a test passed, a package installed),
    # else the last line at all.
    last="$(tail -c 4000 "$log" 2>/dev/null | tr '\r' '\n' \
      | grep -E '^[[:space:]]*(Compiling|Running|test |ok |not ok |# Subtest|Setting up|Unpacking|added |== )' \
      | tail -1 | sed 's/^[[:space:]]*//' | cut -c1-100)"
    [ -n "$last" ] || last="$(tail -c 2000 "$log" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -1 | cut -c1-100)"
    echo "   $name: still running ($(( (SECONDS - started) / 60 ))m): ${last:-no output yet}"
  done
}

# run NAME COUNTER WAITING COMMAND...: runs one stage with its output in the log, then reports
# it. WAITING says, at its start, what the stage spends its first minutes on.
run() {
  local name="$1" counter="$2" waiting="$3"
  shift 3
  local log="$LOGS/$name.log" started=$SECONDS rc beat
  echo "== $name: $* (log: $log)"
  echo "   $name: $waiting"
  : >"$log"
  heartbeat "$name" "$log" "$started" &
  beat=$!
  "$@" >"$log" 2>&1
  rc=$?
  kill "$beat" 2>/dev/null
  wait "$beat" 2>/dev/null
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

# The Rust stage builds the debug binary the other stages run (each binary is built once).
run rust count_rust "compiling, then running; a first build takes 5 to 10 minutes on two cores" \
  cargo test --all-targets --no-fail-fast
run examples count_pytest "pytest into a virtualenv under target/ (once), then the example's tests" \
  env SIM_NO_BUILD=1 scripts/examples.sh
if [ -z "${SKIP_BROWSER:-}" ]; then
  run browser count_tap "chromium, nodejs and playwright-core installed when missing, then the console's tests" \
    env SIM_NO_BUILD=1 scripts/browser-tests.sh
fi
if [ -z "${SKIP_FUZZ:-}" ]; then
  run fuzz count_fuzz "schemathesis into a virtualenv under target/ (once), then both OpenAPI documents" \
    env SIM_NO_BUILD=1 scripts/fuzz.sh
fi

if [ -z "${SKIP_WINDOWS:-}" ]; then
  run windows count_plain "the Windows .exe: rustup target, mingw-w64 and Wine installed when missing, a cross-build (minutes on a first run), then a smoke test under Wine" \
    scripts/windows-smoke.sh
fi
run workflows count_plain "actionlint into a virtualenv under target/ (once), then each GitHub Actions workflow" \
  scripts/actionlint.sh

echo "stages: ${STAGES[*]} (passed/failed)"
echo "summary: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
exit $STATUS

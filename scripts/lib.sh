# Shared by the test scripts that need Python tools and the debug binary. Source it after `cd` to
# the repository root.

# The directory cargo builds into: CARGO_TARGET_DIR, or a build.target-dir setting, or target/.
# Asked of cargo itself, so that a script never runs a stale binary from another directory.
target_dir() {
  if [ -z "${SIM_TARGET_DIR:-}" ]; then
    SIM_TARGET_DIR="$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)" \
      || SIM_TARGET_DIR=""
    [ -n "$SIM_TARGET_DIR" ] || SIM_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
    export SIM_TARGET_DIR
  fi
  echo "$SIM_TARGET_DIR"
}

# ensure_venv DIR TOOL PIP_ARGS...: a virtualenv under target/ that holds TOOL, made once, so a
# fresh machine needs only python3 and the package index.
ensure_venv() {
  local venv="$1" tool="$2"
  shift 2
  if [ ! -x "$venv/bin/$tool" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
  fi
}

# ensure_binary: the debug build of the simulator, unless SIM_NO_BUILD says the caller built it.
# Prints the binary's path.
ensure_binary() {
  local bin
  bin="$(target_dir)/debug/synthesize-sim"
  if [ -z "${SIM_NO_BUILD:-}" ] || [ ! -x "$bin" ]; then
    cargo build --bin synthesize-sim >&2
  fi
  echo "$bin"
}

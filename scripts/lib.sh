# Shared by the test scripts that need Python tools and the debug binary. Source it after `cd` to
# the repository root.

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
ensure_binary() {
  if [ -z "${SIM_NO_BUILD:-}" ] || [ ! -x target/debug/synthesize-sim ]; then
    cargo build --bin synthesize-sim >&2
  fi
}

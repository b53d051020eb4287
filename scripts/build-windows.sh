#!/usr/bin/env bash
# The Windows build, cross-compiled here: x86_64-pc-windows-gnu from rustup, linked with Debian's
# mingw-w64 (gcc-mingw-w64-x86-64). Installs the target and the linker when missing, builds the
# release binary (stripped, see Cargo.toml's release profile) and prints the .exe's path.
# CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET=x86_64-pc-windows-gnu
log() { echo "build-windows: $*" >&2; }

if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  log "installing the mingw-w64 linker (Debian package gcc-mingw-w64-x86-64)"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y gcc-mingw-w64-x86-64 >&2
fi
if ! rustup target list --installed | grep -qx "$TARGET"; then
  log "adding the Rust target $TARGET"
  rustup target add "$TARGET" >&2
fi

log "cargo build --release --target $TARGET (a first build takes several minutes on two cores)"
cargo build --release --locked --target "$TARGET" --bin synthesize-sim >&2
echo "${CARGO_TARGET_DIR:-target}/$TARGET/release/synthesize-sim.exe"

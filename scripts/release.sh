#!/usr/bin/env bash
# Release archives built here, on Linux: x86_64 Linux (.tar.gz) and x86_64 Windows (.zip, cross-built
# by scripts/build-windows.sh), each with the stripped binary, README and licences, plus SHA256SUMS,
# in target/dist/ (under CARGO_TARGET_DIR when set). macOS archives are built only by the release
# workflow (.github/workflows/release.yml), on a macOS runner: there is no macOS linker here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
OUT="$TARGET_DIR/dist"
rm -rf "$OUT"
mkdir -p "$OUT"
log() { echo "release: $*" >&2; }

log "cargo build --release (Linux x86_64)"
cargo build --release --locked --bin synthesize-sim >&2
LINUX_BIN="$TARGET_DIR/release/synthesize-sim"
log "$("$LINUX_BIN" --version)"
scripts/package.sh x86_64-unknown-linux-gnu "$LINUX_BIN" "$OUT" >/dev/null

WINDOWS_BIN="$(scripts/build-windows.sh)"
scripts/package.sh x86_64-pc-windows-gnu "$WINDOWS_BIN" "$OUT" >/dev/null

(cd "$OUT" && sha256sum -- *.tar.gz *.zip > SHA256SUMS)
log "archives in $OUT:"
(cd "$OUT" && ls -l -- *.tar.gz *.zip SHA256SUMS) >&2

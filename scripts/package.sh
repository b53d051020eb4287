#!/usr/bin/env bash
# One release archive: `scripts/package.sh TARGET BINARY OUT_DIR` puts BINARY, README.md and the
# licences (the project's two, and the bundled Redoc's) into synthesize-sim-VERSION-TARGET.tar.gz, or
# .zip for a Windows target, in OUT_DIR, and prints the archive's path. Used by scripts/release.sh
# here and by the release workflow on each platform (.github/workflows/release.yml), so that every
# archive holds the same files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ $# -eq 3 ] || { echo "usage: scripts/package.sh TARGET BINARY OUT_DIR" >&2; exit 2; }
TARGET="$1" BINARY="$2" OUT="$3"
[ -f "$BINARY" ] || { echo "package: no binary at $BINARY" >&2; exit 2; }
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
NAME="synthesize-sim-$VERSION-$TARGET"
mkdir -p "$OUT"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir "$STAGE/$NAME"
cp "$BINARY" "$STAGE/$NAME/"
cp README.md LICENSE-MIT LICENSE-APACHE "$STAGE/$NAME/"
cp static/vendor/redoc/LICENSE "$STAGE/$NAME/LICENSE-redoc"
OUT_ABS="$(cd "$OUT" && pwd)"
case "$TARGET" in
  *windows*)
    ARCHIVE="$OUT_ABS/$NAME.zip"
    rm -f "$ARCHIVE"
    # python3's zipfile rather than zip(1): the same on every runner, Git Bash on Windows included.
    (cd "$STAGE" && python3 -m zipfile -c "$ARCHIVE" "$NAME")
    ;;
  *)
    ARCHIVE="$OUT_ABS/$NAME.tar.gz"
    tar -C "$STAGE" -czf "$ARCHIVE" "$NAME"
    ;;
esac
echo "$ARCHIVE"

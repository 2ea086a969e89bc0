#!/usr/bin/env bash
# Fetches and unpacks Debian's linux-source-6.1 tree for `pkslab census` and its
# integration test (test/census-kernel.test.ts). Idempotent: when the unpacked tree
# is already in the cache, it only prints its path.
#
#   cache dir:  ${PKSLAB_KERNEL_CACHE:-$HOME/.cache/pkslab}
#   package:    ${PKSLAB_KERNEL_PACKAGE:-linux-source-6.1} (its .deb holds usr/src/<package>.tar.xz)
#   prints:     <cache dir>/<package>   (the only line on stdout)
#
# Progress and errors go to stderr. Exits non-zero, with a message, when apt cannot
# find or download the package or the archive cannot be unpacked. The kernel source
# is never placed inside the repository.
set -euo pipefail

PACKAGE="${PKSLAB_KERNEL_PACKAGE:-linux-source-6.1}"
CACHE_DIR="${PKSLAB_KERNEL_CACHE:-$HOME/.cache/pkslab}"
TARGET="$CACHE_DIR/$PACKAGE"

PROG=fetch-linux-source
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A tree counts as present only once it was completely unpacked (marker written last).
if [[ -d "$TARGET" && -f "$TARGET/Makefile" && -f "$CACHE_DIR/.$PACKAGE.complete" ]]; then
  printf '%s\n' "$TARGET"
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: this script needs a Debian-based machine"
command -v dpkg >/dev/null || die "dpkg not found"
command -v tar >/dev/null || die "tar not found"
command -v xz >/dev/null || die "xz not found (apt-get install xz-utils)"

mkdir -p "$CACHE_DIR"
# The tree is unpacked next to its final place (same file system, so the last step is a
# rename); the .deb goes to a temporary directory that apt's _apt user may write to.
WORK="$(mktemp -d "$CACHE_DIR/.fetch.XXXXXX")"
DOWNLOAD="$(mktemp -d "${TMPDIR:-/tmp}/pkslab-linux-source.XXXXXX")"
trap 'rm -rf "$WORK" "$DOWNLOAD"' EXIT
chmod 755 "$DOWNLOAD"
if [[ "$(id -u)" -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$DOWNLOAD"; fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null; then SUDO=(sudo); fi

# Refresh the package lists only when apt does not know the package yet.
if ! apt-cache show "$PACKAGE" >/dev/null 2>&1; then
  say "package lists do not know $PACKAGE; running apt-get update"
  "${SUDO[@]}" apt-get update >&2 || die "apt-get update failed: the package repository cannot be reached"
  apt-cache show "$PACKAGE" >/dev/null 2>&1 \
    || die "apt cannot find package $PACKAGE (is a Debian bookworm source configured?)"
fi

say "downloading $PACKAGE"
if ! (cd "$DOWNLOAD" && apt-get download "$PACKAGE" >&2); then
  # Stale lists point at a version the mirror no longer has: refresh once and retry.
  say "download failed; refreshing package lists and retrying once"
  "${SUDO[@]}" apt-get update >&2 || die "apt-get update failed: the package repository cannot be reached"
  (cd "$DOWNLOAD" && apt-get download "$PACKAGE" >&2) \
    || die "apt-get download $PACKAGE failed: the package repository is unreachable or lacks it"
fi

DEB="$(find "$DOWNLOAD" -maxdepth 1 -name "${PACKAGE}_*.deb" | head -n 1)"
[[ -n "$DEB" ]] || die "apt-get download reported success but left no ${PACKAGE}_*.deb"
say "downloaded $(basename "$DEB")"

dpkg -x "$DEB" "$WORK/deb" || die "dpkg -x $(basename "$DEB") failed"
TARBALL="$WORK/deb/usr/src/$PACKAGE.tar.xz"
[[ -f "$TARBALL" ]] || die "$(basename "$DEB") does not contain usr/src/$PACKAGE.tar.xz"

say "unpacking $PACKAGE.tar.xz (about 1.4 GB unpacked)"
mkdir -p "$WORK/tree"
tar -xJf "$TARBALL" -C "$WORK/tree" || die "unpacking $PACKAGE.tar.xz failed"
[[ -f "$WORK/tree/$PACKAGE/Makefile" ]] || die "the archive has no $PACKAGE/Makefile"

# Replace any half-unpacked leftover, then move the finished tree into place.
rm -rf "$TARGET" "$CACHE_DIR/.$PACKAGE.complete"
mv "$WORK/tree/$PACKAGE" "$TARGET"
basename "$DEB" >"$CACHE_DIR/.$PACKAGE.complete"

printf '%s\n' "$TARGET"

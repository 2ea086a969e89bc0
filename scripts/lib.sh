# shellcheck shell=bash
# Helpers the scripts share; a script sets PROG (the prefix of its messages) and sources
# this file.

# A progress or error line on stderr, prefixed with the script's name.
say() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# An error line on stderr, then exit 1.
die() {
  say "error: $*"
  exit 1
}

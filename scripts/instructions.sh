#!/usr/bin/env bash
# instructions.sh - count the instructions tag and scan (trace without
# scoring) take on the corpus, as a share of bare tree-sitter parsing, under
# callgrind. Wall time on a shared two-core machine varies by 10-20 % from
# run to run; an instruction count does not, so this is how two commits are
# compared (the criterion bench, `cargo bench -p watermark-benches`, gives
# the wall-time figures).
#
# usage: scripts/instructions.sh [REV]
#   Without REV: the working tree. With REV (a commit): that commit, built in
#   a temporary worktree with this tree's benches/examples/instructions.rs.
#
# Prints, per language, the instructions of each operation minus those of
# loading the files, and parse / op as a percentage (the throughput ratio).
# Needs valgrind (apt-get install valgrind) and the corpus (scripts/setup.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 2; }

SRC=$ROOT
TARGET=$ROOT/target
if [ $# -ge 1 ]; then
  WORK=$(mktemp -d)
  trap 'git -C "$ROOT" worktree remove --force "$WORK/tree" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
  git -C "$ROOT" worktree add --detach "$WORK/tree" "$1" >/dev/null
  mkdir -p "$WORK/tree/benches/examples"
  cp "$ROOT/benches/examples/instructions.rs" "$WORK/tree/benches/examples/"
  # A commit from before the CLI shipped mimalloc is counted with the
  # allocator it shipped with.
  if ! grep -q '^mimalloc' "$WORK/tree/Cargo.toml"; then
    sed -i '/^\/\/\/ The CLI.s allocator/,/^static ALLOCATOR/d' "$WORK/tree/benches/examples/instructions.rs"
  fi
  SRC=$WORK/tree
  TARGET=$ROOT/target/instructions-rev
fi

(cd "$SRC" && CARGO_TARGET_DIR=$TARGET cargo build --release --quiet -p watermark-benches --example instructions)
BIN=$TARGET/release/examples/instructions
OUT=$(mktemp -d)

count() { # lang op -> instructions
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$1.$2" "$BIN" "$1" "$2" >/dev/null 2>&1
  callgrind_annotate "$OUT/$1.$2" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done {gsub(",", "", $1); print $1; done = 1}'
}

echo "instructions (millions, minus loading the files) and share of bare parse:"
for lang in rust python; do
  load=$(count "$lang" load)
  parse=$(( $(count "$lang" parse) - load ))
  line="$lang: parse $((parse / 1000000))M"
  for op in scan tag; do
    n=$(( $(count "$lang" "$op") - load ))
    line="$line, $op $((n / 1000000))M ($(awk -v p="$parse" -v n="$n" 'BEGIN {printf "%.1f", 100 * p / n}') %)"
  done
  echo "$line"
done
rm -rf "$OUT"

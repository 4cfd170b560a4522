#!/usr/bin/env bash
# walltime.sh - the wall-time counterpart of instructions.sh: tag and scan
# throughput as a share of bare parsing, for this tree and a base commit,
# timed alternately so that both see the same machine load.
#
# usage: scripts/walltime.sh [REV] [RUNS]
#   REV defaults to a13ba05 (the foundation, which issue 3 compares with),
#   RUNS to 12. Each of parse, scan and tag runs RUNS times per language and
#   build, interleaved; the fastest run counts (load excluded). Needs the
#   corpus (scripts/setup.sh).
#
# On a shared two-core machine single runs vary by 10-20 %; the minimum of
# interleaved runs moves by about 1 %.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REV=${1:-a13ba05}
RUNS=${2:-12}
WORK=$(mktemp -d)
trap 'git -C "$ROOT" worktree remove --force "$WORK/tree" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

(cd "$ROOT" && cargo build --release --quiet -p watermark-benches --example instructions)
cp "$ROOT/target/release/examples/instructions" "$WORK/now"

git -C "$ROOT" worktree add --detach "$WORK/tree" "$REV" >/dev/null
mkdir -p "$WORK/tree/benches/examples"
cp "$ROOT/benches/examples/instructions.rs" "$WORK/tree/benches/examples/"
if ! grep -q '^mimalloc' "$WORK/tree/Cargo.toml"; then
  # Counted with the allocator that commit shipped with.
  sed -i '/^\/\/\/ The CLI.s allocator/,/^static ALLOCATOR/d' "$WORK/tree/benches/examples/instructions.rs"
fi
(cd "$WORK/tree" && CARGO_TARGET_DIR=$ROOT/target/instructions-rev cargo build --release --quiet -p watermark-benches --example instructions)
cp "$ROOT/target/instructions-rev/release/examples/instructions" "$WORK/base"

for _ in $(seq "$RUNS"); do
  for build in now base; do
    for lang in rust python; do
      for op in parse scan tag; do
        us=$("$WORK/$build" "$lang" "$op" | sed -n 's/.*, \([0-9]*\) us$/\1/p')
        echo "$build $lang $op $us"
      done
    done
  done
done >"$WORK/times"

echo "wall time, fastest of $RUNS interleaved runs (ms, loading excluded), and share of bare parse:"
awk -v rev="$REV" '
  { k = $1 " " $2 " " $3; if (!(k in best) || $4 < best[k]) best[k] = $4 }
  END {
    split("now base", builds, " "); split("rust python", langs, " ")
    for (b = 1; b <= 2; b++) for (l = 1; l <= 2; l++) {
      k = builds[b] " " langs[l]; p = best[k " parse"]
      printf "%-5s %-7s parse %6.1f, scan %6.1f (%.1f %%), tag %6.1f (%.1f %%)\n",
        (builds[b] == "base" ? rev : "now"), langs[l], p / 1000,
        best[k " scan"] / 1000, 100 * p / best[k " scan"],
        best[k " tag"] / 1000, 100 * p / best[k " tag"]
    }
  }' "$WORK/times"

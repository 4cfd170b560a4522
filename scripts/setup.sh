#!/usr/bin/env bash
# Fetch everything the test suite needs that is not in the repository:
# the public corpus (../shared/corpus), the Python environment its test
# suites run in, the formatters the tests compare against (black), and the
# `cryptography` package the independent receipt verifier
# (tests/scripts/verify_dsse.py) uses.
# Idempotent: a stamp per step skips work already done for the same inputs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${WATERMARK_SHARED:-$ROOT/../shared}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/watermark-corpus
TOOLS=$CACHE/tools
BLACK_VERSION=26.10.1
RUFF_VERSION=0.17.6
CRYPTOGRAPHY_VERSION=50.0.2
# Other formatters a leaker may run (tests/tests/corpus.rs).
YAPF_VERSION=0.43.0
AUTOPEP8_VERSION=2.3.2
ISORT_VERSION=9.0.2
[ -d "$SHARED/corpus" ] || { echo "setup: $SHARED/corpus not found (set WATERMARK_SHARED)" >&2; exit 2; }
mkdir -p "$CACHE"

stamp_ok() { [ -f "$CACHE/$1.stamp" ] && [ "$(cat "$CACHE/$1.stamp")" = "$2" ]; }
digest() { cat "$@" | sha256sum | cut -c1-16; }

want=$(digest "$SHARED/corpus/rust.txt" "$SHARED/corpus/python.txt")
if ! stamp_ok corpus "$want"; then
  echo "setup: fetching the public corpus into $CACHE/src"
  bash "$SHARED/corpus/get_corpus.sh" rust "$SHARED/corpus/rust.txt" "$CACHE/src" >"$CACHE/get-rust.log" 2>&1 \
    || { cat "$CACHE/get-rust.log" >&2; exit 2; }
  bash "$SHARED/corpus/get_corpus.sh" py "$SHARED/corpus/python.txt" "$CACHE/src" >"$CACHE/get-py.log" 2>&1 \
    || { cat "$CACHE/get-py.log" >&2; exit 2; }
  echo "$want" >"$CACHE/corpus.stamp"
fi

want=$(digest "$SHARED/corpus/py-test-requirements.txt")
if ! stamp_ok venv "$want" || [ ! -x "$CACHE/venv/bin/python" ]; then
  echo "setup: building the corpus test environment"
  bash "$SHARED/corpus/run_tests.sh" --setup-venv
  echo "$want" >"$CACHE/venv.stamp"
fi

want="black==$BLACK_VERSION ruff==$RUFF_VERSION cryptography==$CRYPTOGRAPHY_VERSION"
want="$want yapf==$YAPF_VERSION autopep8==$AUTOPEP8_VERSION isort==$ISORT_VERSION"
if ! stamp_ok tools "$want" || [ ! -x "$TOOLS/bin/black" ] || [ ! -x "$TOOLS/bin/ruff" ] \
  || [ ! -x "$TOOLS/bin/yapf" ] || [ ! -x "$TOOLS/bin/autopep8" ] || [ ! -x "$TOOLS/bin/isort" ] \
  || ! "$TOOLS/bin/python" -c "import cryptography" 2>/dev/null; then
  echo "setup: installing $want into $TOOLS"
  rm -rf "$TOOLS" && python3 -m venv "$TOOLS"
  # $want is a space-separated list of requirements: split it on purpose.
  # shellcheck disable=SC2086
  "$TOOLS/bin/pip" install -q --disable-pip-version-check $want
  echo "$want" >"$CACHE/tools.stamp"
fi

command -v rustfmt >/dev/null || rustup component add rustfmt

# A real headless browser for the HTML report test (Debian's chromium).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium (apt-get) for the HTML report test"
    { DEBIAN_FRONTEND=noninteractive apt-get update -q \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
      >"$CACHE/apt.log" 2>&1 || { cat "$CACHE/apt.log" >&2; exit 2; }
  else
    echo "setup: warning: chromium is missing and cannot be installed here (needs root and apt-get);" \
      "the HTML report test fails under CI without it" >&2
  fi
fi
echo "setup: corpus, test environment, formatters and verifier tools ready in $CACHE"

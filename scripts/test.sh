#!/usr/bin/env bash
# The whole test suite: fetch the corpus and tools, then run every test
# (unit, integration on real corpora, CLI, doc tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --locked

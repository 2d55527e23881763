#!/usr/bin/env bash
# The test command of the README: set up (install what is missing, build)
# and run every CTest suite. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
ctest --test-dir build -j 2 --output-on-failure

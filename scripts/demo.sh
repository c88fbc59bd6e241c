#!/usr/bin/env bash
# Coral's main job on the embedded default (DuckDB), on this machine:
# set-up, a release build, then a colony created and listed in a demo home.
# Later issues grow this into a running colony, agent and demo application.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORAL_BUILD_TESTS=OFF >/dev/null
ninja -C build/release coral

CORAL=build/release/coral
export CORAL_HOME=${CORAL_DEMO_HOME:-$PWD/build/demo-home}
step() { printf '\n\033[1m$ coral %s\033[0m\n' "$*"; }

echo "Demo home: $CORAL_HOME"
step version
$CORAL version
step init shop --env dev --force
$CORAL init shop --env dev --force
step colony list
$CORAL colony list
step colony current -o json
$CORAL colony current -o json

#!/usr/bin/env bash
# Coral's main job on the embedded default (DuckDB), on this machine:
# set-up, a release build, a colony running its WireGuard mesh, an agent on
# this host joined to it over the mesh, a small demo service connected with a
# health check, and what the agent found. Everything lives in a demo home; the
# colony, agent and demo service stop at the end (CORAL_DEMO_KEEP=1 leaves them
# running). WireGuard interfaces need root: it re-runs itself with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi

scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORAL_BUILD_TESTS=OFF >/dev/null
ninja -C build/release coral

CORAL=$PWD/build/release/coral
export CORAL_HOME=${CORAL_DEMO_HOME:-$PWD/build/demo-home}
export CORAL_AGENT_API_GRPC_PORT=${CORAL_AGENT_API_GRPC_PORT:-9001}
DEMO_PORT=${CORAL_DEMO_PORT:-8765}
step() { printf '\n\033[1m$ coral %s\033[0m\n' "$*"; }

mkdir -p "$CORAL_HOME"
cleanup() {
  if [ "${CORAL_DEMO_KEEP:-0}" != 1 ]; then
    "$CORAL" agent stop >/dev/null 2>&1 || true
    "$CORAL" colony stop >/dev/null 2>&1 || true
    [ -n "${WEB_PID:-}" ] && kill "$WEB_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

echo "Demo home: $CORAL_HOME"
"$CORAL" agent stop >/dev/null 2>&1 || true
"$CORAL" colony stop >/dev/null 2>&1 || true
step version
$CORAL version
step init shop --env dev --force
$CORAL init shop --env dev --force
step colony list
$CORAL colony list
step colony start
$CORAL colony start

# A demo service for the agent to find.
mkdir -p "$CORAL_HOME/www" && echo ok > "$CORAL_HOME/www/index.html"
python3 -m http.server "$DEMO_PORT" --bind 127.0.0.1 --directory "$CORAL_HOME/www" >/dev/null 2>&1 &
WEB_PID=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$DEMO_PORT") 2>/dev/null && break; sleep 0.1; done

step agent start
$CORAL agent start
step connect "web:$DEMO_PORT:/"
$CORAL connect "web:$DEMO_PORT:/"
step services
$CORAL services
step agent status
$CORAL agent status
# The agent registered over the mesh; the colony has called its API back.
for _ in $(seq 30); do
  $CORAL colony agents -o json | grep -q '"api_reachable": true' && break
  sleep 1
done
step colony agents
$CORAL colony agents
step status
$CORAL status
if [ "${CORAL_DEMO_KEEP:-0}" = 1 ]; then
  echo; echo "The colony and agent keep running: 'CORAL_HOME=$CORAL_HOME $CORAL agent stop' and"
  echo "'... colony stop' stop them."
fi

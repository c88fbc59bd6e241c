#!/usr/bin/env bash
# Coral's main job on the embedded default (DuckDB), on this machine:
# set-up, a release build, a colony running its WireGuard mesh, an agent on
# this host joined to it over the mesh, a small demo service connected with a
# health check, what the agent found, and a traced two-service application
# (scripts/demo_app.py: frontend -> backend, OTLP to the agent) under load whose
# traces reach the colony. Everything lives in a demo home; the colony, agent
# and demo services stop at the end (CORAL_DEMO_KEEP=1 leaves them running).
# WireGuard interfaces need root: it re-runs itself with sudo.
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
FRONTEND_PORT=${CORAL_DEMO_FRONTEND_PORT:-8781}
BACKEND_PORT=${CORAL_DEMO_BACKEND_PORT:-8782}
# The colony pulls from its agents every 2 s, so the demo's spans show soon.
export CORAL_COLONY_POLLER_INTERVAL=${CORAL_COLONY_POLLER_INTERVAL:-2s}
export CORAL_COLONY_SUMMARIES_INTERVAL=${CORAL_COLONY_SUMMARIES_INTERVAL:-2s}
# Where the demo application sends its spans: the agent's OTLP/HTTP receiver.
export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${CORAL_AGENT_OTLP_HTTP_PORT:-4318}
step() { printf '\n\033[1m$ coral %s\033[0m\n' "$*"; }

mkdir -p "$CORAL_HOME"
cleanup() {
  if [ "${CORAL_DEMO_KEEP:-0}" != 1 ]; then
    "$CORAL" agent stop >/dev/null 2>&1 || true
    "$CORAL" colony stop >/dev/null 2>&1 || true
    for pid in "${WEB_PID:-}" "${LOAD_PID:-}" "${FRONTEND_PID:-}" "${BACKEND_PID:-}"; do
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
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

# The traced application: the agent names each process by its OTEL_SERVICE_NAME.
OTEL_SERVICE_NAME=backend python3 scripts/demo_app.py backend --port "$BACKEND_PORT" \
  >"$CORAL_HOME/backend.log" 2>&1 &
BACKEND_PID=$!
OTEL_SERVICE_NAME=frontend python3 scripts/demo_app.py frontend --port "$FRONTEND_PORT" \
  --backend "http://127.0.0.1:$BACKEND_PORT" >"$CORAL_HOME/frontend.log" 2>&1 &
FRONTEND_PID=$!
for port in "$BACKEND_PORT" "$FRONTEND_PORT"; do
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
done
step connect "frontend:$FRONTEND_PORT:/"
$CORAL connect "frontend:$FRONTEND_PORT:/"
step connect "backend:$BACKEND_PORT:/healthz"
$CORAL connect "backend:$BACKEND_PORT:/healthz"
# A few requests a second (/ and /checkout) for as long as the demo runs.
python3 scripts/demo_app.py load --target "http://127.0.0.1:$FRONTEND_PORT" --rate 5 \
  --duration "${CORAL_DEMO_LOAD_SECONDS:-600}" >"$CORAL_HOME/load.log" 2>&1 &
LOAD_PID=$!
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
# The poller brings the agent's spans to the colony within a few intervals.
spans=0
for _ in $(seq 40); do
  spans=$($CORAL query sql "SELECT count(*) AS n FROM spans WHERE service_name = 'frontend'" \
    -o csv 2>/dev/null | tail -n 1 | tr -d '\r') || spans=0
  [ "${spans:-0}" -gt 0 ] 2>/dev/null && break
  sleep 1
done
echo; echo "The colony holds ${spans:-0} frontend spans."
step query traces --service frontend --limit 5
$CORAL query traces --service frontend --limit 5
# One slow checkout as a tree: frontend server -> frontend client -> backend.
trace=$($CORAL query traces --service frontend --min-duration 200ms --limit 1 -o csv \
  2>/dev/null | sed -n 2p | cut -d, -f1)
if [ -n "$trace" ]; then
  step query traces --trace-id "$trace"
  $CORAL query traces --trace-id "$trace"
fi
# The summaries follow the poller; give the load a minute to build up.
echo; echo "Letting the demo load build up (150 backend requests, at most 90 s)..."
for _ in $(seq 90); do
  # Only this run's minutes: an agent home kept from an earlier run still
  # holds that run's spans (1 h retention), outside the summary's window.
  n=$($CORAL query sql "SELECT coalesce(sum(requests), 0) AS n FROM service_minutes WHERE \
service_name = 'backend' AND minute_us >= $(date +%s)000000 - 240000000" \
    -o csv 2>/dev/null | tail -n 1 | tr -d '\r') || n=0
  [ "${n:-0}" -ge "${CORAL_DEMO_MIN_REQUESTS:-150}" ] 2>/dev/null && break
  sleep 1
done
step query topology --since 5m
$CORAL query topology --since 5m
# Which service is slow, and why: the finding points at the backend.
step query summary --since 5m
$CORAL query summary --since 5m
if [ "${CORAL_DEMO_KEEP:-0}" = 1 ]; then
  echo; echo "The colony and agent keep running: 'CORAL_HOME=$CORAL_HOME $CORAL agent stop' and"
  echo "'... colony stop' stop them; 'kill $LOAD_PID $FRONTEND_PID $BACKEND_PID $WEB_PID' stops the"
  echo "demo services and their load."
fi

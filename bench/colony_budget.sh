#!/usr/bin/env bash
# The colony's resource budget under overload and attack: a release colony
# (its WireGuard mesh needs root: the script re-runs itself with sudo) and a
# release agent on this host joined to it, pulled every 2 s, the colony watched
# every 100 ms from /proc (peak resident memory, open descriptors) through
# phases of BENCH_SECONDS (default 15) each:
#   idle            the agent pulled, nobody asking
#   2x overload     OTLP/gRPC to the agent at twice what one exporter gets
#                   accepted back to back (so the colony pulls that much),
#                   while 16 viewers ask the REST API back to back: summary,
#                   services, traces and SQL meant to exhaust memory (a
#                   600-million-row scan, a count of 200 million distinct values)
#   gzip bombs      20 gRPC requests of 1 MB that inflate to 1 GB, without a
#                   token, to the colony's local gRPC API
#   connection flood 4000 silent TCP connections to the public HTTPS port and
#                   1000 to the local gRPC API, held for the phase
#   after           nobody asking: what the colony gives back
# and prints, per phase, peak RSS beside the budget and the most descriptors
# held. The budget is the telemetry store's memory_limit (BENCH_MEMORY_LIMIT_MB,
# default 512, given in storage.url as a user would) plus 640 MB: the control
# store's 128 MB, pulled rows staged until a DuckDB row group per table is full
# (about 300 MB at 200 agents, bench/colony_scale.sh), pulled pages (at most
# 32 MB a response, poller.concurrency at once), answers in flight and the
# listeners' connections.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
PHASE_SECONDS=${BENCH_SECONDS:-15}
MEMORY_LIMIT_MB=${BENCH_MEMORY_LIMIT_MB:-512}
RSS_BUDGET_MB=$((MEMORY_LIMIT_MB + 640))

. bench/release_agent.sh
. bench/budget_lib.sh
coral=build/release/coral
export CORAL_HOME=$work/home
export CORAL_COLONY_API_GRPC_PORT=$(free_port) CORAL_COLONY_PUBLIC_PORT=$(free_port)
export CORAL_COLONY_WIREGUARD_PORT=$(free_port) CORAL_COLONY_POLLER_INTERVAL=2s
export CORAL_AGENT_WIREGUARD_PORT=$(free_port)
export CORAL_COLONY_PUBLIC_ENDPOINTS=127.0.0.1:$CORAL_COLONY_PUBLIC_PORT
id=$($coral init budget --env "bench$$" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
export CORAL_COLONY_STORAGE_URL="duckdb://$CORAL_HOME/colonies/$id/colony.duckdb?memory_limit=${MEMORY_LIMIT_MB}MB"
bench_cleanup() {
  kill "${watcher:-}" "${storm:-}" 2>/dev/null || true
  $coral colony stop >/dev/null 2>&1 || true
}
$coral colony start >/dev/null
colony=$(cat "$CORAL_HOME/colonies/$id/colony.pid")
start_release_agent
for _ in $(seq 120); do
  $coral colony agents -o json | grep -q '"rows_pulled": *[1-9]' && break
  sleep 0.5
done
viewer=$($coral colony token create --role viewer --name budget -o json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
soft_fds=$(awk '/Max open files/ {print $4}' "/proc/$colony/limits")
budget_watch "$colony"

phase idle; sleep "$PHASE_SECONDS"

rate=$(budget_overload_rate "$grpc")
phase "2x overload"
python3 - "$CORAL_COLONY_PUBLIC_PORT" "$CORAL_HOME/colonies/$id/ca.crt" "$viewer" \
  "$PHASE_SECONDS" >"$work/storm" <<'PY' &
import collections, json, ssl, sys, threading, time, urllib.error, urllib.request
port, ca, token, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
context = ssl.create_default_context(cafile=ca)
asks = [("summary", {"since": "1h"}), ("services", {}), ("traces", {"limit": 100}),
        ("sql", {"sql": "SELECT * FROM range(600000000)", "limit": 5}),
        ("sql", {"sql": "SELECT count(DISTINCT range) FROM range(200000000)"})]
codes, lock, end = collections.Counter(), threading.Lock(), time.time() + seconds
def viewer(k):
    i = k
    while time.time() < end:
        route, body = asks[i % len(asks)]
        i += 1
        req = urllib.request.Request(f"https://127.0.0.1:{port}/api/v1/{route}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=context, timeout=60) as r:
                r.read()
                code = r.status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception as e:
            code = type(e).__name__
        with lock:
            codes[code] += 1
threads = [threading.Thread(target=viewer, args=(k,)) for k in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(", ".join(f"{n} x {c}" for c, n in sorted(codes.items(), key=lambda x: -x[1])))
PY
storm=$!
over=$(build/release/bench/otlp_loadgen --protocol grpc --endpoint 127.0.0.1:$grpc \
  --seconds "$PHASE_SECONDS" --spans 512 --connections 8 --rate "$rate" --outstanding 64)
wait "$storm"

phase "gzip bombs"
budget_bombs 20 "$CORAL_COLONY_API_GRPC_PORT /coral.v1.ColonyService/GetStatus"
sleep 2

phase "connection flood"
budget_flood "$PHASE_SECONDS" "$CORAL_COLONY_PUBLIC_PORT:4000" "$CORAL_COLONY_API_GRPC_PORT:1000"

phase after; sleep "$PHASE_SECONDS"
phase end; sleep 0.3
answers=$($coral colony status -o json >/dev/null 2>&1 && echo yes || echo NO)
state=$($coral colony agents -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])')

echo "Colony resource budget: ${PHASE_SECONDS}s per phase, $(nproc) cores"
echo "budget: RSS ${RSS_BUDGET_MB} MB (telemetry store memory_limit ${MEMORY_LIMIT_MB} MB + 640 MB);" \
  "descriptors: soft limit ${soft_fds}, public HTTPS at most 1024 connections"
budget_report "$RSS_BUDGET_MB" idle "2x overload" "gzip bombs" "connection flood" after
echo "2x overload: OTLP to the agent: $(python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"offered {r['offered_spans_per_s']}/s, accepted {r['accepted_spans_per_s']}/s\")" "$over");" \
  "16 viewers' REST answers: $(cat "$work/storm")"
echo "the colony answers after the phases: $answers; the agent is $state"
echo "colony log: $(wc -c <"$CORAL_HOME/colonies/$id/colony.log") bytes"

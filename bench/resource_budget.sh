#!/usr/bin/env bash
# The agent's resource budget under overload and attack: a release `coral
# agent` (sampling keeps every span), watched every 100 ms from /proc (peak
# resident memory, open descriptors), through phases of BENCH_SECONDS
# (default 15) each:
#   idle            nothing sent
#   2x overload     OTLP/gRPC open loop at twice what one exporter gets
#                   accepted back to back (bench/otlp_loadgen)
#   gzip bombs      20 requests of 1 MB that inflate to 1 GB, without a token,
#                   to the OTLP/gRPC port and to the API port
#   connection flood 4000 silent TCP connections to OTLP/HTTP and 1000 to
#                   the API port, held for the phase
#   after           nothing sent: what the agent gives back
# and prints, per phase, peak RSS beside the budget (256 MB: DuckDB's 64 MB
# ceiling, OTLP requests in flight up to otlp.max_inflight_requests, staged
# spans) and the most descriptors held beside what bounds them (OTLP/HTTP
# holds at most 1024 connections; gRPC 1.51 has no cap, it sheds silent
# connections after 10 s; the soft limit the agent raised itself to).
set -euo pipefail
cd "$(dirname "$0")/.."
PHASE_SECONDS=${BENCH_SECONDS:-15}
RSS_BUDGET_MB=256

. bench/release_agent.sh
start_release_agent
soft_fds=$(awk '/Max open files/ {print $4}' "/proc/$agent/limits")

. bench/budget_lib.sh
budget_watch "$agent"
bench_cleanup() { kill "$watcher" 2>/dev/null; }

phase idle; sleep "$PHASE_SECONDS"

rate=$(budget_overload_rate "$grpc")
phase "2x overload"
over=$(build/release/bench/otlp_loadgen --protocol grpc --endpoint 127.0.0.1:$grpc \
  --seconds "$PHASE_SECONDS" --spans 512 --connections 8 --rate "$rate" --outstanding 64)

phase "gzip bombs"
budget_bombs 10 "$grpc /opentelemetry.proto.collector.trace.v1.TraceService/Export" \
  "$api /coral.v1.AgentService/GetRuntimeContext"
sleep 2

phase "connection flood"
budget_flood "$PHASE_SECONDS" "$http:4000" "$api:1000"

phase after; sleep "$PHASE_SECONDS"
phase end; sleep 0.3
answers=$(CORAL_HOME=$work/home CORAL_AGENT_API_GRPC_PORT=$api build/release/coral agent status -o json \
  >/dev/null 2>&1 && echo yes || echo NO)

echo "Agent resource budget: ${PHASE_SECONDS}s per phase, $(nproc) cores"
echo "budget: RSS ${RSS_BUDGET_MB} MB; descriptors: soft limit ${soft_fds}, OTLP/HTTP at most 1024 connections"
budget_report "$RSS_BUDGET_MB" idle "2x overload" "gzip bombs" "connection flood" after
echo "2x overload: $(python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"offered {r['offered_spans_per_s']}/s, accepted {r['accepted_spans_per_s']}/s, overloaded answers {r['overloaded_requests']}\")" "$over")"
echo "the agent answers its API after the phases: $answers"
echo "agent log: $(wc -c <"$work/agent.log") bytes"

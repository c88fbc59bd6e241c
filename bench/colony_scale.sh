#!/usr/bin/env bash
# The colony at fleet scale (issue #7): BENCH_AGENTS simulated agents (default
# 200) x BENCH_SERVICES services each (default 20) polled by the real Poller
# with the real Summarizer into DuckDB and ClickHouse side by side (a
# clickhouse-server started on loopback, or BENCH_CLICKHOUSE_URL; skipped with
# a message when clickhouse-server is not installed). Prints, per backend:
#   backfill    the fleet's last BENCH_HISTORY_MIN minutes (default 5) pulled
#               as fast as the colony can, summarizer running beside it:
#               rows/s ingested (target >= 200,000), then the summarizer's
#               catch-up;
#   steady      BENCH_STEADY_CYCLES poll cycles (default 3) of 15 s of fleet
#               data each: time to pull every agent once (must stay well under
#               the 15 s poll interval) and the summarizer run after it;
#   query       BENCH_QUERY_RUNS runs (default 50) of the 1 h summary over the
#               whole fleet: p50 / p99 (target p99 < 100 ms on DuckDB);
#   rss         the colony process's peak and final RSS, and clickhouse-server's;
#               on DuckDB beside the colony's budget: the store's memory_limit
#               (BENCH_MEMORY_LIMIT_MB, default 512, as storage.url sets it; 0
#               for the colony's default, a quarter of RAM from 256 MB to 2 GB)
#               plus 640 MB (bench/colony_budget.sh says what it holds).
# The agents are simulated in-process (an AgentSource building the pages an
# agent's QueryTable answers; no gRPC, TLS or protobuf serialization); the CPU
# time spent building pages is shown apart. Each service runs on
# BENCH_REPLICAS agents (default 10: 400 distinct services at 200 x 20).
# The default history is 5 minutes so that both backends run in ~10 minutes
# on 2 cores; BENCH_HISTORY_MIN=60 fills the whole hour the summary covers
# (DuckDB alone then takes ~20 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
AGENTS=${BENCH_AGENTS:-200}
SERVICES=${BENCH_SERVICES:-20}
REPLICAS=${BENCH_REPLICAS:-10}
HISTORY=${BENCH_HISTORY_MIN:-5}
CYCLES=${BENCH_STEADY_CYCLES:-3}
RUNS=${BENCH_QUERY_RUNS:-50}
BACKENDS=${BENCH_BACKENDS:-duckdb clickhouse}
MEMORY_LIMIT_MB=${BENCH_MEMORY_LIMIT_MB:-512}

if [ -z "${BENCH_NO_SETUP:-}" ]; then scripts/setup.sh >/dev/null; fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORAL_BUILD_TESTS=OFF \
  -DCORAL_BUILD_BENCH=ON >/dev/null
ninja -C build/release -j1 colony_scale >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "colony at scale: $AGENTS agents x $SERVICES services (each on $REPLICAS agents)," \
  "${HISTORY} min of history, $CYCLES steady cycles, $RUNS summary queries; $(nproc) cores"
echo "agents simulated in-process (AgentSource, no gRPC); per agent: 50 spans/s, processes," \
  "services, connections, host metrics, health events"
for backend in $BACKENDS; do
  if [ "$backend" = clickhouse ] && [ -z "${BENCH_CLICKHOUSE_URL:-}" ] &&
    ! command -v clickhouse-server >/dev/null; then
    echo "clickhouse: skipped (clickhouse-server is not installed; scripts/setup.sh installs it)"
    continue
  fi
  echo "running $backend ..." >&2
  build/release/bench/colony_scale --backend "$backend" --agents "$AGENTS" --services "$SERVICES" \
    --replicas "$REPLICAS" --history-min "$HISTORY" --steady-cycles "$CYCLES" \
    --query-runs "$RUNS" ${BENCH_CLICKHOUSE_URL:+--clickhouse-url "$BENCH_CLICKHOUSE_URL"} \
    $([ "$MEMORY_LIMIT_MB" != 0 ] && echo --memory-limit "${MEMORY_LIMIT_MB}MB") \
    >"$work/$backend.json" 2>"$work/$backend.log" || { cat "$work/$backend.log" >&2; exit 1; }
done

python3 - "$work" $BACKENDS <<'PY'
import json, os, sys
work, backends = sys.argv[1], sys.argv[2:]
runs = {}
for b in backends:
    p = os.path.join(work, b + ".json")
    if os.path.exists(p):
        runs[b] = json.loads(open(p).read().strip().splitlines()[-1])
cols = [b for b in backends if b in runs and "skipped" not in runs[b]]
for b in backends:
    if b in runs and "skipped" in runs[b]:
        print(f"{b}: skipped ({runs[b]['skipped']})")
if not cols:
    sys.exit(0)
def budget(d):  # the colony's: its DuckDB's memory_limit + 640 MB
    limit = d.get("store_memory_limit", "-")
    return int(limit[:-2]) + 640 if limit.endswith("MB") else None
def num(v, fmt):
    return "-" if v is None or v < 0 else format(v, fmt)
rows = [
    ("distinct services", lambda d: str(d["distinct_services"])),
    ("backfill rows", lambda d: f"{d['backfill_rows']:,}"),
    ("backfill wall s", lambda d: num(d["backfill_s"], ".1f")),
    ("  rows/s ingested", lambda d: f"{d['backfill_rows_per_s']:,.0f}"),
    ("  simulator cpu s", lambda d: num(d["backfill_sim_cpu_s"], ".1f")),
    ("  in poller writes s*", lambda d: num(d["backfill_time"]["append_s"], ".1f")),
    ("    summary notes s*", lambda d: num(d["backfill_time"]["summary_note_s"], ".1f")),
    ("  in summarizer s*", lambda d: num(d["backfill_time"]["summarizer_tx_s"], ".1f")),
    ("summarizer catch-up s", lambda d: num(d["summarizer_catchup_s"], ".1f")),
    ("steady rows/cycle (15 s)", lambda d: f"{d['steady_rows_per_cycle']:,}"),
    ("poll-cycle p50 s", lambda d: num(d["cycle_p50_s"], ".2f")),
    ("poll-cycle max s", lambda d: num(d["cycle_max_s"], ".2f")),
    ("  rows/s while polling", lambda d: f"{d['steady_rows_per_s']:,.0f}"),
    ("summarizer run p50 s", lambda d: num(d["summarizer_run_p50_s"], ".2f")),
    ("1 h summary p50 ms", lambda d: num(d["query_p50_ms"], ".1f")),
    ("1 h summary p99 ms", lambda d: num(d["query_p99_ms"], ".1f")),
    ("  services / findings", lambda d: f"{d['summary_services']} / {d['summary_findings']}"),
    ("store memory_limit", lambda d: d.get("store_memory_limit", "-")),
    ("colony RSS budget MB", lambda d: budget(d) or "-"),
    ("colony RSS peak MB", lambda d: num(d["rss_peak_mb"], ".0f") +
        ("" if not budget(d) else " within" if d["rss_peak_mb"] <= budget(d) else " OVER")),
    ("colony RSS end MB", lambda d: num(d["rss_end_mb"], ".0f")),
    ("server RSS peak MB", lambda d: num(d["server_rss_peak_mb"], ".0f")),
    ("server RSS end MB", lambda d: num(d["server_rss_end_mb"], ".0f")),
]
print(f"{'':26}" + "".join(f"{c:>14}" for c in cols))
for label, f in rows:
    print(f"{label:26}" + "".join(f"{f(runs[c]):>14}" for c in cols))
print("* wall time summed over the poller's threads (4 workers on 2 cores)")
print("targets: 1 h summary p99 < 100 ms on DuckDB at 200 agents; ingest >= 200,000 rows/s;")
print("         a poll cycle well under the 15 s interval")
PY

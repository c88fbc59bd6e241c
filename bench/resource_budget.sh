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
soft_fds=$(awk '/Max open files/ {print $4}' "/proc/$agent/limits")

# The watcher appends "phase rss_kb fds" every 100 ms; the phase is a file.
echo start >"$work/phase"
python3 - "$agent" "$work/phase" "$work/samples" <<'EOF' &
import os, sys, time
pid, phase_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
with open(out, "w") as f:
    while os.path.exists(f"/proc/{pid}"):
        try:
            rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))
            fds = len(os.listdir(f"/proc/{pid}/fd"))
            f.write(f"{open(phase_file).read().strip()} {rss} {fds}\n")
            f.flush()
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            break
        time.sleep(0.1)
EOF
watcher=$!
bench_cleanup() { kill "$watcher" 2>/dev/null; }

phase() { echo "$1" >"$work/phase"; }

# A 1 MB gzip stream of 1 GB of zeros in a gRPC frame (compressed flag, length).
python3 - "$work/bomb" <<'EOF'
import struct, sys, zlib
c = zlib.compressobj(9, zlib.DEFLATED, 31)
chunk, body = bytes(1 << 20), bytearray()
for _ in range(1024):
    body += c.compress(chunk)
body += c.flush()
open(sys.argv[1], "wb").write(b"\x01" + struct.pack(">I", len(body)) + body)
EOF

phase idle; sleep "$PHASE_SECONDS"

phase measure
normal=$(build/release/bench/otlp_loadgen --protocol grpc --endpoint 127.0.0.1:$grpc \
  --seconds 5 --spans 512 --connections 1)
rate=$(python3 -c "import json,sys; print(int(2 * json.loads(sys.argv[1])['accepted_spans_per_s']))" "$normal")
phase "2x overload"
over=$(build/release/bench/otlp_loadgen --protocol grpc --endpoint 127.0.0.1:$grpc \
  --seconds "$PHASE_SECONDS" --spans 512 --connections 8 --rate "$rate" --outstanding 64)

phase "gzip bombs"
for i in $(seq 10); do
  for target in "$grpc /opentelemetry.proto.collector.trace.v1.TraceService/Export" \
    "$api /coral.v1.AgentService/GetRuntimeContext"; do
    set -- $target
    curl -sS --http2-prior-knowledge -o /dev/null -H 'content-type: application/grpc' \
      -H 'grpc-encoding: gzip' -H 'te: trailers' --data-binary "@$work/bomb" \
      "http://127.0.0.1:$1$2" 2>/dev/null || true
  done
done
sleep 2

phase "connection flood"
python3 - "$http" "$api" "$PHASE_SECONDS" <<'EOF'
import resource, socket, sys, time
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))
http, api, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
held = []
for port, n in ((http, 4000), (api, 1000)):
    for i in range(n):
        s = socket.socket()
        s.bind((f"127.0.{1 + i // 250}.{2 + i % 250}", 0))
        try:
            s.connect(("127.0.0.1", port))
            held.append(s)
        except OSError:
            s.close()
time.sleep(seconds)
EOF

phase after; sleep "$PHASE_SECONDS"
phase end; sleep 0.3
answers=$(CORAL_HOME=$work/home CORAL_AGENT_API_GRPC_PORT=$api build/release/coral agent status -o json \
  >/dev/null 2>&1 && echo yes || echo NO)

echo "Agent resource budget: ${PHASE_SECONDS}s per phase, $(nproc) cores"
echo "budget: RSS ${RSS_BUDGET_MB} MB; descriptors: soft limit ${soft_fds}, OTLP/HTTP at most 1024 connections"
printf '%-18s %12s %10s %10s\n' phase "peak RSS MB" "budget" "max fds"
for p in idle "2x overload" "gzip bombs" "connection flood" after; do
  awk -v p="$p" -v rss="$RSS_BUDGET_MB" '
    { phase = $0; sub(/ [0-9]+ [0-9]+$/, "", phase); n = split($0, f, " ") }
    phase == p { if (f[n-1] > r) r = f[n-1]; if (f[n] > d) d = f[n] }
    END { printf "%-18s %12.0f %10s %10d\n", p, r / 1024, (r / 1024 <= rss ? "within" : "OVER"), d }' \
    "$work/samples"
done
echo "2x overload: $(python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"offered {r['offered_spans_per_s']}/s, accepted {r['accepted_spans_per_s']}/s, overloaded answers {r['overloaded_requests']}\")" "$over")"
echo "the agent answers its API after the phases: $answers"
echo "agent log: $(wc -c <"$work/agent.log") bytes"

# Sourced by the resource budget benchmarks, after $work is set: a watcher
# sampling one process's resident memory and open descriptors every 100 ms
# under the current phase, the attacks they share (gzip-bomb gRPC requests, a
# connection flood) and the report of peak figures per phase.

# budget_watch PID: starts the watcher (its pid in $watcher); it appends
# "phase rss_kb fds" to $work/samples until PID exits.
budget_watch() {
  echo start >"$work/phase"
  python3 - "$1" "$work/phase" "$work/samples" <<'PY' &
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
PY
  watcher=$!
}

phase() { echo "$1" >"$work/phase"; }

# budget_overload_rate OTLP_GRPC_PORT: twice the spans/s one exporter gets
# accepted sending back to back for 5 s (bench/otlp_loadgen), under phase
# "measure" so the report leaves it out.
budget_overload_rate() {
  phase measure
  build/release/bench/otlp_loadgen --protocol grpc --endpoint "127.0.0.1:$1" \
    --seconds 5 --spans 512 --connections 1 |
    python3 -c "import json,sys; print(int(2 * json.load(sys.stdin)['accepted_spans_per_s']))"
}

# budget_bombs ROUNDS "PORT PATH"...: each round sends every target a 1 MB
# gzip stream of 1 GB of zeros as one gRPC message, without a token.
budget_bombs() {
  local rounds=$1 target
  shift
  if [ ! -f "$work/bomb" ]; then
    python3 - "$work/bomb" <<'PY'
import struct, sys, zlib
c = zlib.compressobj(9, zlib.DEFLATED, 31)
chunk, body = bytes(1 << 20), bytearray()
for _ in range(1024):
    body += c.compress(chunk)
body += c.flush()
open(sys.argv[1], "wb").write(b"\x01" + struct.pack(">I", len(body)) + body)
PY
  fi
  for _ in $(seq "$rounds"); do
    for target in "$@"; do
      curl -sS --http2-prior-knowledge -o /dev/null -H 'content-type: application/grpc' \
        -H 'grpc-encoding: gzip' -H 'te: trailers' --data-binary "@$work/bomb" \
        "http://127.0.0.1:${target%% *}${target#* }" 2>/dev/null || true
    done
  done
}

# budget_flood SECONDS PORT:COUNT...: holds COUNT silent TCP connections to
# each port on 127.0.0.1 for SECONDS, from many loopback source addresses (so
# per-client caps see many clients).
budget_flood() {
  python3 - "$@" <<'PY'
import resource, socket, sys, time
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))
seconds, held, k = float(sys.argv[1]), [], 0
for spec in sys.argv[2:]:
    port, n = (int(x) for x in spec.split(":"))
    for i in range(n):
        s = socket.socket()
        s.bind((f"127.0.{1 + k // 250}.{2 + k % 250}", 0))
        k += 1
        try:
            s.connect(("127.0.0.1", port))
            held.append(s)
        except OSError:
            s.close()
time.sleep(seconds)
PY
}

# budget_report BUDGET_MB PHASE...: per phase, peak RSS beside the budget and
# the most descriptors held.
budget_report() {
  local budget=$1 p
  shift
  printf '%-18s %12s %10s %10s\n' phase "peak RSS MB" "budget" "max fds"
  for p in "$@"; do
    awk -v p="$p" -v rss="$budget" '
      { phase = $0; sub(/ [0-9]+ [0-9]+$/, "", phase); n = split($0, f, " ") }
      phase == p { if (f[n-1] > r) r = f[n-1]; if (f[n] > d) d = f[n] }
      END { printf "%-18s %12.0f %10s %10d\n", p, r / 1024, (r / 1024 <= rss ? "within" : "OVER"), d }' \
      "$work/samples"
  done
}

# Sourced by the agent benchmarks (from the repository root): set-up unless
# BENCH_NO_SETUP, a release build of coral and otlp_loadgen, and a release
# `coral agent` in a temporary home on free ports (sampling keeps every span),
# stopped and its home removed on exit. Sets work, agent (its pid), api,
# grpc, http; a script that starts more processes kills them in a function
# bench_cleanup, which the exit trap calls first when it is defined.
if [ -z "${BENCH_NO_SETUP:-}" ]; then scripts/setup.sh >/dev/null; fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORAL_BUILD_TESTS=OFF \
  -DCORAL_BUILD_BENCH=ON >/dev/null
ninja -C build/release -j1 coral otlp_loadgen >/dev/null

work=$(mktemp -d)
agent=""
release_agent_cleanup() {
  if declare -F bench_cleanup >/dev/null; then bench_cleanup || true; fi
  if [ -n "$agent" ]; then kill "$agent" 2>/dev/null || true; wait "$agent" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap release_agent_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api=$(free_port); grpc=$(free_port); http=$(free_port)
CORAL_HOME=$work/home CORAL_AGENT_API_GRPC_PORT=$api \
  CORAL_AGENT_OTLP_GRPC_PORT=$grpc CORAL_AGENT_OTLP_HTTP_PORT=$http \
  CORAL_AGENT_OTLP_SAMPLING_KEEP_PERCENT=100 \
  build/release/coral agent start --foreground >"$work/agent.out" 2>"$work/agent.log" &
agent=$!
for _ in $(seq 300); do grep -q agent_id "$work/agent.out" 2>/dev/null && break; sleep 0.1; done
grep -q agent_id "$work/agent.out" || { cat "$work/agent.log" >&2; exit 1; }
sleep 2  # past start-up

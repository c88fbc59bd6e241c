# Sourced by the benchmarks that run a real agent (from the repository root):
# set-up unless BENCH_NO_SETUP, a release build of coral and otlp_loadgen, a
# temporary home ($work/home) and free ports for the agent (api, grpc, http),
# removed on exit. start_release_agent then starts a release `coral agent` in
# that home (sampling keeps every span; it joins the colony of the home when
# one runs there) and sets agent (its pid); the exit trap stops it. A script
# that starts more processes stops them in a function bench_cleanup, which
# the exit trap calls first when it is defined.
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
start_release_agent() {
  CORAL_HOME=$work/home CORAL_AGENT_API_GRPC_PORT=$api \
    CORAL_AGENT_OTLP_GRPC_PORT=$grpc CORAL_AGENT_OTLP_HTTP_PORT=$http \
    CORAL_AGENT_OTLP_SAMPLING_KEEP_PERCENT=100 \
    build/release/coral agent start --foreground >"$work/agent.out" 2>"$work/agent.log" &
  agent=$!
  for _ in $(seq 300); do grep -q agent_id "$work/agent.out" 2>/dev/null && break; sleep 0.1; done
  grep -q agent_id "$work/agent.out" || { cat "$work/agent.log" >&2; exit 1; }
  sleep 2  # past start-up
}

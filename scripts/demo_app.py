#!/usr/bin/env python3
"""A small traced application for the demo: two HTTP services and a load driver.

    demo_app.py backend  --port 8782
    demo_app.py frontend --port 8781 --backend http://127.0.0.1:8782
    demo_app.py load     --target http://127.0.0.1:8781 --rate 5 --duration 60

frontend serves / (calls the backend's /fast) and /checkout (calls /slow);
backend serves /fast (a few ms), /slow (0.6-1.2 s, fails ~5% of the time) and
/healthz. Every request gets a server span, every call to the backend a client
span that is the parent of the backend's server span (W3C traceparent). Spans
go to the local Coral agent as OTLP/HTTP JSON, batched once a second from a
background thread; when the agent is not there the service says so once on
stderr and carries on.

The service name is OTEL_SERVICE_NAME when set (the agent reads it from the
process environment too), else the role. The OTLP endpoint is --otlp-endpoint,
else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT +
/v1/traces, else http://127.0.0.1:4318/v1/traces.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KIND_SERVER = 2
KIND_CLIENT = 3
STATUS_ERROR = 2
MAX_BUFFERED_SPANS = 10_000


def otlp_endpoint(flag):
    if flag:
        return flag
    if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
    return "http://127.0.0.1:4318/v1/traces"


def attribute(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def parse_traceparent(header):
    """(trace_id, parent_span_id) from a W3C traceparent, or (None, None)."""
    parts = (header or "").strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None, None
    try:
        int(parts[1], 16), int(parts[2], 16)
    except ValueError:
        return None, None
    if set(parts[1]) == {"0"} or set(parts[2]) == {"0"}:
        return None, None
    return parts[1].lower(), parts[2].lower()


class Span:
    def __init__(self, tracer, name, kind, trace_id=None, parent_span_id=None):
        self.tracer = tracer
        self.name = name
        self.kind = kind
        self.trace_id = trace_id or os.urandom(16).hex()
        self.span_id = os.urandom(8).hex()
        self.parent_span_id = parent_span_id
        self.start_ns = time.time_ns()
        self.end_ns = None
        self.attributes = {}
        self.error = None

    def traceparent(self):
        return f"00-{self.trace_id}-{self.span_id}-01"

    def fail(self, message):
        self.error = message

    def end(self):
        self.end_ns = time.time_ns()
        self.tracer.finished(self)

    def to_otlp(self):
        span = {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "name": self.name,
            "kind": self.kind,
            "startTimeUnixNano": str(self.start_ns),
            "endTimeUnixNano": str(self.end_ns),
            "attributes": [attribute(k, v) for k, v in self.attributes.items()],
            "status": {"code": STATUS_ERROR, "message": self.error} if self.error else {},
        }
        if self.parent_span_id:
            span["parentSpanId"] = self.parent_span_id
        return span


class Tracer:
    """Keeps finished spans and exports them once a second from its own thread."""

    def __init__(self, service, endpoint, interval=1.0):
        self.service = service
        self.endpoint = endpoint
        self.interval = interval
        self.lock = threading.Lock()  # guards spans, dropped
        self.spans = []
        self.dropped = 0
        self.failing = False  # the last export failed (and that was said once)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, name="otlp-export", daemon=True)
        self.thread.start()

    def start_span(self, name, kind, trace_id=None, parent_span_id=None):
        return Span(self, name, kind, trace_id, parent_span_id)

    def finished(self, span):
        with self.lock:
            if len(self.spans) >= MAX_BUFFERED_SPANS:
                self.spans.pop(0)
                self.dropped += 1
            self.spans.append(span)

    def run(self):
        while not self.stop_event.wait(self.interval):
            self.export()

    def shutdown(self):
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.export()

    def export(self):
        with self.lock:
            batch, self.spans = self.spans, []
        if not batch:
            return
        body = json.dumps({
            "resourceSpans": [{
                "resource": {"attributes": [
                    attribute("service.name", self.service),
                    attribute("service.instance.id", f"{os.uname().nodename}-{os.getpid()}"),
                    attribute("telemetry.sdk.name", "coral-demo-app"),
                    attribute("telemetry.sdk.language", "python"),
                ]},
                "scopeSpans": [{
                    "scope": {"name": "coral-demo-app", "version": "1"},
                    "spans": [s.to_otlp() for s in batch],
                }],
            }]
        }).encode()
        request = urllib.request.Request(
            self.endpoint, data=body, method="POST",
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
            if self.failing:
                print(f"{self.service}: exporting spans to {self.endpoint} works again",
                      file=sys.stderr, flush=True)
            self.failing = False
        except (urllib.error.URLError, OSError, ValueError) as e:
            # The spans are dropped: a demo keeps no backlog for an absent agent.
            if not self.failing:
                print(f"{self.service}: cannot export spans to {self.endpoint}: {e} "
                      "(is the Coral agent running? retrying quietly)",
                      file=sys.stderr, flush=True)
            self.failing = True


class Handler(BaseHTTPRequestHandler):
    """One server span per request; routes come from the server's `routes`."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        tracer = self.server.tracer
        trace_id, parent = parse_traceparent(self.headers.get("traceparent"))
        span = tracer.start_span(f"GET {path}", KIND_SERVER, trace_id, parent)
        span.attributes.update({"http.method": "GET", "http.route": path,
                                "http.target": self.path})
        route = self.server.routes.get(path)
        if route is None:
            status, text = 404, "not found\n"
        else:
            try:
                status, text = route(span)
            except Exception as e:  # a bug in a route must still answer and end its span
                status, text = 500, f"internal error: {e}\n"
        if status >= 500:
            span.fail(text.strip())
        span.attributes["http.status_code"] = status
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        span.end()

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)


def call(tracer, parent, url):
    """GET url inside a client span, child of `parent`: (status, body)."""
    span = tracer.start_span(f"GET {urllib.parse.urlparse(url).path}", KIND_CLIENT,
                             parent.trace_id, parent.span_id)
    span.attributes.update({"http.method": "GET", "http.url": url})
    request = urllib.request.Request(url, headers={"traceparent": span.traceparent()})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    except (urllib.error.URLError, OSError) as e:
        status, body = 502, f"backend unreachable: {e}"
    span.attributes["http.status_code"] = status
    if status >= 500:
        span.fail(f"backend answered {status}")
    span.end()
    return status, body


def backend_routes(rng):
    def fast(span):
        time.sleep(rng.uniform(0.002, 0.008))
        return 200, "fast\n"

    def slow(span):
        time.sleep(rng.uniform(0.6, 1.2))
        if rng.random() < 0.05:
            return 500, "inventory lookup timed out\n"
        return 200, "slow\n"

    return {"/fast": fast, "/slow": slow, "/healthz": lambda span: (200, "ok\n")}


def frontend_routes(tracer, backend):
    def forward(path, ok_text):
        def route(span):
            status, body = call(tracer, span, backend.rstrip("/") + path)
            if status >= 400:
                return 502, f"backend {path}: {status} {body.strip()}\n"
            return 200, ok_text
        return route

    return {"/": forward("/fast", "welcome\n"), "/checkout": forward("/slow", "ordered\n"),
            "/healthz": lambda span: (200, "ok\n")}


def serve(role, args):
    service = os.environ.get("OTEL_SERVICE_NAME") or role
    tracer = Tracer(service, otlp_endpoint(args.otlp_endpoint), args.export_interval)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.tracer = tracer
    server.verbose = args.verbose
    server.routes = (backend_routes(random.Random()) if role == "backend"
                     else frontend_routes(tracer, args.backend))
    host, port = server.server_address[:2]
    print(f"{service} ({role}) listening on http://{host}:{port}, spans to {tracer.endpoint}",
          flush=True)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        tracer.shutdown()
    return 0


def load(args):
    """Drives the frontend at a fixed rate: 70% /, 30% /checkout."""
    rng = random.Random()
    counts = {"ok": 0, "error": 0}
    lock = threading.Lock()  # guards counts

    def one(path):
        try:
            with urllib.request.urlopen(args.target.rstrip("/") + path, timeout=10) as r:
                r.read()
            outcome = "ok"
        except (urllib.error.URLError, OSError):
            outcome = "error"
        with lock:
            counts[outcome] += 1

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    total = int(args.rate * args.duration)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        for i in range(total):
            # A fixed schedule, so slow answers do not lower the offered rate.
            delay = start + i / args.rate - time.monotonic()
            if stopping.wait(max(delay, 0)):
                break
            pool.submit(one, "/checkout" if rng.random() < 0.3 else "/")
    print(f"load: {counts['ok']} ok, {counts['error']} failed, to {args.target}", flush=True)
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    roles = parser.add_subparsers(dest="role", required=True)
    for role, port in (("frontend", 8781), ("backend", 8782)):
        p = roles.add_parser(role, help=f"run the {role} service")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=port, help="0 picks a free port")
        p.add_argument("--otlp-endpoint", help="OTLP/HTTP JSON traces URL")
        p.add_argument("--export-interval", type=float, default=1.0, help="seconds")
        p.add_argument("--verbose", action="store_true", help="log every request")
        if role == "frontend":
            p.add_argument("--backend", default="http://127.0.0.1:8782")
    p = roles.add_parser("load", help="send requests to the frontend")
    p.add_argument("--target", default="http://127.0.0.1:8781")
    p.add_argument("--rate", type=float, default=5, help="requests per second")
    p.add_argument("--duration", type=float, default=60, help="seconds")
    args = parser.parse_args(argv)
    if args.role == "load":
        if args.rate <= 0 or args.duration < 0:
            parser.error("--rate must be above 0 and --duration not negative")
        return load(args)
    return serve(args.role, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""scripts/demo_app.py end to end: backend and frontend on free ports export to
an OTLP/HTTP sink in this process; the spans of each request must form one
trace, frontend server -> frontend client -> backend server, with the OTLP
JSON the agent's decoder reads. And a service whose agent is absent says so
once and keeps serving.

Usage: demo_app_test.py [path/to/demo_app.py]
"""

import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "..", "..", "scripts", "demo_app.py")


class Sink(BaseHTTPRequestHandler):
    """Keeps every span of every POST /v1/traces, with its service name."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = self.path == "/v1/traces" and self.headers["Content-Type"] == "application/json"
        if ok:
            request = json.loads(body)
            with self.server.lock:
                for rs in request["resourceSpans"]:
                    attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
                    service = attrs["service.name"]["stringValue"]
                    for ss in rs["scopeSpans"]:
                        for span in ss["spans"]:
                            self.server.spans.append((service, span))
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, fmt, *args):
        pass


def start(role, env_service, *args):
    env = dict(os.environ, OTEL_SERVICE_NAME=env_service)
    p = subprocess.Popen([sys.executable, APP, role, "--port", "0", *args], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()  # "... listening on http://127.0.0.1:PORT, spans to ..."
    if "listening on " not in line:
        p.kill()
        raise AssertionError(f"{role} did not start: {line}{p.stderr.read()}")
    url = line.split("listening on ", 1)[1].split(",", 1)[0]
    return p, url


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


class DemoAppTest(unittest.TestCase):
    def setUp(self):
        self.sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        self.sink.lock = threading.Lock()  # guards spans
        self.sink.spans = []
        threading.Thread(target=self.sink.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.sink.server_address[1]}/v1/traces"
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()
        self.sink.shutdown()
        self.sink.server_close()

    def wait_for_spans(self, n, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.sink.lock:
                if len(self.sink.spans) >= n:
                    return list(self.sink.spans)
            time.sleep(0.1)
        with self.sink.lock:
            self.fail(f"expected {n} spans, got {len(self.sink.spans)}: {self.sink.spans}")

    def test_each_request_is_one_trace_across_both_services(self):
        backend, backend_url = start("backend", "inventory", "--otlp-endpoint", self.endpoint)
        self.procs.append(backend)
        frontend, frontend_url = start("frontend", "shop", "--otlp-endpoint", self.endpoint,
                                       "--backend", backend_url)
        self.procs.append(frontend)
        self.assertEqual(get(frontend_url + "/"), 200)
        self.assertIn(get(frontend_url + "/checkout"), (200, 502))  # /slow fails 5% of the time
        self.assertEqual(get(backend_url + "/healthz"), 200)
        self.assertEqual(get(frontend_url + "/nowhere"), 404)
        spans = self.wait_for_spans(8)  # 3 + 3 + 1 + 1

        for service, span in spans:
            self.assertRegex(span["traceId"], r"^[0-9a-f]{32}$")
            self.assertRegex(span["spanId"], r"^[0-9a-f]{16}$")
            self.assertIsInstance(span["startTimeUnixNano"], str)
            self.assertLessEqual(int(span["startTimeUnixNano"]), int(span["endTimeUnixNano"]))
        by_trace = {}
        for service, span in spans:
            by_trace.setdefault(span["traceId"], []).append((service, span))
        chains = []
        for trace in by_trace.values():
            if len(trace) != 3:
                continue
            spans_by_id = {s["spanId"]: (svc, s) for svc, s in trace}
            roots = [(svc, s) for svc, s in trace if "parentSpanId" not in s]
            self.assertEqual(len(roots), 1, trace)
            chain = [roots[0]]
            while len(chain) < 3:
                parent_id = chain[-1][1]["spanId"]
                children = [(svc, s) for svc, s in trace if s.get("parentSpanId") == parent_id]
                self.assertEqual(len(children), 1, trace)
                chain.append(children[0])
            for svc, s in chain[1:]:
                self.assertIn(s["parentSpanId"], spans_by_id)
            chains.append([(svc, s["kind"], s["name"]) for svc, s in chain])
        self.assertIn([("shop", 2, "GET /"), ("shop", 3, "GET /fast"), ("inventory", 2, "GET /fast")],
                      chains)
        self.assertIn([("shop", 2, "GET /checkout"), ("shop", 3, "GET /slow"),
                       ("inventory", 2, "GET /slow")], chains)
        slow = [s for svc, s in spans if svc == "inventory" and s["name"] == "GET /slow"][0]
        took_ms = (int(slow["endTimeUnixNano"]) - int(slow["startTimeUnixNano"])) / 1e6
        self.assertGreaterEqual(took_ms, 600)
        missing = [s for svc, s in spans if s["name"] == "GET /nowhere"][0]
        self.assertNotIn("parentSpanId", missing)

    def test_an_absent_agent_is_reported_once_and_the_service_keeps_serving(self):
        closed = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        port = closed.server_address[1]
        closed.server_close()  # nothing listens there now
        backend, url = start("backend", "inventory", "--otlp-endpoint",
                             f"http://127.0.0.1:{port}/v1/traces", "--export-interval", "0.2")
        self.procs.append(backend)
        for _ in range(5):
            self.assertEqual(get(url + "/fast"), 200)
            time.sleep(0.3)
        backend.terminate()
        backend.wait(timeout=10)
        errors = [l for l in backend.stderr.read().splitlines() if "cannot export" in l]
        self.assertEqual(len(errors), 1, errors)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].endswith(".py"):
        APP = sys.argv.pop(1)
    unittest.main()

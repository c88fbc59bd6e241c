// A batch job that only sends spans: it listens on nothing, so no agent finds
// it among the host's listeners. It runs N requests' worth of server spans
// through the real OpenTelemetry JS SDK (OTLP/gRPC to the agent), fails some,
// and exits. What the colony knows of it comes from its spans alone.
//
//   node otlp_job.js <service> <requests> <errors> <grpc endpoint>
'use strict';

const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');

const [service, requests, errors, endpoint] = process.argv.slice(2);
if (!service || !requests || !errors || !endpoint) {
  console.error('usage: node otlp_job.js <service> <requests> <errors> <grpc endpoint>');
  process.exit(2);
}

api.diag.setLogger({
  error: (...a) => { console.error('otel error:', ...a); process.exitCode = 1; },
  warn: (...a) => console.error('otel warn:', ...a),
  info: () => {}, debug: () => {}, verbose: () => {},
}, api.DiagLogLevel.WARN);

async function main() {
  const exporter = new OTLPTraceExporter({ url: endpoint, timeoutMillis: 10000 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('coral-e2e-job', '1.0.0');
  const now = Date.now();
  for (let i = 0; i < Number(requests); i++) {
    // Spread over the last minute, 20 ms each.
    const start = now - 60000 + i * (60000 / Number(requests));
    const span = tracer.startSpan('process batch', { kind: api.SpanKind.SERVER, startTime: start });
    if (i < Number(errors)) span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'bad record' });
    span.end(start + 20);
  }
  await provider.forceFlush();
  await provider.shutdown();
  console.log(JSON.stringify({ sent: Number(requests), errors: Number(errors) }));
}

main().catch((e) => { console.error(e); process.exit(1); });

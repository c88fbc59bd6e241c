// Sends a fixed set of traces, metrics or logs through the real OpenTelemetry
// JS SDK and one of its OTLP exporters, then prints (one JSON line on stdout)
// the ids the SDK generated, so the C++ test can check exactly what arrived.
//
//   node send.js <traces|metrics|logs> <grpc|http/protobuf|http/json> <endpoint>
//
// The endpoint is the base URL (http://127.0.0.1:PORT); the script adds the
// OTLP/HTTP path. Modules come from NODE_PATH (setup.sh's npm cache).
'use strict';

const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const [signal, protocol, endpoint] = process.argv.slice(2);
if (!signal || !protocol || !endpoint) {
  console.error('usage: node send.js <traces|metrics|logs> <grpc|http/protobuf|http/json> <endpoint>');
  process.exit(2);
}

const exporterPackage = {
  grpc: 'grpc',
  'http/protobuf': 'proto',
  'http/json': 'http',
}[protocol];
if (!exporterPackage) {
  console.error(`unknown protocol ${protocol}`);
  process.exit(2);
}

function exporterOptions(path) {
  // gRPC takes the bare endpoint; the HTTP exporters take the full URL.
  const url = protocol === 'grpc' ? endpoint : endpoint + path;
  return { url, compression: 'gzip', timeoutMillis: 10000 };
}

const resource = resourceFromAttributes({
  'service.name': `peer-${exporterPackage}`,
  'deployment.environment': 'test',
});

// Fixed times so durations are exact: 1700000000.123456789 s and so on.
const T0 = 1700000000;

async function sendTraces() {
  const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = require(`@opentelemetry/exporter-trace-otlp-${exporterPackage}`);
  const exporter = new OTLPTraceExporter(exporterOptions('/v1/traces'));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('coral-peer-test', '1.0.0');

  const parent = tracer.startSpan('GET /checkout', {
    kind: api.SpanKind.SERVER,
    startTime: [T0, 123456789],
    attributes: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.5, cached: false, tags: ['a', 'b'] },
  });
  parent.addEvent('cache.miss', { key: 'cart:42' }, [T0, 150000000]);
  const child = tracer.startSpan(
    'SELECT carts',
    { kind: api.SpanKind.CLIENT, startTime: [T0, 200000000], attributes: { 'db.system': 'postgresql' } },
    api.trace.setSpan(api.ROOT_CONTEXT, parent),
  );
  child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'connection reset' });
  child.end([T0, 300000001]);
  parent.end([T0, 373456789]);
  await provider.forceFlush();
  await provider.shutdown();
  return {
    parent: { traceId: parent.spanContext().traceId, spanId: parent.spanContext().spanId },
    child: { traceId: child.spanContext().traceId, spanId: child.spanContext().spanId },
  };
}

async function sendMetrics() {
  const { MeterProvider, PeriodicExportingMetricReader, AggregationType } = require('@opentelemetry/sdk-metrics');
  const { OTLPMetricExporter } = require(`@opentelemetry/exporter-metrics-otlp-${exporterPackage}`);
  const exporter = new OTLPMetricExporter(exporterOptions('/v1/metrics'));
  // A long interval: the only export is the forced flush below.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600000 });
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('coral-peer-test', '1.0.0');
  const requests = meter.createCounter('requests', { unit: '1' });
  requests.add(3, { route: '/a' });
  requests.add(4, { route: '/a' });
  const latency = meter.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
  for (const v of [5, 50, 500]) latency.record(v);
  const queue = meter.createUpDownCounter('queue.depth');
  queue.add(10);
  queue.add(-3);
  const size = meter.createHistogram('payload.size', { unit: 'By' });
  for (const v of [1, 2, 4]) size.record(v);
  // Shutdown collects and exports once; a forceFlush before it would send
  // the cumulative points a second time.
  await provider.shutdown();
  return {};
}

async function sendLogs() {
  const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
  const { SeverityNumber } = require('@opentelemetry/api-logs');
  const { OTLPLogExporter } = require(`@opentelemetry/exporter-logs-otlp-${exporterPackage}`);
  const exporter = new OTLPLogExporter(exporterOptions('/v1/logs'));
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor(exporter)] });
  const logger = provider.getLogger('coral-peer-test', '1.0.0');
  const traceId = '5b8efff798038103d269b633813fc60c';
  const spanId = 'eee19b7ec3c1b174';
  const spanContext = { traceId, spanId, traceFlags: 1, isRemote: false };
  logger.emit({
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'disk almost full',
    attributes: { 'disk.free_bytes': 1024, mount: '/var' },
    timestamp: [T0, 5],
    observedTimestamp: [T0, 6],
    context: api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext),
  });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: { event: 'login', user: 'ada' }, timestamp: [T0, 7] });
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId, spanId };
}

const senders = { traces: sendTraces, metrics: sendMetrics, logs: sendLogs };
if (!senders[signal]) {
  console.error(`unknown signal ${signal}`);
  process.exit(2);
}

// Export failures are reported through the diagnostic logger; make them
// visible on stderr and fatal.
api.diag.setLogger({
  error: (...a) => { console.error('otel error:', ...a); process.exitCode = 1; },
  warn: (...a) => console.error('otel warn:', ...a),
  info: () => {}, debug: () => {}, verbose: () => {},
}, api.DiagLogLevel.WARN);

senders[signal]()
  .then((sent) => console.log(JSON.stringify({ sent })))
  .catch((err) => { console.error('send failed:', err); process.exit(1); });

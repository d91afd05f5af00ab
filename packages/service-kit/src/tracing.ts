/**
 * OpenTelemetry traces, off by default (`OTEL_TRACES_EXPORTER=none`). When on, one trace follows
 * a request through the stack: the gateway's HTTP span, @apollo/gateway's own spans
 * (`gateway.request`, `gateway.plan`, `gateway.fetch`, ...), the W3C `traceparent` header on every
 * subgraph fetch (gateway/src/observability.ts), the subgraph's HTTP span and one span per SQL
 * statement (db-instrumentation.ts). postgres.js has no OpenTelemetry instrumentation, and the
 * auto-instrumentations' module hooks do not see our ESM (tsx) imports, so the spans are made here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';

export interface TracingOptions {
  /** `service.name` of every span this process exports. */
  serviceName: string;
  /** OTEL_TRACES_EXPORTER. */
  exporter: 'otlp' | 'console' | 'none';
  /** OTEL_EXPORTER_OTLP_ENDPOINT (base URL; `/v1/traces` is appended). */
  otlpEndpoint?: string;
  /** Extra processors (tests use an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  enabled: boolean;
  /** Flushes spans not yet exported and unregisters the provider. */
  shutdown(): Promise<void>;
}

const tracer = () => trace.getTracer('service-kit');

/**
 * A CommonJS package's exports from `import()`: Node offers them both named and as `default`,
 * an esbuild bundle split into chunks (scripts/build.ts) only as `default`.
 */
const commonJsExports = <T extends object>(module: T): T => (module as { default?: T }).default ?? module;

/**
 * Registers the process-wide tracer provider (W3C trace-context propagation, AsyncLocalStorage
 * context) unless tracing is off. Call once per process, before serving. The SDK and exporters
 * are loaded only then: tracing is off by default, and loaded they cost the gateway's idle heap
 * several MiB (bench/README.md).
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.exporter === 'none' && processors.length === 0) return { enabled: false, shutdown: async () => {} };
  const { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider } = commonJsExports(await import('@opentelemetry/sdk-trace-node'));
  if (options.exporter === 'otlp') {
    const { OTLPTraceExporter } = commonJsExports(await import('@opentelemetry/exporter-trace-otlp-http'));
    const url = `${(options.otlpEndpoint ?? 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  } else if (options.exporter === 'console') {
    processors.push(new BatchSpanProcessor(new ConsoleSpanExporter()));
  }
  const { resourceFromAttributes } = commonJsExports(await import('@opentelemetry/resources'));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: processors,
  });
  provider.register();
  return {
    enabled: true,
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

const untracedPaths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Runs `handle` in a SERVER span for one HTTP request at `path`, continuing the caller's
 * `traceparent` and ended when the response finishes (just `handle()` when tracing is off).
 * `req`/`res` are bound to the span, so their listeners (body parsing) run inside it too.
 */
export function withHttpServerSpan(service: string, req: IncomingMessage, res: ServerResponse, path: string, handle: () => void): void {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? 'GET';
  const span = tracer().startSpan(
    `${method} ${path}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path, 'app.service': service } },
    parent,
  );
  if (!span.isRecording()) {
    span.end();
    return handle();
  }
  const active = trace.setSpan(parent, span);
  context.bind(active, req);
  context.bind(active, res);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
  context.with(active, handle);
}

/** Express middleware: {@link withHttpServerSpan} around everything a request does, the probes excepted. */
export function httpTracingMiddleware(service: string): RequestHandler {
  return (req, res, next) => {
    if (untracedPaths.has(req.path)) return next();
    withHttpServerSpan(service, req, res, `${req.baseUrl}${req.path}`, () => next());
  };
}

/** Names the request's span after the GraphQL operation (`query GymBoard`) and marks failed ones. */
export function operationTracingPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const span = trace.getActiveSpan();
      if (!span?.isRecording()) return;
      return {
        async didResolveOperation({ operationName, operation }) {
          const type = operation?.operation ?? 'unknown';
          span.updateName(`${type} ${operationName ?? 'anonymous'}`);
          span.setAttribute('graphql.operation.type', type);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
        },
        async didEncounterErrors({ errors }) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: errors[0]?.message });
        },
      };
    },
  };
}

/** Writes the active trace context (`traceparent`, `tracestate`) into outgoing request headers. */
export function injectTraceContext(headers: { set(name: string, value: string): void }): void {
  propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
}

/** A CLIENT span for one SQL statement, child of the active span; null when tracing is off. */
export function startSqlSpan(statement: string, operation: string, databaseName: string): Span | null {
  const span = tracer().startSpan(`${operation.toUpperCase()} ${databaseName}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system.name': 'postgresql',
      'db.namespace': databaseName,
      'db.operation.name': operation.toUpperCase(),
      // Parameterised text from Drizzle: values are placeholders ($1), never data.
      'db.query.text': statement.length > 2000 ? `${statement.slice(0, 2000)}…` : statement,
    },
  });
  if (span.isRecording()) return span;
  span.end();
  return null;
}

/** Ends a span with the outcome of what it covered. */
export function endSpan(span: Span | null, error?: unknown): void {
  if (!span) return;
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

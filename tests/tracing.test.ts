/**
 * One request, one trace: the gateway and the gym subgraph run as separate processes exporting
 * OTLP/HTTP to a collector in this test; the request's spans from the gateway, the subgraph and
 * its SQL statements share the client's trace id and chain parent to child across processes.
 * Run twice: through tsx, and as the compiled bundles production runs (scripts/build.ts), where the
 * tracing SDK is a chunk of its own loaded on demand.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { repoRoot } from '@fitgraph/platform';
import { deleteRedisKeys } from '@fitgraph/service-kit';
import { dropDatabasesWithPrefix, eventually, graphqlData, stackEnv, startServiceProcess, type ServiceProcess } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** A minimal OTLP/HTTP (JSON) trace receiver. */
async function startCollector(): Promise<{ url: string; spans: ExportedSpan[]; stop(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url === '/v1/traces' && req.headers['content-type']?.startsWith('application/json')) {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: { key: string; value: Record<string, unknown> }[] }[] }[];
        }[];
      };
      for (const resourceSpans of body.resourceSpans) {
        const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
            });
          }
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The bundles' own folder, so that a `pnpm build` elsewhere (tests/bench.test.ts) cannot swap them mid-test. */
const bundleDir = 'dist-tracing-test';

describe.each([{ compiled: false }, { compiled: true }])('OpenTelemetry traces across processes (compiled: $compiled)', ({ compiled }) => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let gym: ServiceProcess;
  let gateway: ServiceProcess;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (compiled) {
      execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/build.ts'), `--dist=${bundleDir}`, 'gateway', 'gym'], { cwd: repoRoot, stdio: 'pipe' });
    }
    collector = await startCollector();
    env = stackEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, LOG_LEVEL: 'warn' });
    gym = await startServiceProcess('gym', env, { compiled, bundleDir });
    gateway = await startServiceProcess('gateway', { ...env, GYM_SUBGRAPH_URL: gym.url }, { compiled, bundleDir });
  });
  afterAll(async () => {
    await gateway?.stop();
    await gym?.stop();
    await collector?.stop();
    if (env.DATABASE_URL) await dropDatabasesWithPrefix(env.DATABASE_URL, env.DATABASE_NAME_PREFIX!);
    if (env.REDIS_URL) await deleteRedisKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX!);
  });

  it('shows gateway, subgraph and SQL spans of one request under the caller’s trace id', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const data = await graphqlData(gateway.url, 'query GymNames { gyms { name } }', {
      headers: { traceparent: `00-${traceId}-${clientSpanId}-01` },
    });
    expect(data.gyms.length).toBeGreaterThan(0);

    // Batches are exported on a timer and on shutdown: SIGTERM flushes them.
    await gateway.stop();
    await gym.stop();
    const spans = await eventually(() => {
      const ofTrace = collector.spans.filter((span) => span.traceId === traceId);
      return ofTrace.some((span) => span.service === 'gym-subgraph' && span.attributes['db.system.name']) && ofTrace.some((span) => span.service === 'gateway')
        ? ofTrace
        : null;
    }, { what: 'the spans of the request at the collector' });
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const ancestry = (span: ExportedSpan): ExportedSpan[] => {
      const parent = byId.get(span.parentSpanId);
      return parent ? [parent, ...ancestry(parent)] : [];
    };

    const gatewayServer = spans.find((span) => span.service === 'gateway' && span.kind === 2)!; // SERVER
    expect(gatewayServer.name).toBe('query GymNames');
    expect(gatewayServer.parentSpanId).toBe(clientSpanId);
    const fetchSpan = spans.find((span) => span.service === 'gateway' && span.name === 'gateway.fetch')!;
    expect(fetchSpan.attributes.service).toBe('gym');
    expect(ancestry(fetchSpan)).toContain(gatewayServer);

    const subgraphServer = spans.find((span) => span.service === 'gym-subgraph' && span.kind === 2)!;
    expect(subgraphServer.name).toBe('query GymNames__gym__0');
    // traceparent from the gateway's fetch: the subgraph's span is its child.
    expect(subgraphServer.parentSpanId).toBe(fetchSpan.spanId);

    const sqlSpans = spans.filter((span) => span.service === 'gym-subgraph' && span.attributes['db.system.name'] === 'postgresql');
    const select = sqlSpans.find((span) => span.attributes['db.operation.name'] === 'SELECT' && String(span.attributes['db.query.text']).includes('"gyms"'));
    expect(select, JSON.stringify(sqlSpans, null, 2)).toBeDefined();
    expect(select!.kind).toBe(3); // CLIENT
    expect(ancestry(select!)).toEqual(expect.arrayContaining([subgraphServer, fetchSpan, gatewayServer]));
  }, 120_000);
});

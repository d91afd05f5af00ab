/**
 * The gateway process of bench/subscription-memory.ts, bundled by it with esbuild (npm packages outside, as `pnpm build` does for the subgraphs)
 * (no TypeScript loader, whose kept function names give every closure its own property array) and
 * run with `node --expose-gc`. Answers the driver over IPC: subscription count, memory after a full
 * GC, heap snapshots.
 */
import { writeHeapSnapshot } from 'node:v8';
import { loadAuthConfig } from '@fitgraph/platform';
import { createLogger, openRevocationList } from '@fitgraph/service-kit';
import { createGateway } from '@fitgraph/gateway';

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}
export type GatewayRequest = { count: true } | { rss: true } | { measure: true } | { snapshot: string } | { stop: true };
export type GatewayReply = { url: string } | { subscriptions: number } | { rss: number } | { memory: Memory; rssBeforeGc: number } | { snapshot: string };

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const auth = loadAuthConfig({});
const revocations = await openRevocationList({ keyPrefix: '', accessTokenTtlSeconds: auth.accessTokenTtlSeconds });
const many = 100_000;
const gateway = await createGateway({
  supergraphSdl: process.env.SUPERGRAPH_SDL!,
  auth,
  revocations,
  logger: createLogger('gateway', 'silent'),
  subscriptions: {
    limits: { total: many, perIp: many, perUser: many },
    connections: { perIp: many, perUser: many },
  },
});
const send = (reply: GatewayReply) => process.send!(reply);
process.on('message', (request: GatewayRequest) => {
  if ('count' in request) send({ subscriptions: gateway.subscriptions().subscriptions });
  if ('rss' in request) send({ rss: process.memoryUsage.rss() });
  if ('measure' in request) {
    const rssBeforeGc = process.memoryUsage.rss();
    for (let i = 0; i < 3; i += 1) gc();
    const { rss, heapUsed, external } = process.memoryUsage();
    send({ memory: { rss, heapUsed, external }, rssBeforeGc });
  }
  if ('snapshot' in request) send({ snapshot: writeHeapSnapshot(request.snapshot) });
  if ('stop' in request) void gateway.stop().then(() => revocations.close()).then(() => process.exit(0));
});
send({ url: gateway.url });

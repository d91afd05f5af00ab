/** The markdown results file: one table per scenario, ratios of FitGraph to each peer measured in the same run. */
import { cpus } from 'node:os';
import type { FanoutRow } from './fanout';
import { gatewayLabels, type GatewayName } from './gateways';
import type { LoadResult } from './load';

export interface LoadRow extends LoadResult {
  scenario: string;
  connections: number;
  gateway: GatewayName;
  cpuMsPerRequest: number;
  /** CPU ms per request spent in each subgraph process during the same window. */
  subgraphCpuMsPerRequest: Record<string, number>;
}

export interface ReportInput {
  date: Date;
  quick: boolean;
  storage: string;
  compiled: boolean;
  durationMs: number;
  warmupMs: number;
  seedSeconds: number;
  seedRows: number;
  rows: LoadRow[];
  mergingOff: LoadRow[];
  idleRss: Record<GatewayName, number>;
  loadedRss: Record<GatewayName, number>;
  subgraphRss: Record<string, number>;
  fanout: FanoutRow[];
  scenarios: { key: string; title: string }[];
  names: GatewayName[];
  totalSeconds: number;
  /** The fan-out bench's failure, reported instead of (or after) its rows. */
  fanoutError?: string;
}

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function table(header: string[], body: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function renderReport(input: ReportInput): string {
  const { rows, names } = input;
  const peers = names.filter((n) => n !== 'fitgraph');
  const lines: string[] = [];
  lines.push(`# FitGraph bench ${input.date.toISOString()}${input.quick ? ' (--quick: smoke run, numbers not meaningful)' : ''}`);
  lines.push('');
  lines.push(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. Storage: ${input.storage}. ` +
      `Services: ${input.compiled ? 'compiled JS (`node dist/index.js`)' : 'TypeScript through tsx'}. ` +
      `${fixed(input.durationMs / 1000, 1)} s per cell after ${fixed(input.warmupMs / 1000, 1)} s warm-up; ` +
      `closed-loop clients (bench/lib/load.ts) in the bench process; seeded ${input.seedRows} rows in ${fixed(input.seedSeconds, 1)} s; ` +
      `whole run ${fixed(input.totalSeconds)} s. Gateway order alternates per cell. ` +
      'CPU = user+system time of the gateway process tree during the timed window / requests answered.',
  );
  lines.push('');
  const subgraphSum = (row: LoadRow) => Object.values(row.subgraphCpuMsPerRequest).reduce((a, b) => a + b, 0);
  for (const scenario of input.scenarios) {
    lines.push(`## (${scenario.key}) ${scenario.title}`);
    lines.push('');
    const body: (string | number)[][] = [];
    for (const connections of [...new Set(rows.filter((r) => r.scenario === scenario.key).map((r) => r.connections))]) {
      const cell = (name: GatewayName) => rows.find((r) => r.scenario === scenario.key && r.connections === connections && r.gateway === name);
      const own = cell('fitgraph');
      for (const name of names) {
        const row = cell(name);
        if (!row) continue;
        body.push([
          connections,
          gatewayLabels[name],
          fixed(row.rps),
          fixed(row.p50, 1),
          fixed(row.p99, 1),
          row.errors,
          fixed(row.cpuMsPerRequest, 2),
          Object.entries(row.subgraphCpuMsPerRequest)
            .filter(([, ms]) => ms >= 0.05)
            .map(([subgraph, ms]) => `${subgraph} ${fixed(ms, 1)}`)
            .join(', '),
          name === 'fitgraph' ? '' : own ? `${ratio(own.rps, row.rps)} req/s, p99 ${ratio(own.p99, row.p99)}, CPU ${ratio(own.cpuMsPerRequest, row.cpuMsPerRequest)}${
            // --baseline-subgraphs: the comparison is about the subgraphs' CPU (all five summed).
            name === 'fitgraph-baseline' ? `, subgraphs CPU ${ratio(subgraphSum(own), subgraphSum(row))} (${fixed(subgraphSum(own), 1)} vs ${fixed(subgraphSum(row), 1)} ms)` : ''
          }` : '',
        ]);
      }
    }
    lines.push(table(['conns', 'gateway', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/req', 'subgraphs CPU ms/req', 'FitGraph ÷ this'], body));
    lines.push('');
  }
  if (input.mergingOff.length > 0) {
    lines.push('## (b) with in-flight merging off (FitGraph `SUBGRAPH_QUERY_DEDUPE=false`, Hive `deduplicateInflightRequests: false`)');
    lines.push('');
    const own = input.mergingOff.find((r) => r.gateway === 'fitgraph');
    lines.push(
      table(
        ['conns', 'gateway', 'req/s', 'p99 ms', 'errors', 'CPU ms/req', 'FitGraph ÷ this'],
        input.mergingOff.map((row) => [
          row.connections,
          gatewayLabels[row.gateway],
          fixed(row.rps),
          fixed(row.p99, 1),
          row.errors,
          fixed(row.cpuMsPerRequest, 2),
          row.gateway === 'fitgraph' || !own ? '' : `req/s ${ratio(own.rps, row.rps)}, CPU ${ratio(own.cpuMsPerRequest, row.cpuMsPerRequest)}`,
        ]),
      ),
    );
    lines.push('');
  }
  lines.push('## Memory (RSS of the process tree, MiB)');
  lines.push('');
  lines.push(
    table(
      ['gateway', 'idle', 'after load', 'idle: FitGraph ÷ this'],
      names.map((name) => [
        gatewayLabels[name],
        fixed(input.idleRss[name]),
        fixed(input.loadedRss[name]),
        name === 'fitgraph' ? '' : ratio(input.idleRss.fitgraph, input.idleRss[name]),
      ]),
    ),
  );
  lines.push('');
  lines.push(`Subgraphs after load: ${Object.entries(input.subgraphRss).map(([n, v]) => `${n} ${fixed(v)}`).join(', ')} MiB.`);
  lines.push('');
  if (input.fanout.length > 0) {
    lines.push('## Subscription fan-out (one FitGraph gateway process)');
    lines.push('');
    lines.push(
      '`machineStatusChanged(gymId) { id at status machine { currentUser { displayName } } }`, every client subscribed to the same gym, signed in ' +
        '(`shared`: all as the floor display; `distinct`: one member each); ' +
        'status changes are claim/release mutations sent straight to the gym subgraph at the target rate; latency = client receive time − the event\'s `at`; ' +
        'entity fetches = `_entities` requests the gateway sent to the user subgraph (counted by a proxy) ÷ events.',
    );
    lines.push('');
    lines.push(
      table(
        ['clients', 'identities', 'target ev/s', 'published ev/s', 'delivered ev/s', 'p50 ms', 'p99 ms', 'lost', 'duplicated', 'entity fetches / event', 'RSS / idle sub KiB', 'clients dropped', 'undelivered after 20 s', 'gateway CPU µs / msg'],
        input.fanout.map((row) => [
          row.clients,
          row.identities,
          row.targetRate,
          fixed(row.publishedRate),
          fixed(row.deliveredRate),
          fixed(row.p50, 1),
          fixed(row.p99, 1),
          row.lost,
          row.duplicated,
          fixed(row.entityFetchesPerEvent, 2),
          fixed(row.rssPerIdleSubscriptionKiB, 1),
          row.clientErrors,
          row.undelivered,
          fixed(row.gatewayCpuUsPerMessage, 1),
        ]),
      ),
    );
    lines.push('');
  }
  if (input.fanoutError) {
    lines.push('## Subscription fan-out FAILED');
    lines.push('');
    lines.push('```');
    lines.push(input.fanoutError.slice(0, 4000));
    lines.push('```');
    lines.push('');
  }
  lines.push(`Peers: ${peers.map((p) => gatewayLabels[p]).join(', ') || 'none'}.`);
  return `${lines.join('\n')}\n`;
}

/**
 * `pnpm bench --quick` end to end, so the harness cannot rot: it builds the services, seeds its
 * own databases, starts the subgraphs, FitGraph's gateway, plain Apollo Gateway and Hive Gateway,
 * runs every scenario briefly plus the subscription fan-out, and writes the results file. Asserts
 * the tables are complete and nothing failed; never a timing or throughput number.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@fitgraph/platform';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The rows of the markdown table that follows `heading`, as cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`no section "${heading}" in:\n${markdown}`);
  const lines = markdown.slice(start).split('\n').slice(1);
  const rows = [];
  let inTable = false;
  for (const line of lines) {
    if (line.startsWith('|')) {
      inTable = true;
      rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
    } else if (inTable) break;
  }
  return rows.slice(2); // header and separator
}

/** Redis keys the bench's services write (`REDIS_KEY_PREFIX` in bench/run.ts). */
async function benchKeys(): Promise<Set<string>> {
  if (!process.env.REDIS_URL) return new Set();
  const redis = new Redis(process.env.REDIS_URL);
  try {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', 'fitgraph-bench:*', 'COUNT', 1000);
      cursor = next;
      for (const key of batch) keys.add(key);
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

describe('pnpm bench --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fitgraph-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every scenario on every gateway, and the subscription fan-out, without a single error', { timeout: 300_000 }, async () => {
    const out = join(dir, 'results.md');
    const keysBefore = await benchKeys();
    await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`pnpm bench --quick failed:\n${error.stderr?.slice(-6000)}\n${error.stdout?.slice(-2000)}`);
    });
    // It leaves nothing in Redis (its databases are dropped the same way).
    expect([...(await benchKeys())].filter((key) => !keysBefore.has(key))).toEqual([]);
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toContain(process.env.DATABASE_URL ? 'Storage: PostgreSQL' : 'Storage: PGlite');

    for (const scenario of ['(a)', '(b)', '(c)', '(d)']) {
      const rows = tableAfter(markdown, `## ${scenario}`);
      for (const connections of ['1', '10']) {
        const gateways = rows.filter((row) => row[0] === connections).map((row) => row[1]);
        expect(gateways, `${scenario} at ${connections} connection(s)`).toEqual(expect.arrayContaining(['FitGraph', 'Apollo Gateway', 'Hive Gateway']));
      }
      for (const row of rows) {
        expect(Number(row[2]), `${scenario} ${row[1]} req/s`).toBeGreaterThan(0);
        expect(row[5], `${scenario} ${row[1]} errors`).toBe('0');
      }
    }

    const mergingOff = tableAfter(markdown, '## (b) with in-flight merging off');
    expect(mergingOff.map((row) => row[1])).toEqual(['FitGraph', 'Apollo Gateway', 'Hive Gateway']);
    for (const row of mergingOff) expect(row[4], `merging off: ${row[1]} errors`).toBe('0');

    const memory = tableAfter(markdown, '## Memory');
    expect(memory.map((row) => row[0])).toEqual(['FitGraph', 'Apollo Gateway', 'Hive Gateway']);

    const fanout = tableAfter(markdown, '## Subscription fan-out');
    expect(fanout.length).toBeGreaterThan(0);
    for (const row of fanout) {
      const label = `fan-out ${row[0]} clients (${row[1]}) at ${row[2]}/s`;
      expect(Number(row[3]), `${label}: published`).toBeGreaterThan(0);
      expect(row[7], `${label}: lost`).toBe('0');
      expect(row[8], `${label}: duplicated`).toBe('0');
    }
  });
});

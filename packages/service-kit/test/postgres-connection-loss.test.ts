import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const databaseUrl = process.env.DATABASE_URL;

/**
 * postgres.js 3.4.9 flushes small writes from a setImmediate; when the backend dies mid-transaction
 * its own ROLLBACK lands there after the socket is gone and throws an uncatchable TypeError that
 * kills the process (porsager/postgres#1154, #1208). We carry a patch (patches/postgres@3.4.9.patch);
 * this drives the upstream reproduction in a child process, so a crash is an exit code, not a
 * torn-down test worker.
 */
const reproduction = `
import postgres from 'postgres';
const url = process.env.DATABASE_URL;
const sql = postgres(url, { max: 2, onnotice: () => {} });
const killer = postgres(url, { max: 1 });
let pid = null;
// Its outcome is taken at once: the transaction may fail before the killer's answer arrives, and
// a rejection left without a handler until then would end this process by itself.
const failure = sql
  .begin(async (tx) => {
    [{ pid }] = await tx\`select pg_backend_pid() as pid\`;
    await tx\`select pg_sleep(5)\`;
  })
  .then(() => null, (error) => error.code);
while (pid === null) await new Promise((resolve) => setTimeout(resolve, 20));
await killer\`select pg_terminate_backend(\${pid})\`;
const transactionFailure = await failure;
await new Promise((resolve) => setTimeout(resolve, 200));
const [{ one }] = await sql\`select 1 as one\`;
console.log(JSON.stringify({ failure: transactionFailure, one }));
// end() of a pool that lost a connection waits on it forever; a deadline closes what is left.
await Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 })]);
`;

describe.skipIf(!databaseUrl)('postgres.js when PostgreSQL drops a connection mid-transaction', () => {
  it('fails the transaction with CONNECTION_CLOSED, keeps the process alive and the pool usable', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', reproduction], {
      // Resolves `postgres` as this package does.
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(output).not.toContain("reading 'write'");
    expect(code, output).toBe(0);
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({ failure: 'CONNECTION_CLOSED', one: 1 });
  }, 30_000);
});

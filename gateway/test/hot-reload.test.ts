/**
 * The gateway serves whatever supergraph file it is given (here two fixture subgraphs,
 * `events` and `people`, none of FitGraph's) and reloads it on change: under a query loop no
 * request fails, the new fields are served within seconds, open subscriptions end with
 * SCHEMA_RELOADED and a new subscription is planned against the new schema. An invalid file
 * is logged and the previous supergraph stays. Subgraph URLs come from the file unless env
 * overrides them per name.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadAuthConfig } from '@fitgraph/platform';
import { createTokenSigner } from '@fitgraph/service-kit';
import { eventually, freePort, graphql, graphqlWsClient, type GraphQLWsTestClient, startTestGateway } from '@fitgraph/testkit';
import { visit, type DocumentNode } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayEnv } from '../src/env';
import type { RunningGateway } from '../src/server';
import { composeFixtures, startEventsSubgraph, startPeopleSubgraph, TickStore, type FixtureSubgraph } from './fixtures/subgraphs';

const auth = loadAuthConfig({});
const signer = createTokenSigner(auth);

/** `document` without `typeName.fieldName` (the older version of a subgraph's schema). */
const withoutField = (document: DocumentNode, typeName: string, fieldName: string): DocumentNode =>
  visit(document, {
    ObjectTypeDefinition: (node) =>
      node.name.value === typeName ? { ...node, fields: node.fields?.filter((field) => field.name.value !== fieldName) } : undefined,
  });

describe('supergraph file: any subgraphs, env URL overrides, hot reload', () => {
  const store = new TickStore();
  const dir = mkdtempSync(join(tmpdir(), 'fitgraph-supergraph-'));
  const path = join(dir, 'supergraph.graphql');
  const logLines: string[] = [];
  let events: FixtureSubgraph;
  let people: FixtureSubgraph;
  let gateway: RunningGateway;
  let v2: string;
  const clients: GraphQLWsTestClient[] = [];

  /** Replaces the file the way deploy tools do: write aside, rename over. */
  const replaceFile = (sdl: string) => {
    writeFileSync(`${path}.next`, sdl);
    renameSync(`${path}.next`, path);
  };

  beforeAll(async () => {
    events = await startEventsSubgraph(store);
    people = await startPeopleSubgraph();
    // The file names a dead URL for `people`: env (PEOPLE_SUBGRAPH_URL) points at the real one.
    const nowhere = `http://127.0.0.1:${await freePort()}/graphql`;
    const v1 = composeFixtures([
      { ...events, typeDefs: withoutField(events.typeDefs, 'Subscription', 'pulse') },
      { ...people, url: nowhere, typeDefs: withoutField(people.typeDefs, 'User', 'email') },
    ]);
    v2 = composeFixtures([events, { ...people, url: nowhere }]);
    writeFileSync(path, v1);
    const env = loadGatewayEnv({ PEOPLE_SUBGRAPH_URL: people.url, PEOPLE_SUBGRAPH_TIMEOUT_MS: '3000' });
    expect(env.subgraphUrls).toEqual({ people: people.url });
    expect(env.resilience.timeouts).toEqual({ people: 3000 });
    const logs = new Writable({ write: (chunk, _encoding, done) => void (logLines.push(String(chunk)), done()) });
    gateway = await startTestGateway({
      supergraphPath: path,
      subgraphUrls: env.subgraphUrls,
      resilience: env.resilience,
      auth,
      logger: pino({ level: 'info' }, logs),
    });
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await gateway?.stop();
    await events?.stop();
    await people?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads a replaced file under a query loop: nothing fails, the new field is served, subscriptions end with SCHEMA_RELOADED', async () => {
    const token = (await signer.sign({ id: 'u-ada', role: 'MEMBER', sessionId: 's-ada' })).accessToken;
    const emailQuery = '{ person(id: "u-ada") { displayName email } }';
    // Before: `email` is not in the schema.
    expect((await graphql(gateway.url, emailQuery, { token })).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const ws = graphqlWsClient(gateway.url, { token });
    clients.push(ws);
    const tick = ws.subscribe({ query: 'subscription { tick(room: "r1") { text author { displayName } } }' });
    await eventually(() => store.listening === 1, { what: 'the upstream subscription' });
    store.publish('r1', 'u-ada', 'before');
    await tick.waitFor(1);

    const failures: unknown[] = [];
    let answered = 0;
    let running = true;
    const loop = async () => {
      while (running) {
        const response = await graphql(gateway.url, '{ person(id: "u-bob") { displayName } room(id: "r1") { name } }');
        if (response.status !== 200 || response.errors || response.data?.person?.displayName !== 'Bob') failures.push(response);
        answered += 1;
      }
    };
    const loops = [loop(), loop()];
    await eventually(() => answered >= 20, { what: 'the query loop to run' });

    const replacedAt = performance.now();
    replaceFile(v2);
    const served = await eventually(
      async () => {
        const response = await graphql(gateway.url, emailQuery, { token });
        return response.errors ? null : response.data;
      },
      { what: 'the new field', timeoutMs: 10_000, intervalMs: 20 },
    );
    const reloadMs = performance.now() - replacedAt;
    expect(served).toEqual({ person: { displayName: 'Ada', email: 'ada@example.test' } });

    // The open subscription ended with the reload error; a new one is planned on the new schema.
    await tick.ended;
    expect(tick.results.at(-1)?.errors).toEqual([expect.objectContaining({ extensions: { code: 'SCHEMA_RELOADED' } })]);
    await eventually(() => store.listening === 0 && gateway.subscriptions().subscriptions === 0, { what: 'the old stream to close' });
    const pulse = ws.subscribe({ query: 'subscription { pulse(room: "r2") { text author { displayName } } }' });
    await eventually(() => store.listening === 1, { what: 'the new upstream subscription' });
    store.publish('r2', 'u-bob', 'after');
    expect(await pulse.waitFor(1)).toEqual([{ data: { pulse: { text: 'after', author: { displayName: 'Bob' } } } }]);
    pulse.unsubscribe();

    const answeredAtReload = answered;
    await eventually(() => answered >= answeredAtReload + 20, { what: 'queries after the reload' });
    running = false;
    await Promise.all(loops);
    console.info(`reload: new field served ${reloadMs.toFixed(0)} ms after the file was replaced; ${answered} queries in the loop, ${failures.length} failed`);
    expect(failures).toEqual([]);
    expect(logLines.some((line) => line.includes('supergraph reloaded'))).toBe(true);
  });

  it('keeps serving the previous supergraph when the new file is invalid, and logs why', async () => {
    const before = (await (await fetch(new URL('/healthz', gateway.internalUrl))).json()) as { supergraph: { hash: string; subgraphs: string[] } };
    expect(before.supergraph.subgraphs.sort()).toEqual(['events', 'people']);
    replaceFile('this is not a supergraph {');
    await eventually(() => logLines.some((line) => line.includes('invalid supergraph file')), { what: 'the invalid file to be logged' });
    const after = (await (await fetch(new URL('/healthz', gateway.internalUrl))).json()) as typeof before;
    expect(after.supergraph).toEqual(before.supergraph);
    const response = await graphql(gateway.url, '{ person(id: "u-bob") { displayName email } }');
    expect(response.data).toEqual({ person: { displayName: 'Bob', email: null } });
    // A valid file again is picked up.
    replaceFile(`${v2}\n# the same schema, another file\n`);
    await eventually(
      async () => ((await (await fetch(new URL('/healthz', gateway.internalUrl))).json()) as typeof before).supergraph.hash !== before.supergraph.hash,
      { what: 'the fixed file to load' },
    );
  });
});

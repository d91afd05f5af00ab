/**
 * FitGraph as deployed, attacked from outside: the compiled services as separate processes on
 * their own addresses, NODE_ENV=production, trusted documents, real PostgreSQL and Redis, nginx in
 * front (testkit production.ts). Each test reproduces one attack or careless client and asserts
 * what the attacker, the other clients and the operators see.
 */
import { randomUUID } from 'node:crypto';
import { createFitGraphClient, type MachineStatusEvent } from '@fitgraph/sdk';
import { subgraphNames } from '@fitgraph/platform';
import { createGatewaySigner } from '@fitgraph/service-kit';
import {
  clientFrom,
  answerCodes,
  eventually,
  graphqlWsFrom,
  newClientAddress,
  rawConnectionFrom,
  sdkTrustedDocument,
  secretsInLog,
  startProductionStack,
  type HttpAnswer,
  type ProductionService,
  type ProductionStack,
} from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionBundleDir, productionTestsMissing } from './global-setup';

const missing = productionTestsMissing();
if (missing) console.warn(`production tests skipped: ${missing}`);

const demoMember = 'alex@demo.fitgraph.dev';
/** `promise`'s value, or null when it has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | null> =>
  Promise.race([promise, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref())]);
/** The `data` of each `event: next` of a text/event-stream body. */
const nextEvents = (text: string): any[] =>
  text
    .split('\n\n')
    .filter((event) => event.startsWith('event: next'))
    .map((event) => JSON.parse(event.slice(event.indexOf('data: ') + 'data: '.length)));
/** A coded client error: 4xx with a GraphQL error code that is not INTERNAL_SERVER_ERROR. */
const expectCodedClientError = (answer: HttpAnswer, what: string) => {
  expect(answer.status, `${what}: ${answer.text.slice(0, 500)}`).toBeGreaterThanOrEqual(400);
  expect(answer.status, `${what}: ${answer.text.slice(0, 500)}`).toBeLessThan(500);
  const codes = answerCodes(answer);
  expect(codes.length, `${what}: ${answer.text.slice(0, 500)}`).toBeGreaterThan(0);
  for (const code of codes) {
    expect(typeof code, `${what}: ${answer.text.slice(0, 500)}`).toBe('string');
    expect(code, `${what}: ${answer.text.slice(0, 500)}`).not.toBe('INTERNAL_SERVER_ERROR');
  }
};

describe.skipIf(missing)('production shape: compiled services behind nginx', () => {
  let stack: ProductionStack;
  const gyms = sdkTrustedDocument('Gyms');
  const signIn = sdkTrustedDocument('SignIn');
  /** The gateway's own address, past nginx (what a probe or a neighbour in the cluster reaches). */
  const gatewayOrigin = () => `http://${stack.gateway.host}:${stack.gateway.port}`;
  /** The gateway's log lines at `level` or above written while `run` ran. */
  const gatewayLogsDuring = async (run: () => Promise<void>, level = 50) => {
    const before = stack.logs('gateway').length;
    await run();
    return stack.logs('gateway').slice(before).filter((entry) => entry.level >= level);
  };

  beforeAll(async () => {
    const startedAt = Date.now();
    stack = await startProductionStack({ bundleDir: productionBundleDir });
    console.log(`production stack (5 subgraphs, gateway, nginx) up in ${Date.now() - startedAt} ms`);
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  describe('the harness', () => {
    it('signs a demo member in through nginx with the SDK (trusted documents), runs queries of its manifest and a live subscription', async () => {
      const client = clientFrom();
      const sdk = createFitGraphClient({ url: stack.url, fetch: client.fetch, webSocketImpl: client.WebSocket });
      const session = await sdk.signIn(demoMember, stack.demoPassword);
      expect(session.user.email).toBe(demoMember);
      const [gym] = await sdk.gyms();
      expect((await sdk.me())?.email).toBe(demoMember);

      // A live subscription over a WebSocket through nginx: the gym subgraph's events reach it via Redis and the gateway.
      const events: MachineStatusEvent[] = [];
      const unsubscribe = sdk.onMachineStatusChanged(gym!.id, { next: (event) => events.push(event) });
      try {
        const machine = (await sdk.machineBoard(gym!.id))!.machines.find((candidate) => candidate.status === 'AVAILABLE')!;
        // Claimed and released until the subscription (live once its upstream is) sees it.
        await eventually(
          async () => {
            await sdk.claimMachine(machine.id);
            await sdk.releaseMachine(machine.id);
            return eventually(() => events.some((event) => event.machine.id === machine.id && event.status === 'IN_USE'), { timeoutMs: 2000 }).catch(() => false);
          },
          { timeoutMs: 30_000, what: 'a status change through the subscription' },
        );
      } finally {
        unsubscribe();
      }
      // nginx saw the client's own address; the gateway runs only trusted documents.
      await eventually(() => stack.proxy.accessLog().includes(`${client.address} "POST /graphql HTTP/1.1" 200`), { what: "nginx's access log naming the client" });
      const untrusted = await client.post(stack.url, { query: '{ gyms { id } }' });
      expect(untrusted.status).toBe(400);
      expect(answerCodes(untrusted)).toEqual(['OPERATION_NOT_TRUSTED']);
    });
  });

  describe('sign-in throttle behind the proxy', () => {
    beforeAll(() => stack.configureGateway({}), 120_000);

    it("stops an address spraying failed sign-ins over many emails, and not a member signing in from another address", async () => {
      const attacker = clientFrom();
      // Each attempt names another client in X-Forwarded-For: nginx appends the real one, which is what counts.
      const attempt = (email: string, i: number) =>
        attacker.post(
          stack.url,
          { operationName: 'SignIn', variables: { email, password: 'not-the-password-1' }, extensions: { persistedQuery: { version: 1, sha256Hash: signIn.hash } } },
          { 'x-forwarded-for': `203.0.113.${i}` },
        );
      // More than SIGN_IN_MAX_FAILURES_PER_IP (20), the victim's email among them.
      const emails = [...Array.from({ length: 24 }, (_, i) => `nobody-${i}-${randomUUID().slice(0, 8)}@example.com`), demoMember, demoMember];
      const codes: unknown[] = [];
      for (const [i, email] of emails.entries()) codes.push(answerCodes(await attempt(email, i))[0]);
      expect(codes.slice(0, 5), JSON.stringify(codes)).not.toContain('RATE_LIMITED');
      expect(codes.slice(-4), JSON.stringify(codes)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);

      const victim = clientFrom();
      const sdk = createFitGraphClient({ url: stack.url, fetch: victim.fetch, webSocketImpl: victim.WebSocket });
      const session = await sdk.signIn(demoMember, stack.demoPassword);
      expect(session.user.email).toBe(demoMember);
    });
  });

  describe('subgraphs reached directly, past the gateway', () => {
    it.each(subgraphNames)('%s answers 403 FORBIDDEN to HTTP without the gateway attestation, _service { sdl } included', async (name) => {
      const client = clientFrom();
      const plain = await client.post(stack.subgraphs[name].url, { query: '{ __typename }' });
      expect(plain.status, plain.text).toBe(403);
      expect(answerCodes(plain)).toEqual(['FORBIDDEN']);
      const sdl = await client.post(stack.subgraphs[name].url, { query: '{ _service { sdl } }' });
      expect(sdl.status, sdl.text).toBe(403);
      expect(answerCodes(sdl)).toEqual(['FORBIDDEN']);
      expect(sdl.text).not.toContain('type Query');
    });

    it.each(subgraphNames)('%s refuses a WebSocket upgrade without the gateway attestation', async (name) => {
      const probe = graphqlWsFrom(stack.subgraphs[name].url.replace(/^http/, 'ws'), newClientAddress());
      const outcome = await probe.outcome;
      // Refused at the upgrade (403), or closed before any connection_ack: never served.
      expect(['refused', 'closed'], JSON.stringify(outcome)).toContain(outcome.kind);
      if (outcome.kind === 'refused') expect(outcome.status).toBe(403);
    });

    it('refuses the 1,200-alias nested gyms request quickly with OPERATION_LIMIT_EXCEEDED, even signed as the gateway', async () => {
      const client = clientFrom();
      const aliases = Array.from({ length: 1200 }, (_, i) => `a${i}: gyms { machines { gym { machines { id } } } }`).join(' ');
      const signed = createGatewaySigner(stack.env.GATEWAY_SECRET!).headers(client.address);
      const answer = await client.post(stack.subgraphs.gym.url, { query: `query { ${aliases} }` }, signed);
      expect(answerCodes(answer), answer.text.slice(0, 500)).toContain('OPERATION_LIMIT_EXCEEDED');
      expect(answer.json?.data ?? null).toBeNull();
      expect(answer.ms).toBeLessThan(2000);
      // A signed request within the limits is served: the refusal is the limit's, not the signature's.
      const small = await client.post(stack.subgraphs.gym.url, { query: '{ gyms { id } }' }, createGatewaySigner(stack.env.GATEWAY_SECRET!).headers(client.address));
      expect(small.json?.data?.gyms?.length, small.text).toBeGreaterThan(0);
    });
  });

  describe('public and internal ports', () => {
    beforeAll(() => stack.configureGateway({}), 120_000);
    const services: ProductionService[] = ['gateway', ...subgraphNames];

    it.each(services)('%s: public /readyz is a status alone and public /metrics is 404; the internal port serves both in full', async (service) => {
      const client = clientFrom();
      const running = service === 'gateway' ? stack.gateway : stack.subgraphs[service];
      // The gateway's public port is what nginx exposes, too.
      const publicOrigins = [`http://${running.host}:${running.port}`, ...(service === 'gateway' ? [stack.proxy.origin] : [])];
      for (const origin of publicOrigins) {
        const ready = await client.get(`${origin}/readyz`);
        expect(ready.status, `${origin}/readyz`).toBe(200);
        expect(ready.json, `${origin}/readyz`).toEqual({ status: 'ready' });
        expect(ready.text).not.toMatch(/redis:\/\/|postgres:\/\/|127\.0\.0\.\d+:\d+/);
        const metrics = await client.get(`${origin}/metrics`);
        expect(metrics.status, `${origin}/metrics`).toBe(404);
        expect(metrics.text).not.toContain('fitgraph_');
      }
      const internalReady = await client.get(`${stack.internal[service]}/readyz`);
      expect(internalReady.status, internalReady.text).toBe(200);
      expect(internalReady.json.status).toBe('ready');
      // The details operators need: what it depends on.
      expect(Object.keys(internalReady.json).length, internalReady.text).toBeGreaterThan(1);
      if (service === 'gateway') for (const name of subgraphNames) expect(internalReady.text).toContain(name);
      const internalMetrics = await client.get(`${stack.internal[service]}/metrics`);
      expect(internalMetrics.status).toBe(200);
      expect(internalMetrics.text).toContain('fitgraph_');
    });
  });

  /** Requests a careless client sends; each must answer a coded 4xx and log no error at the gateway. */
  const carelessRequests = (settings: NodeJS.ProcessEnv, label: string) =>
    describe(`careless requests (${label})`, () => {
      beforeAll(() => stack.configureGateway(settings), 120_000);
      const cases: [string, (client: ReturnType<typeof clientFrom>) => Promise<HttpAnswer>][] = [
        ['a trusted documentId with a wrong operationName', (client) => client.post(stack.url, { documentId: gyms.id, operationName: 'NoSuchOperation' })],
        ['two operations without an operationName', (client) => client.post(stack.url, { query: 'query A { __typename } query B { __typename }' })],
        [
          'a browser-like GET with no query',
          (client) =>
            client.get(stack.url, {
              accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
              'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
            }),
        ],
      ];

      it.each(cases)('%s: a coded 4xx, no error logged', async (what, send) => {
        let answer!: HttpAnswer;
        const errors = await gatewayLogsDuring(async () => {
          answer = await send(clientFrom());
        });
        expectCodedClientError(answer, what);
        expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
      });

      it('a GET event stream naming a trusted documentId runs that document', async () => {
        let answer!: HttpAnswer;
        const errors = await gatewayLogsDuring(async () => {
          answer = await clientFrom().get(`${stack.url}?documentId=${encodeURIComponent(gyms.id)}`, { accept: 'text/event-stream' });
        });
        expect(answer.status, answer.text.slice(0, 500)).toBe(200);
        const events = nextEvents(answer.text);
        expect(events, answer.text.slice(0, 500)).toHaveLength(1);
        expect(events[0].errors, answer.text.slice(0, 500)).toBeUndefined();
        expect(events[0].data.gyms.length).toBeGreaterThan(0);
        expect(answer.text).toContain('event: complete');
        expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
      });
    });

  carelessRequests({}, 'trusted documents enforced');

  describe('per-address limits behind the proxy (SUBSCRIPTIONS_CONNECTIONS_PER_IP=3, RATE_LIMIT_ANONYMOUS=5)', () => {
    beforeAll(() => stack.configureGateway({ SUBSCRIPTIONS_CONNECTIONS_PER_IP: '3', RATE_LIMIT_ANONYMOUS: '5' }), 120_000);

    it('keeps six WebSockets from six client addresses open; a fourth from one address is closed 4029', async () => {
      const addresses = Array.from({ length: 6 }, () => newClientAddress());
      const sockets = addresses.map((address) => graphqlWsFrom(stack.wsUrl, address));
      const opened = [...sockets];
      try {
        expect(await Promise.all(sockets.map((socket) => socket.outcome))).toEqual(sockets.map(() => ({ kind: 'acked' })));
        // Served, not merely not closed yet: each answers a ping.
        await Promise.all(sockets.map((socket) => socket.ping()));

        const sameAddress = [graphqlWsFrom(stack.wsUrl, addresses[0]!), graphqlWsFrom(stack.wsUrl, addresses[0]!)];
        opened.push(...sameAddress);
        expect(await Promise.all(sameAddress.map((socket) => socket.outcome))).toEqual([{ kind: 'acked' }, { kind: 'acked' }]);
        // Naming another client in X-Forwarded-For changes nothing: nginx appends the real one.
        const fourth = graphqlWsFrom(stack.wsUrl, addresses[0]!, { headers: { 'x-forwarded-for': '203.0.113.77' } });
        opened.push(fourth);
        expect((await within(fourth.closed, 15_000))?.code).toBe(4029);

        const open = [...sockets, ...sameAddress];
        await Promise.all(open.map((socket) => socket.ping()));
        expect(open.every((socket) => socket.isOpen())).toBe(true);
      } finally {
        // Other tests' clients are counted from other addresses, but not after a failure here.
        await Promise.all(opened.map((socket) => socket.close()));
      }
    });

    it('counts anonymous GET event streams against the rate limit like POSTs, per client address', async () => {
      // The query of the SDK's manifest in full (trusted by its text), as an event stream.
      const url = `${stack.url}?query=${encodeURIComponent(gyms.query)}`;
      const stream = { accept: 'text/event-stream' };
      const attacker = clientFrom();
      // A different client named in X-Forwarded-For each time: nginx appends the real one, which is what counts.
      for (let i = 0; i < 5; i += 1) {
        const served = await attacker.get(url, { ...stream, 'x-forwarded-for': `203.0.113.${i}` });
        expect(served.status, served.text.slice(0, 500)).toBe(200);
        expect(nextEvents(served.text)[0]?.data?.gyms?.length).toBeGreaterThan(0);
      }
      const refused = await attacker.get(url, { ...stream, 'x-forwarded-for': '203.0.113.99' });
      expect(refused.status, refused.text.slice(0, 500)).toBe(429);
      expect(answerCodes(refused)).toEqual(['RATE_LIMITED']);
      const posted = await attacker.post(stack.url, { extensions: { persistedQuery: { version: 1, sha256Hash: gyms.hash } } });
      expect(posted.status).toBe(429);

      const other = await clientFrom().get(url, stream);
      expect(other.status, other.text.slice(0, 500)).toBe(200);
      expect(nextEvents(other.text)[0]?.data?.gyms?.length).toBeGreaterThan(0);
    });
  });

  carelessRequests({ ALLOW_ARBITRARY_OPERATIONS: 'true' }, 'arbitrary operations allowed');

  describe('an exponential document (ALLOW_ARBITRARY_OPERATIONS=true)', () => {
    beforeAll(() => stack.configureGateway({ ALLOW_ARBITRARY_OPERATIONS: 'true' }), 120_000);

    it('answers 24 levels of doubled fragment spreads with a coded error within 2 s, /healthz answering within 500 ms meanwhile', async () => {
      const fragments = Array.from({ length: 23 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
      const query = `query { ...F0 } ${fragments.join(' ')} fragment F23 on Query { __typename }`;
      let answered = false;
      const answering = clientFrom()
        .post(stack.url, { query })
        .finally(() => (answered = true));
      const probe = clientFrom();
      const healthTimes: number[] = [];
      do {
        const health = await probe.get(`${gatewayOrigin()}/healthz`);
        expect(health.status).toBe(200);
        healthTimes.push(health.ms);
      } while (!answered && healthTimes.length < 200);
      const answer = await answering;
      expectCodedClientError(answer, 'the doubled fragment spreads');
      expect(answer.ms).toBeLessThan(2000);
      expect(Math.max(...healthTimes), JSON.stringify(healthTimes)).toBeLessThan(500);
    });
  });

  describe('HTTP hardening at the gateway (its own address: nginx multiplexes clients)', () => {
    const headersTimeoutMs = 4000;
    const requestTimeoutMs = 8000;
    const maxSocketsPerAddress = 4;
    /** Slack for a busy machine. */
    const slackMs = 3000;
    beforeAll(
      () =>
        stack.configureGateway({
          HTTP_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
          HTTP_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
          HTTP_MAX_SOCKETS_PER_ADDRESS: String(maxSocketsPerAddress),
        }),
      120_000,
    );
    const connectToGateway = (address: string) => rawConnectionFrom(stack.gateway.host, stack.gateway.port, address);

    it('disconnects a client that trickles its headers (slowloris) within the header timeout', async () => {
      const connection = connectToGateway(newClientAddress());
      await connection.connected;
      connection.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n');
      const trickle = setInterval(() => connection.write(`X-Trickle-${Date.now()}: 1\r\n`), 500);
      try {
        const closed = await within(connection.closed, headersTimeoutMs + slackMs);
        expect(closed, 'still connected after the header timeout').not.toBeNull();
      } finally {
        clearInterval(trickle);
      }
    });

    it('cuts a client that sends its body slowly at the request timeout', async () => {
      const connection = connectToGateway(newClientAddress());
      await connection.connected;
      connection.write('POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"query":"');
      const trickle = setInterval(() => connection.write('a'), 500);
      try {
        const closed = await within(connection.closed, requestTimeoutMs + slackMs);
        expect(closed, 'still connected after the request timeout').not.toBeNull();
      } finally {
        clearInterval(trickle);
      }
    });

    it('refuses one idle socket more than the per-address cap, while that address\'s others and other addresses are served', async () => {
      const address = newClientAddress();
      const idle = Array.from({ length: maxSocketsPerAddress }, () => connectToGateway(address));
      await Promise.all(idle.map((connection) => connection.connected));
      const oneMore = connectToGateway(address);
      // Refused at once, long before the header timeout would close an idle socket.
      expect(await within(oneMore.closed, headersTimeoutMs / 2), 'the socket over the cap was not refused').not.toBeNull();
      expect(idle.every((connection) => !connection.isClosed())).toBe(true);

      idle[0]!.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n');
      expect((await idle[0]!.closed).received).toMatch(/^HTTP\/1\.1 200/);
      const other = await clientFrom().get(`${gatewayOrigin()}/healthz`);
      expect(other.status).toBe(200);
    });
  });

  describe('after the attacks', () => {
    it('no service logged a secret: no email, token, password hash, SQL parameters, the demo password or the gateway secret', () => {
      const known = [stack.demoPassword, stack.env.GATEWAY_SECRET!, 'not-the-password-1'];
      for (const service of ['gateway', ...subgraphNames] as ProductionService[]) {
        const log = stack.logs(service).map((entry) => JSON.stringify(entry)).join('\n');
        expect(log.length, `${service} logged nothing`).toBeGreaterThan(0);
        const findings = secretsInLog(log, known);
        expect(findings.slice(0, 5), `${service}: ${findings.length} lines show secrets`).toEqual([]);
      }
    });
  });
});

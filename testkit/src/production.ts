/**
 * FitGraph as it is deployed, on one machine: the compiled services (`pnpm build`, plain
 * `node <package>/<bundle>/index.js`), each its own process on its own loopback address standing
 * for a host of its own, with NODE_ENV=production, keys generated for the run, trusted documents
 * enforced, real PostgreSQL and Redis, and nginx in front of the gateway as the reverse proxy.
 * Clients connect from addresses of their own (127.0.0.10, .11, …), so the proxy and the gateway
 * see distinct clients as they would on the internet.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envPrefix, repoRoot, subgraphNames, type SubgraphName } from '@fitgraph/platform';
import { deleteRedisKeys } from '@fitgraph/service-kit';
import { Agent, fetch as undiciFetch } from 'undici';
import WebSocket from 'ws';
import { dropDatabasesWithPrefix } from './databases';
import { generatedAuthEnv, uniqueDatabasePrefix } from './env';
import { startReverseProxy, type ReverseProxy } from './nginx';
import { freePort } from './processes';
import { testScope } from './scope';
import { startServiceProcess, type ServiceProcess } from './services';

export type ProductionService = 'gateway' | SubgraphName;

/** Where each part listens: one loopback address per host. */
export const productionAddresses: Record<ProductionService | 'proxy', string> = {
  gateway: '127.0.0.2',
  user: '127.0.0.3',
  gym: '127.0.0.4',
  workout: '127.0.0.5',
  nutrition: '127.0.0.6',
  chat: '127.0.0.7',
  proxy: '127.0.0.9',
};

let nextClient = 10;
/**
 * A client address no earlier call in this process handed out (127.0.0.10, then .11, …, then
 * 127.0.1.1, …): a test's clients are strangers to every per-address limit and counter.
 */
export function newClientAddress(): string {
  const n = nextClient++;
  if (n < 255) return `127.0.0.${n}`;
  const third = 1 + Math.floor((n - 255) / 254);
  if (third > 255) throw new Error('out of client addresses');
  return `127.0.${third}.${1 + ((n - 255) % 254)}`;
}

/** One JSON log line of a service (pino: `level` 50 is error, 60 fatal). */
export type LogEntry = { level: number; msg?: string } & Record<string, unknown>;

export interface ProductionStack {
  /** The gateway's GraphQL endpoint through nginx: `http://127.0.0.9:<port>/graphql`. */
  url: string;
  /** The same as a WebSocket URL. */
  wsUrl: string;
  proxy: ReverseProxy;
  /** The gateway process (replaced by {@link ProductionStack.configureGateway}); `url` is its own address, bypassing nginx. */
  readonly gateway: ServiceProcess;
  subgraphs: Record<SubgraphName, ServiceProcess>;
  /** Each service's internal listener (`http://<host>:<INTERNAL_PORT>`): metrics and detailed readiness. */
  internal: Record<ProductionService, string>;
  /** What every service got: generated keys, GATEWAY_SECRET, DEMO_PASSWORD, databases, Redis prefix. */
  env: NodeJS.ProcessEnv;
  /** The seeded demo accounts' password for this run. */
  demoPassword: string;
  /**
   * Runs the gateway (same address and port, so nginx keeps finding it) with `settings` over its
   * base env; restarts it only if it does not run with exactly those settings already.
   */
  configureGateway(settings?: NodeJS.ProcessEnv): Promise<void>;
  /** A service's log lines so far (LOG_LEVEL=info, JSON). */
  logs(service: ProductionService): LogEntry[];
  /** Stops nginx and every service, drops the run's databases and deletes its Redis keys. */
  stop(): Promise<void>;
}

export interface ProductionStackOptions {
  /** The bundles' folder in each package (built by `scripts/build.ts --dist=<folder>`). */
  bundleDir: string;
  /** Extra env of the gateway (its base; {@link ProductionStack.configureGateway} adds to it). */
  gateway?: NodeJS.ProcessEnv;
  /** Extra env of every subgraph. */
  subgraphs?: NodeJS.ProcessEnv;
  /**
   * The Redis every service connects to, e.g. a TCP proxy a test cuts (tcp-proxy.ts). Default:
   * REDIS_URL. The run's keys are deleted through REDIS_URL either way.
   */
  redisUrl?: string;
  /** How long a service may take to answer /healthz after it was spawned. Default: 180000. */
  timeoutMs?: number;
}

/** Starts the five subgraphs and the gateway as compiled processes, then nginx in front of the gateway. */
export async function startProductionStack(options: ProductionStackOptions): Promise<ProductionStack> {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) throw new Error('the production stack needs a real PostgreSQL and Redis: set DATABASE_URL and REDIS_URL');
  const logDir = mkdtempSync(join(tmpdir(), 'fitgraph-production-'));
  const runId = randomBytes(4).toString('hex');
  const { AUTH_SIGNING_KEY, ...sharedAuth } = generatedAuthEnv(`production-${runId}`);
  const demoPassword = `demo-${randomBytes(12).toString('base64url')}`;
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    DATABASE_NAME_PREFIX: uniqueDatabasePrefix(),
    REDIS_URL: options.redisUrl ?? redisUrl,
    REDIS_KEY_PREFIX: `fgt:production:${runId}:`,
    ...sharedAuth,
    DEMO_PASSWORD: demoPassword,
    // Cheaper password hashes (the hash stores its parameters, so every code path is the same).
    PASSWORD_SCRYPT_N: '16384',
    PASSWORD_SCRYPT_P: '1',
  };
  const services: ProductionService[] = ['gateway', ...subgraphNames];
  const ports = {} as Record<ProductionService, { public: number; internal: number }>;
  for (const service of services) {
    const host = productionAddresses[service];
    const publicPort = await freePort(host);
    let internalPort = await freePort(host);
    while (internalPort === publicPort) internalPort = await freePort(host);
    ports[service] = { public: publicPort, internal: internalPort };
  }
  const internal = Object.fromEntries(services.map((service) => [service, `http://${productionAddresses[service]}:${ports[service].internal}`])) as Record<ProductionService, string>;
  const logFile = (service: ProductionService) => join(logDir, `${service}.log`);
  const start = (service: ProductionService, serviceEnv: NodeJS.ProcessEnv) =>
    startServiceProcess(service, { ...serviceEnv, LOG_FILE: logFile(service) }, {
      host: productionAddresses[service],
      port: ports[service].public,
      compiled: true,
      bundleDir: options.bundleDir,
      timeoutMs: options.timeoutMs ?? 180_000,
    });

  const subgraphEnv = (name: SubgraphName): NodeJS.ProcessEnv => ({
    ...env,
    ...(name === 'user' ? { AUTH_SIGNING_KEY } : {}),
    // Only the gateway's host calls a subgraph.
    SUBGRAPH_TRUSTED_PROXIES: productionAddresses.gateway,
    [`${envPrefix(name)}_INTERNAL_PORT`]: String(ports[name].internal),
    ...options.subgraphs,
  });
  const gatewayBaseEnv: NodeJS.ProcessEnv = {
    ...env,
    INTERNAL_PORT: String(ports.gateway.internal),
    TRUSTED_PROXIES: productionAddresses.proxy,
    RATE_LIMIT_ENABLED: 'true',
    ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, `http://${productionAddresses[name]}:${ports[name].public}/graphql`])),
    ...options.gateway,
  };

  const started: ServiceProcess[] = [];
  let proxy: ReverseProxy | undefined;
  let gateway: ServiceProcess | undefined;
  let gatewaySettings: NodeJS.ProcessEnv = {};
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await proxy?.stop();
      await Promise.all([gateway, ...started].map((service) => service && stopService(service)));
      await dropDatabasesWithPrefix(databaseUrl, env.DATABASE_NAME_PREFIX!);
      await deleteRedisKeys(redisUrl, env.REDIS_KEY_PREFIX!);
      rmSync(logDir, { recursive: true, force: true });
    })());
  testScope.defer(stop);

  try {
    // All at once (the gateway needs no subgraph to start); every one that started is stopped if another fails.
    const starting = [
      ...subgraphNames.map((name) => start(name, subgraphEnv(name))),
      start('gateway', gatewayBaseEnv).then((service) => (gateway = service)),
    ];
    const results = await Promise.allSettled(starting);
    for (const result of results.slice(0, subgraphNames.length)) if (result.status === 'fulfilled') started.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const subgraphs = Object.fromEntries(started.map((service) => [service.service, service])) as Record<SubgraphName, ServiceProcess>;
    proxy = await startReverseProxy({ host: productionAddresses.proxy, upstream: `${productionAddresses.gateway}:${ports.gateway.public}` });
    const url = `${proxy.origin}/graphql`;
    await waitUntilReady(proxy.origin, options.timeoutMs ?? 60_000);

    const configureGateway = async (settings: NodeJS.ProcessEnv = {}) => {
      if (JSON.stringify(settings) === JSON.stringify(gatewaySettings)) return;
      await stopService(gateway!);
      gateway = undefined;
      gateway = await start('gateway', { ...gatewayBaseEnv, ...settings });
      gatewaySettings = settings;
      await waitUntilReady(proxy!.origin, options.timeoutMs ?? 60_000);
    };
    return {
      url,
      wsUrl: url.replace(/^http/, 'ws'),
      proxy,
      get gateway() {
        if (!gateway) throw new Error('the gateway is restarting');
        return gateway;
      },
      subgraphs,
      internal,
      env,
      demoPassword,
      configureGateway,
      logs: (service) => readLog(logFile(service)),
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** SIGTERM (its graceful shutdown); SIGKILL when it has not exited after `graceMs` (a process whose event loop an attack blocked). */
async function stopService(service: ServiceProcess, graceMs = 30_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => void service.kill('SIGKILL').then(resolve), graceMs);
  });
  await Promise.race([service.stop(), killed]);
  clearTimeout(timer);
}

/** Polls `/readyz` through the proxy until the gateway and every subgraph it checks are up. */
async function waitUntilReady(origin: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(5000) });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`the gateway behind nginx was not ready within ${timeoutMs} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readLog(file: string): LogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogEntry];
      } catch {
        return [{ level: 0, msg: line }];
      }
    });
}

// ---------------------------------------------------------------- trusted documents

/** An operation of the SDK's trusted-documents manifest: its id (`sha256:<hex>`) and text. */
export interface TrustedDocument {
  id: string;
  /** The bare hex hash (`extensions.persistedQuery.sha256Hash`). */
  hash: string;
  query: string;
}

const manifestPath = join(repoRoot, 'clients/sdk/src/generated/persisted-documents.json');

/** The SDK's manifest entry of the operation named `operationName` (what the production gateway runs). */
export function sdkTrustedDocument(operationName: string): TrustedDocument {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>;
  const named = new RegExp(`\\b(?:query|mutation|subscription)\\s+${operationName}\\b`);
  const entry = Object.entries(manifest).find(([, query]) => named.test(query));
  if (!entry) throw new Error(`no operation ${operationName} in ${manifestPath}`);
  return { id: entry[0], hash: entry[0].replace(/^sha256:/, ''), query: entry[1] };
}

// ---------------------------------------------------------------- clients from an address of their own

/** An HTTP answer, read whole. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: any;
  /** Milliseconds from sending to the end of the body. */
  ms: number;
}

/** The `extensions.code` of each GraphQL error in an answer's JSON body. */
export const answerCodes = (answer: HttpAnswer): unknown[] =>
  ((answer.json?.errors ?? []) as { extensions?: { code?: unknown } }[]).map((error) => error.extensions?.code);

/** HTTP from one client address (its own keep-alive pool). */
export interface AddressedClient {
  address: string;
  /** `fetch` whose connections leave from `address` (for the SDK's `fetch` option). */
  fetch: typeof fetch;
  /** A WebSocket class whose connections leave from `address` (for the SDK's `webSocketImpl`). */
  WebSocket: new (url: string | URL, protocols?: string | string[]) => WebSocket;
  get(url: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** POSTs `body` as JSON. */
  post(url: string, body: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
}

/** A client whose connections come from `address` (default: a new one); closed at the end of the test file. */
export function clientFrom(address: string = newClientAddress()): AddressedClient {
  const agent = new Agent({ localAddress: address });
  testScope.defer(() => agent.close());
  const addressedFetch = ((input: any, init?: any) => undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof fetch;
  const send = async (url: string, init: RequestInit): Promise<HttpAnswer> => {
    const started = Date.now();
    const response = await addressedFetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json, ms: Date.now() - started };
  };
  class AddressedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[], options: WebSocket.ClientOptions = {}) {
      super(url, protocols, { ...options, localAddress: address });
    }
  }
  return {
    address,
    fetch: addressedFetch,
    WebSocket: AddressedWebSocket,
    get: (url, headers = {}) => send(url, { headers }),
    post: (url, body, headers = {}) =>
      send(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers }, body: JSON.stringify(body) }),
  };
}

/** The first thing that happened to a graphql-ws connection attempt. */
export type WebSocketOutcome =
  | { kind: 'acked' }
  | { kind: 'closed'; code: number; reason: string }
  /** The HTTP upgrade was answered with a status instead of 101. */
  | { kind: 'refused'; status: number }
  | { kind: 'error'; message: string };

/** A raw graphql-ws connection (protocol `graphql-transport-ws`) from one client address. */
export interface WebSocketProbe {
  socket: WebSocket;
  /** The first of: connection_ack, a close, a refused upgrade, a socket error. */
  outcome: Promise<WebSocketOutcome>;
  /** Resolves once the socket is closed, with the close code (1006 when it never opened). */
  closed: Promise<{ code: number; reason: string }>;
  isOpen(): boolean;
  /** A graphql-ws ping answered by a pong: the server is still serving this socket. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a WebSocket to `url` from `address`, sends `connection_init` (with `payload`) once it is
 * open, and reports what the server did; closed at the end of the test file.
 */
export function graphqlWsFrom(url: string, address: string, options: { payload?: Record<string, unknown>; headers?: Record<string, string> } = {}): WebSocketProbe {
  const socket = new WebSocket(url, 'graphql-transport-ws', { localAddress: address, headers: options.headers });
  let settle!: (outcome: WebSocketOutcome) => void;
  const outcome = new Promise<WebSocketOutcome>((resolve) => (settle = resolve));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const pongs = new Set<() => void>();
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: options.payload ?? {} })));
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string };
    if (message.type === 'connection_ack') settle({ kind: 'acked' });
    if (message.type === 'pong') for (const pong of [...pongs]) pong();
  });
  socket.on('unexpected-response', (_req, res) => {
    settle({ kind: 'refused', status: res.statusCode ?? 0 });
    res.resume();
    socket.terminate();
  });
  socket.on('error', (error) => settle({ kind: 'error', message: error.message }));
  void closed.then(({ code, reason }) => settle({ kind: 'closed', code, reason }));
  const close = async () => {
    if (socket.readyState === WebSocket.CLOSED) return;
    socket.terminate();
    await closed;
  };
  testScope.defer(close);
  return {
    socket,
    outcome,
    closed,
    isOpen: () => socket.readyState === WebSocket.OPEN,
    ping: (timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          pongs.delete(pong);
          reject(new Error(`no pong within ${timeoutMs} ms`));
        }, timeoutMs);
        const pong = () => {
          clearTimeout(timer);
          pongs.delete(pong);
          resolve();
        };
        pongs.add(pong);
        socket.send(JSON.stringify({ type: 'ping' }));
      }),
    close,
  };
}

/** A raw TCP connection from `address` (for clients that misbehave below HTTP: slow headers, slow bodies, idle sockets). */
export interface RawConnection {
  socket: Socket;
  /** Resolves once the connection is open. */
  connected: Promise<void>;
  /** Resolves when the peer ends or resets the connection, with the ms since it was opened and what the server sent. */
  closed: Promise<{ afterMs: number; received: string }>;
  isClosed(): boolean;
  /** Writes unless the connection is closed; false when it was. */
  write(text: string): boolean;
  close(): void;
}

export function rawConnectionFrom(host: string, port: number, address: string): RawConnection {
  const opened = Date.now();
  const socket = connect({ host, port, localAddress: address });
  let received = '';
  let isClosed = false;
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => {});
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => reject(new Error(`connection from ${address} to ${host}:${port} closed before it opened`)));
  });
  connected.catch(() => {});
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve({ afterMs: Date.now() - opened, received });
    }),
  );
  const close = () => void socket.destroy();
  testScope.defer(close);
  return {
    socket,
    connected,
    closed,
    isClosed: () => isClosed,
    write: (text) => {
      if (isClosed || socket.destroyed) return false;
      socket.write(text);
      return true;
    },
    close,
  };
}

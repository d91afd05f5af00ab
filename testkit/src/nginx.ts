import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';

/** Debian's nginx (`apt-get install nginx`; .ci/run installs it), found on PATH. */
export const nginxInstalled = (): boolean => spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;

/** nginx as a reverse proxy in front of one upstream, run as a child process of the test. */
export interface ReverseProxy {
  /** The address nginx listens on (what clients connect to). */
  host: string;
  port: number;
  /** `http://<host>:<port>` */
  origin: string;
  /** The access log so far: one line per request, `<client address> "<request line>" <status>`. */
  accessLog(): string;
  /** What nginx printed (errors), for failure messages. */
  output(): string;
  /** Fast shutdown (SIGTERM), then its temp folder (config, logs, buffers) is removed. */
  stop(): Promise<void>;
}

export interface ReverseProxyOptions {
  /** Address to listen on, e.g. `127.0.0.9`. */
  host: string;
  /** Where requests go (`host:port`). */
  upstream: string;
  /** Default: a free port. */
  port?: number;
  /** How long nginx may take to listen. Default: 30000. */
  timeoutMs?: number;
}

/**
 * The proxy configuration a deployment puts in front of the gateway: plain HTTP, WebSocket
 * upgrades (Upgrade/Connection passed on per request) and server-sent events (no response
 * buffering, long read timeouts), with the client's address in X-Forwarded-For and X-Real-IP.
 */
function proxyConfig(dir: string, host: string, port: number, upstream: string): string {
  return `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format client '$remote_addr "$request" $status';
  access_log ${dir}/access.log client;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # A WebSocket upgrade is passed on; other requests reuse kept-alive upstream connections.
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' '';
  }
  upstream gateway {
    server ${upstream};
    keepalive 16;
  }
  server {
    listen ${host}:${port};
    location / {
      proxy_pass http://gateway;
      # Connect to the gateway from the proxy's own address (else the kernel picks 127.0.0.1):
      # the gateway believes x-forwarded-for only from the address TRUSTED_PROXIES names.
      proxy_bind ${host};
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Event streams reach the client as they are written.
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
}
`;
}

/**
 * Starts nginx (`nginx -c <conf> -g 'daemon off;'`) with a generated configuration in a temp
 * folder of its own (pid, logs and buffers there too) and resolves once it answers on its port.
 */
export async function startReverseProxy(options: ReverseProxyOptions): Promise<ReverseProxy> {
  const port = options.port ?? (await freePort(options.host));
  const dir = mkdtempSync(join(tmpdir(), 'fitgraph-nginx-'));
  // Run as root, nginx's workers drop to `nobody`, which must reach the buffer folders in here.
  chmodSync(dir, 0o755);
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, proxyConfig(dir, options.host, port, options.upstream));
  const child = spawn('nginx', ['-p', dir, '-c', configPath, '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch {
      return '';
    }
  };
  const origin = `http://${options.host}:${port}`;
  const stop = async () => {
    if (!spawnError && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const log = read('error.log');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx exited (${spawnError?.message ?? child.exitCode ?? child.signalCode}) before it was up:\n${output}${log}`);
    }
    try {
      // Any answer (the upstream may not be up yet: 502) means nginx listens.
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not answer on ${origin}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    host: options.host,
    port,
    origin,
    accessLog: () => read('access.log'),
    output: () => output + read('error.log'),
    stop,
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Ports handed out by {@link freePort} in this process, so two calls never give the same one. */
const handedOut = new Set<number>();

const tryListen = (port: number, host: string): Promise<number | null> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, host, () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });

/**
 * A port that was free a moment ago on `host` (for child processes that need a port up front).
 * Taken below Linux's ephemeral range (32768–60999): a port the kernel picked there can be taken
 * by any outgoing connection of the many tests running beside it before the child listens.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(candidate)) continue;
    const bound = await tryListen(candidate, host);
    if (bound !== null) {
      handedOut.add(bound);
      return bound;
    }
  }
  const bound = (await tryListen(0, host))!;
  handedOut.add(bound);
  return bound;
}

export interface StartedProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM to its whole process group; resolves when it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns `command` (through bash) in its own process group and resolves once its output
 * matches `ready` — never a fixed sleep. Rejects with the output if it exits or times out first.
 */
export function startProcess(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<StartedProcess> {
  const child = spawn('bash', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: StartedProcess = {
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      }
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void started.stop();
      reject(new Error(`timed out waiting for ${options.ready} from "${command}"; output:\n${output.slice(-4000)}`));
    }, options.timeoutMs ?? 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.ready.test(output)) {
        clearTimeout(timer);
        resolve(started);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`"${command}" exited (${code ?? signal}) before it was ready; output:\n${output.slice(-4000)}`));
    });
  });
}

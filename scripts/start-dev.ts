/**
 * `pnpm start`: the whole supergraph in one process (five subgraphs and the gateway on their
 * usual ports), on the embedded default (PGlite under .data/, in-process pub/sub) unless
 * DATABASE_URL / REDIS_URL point at real servers. Seeds demo data on first start. The
 * composition root of that process: the only place it reads the environment.
 */
import { configOrExit, exitOnStartupFailure, stopOnSignals } from '@fitgraph/service-kit';
import { loadStackConfig, startStack } from '@fitgraph/stack';

const config = configOrExit('fitgraph', () => loadStackConfig(process.env));
const stack = await startStack(config).catch((error: unknown) => exitOnStartupFailure('fitgraph', error, config.gateway.logLevel));
process.stderr.write(`\nFitGraph is running. Apollo Sandbox: ${stack.gateway.url}\n\n`);
stopOnSignals(stack.stop, { timeoutMs: config.gateway.operations.shutdownTimeoutMs });

/**
 * `pnpm start`: the whole supergraph in one process (five subgraphs and the gateway on their
 * usual ports), on the embedded default (PGlite under .data/, in-process pub/sub) unless
 * DATABASE_URL / REDIS_URL point at real servers. Seeds demo data on first start.
 */
import { exitOnStartupFailure, stopOnSignals } from '@fitgraph/service-kit';
import { startStack } from '@fitgraph/stack';

const stack = await startStack().catch((error: unknown) => exitOnStartupFailure('fitgraph', error));
process.stderr.write(`\nFitGraph is running. Apollo Sandbox: ${stack.gateway.url}\n\n`);
stopOnSignals(stack.stop);

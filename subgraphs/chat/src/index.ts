// The composition root of the chat subgraph process: the only place it reads the environment.
import { runSubgraphProcess } from '@fitgraph/platform';
import { chatSubgraph } from './server';

await runSubgraphProcess(chatSubgraph, process.env);

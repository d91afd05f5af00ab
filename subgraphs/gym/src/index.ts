// The composition root of the gym subgraph process: the only place it reads the environment.
import { runSubgraphProcess } from '@fitgraph/platform';
import { gymSubgraph } from './server';

await runSubgraphProcess(gymSubgraph, process.env);

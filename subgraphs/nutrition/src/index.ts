// The composition root of the nutrition subgraph process: the only place it reads the environment.
import { runSubgraphProcess } from '@fitgraph/platform';
import { nutritionSubgraph } from './server';

await runSubgraphProcess(nutritionSubgraph, process.env);

// The composition root of the user subgraph process: the only place it reads the environment.
import { runSubgraphProcess } from '@fitgraph/platform';
import { userSubgraph } from './server';

await runSubgraphProcess(userSubgraph, process.env);

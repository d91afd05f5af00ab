// The composition root of the workout subgraph process: the only place it reads the environment.
import { runSubgraphProcess } from '@fitgraph/platform';
import { workoutSubgraph } from './server';

await runSubgraphProcess(workoutSubgraph, process.env);

import { runSubgraph } from '@fitgraph/service-kit';
import { workoutSubgraph } from './server';

await runSubgraph(workoutSubgraph);

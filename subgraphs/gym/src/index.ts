import { runSubgraph } from '@fitgraph/service-kit';
import { gymSubgraph } from './server';

await runSubgraph(gymSubgraph);

import { runSubgraph } from '@fitgraph/service-kit';
import { nutritionSubgraph } from './server';

await runSubgraph(nutritionSubgraph);

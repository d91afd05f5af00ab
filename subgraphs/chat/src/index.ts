import { runSubgraph } from '@fitgraph/service-kit';
import { chatSubgraph } from './server';

await runSubgraph(chatSubgraph);

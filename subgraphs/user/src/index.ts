import { runSubgraph } from '@fitgraph/service-kit';
import { userSubgraph } from './server';

await runSubgraph(userSubgraph);

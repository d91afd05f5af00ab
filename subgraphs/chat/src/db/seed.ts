import type { Database } from '@fitgraph/service-kit';
import type * as schema from './schema';

/** Chat starts empty: conversations are made by members. */
export async function seedChat(_db: Database<typeof schema>): Promise<void> {}

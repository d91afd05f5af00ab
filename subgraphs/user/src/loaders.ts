import { deletedUserId } from '@fitgraph/platform';
import { anyOf, byKey, onlyUuids, perDatabase, type Database } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';

/**
 * Who records that outlive their author point at (chat messages keep `deletedUserId` as sender):
 * not an account, so it cannot sign in, and its email is never shown.
 */
export const deletedUserPlaceholder: schema.UserRow = {
  id: deletedUserId,
  email: '',
  displayName: 'Deleted user',
  role: 'MEMBER',
  homeGymId: null,
  timeZone: 'UTC',
  passwordHash: null,
  createdAt: new Date(0),
};

/**
 * What an entity reference to a user who does not exist (any more) resolves to: references
 * live in other subgraphs' databases and can dangle (an event not yet processed, an id a
 * client made up), and one dangling member must not fail a whole conversation or workout list.
 */
export const placeholderFor = (id: string): schema.UserRow => ({ ...deletedUserPlaceholder, id });

/** Placeholders have no email; every real account has one. */
export const isPlaceholder = (user: schema.UserRow): boolean => user.email === '';

/** The loaders' statements, built and prepared once per database. */
const statements = perDatabase((db: Database<typeof schema>) => ({
  usersByIds: db.select().from(schema.users).where(anyOf(schema.users.id, 'ids', 'uuid')).prepare('users_by_ids'),
}));

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  const { usersByIds } = statements(db);
  return {
    userById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await usersByIds.execute({ ids: onlyUuids(ids) }), (u) => u.id).map((user, i) =>
        user ?? (ids[i] === deletedUserId ? deletedUserPlaceholder : null),
      ),
    ),
  };
}
export type UserLoaders = ReturnType<typeof createLoaders>;

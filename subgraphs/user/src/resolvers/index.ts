import { isSelfOr, scalarResolvers } from '@fitgraph/service-kit';
import { deleteAccount, setUserRole, signIn, signUp, updateProfile } from '../accounts';
import type { UserContext } from '../context';
import type { Resolvers } from '../generated/resolvers-types';
import { isPlaceholder, placeholderFor } from '../loaders';
import { endSession, refreshSession, type AuthPayload } from '../sessions';

/** The payload's user is the one now signed in: let the rest of this request see them as such. */
async function authenticated(ctx: UserContext, payload: Promise<AuthPayload>): Promise<AuthPayload> {
  const result = await payload;
  ctx.authenticatedUserId = result.user.id;
  return result;
}

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Query: {
    user: (_parent, { id }, { loaders }) => loaders.userById.load(id),
    me: (_parent, _args, { viewer, loaders }) => (viewer ? loaders.userById.load(viewer.id) : null),
  },
  Mutation: {
    signUp: (_parent, args, ctx) => authenticated(ctx, signUp(args, ctx)),
    signIn: (_parent, args, ctx) => authenticated(ctx, signIn(args, ctx)),
    refreshSession: (_parent, { refreshToken }, ctx) => authenticated(ctx, refreshSession(ctx.db, ctx.accounts.sessions, refreshToken)),
    signOut: (_parent, { refreshToken }, ctx) => endSession(ctx.db, ctx.accounts.sessions, refreshToken),
    updateProfile: (_parent, args, ctx) => updateProfile(args, ctx),
    deleteAccount: (_parent, _args, ctx) => deleteAccount(ctx),
    setUserRole: (_parent, args, ctx) => setUserRole(args, ctx),
  },
  User: {
    __resolveReference: async ({ id }, { loaders }) => (await loaders.userById.load(id)) ?? placeholderFor(id),
    // Private: the user themself and ADMIN only; null (not an error) for everyone else.
    email: (user, _args, ctx) =>
      !isPlaceholder(user) && (isSelfOr(ctx, user.id, 'ADMIN') || ctx.authenticatedUserId === user.id) ? user.email : null,
    homeGym: (user) => (user.homeGymId ? { id: user.homeGymId } : null),
  },
};

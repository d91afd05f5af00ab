import { committed } from '@fitgraph/platform';
import { isSelfOr, parseInput, requireRole, requireUser, scalarResolvers } from '@fitgraph/service-kit';
import * as accounts from '../accounts';
import type { UserContext } from '../context';
import type { Resolvers } from '../generated/resolvers-types';
import { isPlaceholder, placeholderFor } from '../loaders';
import { endSession, refreshSession, type AuthPayload } from '../sessions';
import { setUserRoleArgs, signUpArgs, updateProfileArgs } from './inputs';

/** What account operations work with, from the request's context. */
const scopeOf = (ctx: UserContext): accounts.AccountScope => ({ db: ctx.db, accounts: ctx.accounts, logger: ctx.logger, clientIp: ctx.request.clientIp });

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
    signUp: async (_parent, args, ctx) => {
      // Throttled per client IP before anything else is looked at.
      await ctx.accounts.throttle.signUp(ctx.request.clientIp);
      const { input } = parseInput(signUpArgs, args);
      return authenticated(ctx, committed(ctx, await accounts.signUp(scopeOf(ctx), input)));
    },
    signIn: async (_parent, args, ctx) => authenticated(ctx, committed(ctx, await accounts.signIn(scopeOf(ctx), args))),
    refreshSession: (_parent, { refreshToken }, ctx) => authenticated(ctx, refreshSession(ctx.db, ctx.accounts.sessions, refreshToken)),
    signOut: (_parent, { refreshToken }, ctx) => endSession(ctx.db, ctx.accounts.sessions, refreshToken),
    updateProfile: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { input } = parseInput(updateProfileArgs, args);
      return committed(ctx, await accounts.updateProfile(scopeOf(ctx), viewer, input));
    },
    deleteAccount: async (_parent, _args, ctx) => committed(ctx, await accounts.deleteAccount(scopeOf(ctx), requireUser(ctx))),
    setUserRole: async (_parent, args, ctx) => {
      const admin = requireRole(ctx, 'ADMIN');
      const input = parseInput(setUserRoleArgs, args);
      return committed(ctx, await accounts.setUserRole(scopeOf(ctx), admin, input));
    },
  },
  User: {
    __resolveReference: async ({ id }, { loaders }) => (await loaders.userById.load(id)) ?? placeholderFor(id),
    // Private: the user themself and ADMIN only; null (not an error) for everyone else.
    email: (user, _args, ctx) =>
      !isPlaceholder(user) && (isSelfOr(ctx, user.id, 'ADMIN') || ctx.authenticatedUserId === user.id) ? user.email : null,
    homeGym: (user) => (user.homeGymId ? { id: user.homeGymId } : null),
  },
};

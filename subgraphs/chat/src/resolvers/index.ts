import { z } from 'zod';
import { committed, deletedUserId } from '@fitgraph/platform';
import {
  badUserInput,
  forbidden,
  isUuid,
  nameInput,
  parseInput,
  present,
  rateLimited,
  requireUser,
  scalarResolvers,
  uuidInput,
} from '@fitgraph/service-kit';
import type { ChatContext } from '../context';
import * as chat from '../conversations';
import { conversationChannel } from '../events';
import type { Resolvers } from '../generated/resolvers-types';
import { messageId, parseMessageId } from '../ids';
import { MessageStream } from '../message-stream';

/** Ids compare as text in cursors and pairing keys: one spelling. */
const id = () => uuidInput().transform((value) => value.toLowerCase());
const codePoints = (text: string) => [...text].length;
const memberIds = z
  .array(id().refine((value) => value !== deletedUserId, 'is not a member id'))
  .max(chat.maxMembers, `must list at most ${chat.maxMembers} members`);

const startArgs = z.object({
  memberIds,
  // An empty title is no title.
  title: z
    .string()
    .nullish()
    .transform((title) => title?.trim() || null)
    .pipe(nameInput(100).nullable()),
});
const addArgs = z.object({ conversationId: id(), memberIds });
const removeArgs = z.object({ conversationId: id(), userId: id() });
const conversationArgs = z.object({ conversationId: id() });
const gymArgs = z.object({ gymId: id() });
const sendArgs = z.object({
  conversationId: id(),
  body: z
    .string()
    .trim()
    .refine((body) => codePoints(body) >= 1, 'must not be empty')
    .refine((body) => codePoints(body) <= chat.maxBodyLength, `must be at most ${chat.maxBodyLength} characters`),
  clientMessageId: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters').nullish(),
});
const subscribeArgs = z.object({ conversationId: id(), after: z.string().nullish() });
const pageArgs = z.object({
  last: z.number().int().min(1, 'must be at least 1').max(200, 'must be at most 200'),
  before: z.string().nullish(),
});

/** The seq of a cursor that must name a message of `conversationId`. */
function cursorSeq(cursor: string, conversationId: string, field: string): number {
  const key = parseMessageId(cursor);
  if (!key || key.conversationId !== conversationId) throw badUserInput(`${field}: not a message id of this conversation`, field);
  return key.seq;
}

/** A conversation or message only reaches its members, also through `_entities`. */
async function visible(ctx: ChatContext, conversationId: string): Promise<boolean> {
  return !!ctx.viewer && (await ctx.loaders.isMember.load({ conversationId, userId: ctx.viewer.id }));
}

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Query: {
    conversations: (_parent, _args, ctx) => chat.conversationsOf(ctx.db, requireUser(ctx)),
    conversation: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      if (!isUuid(args.id)) return null;
      const conversation = await ctx.loaders.conversationById.load(args.id.toLowerCase());
      if (!conversation) return null;
      if (!(await ctx.loaders.isMember.load({ conversationId: conversation.id, userId: viewer.id }))) {
        throw forbidden('Only members of the conversation may read it');
      }
      return conversation;
    },
  },
  Mutation: {
    startConversation: (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { memberIds, title } = parseInput(startArgs, args);
      return chat.startConversation(ctx.db, viewer, memberIds, title);
    },
    addMembers: (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { conversationId, memberIds } = parseInput(addArgs, args);
      return chat.addMembers(ctx.db, viewer, conversationId, memberIds);
    },
    removeMember: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { conversationId, userId } = parseInput(removeArgs, args);
      return committed(ctx, await chat.removeMember(ctx.db, viewer, conversationId, userId));
    },
    leaveConversation: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { conversationId } = parseInput(conversationArgs, args);
      return committed(ctx, await chat.leaveConversation(ctx.db, viewer, conversationId));
    },
    joinGymRoom: (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { gymId } = parseInput(gymArgs, args);
      return chat.joinGymRoom(ctx.db, viewer, gymId);
    },
    sendMessage: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { conversationId, body, clientMessageId } = parseInput(sendArgs, args);
      const verdict = await ctx.sendLimit.consume(viewer.id);
      if (verdict.limited) {
        // A retry of a send that already went through is not a new message: it still gets its answer.
        const replay = clientMessageId ? await chat.replayOfSend(ctx.db, viewer, conversationId, clientMessageId, body) : null;
        if (!replay) {
          ctx.logger.info({ senderId: viewer.id, conversationId, requestId: ctx.request.requestId }, 'send rate limited');
          throw rateLimited(verdict.retryAfterSeconds, 'Too many messages; try again later');
        }
        return committed(ctx, replay);
      }
      const outcome = await chat.sendMessage(ctx.db, viewer, conversationId, body, clientMessageId ?? null, ctx.messageQuota);
      if (outcome.replayed) await ctx.sendLimit.reward(viewer.id);
      ctx.logger.debug({ conversationId, seq: outcome.result.seq, requestId: ctx.request.requestId }, 'message sent');
      return committed(ctx, outcome);
    },
  },
  Subscription: {
    messageAdded: {
      subscribe: async (_parent, args, ctx) => {
        const viewer = requireUser(ctx);
        const { conversationId, after } = parseInput(subscribeArgs, args);
        const afterSeq = after == null ? null : cursorSeq(after, conversationId, 'after');
        let subscriptionId: number | null = null;
        const stream = new MessageStream({
          viewerId: viewer.id,
          fetchPage: (from, upto, limit) => chat.streamPage(ctx.db, viewer.id, conversationId, from, upto, limit),
          onClose: () => {
            if (subscriptionId !== null) ctx.pubsub.unsubscribe(subscriptionId);
          },
          logger: ctx.logger,
        });
        // Subscribe before reading the position, so nothing committed after the read can be missed.
        subscriptionId = await ctx.pubsub.subscribe(conversationChannel(conversationId), stream.onEvent, {});
        try {
          const position = await chat.streamPosition(ctx.db, viewer, conversationId);
          if (afterSeq !== null && afterSeq > position.lastSeq) throw badUserInput('after: no such message in this conversation', 'after');
          stream.start({ afterSeq: afterSeq ?? position.lastSeq, ...position });
          ctx.logger.debug({ conversationId, viewerId: viewer.id, afterSeq, lastSeq: position.lastSeq }, 'message stream opened');
          return stream;
        } catch (error) {
          await stream.return();
          throw error;
        }
      },
    },
  },
  Conversation: {
    __resolveReference: async ({ id: conversationId }, ctx) =>
      (await visible(ctx, conversationId)) ? ctx.loaders.conversationById.load(conversationId) : null,
    members: async (conversation, _args, { loaders }) =>
      (await loaders.memberIdsByConversationId.load(conversation.id)).map((userId) => ({ id: userId })),
    messages: (conversation, args, { loaders }) => {
      const { last, before } = parseInput(pageArgs, args);
      const beforeSeq = before == null ? null : cursorSeq(before, conversation.id, 'before');
      return loaders.messagePage.load({ conversationId: conversation.id, last, beforeSeq });
    },
    gym: (conversation) => (conversation.gymId ? { id: conversation.gymId } : null),
  },
  Message: {
    __resolveReference: async ({ id: publicId }, ctx) => {
      const key = parseMessageId(publicId);
      return key && (await visible(ctx, key.conversationId)) ? ctx.loaders.messageById.load(publicId) : null;
    },
    id: (message) => messageId(message),
    conversation: async (message, _args, { loaders }) =>
      present(await loaders.conversationById.load(message.conversationId), `conversation of message ${messageId(message)}`),
    sender: (message) => ({ id: message.senderId }),
  },
};

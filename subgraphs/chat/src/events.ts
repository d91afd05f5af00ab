import type { LiveEvent } from '@fitgraph/platform';
import type { MessageRow } from './db/schema';

/**
 * Live events of one conversation on the shared pub/sub (Redis across replicas). They are only
 * hints that something was committed: streams read the database whenever an event does not
 * follow on from what they already sent, so a lost or reordered event never loses a message.
 */
export type ConversationEvent =
  | {
      type: 'message';
      /** The conversation's membership version when the message was sent (see MessageStream). */
      membershipVersion: number;
      message: MessagePayload;
    }
  | {
      type: 'memberRemoved';
      userId: string;
      membershipVersion: number;
    };

/** A message row as it travels as JSON. */
export type MessagePayload = Omit<MessageRow, 'sentAt'> & { sentAt: string };

/** One channel per conversation, so a replica receives only what its subscribers follow. */
export const conversationChannel = (conversationId: string): string => `chat-conversation:${conversationId}`;

export const toPayload = (row: MessageRow): MessagePayload => ({ ...row, sentAt: row.sentAt.toISOString() });
export const fromPayload = (payload: MessagePayload): MessageRow => ({ ...payload, sentAt: new Date(payload.sentAt) });

/** A conversation event as the live event publish-after-commit sends (platform outcome.ts). */
export const conversationEvent = (conversationId: string, event: ConversationEvent): LiveEvent => ({
  channel: conversationChannel(conversationId),
  payload: event,
});

import { isUuid } from '@fitgraph/service-kit';

/**
 * Public message ids: `<conversation id>.<seq as 10 digits>`. Within a conversation they sort
 * in send order as plain strings (the contract's "ordered" ids), and a cursor (`before`, `after`)
 * names its conversation and position exactly without a database lookup. Clients treat them as
 * opaque.
 */
export interface MessageKey {
  conversationId: string;
  seq: number;
}

/** seq is a PostgreSQL integer: at most 2^31 - 1, which is 10 digits. */
const seqDigits = 10;
const maxSeq = 2 ** 31 - 1;

export const messageId = ({ conversationId, seq }: MessageKey): string => `${conversationId}.${String(seq).padStart(seqDigits, '0')}`;

/** The key behind a public message id, or null when `id` is not one. */
export function parseMessageId(id: string): MessageKey | null {
  const match = /^([0-9a-fA-F-]{36})\.(\d{10})$/.exec(id);
  if (!match || !isUuid(match[1]!)) return null;
  const seq = Number(match[2]);
  if (seq < 1 || seq > maxSeq) return null;
  return { conversationId: match[1]!.toLowerCase(), seq };
}

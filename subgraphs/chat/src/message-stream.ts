import { SequencedStream } from '@fitgraph/platform';
import { type Logger } from '@fitgraph/service-kit';
import type { MessageRow } from './db/schema';
import { fromPayload, type ConversationEvent } from './events';

/** What a stream reads from the database: messages with seq in (afterSeq, uptoSeq], and membership now. */
export interface StreamPage {
  /** False when the subscriber is no longer a member (or the conversation is gone): the stream ends. */
  isMember: boolean;
  membershipVersion: number;
  /** In seq order, at most `limit`. */
  messages: MessageRow[];
}

export interface MessageStreamOptions {
  viewerId: string;
  fetchPage(afterSeq: number, uptoSeq: number, limit: number): Promise<StreamPage>;
  /** Unsubscribes from pub/sub; called once when the stream ends by any route. */
  onClose(): void;
  logger: Logger;
  /** Messages read per database round trip. Default: 100. */
  pageSize?: number;
  /** Live messages held in memory ahead of a slow consumer; beyond this they are re-read. Default: 1000. */
  liveLimit?: number;
}

export interface StreamStart {
  /** Deliver messages with a seq above this (the `after` cursor, or the newest seq when absent). */
  afterSeq: number;
  /** The conversation's newest seq, read after subscribing to pub/sub. */
  lastSeq: number;
  /** The conversation's membership version, read together with `lastSeq`. */
  membershipVersion: number;
}

type Item = { messageAdded: MessageRow };
type Entry = { row: MessageRow; membershipVersion: number };

/**
 * The `messageAdded` stream: exact, ordered, exactly-once delivery of a conversation's messages,
 * by service-kit's replay-then-live {@link SequencedStream} over the conversation's dense `seq`
 * (the sender holds the conversation row lock until commit, so seqs commit in order).
 *
 * Membership: an event for the subscriber's own removal ends the stream. Each message event
 * carries the conversation's membership version at send time; a message from a newer version
 * than the stream has verified is read through the database instead, which re-checks
 * membership, so a removed member never receives a message sent after the removal even if the
 * removal event is late.
 */
export class MessageStream implements AsyncIterableIterator<Item> {
  private knownVersion = 0;
  private readonly viewerId: string;
  private readonly stream: SequencedStream<Entry, Item>;

  constructor(options: MessageStreamOptions) {
    this.viewerId = options.viewerId;
    this.stream = new SequencedStream<Entry, Item>({
      seqOf: (entry) => entry.row.seq,
      fetchPage: async (afterSeq, uptoSeq, limit) => {
        const page = await options.fetchPage(afterSeq, uptoSeq, limit);
        if (!page.isMember) return null;
        this.knownVersion = Math.max(this.knownVersion, page.membershipVersion);
        return page.messages.map((row) => ({ row, membershipVersion: page.membershipVersion }));
      },
      toValue: (entry) => ({ messageAdded: entry.row }),
      trustLive: (entry) => entry.membershipVersion <= this.knownVersion,
      onClose: options.onClose,
      logger: options.logger,
      failureMessage: 'The message stream failed; subscribe again with `after` set to the last id received',
      pageSize: options.pageSize,
      liveLimit: options.liveLimit,
    });
  }

  /** The pub/sub listener; may run before {@link start} (events are then held until it). */
  readonly onEvent = (event: ConversationEvent): void => {
    if (event.type === 'memberRemoved') {
      if (event.userId === this.viewerId) this.stream.end();
      return;
    }
    this.stream.offer({ row: fromPayload(event.message), membershipVersion: event.membershipVersion });
  };

  start(position: StreamStart): void {
    this.knownVersion = position.membershipVersion;
    this.stream.start(position);
  }

  next(): Promise<IteratorResult<Item>> {
    return this.stream.next();
  }

  return(): Promise<IteratorResult<Item>> {
    return this.stream.return();
  }

  throw(error?: unknown): Promise<IteratorResult<Item>> {
    return this.stream.throw(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

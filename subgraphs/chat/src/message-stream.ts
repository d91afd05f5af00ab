import { GraphQLError } from 'graphql';
import { ErrorCode, type Logger } from '@fitgraph/service-kit';
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

/**
 * The `messageAdded` stream: exact, ordered, exactly-once delivery of a conversation's messages.
 *
 * It subscribes to pub/sub *before* reading its starting position (the caller does that, then
 * calls {@link start}), so every message committed after that read also arrives as an event.
 * The stream tracks `lastQueued`, the highest seq it has handed out, and `target`, the highest
 * seq known to exist. Seqs are dense and commit in order (the sender holds the conversation row
 * lock until commit), so when an event for seq N arrives every seq below N is already readable:
 * an event that follows on from `lastQueued` is delivered from memory, anything else (the
 * backlog after `after`, a gap from events published out of order, payloads dropped for a slow
 * consumer) is read from the database in pages. Anything at or below `lastQueued` is dropped, so
 * there is no duplicate across the switch from replay to live.
 *
 * Membership: an event for the subscriber's own removal ends the stream. Each message event
 * carries the conversation's membership version at send time; a message from a newer version
 * than the stream has verified is read through the database instead, which re-checks
 * membership, so a removed member never receives a message sent after the removal even if the
 * removal event is late.
 *
 * Written by hand rather than as an async generator so that `return()` ends the stream (and
 * unsubscribes) at once even while a `next()` is waiting for the next message.
 */
export class MessageStream implements AsyncIterableIterator<Item> {
  private readonly queue: MessageRow[] = [];
  private readonly waiters: { resolve(result: IteratorResult<Item>): void; reject(error: unknown): void }[] = [];
  private readonly live = new Map<number, { row: MessageRow; membershipVersion: number }>();
  private readonly pageSize: number;
  private readonly liveLimit: number;
  private lastQueued = 0;
  private target = 0;
  private knownVersion = 0;
  private started = false;
  private finished = false;
  private pumping = false;

  constructor(private readonly options: MessageStreamOptions) {
    this.pageSize = options.pageSize ?? 100;
    this.liveLimit = options.liveLimit ?? 1000;
  }

  /** The pub/sub listener; may run before {@link start} (events are then held until it). */
  readonly onEvent = (event: ConversationEvent): void => {
    if (this.finished) return;
    if (event.type === 'memberRemoved') {
      if (event.userId === this.options.viewerId) this.finish();
      return;
    }
    const row = fromPayload(event.message);
    this.target = Math.max(this.target, row.seq);
    if (row.seq > this.lastQueued && this.live.size < this.liveLimit) {
      this.live.set(row.seq, { row, membershipVersion: event.membershipVersion });
    }
    void this.pump();
  };

  start(position: StreamStart): void {
    this.lastQueued = position.afterSeq;
    this.target = Math.max(this.target, position.lastSeq);
    this.knownVersion = position.membershipVersion;
    this.started = true;
    this.pruneLive();
    void this.pump();
  }

  next(): Promise<IteratorResult<Item>> {
    const row = this.queue.shift();
    if (row) return Promise.resolve({ value: { messageAdded: row }, done: false });
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      void this.pump();
    });
  }

  return(): Promise<IteratorResult<Item>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<Item>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream: pending `next()` calls resolve as done (or reject with `error`). */
  private finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.length = 0;
    this.live.clear();
    try {
      this.options.onClose();
    } catch (closeError) {
      this.options.logger.warn({ err: closeError }, 'closing a message stream failed');
    }
    for (const waiter of this.waiters.splice(0)) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
  }

  private pruneLive(): void {
    for (const seq of this.live.keys()) if (seq <= this.lastQueued) this.live.delete(seq);
  }

  private deliver(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      this.waiters.shift()!.resolve({ value: { messageAdded: this.queue.shift()! }, done: false });
    }
  }

  /** Fills the queue while someone waits and messages are known to exist; one run at a time. */
  private async pump(): Promise<void> {
    if (this.pumping || !this.started) return;
    this.pumping = true;
    try {
      while (!this.finished && this.waiters.length > 0 && this.queue.length === 0 && this.lastQueued < this.target) {
        const following = this.live.get(this.lastQueued + 1);
        if (following && following.membershipVersion <= this.knownVersion) {
          // Fast path: events that follow on, from a membership this stream has verified.
          let entry: typeof following | undefined = following;
          while (entry && entry.membershipVersion <= this.knownVersion) {
            this.live.delete(entry.row.seq);
            this.queue.push(entry.row);
            this.lastQueued = entry.row.seq;
            entry = this.live.get(this.lastQueued + 1);
          }
        } else {
          const page = await this.options.fetchPage(this.lastQueued, this.target, this.pageSize);
          if (this.finished) break;
          if (!page.isMember) {
            this.finish();
            break;
          }
          this.knownVersion = Math.max(this.knownVersion, page.membershipVersion);
          for (const row of page.messages) {
            if (row.seq <= this.lastQueued) continue;
            this.queue.push(row);
            this.lastQueued = row.seq;
          }
          if (page.messages.length === 0) {
            // Cannot happen while seqs are dense; never spin on it.
            this.options.logger.warn({ afterSeq: this.lastQueued, target: this.target }, 'announced messages not found; skipping');
            this.lastQueued = this.target;
          }
          this.pruneLive();
        }
        this.deliver();
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'message stream failed');
      // The cause stays in the log; the client learns only that it may resubscribe from its last id.
      this.finish(
        new GraphQLError('The message stream failed; subscribe again with `after` set to the last id received', {
          extensions: { code: ErrorCode.Internal },
        }),
      );
    } finally {
      this.pumping = false;
    }
  }
}

import { GraphQLError } from 'graphql';
import { ErrorCode } from '@fitgraph/service-kit';
import type { Logger } from '@fitgraph/service-kit';

export interface SequencedStreamOptions<T, V> {
  /** The item's position: dense (1, 2, 3, …) per stream, and committed in that order. */
  seqOf(item: T): number;
  /** Stored items with seq in (afterSeq, uptoSeq], in seq order, at most `limit`; null ends the stream (e.g. access lost). */
  fetchPage(afterSeq: number, uptoSeq: number, limit: number): Promise<readonly T[] | null>;
  /** What the iterator yields for an item (e.g. `{ messageAdded: row }`). */
  toValue(item: T): V;
  /** Whether a live item may be delivered from memory right now; when not, it is read through `fetchPage`. Default: always. */
  trustLive?(item: T): boolean;
  /** Unsubscribes from pub/sub; called once when the stream ends by any route. */
  onClose(): void;
  logger: Logger;
  /** The error the subscriber sees when reading fails (the cause is logged). */
  failureMessage: string;
  /** Items read per database round trip. Default: 100. */
  pageSize?: number;
  /** Live items held in memory ahead of a slow consumer; beyond this they are re-read. Default: 1000. */
  liveLimit?: number;
}

export interface SequencedStreamStart {
  /** Deliver items with a seq above this (the resume cursor, or `lastSeq` when absent). */
  afterSeq: number;
  /** The newest seq stored, read *after* subscribing to pub/sub. */
  lastSeq: number;
}

/**
 * Replay-then-live: exact, ordered, exactly-once delivery of a sequence of stored items whose
 * commits are also announced on pub/sub (chat's `messageAdded`, gym's `machineStatusChanged`).
 *
 * The caller subscribes to pub/sub *before* reading its starting position, hands each event to
 * {@link offer} (possibly before {@link start}) and then calls {@link start}, so every item
 * committed after that read also arrives as an event. The stream tracks `lastQueued`, the highest
 * seq it has handed out, and `target`, the highest seq known to exist. Seqs are dense and commit
 * in order, so when an event for seq N arrives every seq below N is already readable: an event
 * that follows on from `lastQueued` is delivered from memory, anything else (the backlog after the
 * cursor, a gap from events published out of order or lost, items dropped for a slow consumer) is
 * read from the database in pages. Anything at or below `lastQueued` is dropped, so there is no
 * duplicate across the switch from replay to live.
 *
 * Written by hand rather than as an async generator so that `return()` ends the stream (and
 * unsubscribes) at once even while a `next()` is waiting for the next item.
 */
export class SequencedStream<T, V> implements AsyncIterableIterator<V> {
  private readonly queue: T[] = [];
  private readonly waiters: { resolve(result: IteratorResult<V>): void; reject(error: unknown): void }[] = [];
  private readonly live = new Map<number, T>();
  private readonly pageSize: number;
  private readonly liveLimit: number;
  private lastQueued = 0;
  private target = 0;
  private started = false;
  private finished = false;
  private pumping = false;

  constructor(private readonly options: SequencedStreamOptions<T, V>) {
    this.pageSize = options.pageSize ?? 100;
    this.liveLimit = options.liveLimit ?? 1000;
  }

  /** A live item from pub/sub; may come before {@link start} (it is then held until it). */
  offer(item: T): void {
    if (this.finished) return;
    const seq = this.options.seqOf(item);
    this.target = Math.max(this.target, seq);
    if (seq > this.lastQueued && this.live.size < this.liveLimit) this.live.set(seq, item);
    void this.pump();
  }

  start(position: SequencedStreamStart): void {
    this.lastQueued = position.afterSeq;
    this.target = Math.max(this.target, position.lastSeq);
    this.started = true;
    this.pruneLive();
    void this.pump();
  }

  /** Ends the stream: pending `next()` calls resolve as done (or reject with `error`). */
  end(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.length = 0;
    this.live.clear();
    try {
      this.options.onClose();
    } catch (closeError) {
      this.options.logger.warn({ err: closeError }, 'closing a sequenced stream failed');
    }
    for (const waiter of this.waiters.splice(0)) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
  }

  next(): Promise<IteratorResult<V>> {
    const item = this.queue.shift();
    if (item !== undefined) return Promise.resolve({ value: this.options.toValue(item), done: false });
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      void this.pump();
    });
  }

  return(): Promise<IteratorResult<V>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<V>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private pruneLive(): void {
    for (const seq of this.live.keys()) if (seq <= this.lastQueued) this.live.delete(seq);
  }

  private deliver(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      this.waiters.shift()!.resolve({ value: this.options.toValue(this.queue.shift()!), done: false });
    }
  }

  private trusted(item: T | undefined): item is T {
    return item !== undefined && (this.options.trustLive?.(item) ?? true);
  }

  /** Fills the queue while someone waits and items are known to exist; one run at a time. */
  private async pump(): Promise<void> {
    if (this.pumping || !this.started) return;
    this.pumping = true;
    try {
      while (!this.finished && this.waiters.length > 0 && this.queue.length === 0 && this.lastQueued < this.target) {
        let following = this.live.get(this.lastQueued + 1);
        if (this.trusted(following)) {
          // Fast path: live items that follow on.
          while (this.trusted(following)) {
            this.live.delete(this.lastQueued + 1);
            this.queue.push(following);
            this.lastQueued += 1;
            following = this.live.get(this.lastQueued + 1);
          }
        } else {
          const page = await this.options.fetchPage(this.lastQueued, this.target, this.pageSize);
          if (this.finished) break;
          if (page === null) {
            this.end();
            break;
          }
          for (const item of page) {
            const seq = this.options.seqOf(item);
            if (seq <= this.lastQueued) continue;
            this.queue.push(item);
            this.lastQueued = seq;
          }
          if (page.length === 0) {
            // Announced items that are gone (deleted since) or never existed: never spin on them.
            this.options.logger.warn({ afterSeq: this.lastQueued, target: this.target }, 'announced items not found; skipping');
            this.lastQueued = this.target;
          }
          this.pruneLive();
        }
        this.deliver();
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'sequenced stream failed');
      // The cause stays in the log; the client learns only that it may resubscribe from its last id.
      this.end(new GraphQLError(this.options.failureMessage, { extensions: { code: ErrorCode.Internal } }));
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * Delivery to clients: a group holds the clients with the same operation, variables and
 * identity (one execution per event serves them all); results reach them in upstream order
 * although executions overlap, and a client that falls too far behind is dropped rather than
 * buffered without bound.
 *
 * graphql-ws clients get their `next` messages written by delivery itself (`FrameStream`): the
 * group serialises each result once, and each client's message is its own `id` around that
 * shared JSON, sent straight to its socket. graphql-ws would `JSON.stringify` and await a
 * socket write per client per event, which capped a 10,000-client fan-out at ~25,000 messages/s.
 * graphql-ws still owns the connection (init, ping/pong, `subscribe`, `complete`, `error`, close
 * codes): the stream it iterates yields nothing and ends when the subscription does, so it
 * sends `complete` after the last `next`. SSE clients keep an iterator of results
 * (`createPushIterator`), which graphql-sse serialises.
 */
import type { FormattedExecutionResult } from 'graphql';
import type { PreparedSubscription } from './planner';
import { createPushIterator } from './push-iterator';

export const rateLimited = (message: string, limit: number): FormattedExecutionResult => ({
  errors: [{ message, extensions: { code: 'RATE_LIMITED', limit } }],
});

/** A graphql-ws connection delivery writes `next` messages to. */
export interface FrameConnection {
  /** Whether subscription `id` may still get a `next`: the socket is open and neither side has completed `id`. */
  accepts(id: string): boolean;
  /** Writes one text message; `written` runs once the socket has taken it (or failed to). */
  write(message: string, written: () => void): void;
}

/** Where a graphql-ws subscription's messages go: its connection and the client's subscription id. */
export interface FrameTarget {
  connection: FrameConnection;
  id: string;
}

/** One client subscription in a group, whichever transport serves it. */
export interface ClientStream extends AsyncIterableIterator<FormattedExecutionResult> {
  /** Whether it ended (no more results go to it). */
  readonly ended: boolean;
  /** Results handed to the transport but not yet taken by the client's socket: how far it is behind. */
  readonly queued: number;
  /** The group's event counter when it joined: it gets only events enqueued after that. */
  joinedAt: number;
  /** Delivers `result`; `json` is the group's one serialisation of it. */
  push(result: FormattedExecutionResult, json: string): void;
  /** Ends after what was delivered. */
  end(): void;
  /** Drops what it can of the backlog, then delivers `last` and ends (a client that fell behind). */
  abort(last: FormattedExecutionResult): void;
}

const done: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * A graphql-ws subscription whose `next` messages delivery writes to the socket itself.
 * One object per subscription, with no per-event allocation beyond the message string.
 * As an async iterator (what graphql-ws iterates) it yields nothing: its one pending `next()`
 * settles when the subscription ends, and `return()` (the client's `complete`, or its socket
 * closing) detaches it at once.
 */
class FrameStream implements ClientStream {
  ended = false;
  joinedAt = 0;
  /** Messages sent whose socket write has not completed yet. */
  queued = 0;
  private finalized = false;
  private waiting: ((result: IteratorResult<never>) => void) | null = null;
  /** The id as JSON, for the message around each shared payload (built per message: a prebuilt head would be a rope kept per stream). */
  private readonly idJson: string;
  /** Once per stream rather than once per message. */
  private readonly written = () => {
    this.queued -= 1;
  };

  constructor(
    private readonly connection: FrameConnection,
    private readonly id: string,
    private readonly group: DeliveryGroup,
    /** Releases the subscription (after it left the group). */
    private readonly onEnd: (stream: ClientStream) => void,
  ) {
    this.idJson = JSON.stringify(id);
  }

  push(_result: FormattedExecutionResult, json: string): void {
    // accepts(): no `next` once the client completed the id (even before graphql-ws iterates us) or the socket closed.
    if (this.ended || !this.connection.accepts(this.id)) return;
    this.queued += 1;
    this.connection.write(`{"id":${this.idJson},"type":"next","payload":${json}}`, this.written);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      this.finalize();
      resolve(done);
    }
  }

  abort(last: FormattedExecutionResult): void {
    if (this.ended) return;
    // What the socket already holds cannot be taken back; `last` follows it.
    this.push(last, JSON.stringify(last));
    this.end();
  }

  next(): Promise<IteratorResult<never>> {
    if (this.ended) {
      this.finalize();
      return Promise.resolve(done);
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<never>> {
    this.ended = true;
    this.finalize();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(done);
    }
    return Promise.resolve(done);
  }

  throw(): Promise<IteratorResult<never>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Runs once, whichever way the stream ends. */
  private finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.group.leave(this, this.onEnd);
  }
}

export class DeliveryGroup {
  readonly subscribers = new Set<ClientStream>();
  /** Deliveries chain here so events reach clients in upstream order while executions overlap. */
  private tail: Promise<void> = Promise.resolve();
  /** Events enqueued so far: a client gets those enqueued after it joined. */
  private enqueued = 0;

  constructor(
    readonly key: string,
    readonly prepared: PreparedSubscription,
    readonly variables: Record<string, unknown>,
    /** Undelivered results a client may fall behind by before it is dropped. */
    private readonly maxQueuedEvents: number,
  ) {}

  /**
   * A new client's stream in this group; `onEnd` runs once however it ends. With `frames` (graphql-ws)
   * delivery writes its messages; without, the transport iterates its results.
   */
  join(onEnd: (stream: ClientStream) => void, frames?: FrameTarget): ClientStream {
    const stream: ClientStream = frames
      ? new FrameStream(frames.connection, frames.id, this, onEnd)
      : Object.assign(
          createPushIterator<FormattedExecutionResult>(() => this.leave(stream, onEnd)),
          { joinedAt: 0 },
        );
    stream.joinedAt = this.enqueued;
    this.subscribers.add(stream);
    return stream;
  }

  /** A stream that ended leaves the group; then `onEnd` releases it. */
  leave(stream: ClientStream, onEnd: (stream: ClientStream) => void): void {
    this.subscribers.delete(stream);
    onEnd(stream);
  }

  /** Delivers `result` (once it is ready, after every earlier one) to the clients in the group now. */
  enqueue(result: Promise<FormattedExecutionResult>): void {
    const sequence = ++this.enqueued;
    this.tail = this.tail
      .then(() => result)
      .then((ready) => {
        const json = JSON.stringify(ready);
        for (const stream of this.subscribers) {
          if (stream.joinedAt < sequence) this.deliver(stream, ready, json);
        }
      });
  }

  /** After what is queued: `last` (if any) to every client, then the end of their streams. */
  finish(last?: FormattedExecutionResult): void {
    this.tail = this.tail.then(() => {
      const json = last && JSON.stringify(last);
      for (const stream of this.subscribers) {
        if (last) stream.push(last, json!);
        stream.end();
      }
    });
  }

  private deliver(stream: ClientStream, result: FormattedExecutionResult, json: string): void {
    if (stream.ended) return;
    if (stream.queued >= this.maxQueuedEvents) {
      stream.abort(rateLimited(`Subscription dropped: the client fell ${this.maxQueuedEvents} events behind`, this.maxQueuedEvents));
      return;
    }
    stream.push(result, json);
  }
}

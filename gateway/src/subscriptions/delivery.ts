/**
 * Delivery to clients: a group holds the clients with the same operation, variables and
 * identity (one execution per event serves them all); results reach them in upstream order
 * although executions overlap, and a client that falls too far behind is dropped rather than
 * buffered without bound.
 */
import type { FormattedExecutionResult } from 'graphql';
import type { PreparedSubscription } from './planner';
import { createPushIterator, type PushIterator } from './push-iterator';

export type ClientStream = PushIterator<FormattedExecutionResult>;

export const rateLimited = (message: string, limit: number): FormattedExecutionResult => ({
  errors: [{ message, extensions: { code: 'RATE_LIMITED', limit } }],
});

export class DeliveryGroup {
  readonly subscribers = new Set<ClientStream>();
  /** Deliveries chain here so events reach clients in upstream order while executions overlap. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly key: string,
    readonly prepared: PreparedSubscription,
    readonly variables: Record<string, unknown>,
    /** Undelivered results a client may fall behind by before it is dropped. */
    private readonly maxQueuedEvents: number,
  ) {}

  /** A new client's stream in this group; `onEnd` runs once however it ends. */
  join(onEnd: (stream: ClientStream) => void): ClientStream {
    const stream = createPushIterator<FormattedExecutionResult>(() => {
      this.subscribers.delete(stream);
      onEnd(stream);
    });
    this.subscribers.add(stream);
    return stream;
  }

  /** Delivers `result` (once it is ready, after every earlier one) to the clients in the group now. */
  enqueue(result: Promise<FormattedExecutionResult>): void {
    const targets = [...this.subscribers];
    this.tail = this.tail
      .then(() => result)
      .then((ready) => {
        for (const stream of targets) this.deliver(stream, ready);
      });
  }

  /** After what is queued: `last` (if any) to every client, then the end of their streams. */
  finish(last?: FormattedExecutionResult): void {
    this.tail = this.tail.then(() => {
      for (const stream of this.subscribers) {
        if (last) stream.push(last);
        stream.end();
      }
    });
  }

  private deliver(stream: ClientStream, result: FormattedExecutionResult): void {
    if (stream.ended) return;
    if (stream.queued >= this.maxQueuedEvents) {
      stream.abort(rateLimited(`Subscription dropped: the client fell ${this.maxQueuedEvents} events behind`, this.maxQueuedEvents));
      return;
    }
    stream.push(result);
  }
}

/**
 * A queue-backed async iterator that producers push into.
 *
 * Hand-written on purpose (not an `async function*`): a generator queues `return()` behind a
 * pending `next()`, so a client's unsubscribe would only take effect at the next event and
 * the upstream stream would leak until then. Here `return()` settles a pending `next()` at once
 * and runs `onReturn` (which detaches from the upstream) synchronously.
 */
export interface PushIterator<T> extends AsyncIterableIterator<T> {
  /** Queues a value; ignored once the iterator has ended. */
  push(value: T): void;
  /** Ends the iterator after the queued values have been consumed. */
  end(): void;
  /** Drops whatever is queued, then delivers `last` and ends (a consumer that fell behind). */
  abort(last: T): void;
  /** Whether `end()` or `return()` happened. */
  readonly ended: boolean;
  /** Values pushed but not consumed yet. */
  readonly queued: number;
  next(): Promise<IteratorResult<T>>;
  return(): Promise<IteratorResult<T>>;
  throw(error?: unknown): Promise<IteratorResult<T>>;
}

export function createPushIterator<T>(onReturn: () => void): PushIterator<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let ended = false;
  let finalized = false;
  const done = (): IteratorResult<T> => ({ done: true, value: undefined });

  // Runs once, whichever way the iterator ends (drained after end(), return(), throw()).
  const finalize = () => {
    if (finalized) return;
    finalized = true;
    onReturn();
  };

  const iterator: PushIterator<T> = {
    get ended() {
      return ended;
    },
    get queued() {
      return queue.length;
    },
    push(value) {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ done: false, value });
      } else {
        queue.push(value);
      }
    },
    end() {
      if (ended) return;
      ended = true;
      if (waiting && queue.length === 0) {
        const resolve = waiting;
        waiting = null;
        finalize();
        resolve(done());
      }
    },
    abort(last) {
      if (ended) return;
      queue.length = 0;
      iterator.push(last);
      iterator.end();
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift()! });
      if (ended) {
        finalize();
        return Promise.resolve(done());
      }
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      ended = true;
      queue.length = 0;
      finalize();
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve(done());
      }
      return Promise.resolve(done());
    },
    throw() {
      return iterator.return();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

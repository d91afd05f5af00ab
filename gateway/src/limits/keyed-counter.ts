/**
 * Open things per key (connections per IP, subscriptions per user, …) with a cap: `acquire`
 * counts one and returns its release (idempotent), or null when the key is at the cap.
 * Keys at zero are forgotten, so memory follows what is open, not who ever connected.
 */
export class KeyedCounter {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  acquire(key: string): (() => void) | null {
    const count = this.counts.get(key) ?? 0;
    if (count >= this.max) return null;
    this.counts.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.counts.get(key) ?? 1) - 1;
      if (now <= 0) this.counts.delete(key);
      else this.counts.set(key, now);
    };
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/**
 * Timers the sandbox owns (settlements, webhook retries, injected latency), tracked so
 * that `close()` can cancel every one and leave no handle behind.
 */

/** A set of cancellable timers. */
export class TimerSet {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Runs `fn` after `ms`; returns a handle for {@link TimerSet.cancel}. No-op once cleared. */
  after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  /**
   * Resolves after `ms`. After {@link TimerSet.close} it never resolves: the work that
   * awaited it is abandoned, and its socket is destroyed by the server's close.
   */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.after(ms, resolve);
    });
  }

  /** Cancels one timer. */
  cancel(t: NodeJS.Timeout | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Cancels every pending timer; the set stays usable. */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Cancels every pending timer and refuses new ones. */
  close(): void {
    this.closed = true;
    this.clear();
  }

  /** Timers still pending. */
  get size(): number {
    return this.timers.size;
  }
}

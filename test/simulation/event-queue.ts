/**
 * The simulation's agenda: events ordered by simulated time, ties broken by a seeded draw
 * (so events due at the same millisecond run in a seed-chosen order). A binary heap.
 */
interface Ev {
  at: number;
  tie: number;
  fn: () => void;
}

function before(a: Ev, b: Ev): boolean {
  return a.at < b.at || (a.at === b.at && a.tie < b.tie);
}

export class EventQueue {
  readonly #h: Ev[] = [];

  push(at: number, tie: number, fn: () => void): void {
    const h = this.#h;
    h.push({ at, tie, fn });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** The earliest event, removed; undefined when none is left. */
  pop(): { at: number; fn: () => void } | undefined {
    const h = this.#h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

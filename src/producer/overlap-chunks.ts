/**
 * Consecutive chunks of a bulk enqueue, two at a time: while one chunk's jobs are added and
 * its durability barrier waits, the next chunk's records are written, and while Redis runs
 * a chunk's records the next chunk is already built (validated, its records and script
 * arguments made), so the producer's work and Redis's overlap instead of taking turns.
 */

/**
 * Runs `step` over consecutive chunks of `size` items, in order. A chunk starts once the
 * previous one called its `release` (or ended) and the one before that ended: the steps'
 * first parts (up to `release`) run one after another in chunk order, and at most two
 * chunks are in flight. After a step fails no further chunk starts; the call then waits
 * for the chunk still in flight and throws the first error.
 *
 * `prepare` turns a chunk into what its step gets (pure work, no I/O): the next chunk's
 * is made once the current step has sent what it sends first (a macrotask later, after
 * its microtasks), so it runs while Redis works. A chunk not prepared by the time it starts
 * is prepared then.
 */
export async function overlapChunks<T, P = T[]>(
  items: readonly T[],
  size: number,
  step: (prepared: P, release: () => void) => Promise<void>,
  prepare: (chunk: T[]) => P = (chunk) => chunk as unknown as P,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  let previous: Promise<void> = Promise.resolve();
  let ahead: { at: number; prepared: P } | undefined;
  for (let i = 0; i < items.length && failure === undefined; i += size) {
    let input: P;
    try {
      input = ahead?.at === i ? ahead.prepared : prepare(items.slice(i, i + size));
    } catch (error) {
      failure = { error };
      break;
    }
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const done = step(input, release).then(release, (error: unknown) => {
      failure ??= { error };
      release();
    });
    const next = i + size;
    // A macrotask later: after the step's microtasks, so after its first sends.
    const early =
      next < items.length
        ? setImmediate(() => {
            if (failure !== undefined) return;
            try {
              ahead = { at: next, prepared: prepare(items.slice(next, next + size)) };
            } catch {
              // The loop prepares this chunk again and fails there, in order.
            }
          })
        : undefined;
    await released;
    await previous;
    // Not run yet (the step released at once): the next chunk is prepared in the loop.
    if (early !== undefined) clearImmediate(early);
    previous = done;
  }
  await previous;
  if (failure !== undefined) throw failure.error;
}

/**
 * Consecutive chunks of a bulk enqueue, two at a time: while one chunk's jobs are added and
 * its durability barrier waits, the next chunk's records are built and written, so the
 * producer's work and Redis's overlap instead of taking turns.
 */

/**
 * Runs `step` over consecutive chunks of `size` items, in order. A chunk starts once the
 * previous one called its `release` (or ended) and the one before that ended: the steps'
 * first parts (up to `release`) run one after another in chunk order, and at most two
 * chunks are in flight. After a step fails no further chunk starts; the call then waits
 * for the chunk still in flight and throws the first error.
 */
export async function overlapChunks<T>(
  items: readonly T[],
  size: number,
  step: (chunk: T[], release: () => void) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  let previous: Promise<void> = Promise.resolve();
  for (let i = 0; i < items.length && failure === undefined; i += size) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const done = step(items.slice(i, i + size), release).then(release, (error: unknown) => {
      failure ??= { error };
      release();
    });
    await released;
    await previous;
    previous = done;
  }
  await previous;
  if (failure !== undefined) throw failure.error;
}

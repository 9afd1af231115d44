/**
 * Remembers the first line of every refundRequestId in one file, in about 24 bytes per
 * id (25 MB for a million rows, where a `Set` of the strings takes 70–100 MB): each id is
 * kept as a 64-bit hash in an open-addressing table of typed arrays, never as a string.
 *
 * Two different ids collide with probability about 2^-64 per pair: across a million rows
 * the chance of one false "duplicate" is about 3 in 100 million. A collision can only
 * make a row be reported as a duplicate (it is then not sent), never make two refunds one.
 */
export class DuplicateIdIndex {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #line: Uint32Array;
  #mask: number;
  #size = 0;

  /** `expected`: ids the table is sized for at first (it grows as needed); default 16,384. */
  constructor(expected = 16_384) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#line = new Uint32Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Number of distinct ids seen. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.#hi.byteLength + this.#lo.byteLength + this.#line.byteLength;
  }

  /**
   * Notes `id` at `line` (1-based, at most 2^32 - 1). Returns undefined when the id is new,
   * or the line where it was first seen.
   */
  firstSeen(id: string, line: number): number | undefined {
    // A 64-bit hash in two 32-bit halves (cyrb53's multiply-xorshift mixing, both halves
    // kept): a tenth of the time of a crypto digest per id, and ids are not adversarial
    // here (a collision only holds one row back, see above).
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < id.length; i++) {
      const ch = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    const hi = h1 >>> 0;
    const lo = h2 >>> 0;
    let slot = lo & this.#mask;
    for (;;) {
      const at = this.#line[slot]!;
      if (at === 0) break;
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) return at;
      slot = (slot + 1) & this.#mask;
    }
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#line[slot] = line;
    this.#size += 1;
    if (this.#size * 2 > this.#mask + 1) this.#grow();
    return undefined;
  }

  /** Forgets every id (keeps the capacity). */
  clear(): void {
    this.#line.fill(0);
    this.#size = 0;
  }

  #grow(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    const lines = this.#line;
    const capacity = (this.#mask + 1) * 2;
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#line = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === 0) continue;
      let slot = lo[i]! & this.#mask;
      while (this.#line[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#hi[slot] = hi[i]!;
      this.#lo[slot] = lo[i]!;
      this.#line[slot] = lines[i]!;
    }
  }
}

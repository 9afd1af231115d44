/**
 * Finds the refundRequestIds a batch file repeats, in memory that does not grow with the
 * file: a fixed-size Bloom filter of the ids read so far (16 MiB by default, whatever the
 * file's length), plus an exact map of the few ids that may repeat.
 *
 * While the filter has never seen an id, the id is new: {@link DuplicateIdIndex.firstSeen}
 * notes it in the filter (and answers {@link UNSURE} for one it may have seen). The first id the filter may have seen (a repeat, or rarely a
 * false positive) makes the index exact with one more read of the file
 * ({@link DuplicateIdIndex.resolve}): the ids on or after that line the filter flags
 * become candidates, and a read of the lines before it finds where each candidate first
 * occurs. From then on an id that is not a candidate occurs once in the whole file, and a
 * candidate is compared as a string: a repeat is always reported with the line it repeats,
 * and two different ids are never taken for one. The exact map holds the candidates only:
 * the repeated ids (and the filter's false positives: about one per billion lookups at a
 * million rows with the default size).
 *
 * A file without repeats is read once; one with repeats once more.
 */

/** Bits of the default filter: 2^27 (16 MiB). */
export const DEFAULT_FILTER_BITS = 2 ** 27;
/** Bits set per id, all in one block of {@link BLOCK_BITS}. */
const HASHES = 7;
const BLOCK_BITS = 512;

/** What {@link DuplicateIdIndex.firstSeen} answers when only a read of the file can tell. */
export const UNSURE = -1;

/** One row's id as a read of the file gives it (undefined when the row has no usable id). */
export interface IdAtLine {
  id: string | undefined;
  line: number;
}

/** A fresh read of the file's ids, in file order. */
export type IdScan = () => AsyncIterable<IdAtLine>;

export class DuplicateIdIndex {
  readonly #bits: number;
  #filter: Uint32Array | undefined;
  /** Candidates → first line (0 while no line has been seen yet); set once exact. */
  #exact: Map<string, number> | undefined;

  /** `filterBits`: size of the filter, a power of two ≥ 1024; default 2^27 (16 MiB). */
  constructor(filterBits = DEFAULT_FILTER_BITS) {
    if (!Number.isInteger(Math.log2(filterBits)) || filterBits < 1024 || filterBits > 2 ** 31) {
      throw new RangeError("filterBits must be a power of two from 2^10 to 2^31");
    }
    this.#bits = filterBits;
  }

  /** Bytes held: the filter, and the candidates' map (estimated). */
  get byteLength(): number {
    let bytes = this.#filter?.byteLength ?? 0;
    for (const id of this.#exact?.keys() ?? []) bytes += 64 + id.length * 2;
    return bytes;
  }

  /** Ids compared exactly (after {@link resolve}); 0 before. */
  get candidates(): number {
    return this.#exact?.size ?? 0;
  }

  /**
   * Notes `id` at `line` (1-based, growing from call to call). Returns undefined when the
   * id is new, the line where it was first seen, or {@link UNSURE} when the filter may
   * hold it: then nothing was noted, and only {@link resolve} can tell.
   */
  firstSeen(id: string, line: number): number | undefined {
    const exact = this.#exact;
    if (exact !== undefined) {
      const first = exact.get(id);
      if (first === undefined) return undefined; // once in the whole file
      if (first === 0) {
        exact.set(id, line);
        return undefined;
      }
      return first;
    }
    return this.#test(id) ? UNSURE : undefined;
  }

  /**
   * Makes the index exact, when the row at `line` has an id the filter flags: reads the
   * file (`scan`) once for the candidates (ids on or after `line` that the filter flags)
   * and, when there are any, the lines before `line` for where each candidate first occurs.
   * Every row before `line` must have gone through {@link firstSeen}, and none after.
   */
  async resolve(scan: IdScan, line: number): Promise<void> {
    if (this.#exact !== undefined) return;
    const exact = new Map<string, number>();
    for await (const row of scan()) {
      if (row.line < line || row.id === undefined) continue;
      if (this.#test(row.id)) exact.set(row.id, 0);
    }
    if (exact.size > 0) {
      for await (const row of scan()) {
        if (row.line >= line) break;
        if (row.id !== undefined && exact.get(row.id) === 0) exact.set(row.id, row.line);
      }
    }
    this.#exact = exact;
    this.#filter = undefined;
  }

  /** Forgets every id. */
  clear(): void {
    this.#exact = undefined;
    this.#filter?.fill(0);
  }

  /**
   * Whether the filter held `id` already; sets its bits. A blocked filter: all
   * of an id's bits are in one 512-bit block (one cache line), picked by one half of a
   * 64-bit hash (cyrb53's multiply-xorshift mixing); the bits in it by the other half.
   */
  #test(id: string): boolean {
    const filter = (this.#filter ??= new Uint32Array(this.#bits / 32));
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
    // The block from h1's low bits; seven 9-bit positions in it from h1's top bits, h2
    // and h3 (h2 mixed once more), so no two positions come from the same bits.
    const block = (h1 & (this.#bits / BLOCK_BITS - 1)) * (BLOCK_BITS / 32);
    let h3 = Math.imul(h2 ^ (h2 >>> 15), 0x85ebca6b);
    h3 = Math.imul(h3 ^ (h3 >>> 13), 0xc2b2ae35);
    h3 ^= h3 >>> 16;
    let all = true;
    for (let i = 0; i < HASHES; i++) {
      const source = i < 3 ? h2 >>> (9 * i) : i < 6 ? h3 >>> (9 * (i - 3)) : h1 >>> 23;
      const bit = source & (BLOCK_BITS - 1);
      const word = block + (bit >>> 5);
      const flag = 1 << (bit & 31);
      if ((filter[word]! & flag) === 0) {
        all = false;
        filter[word] = filter[word]! | flag;
      }
    }
    return all;
  }
}

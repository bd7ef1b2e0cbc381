/**
 * Which chunks a fetch still needs, and which are asked of a holder right
 * now: the shared work list of the holders of one fetch
 * (./transfer-client.ts). A holder takes the lowest pending chunk it has; a
 * chunk whose holder failed goes back and is taken by another. Each holder
 * keeps its own scan position, so taking is linear over the file in total,
 * not per chunk.
 */

const NOT_WANTED = 0;
const PENDING = 1;
const ASKED = 2;

/** The chunks of one fetch. */
export class ChunkQueue {
  private readonly state: Uint8Array;
  /** How often each chunk was asked (to count chunks asked again). */
  private readonly asks: Uint8Array;
  private readonly cursors = new Map<object, number>();
  private waiters: (() => void)[] = [];
  private pendingCount = 0;
  private askedCount = 0;
  /** Chunks asked more than once in this fetch. */
  refetched = 0;

  /** A queue of `chunks` chunks of which `missing` are needed. Throws RangeError for an index out of range. */
  constructor(chunks: number, missing: Iterable<number>) {
    this.state = new Uint8Array(chunks);
    this.asks = new Uint8Array(chunks);
    for (const i of missing) {
      if (!Number.isInteger(i) || i < 0 || i >= chunks) throw new RangeError(`chunk ${i} of ${chunks}`);
      if (this.state[i] === PENDING) continue;
      this.state[i] = PENDING;
      this.pendingCount++;
    }
  }

  /** Chunks not yet asked of anyone. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Chunks asked and not yet done or put back. */
  get asked(): number {
    return this.askedCount;
  }

  /** Whether every needed chunk is done. */
  get finished(): boolean {
    return this.pendingCount === 0 && this.askedCount === 0;
  }

  /** The lowest pending chunk that `has` admits, now asked by `holder`; undefined when there is none. */
  take(holder: object, has: (index: number) => boolean): number | undefined {
    if (this.pendingCount === 0) return undefined;
    for (let i = this.cursors.get(holder) ?? 0; i < this.state.length; i++) {
      if (this.state[i] !== PENDING || !has(i)) continue;
      this.state[i] = ASKED;
      this.pendingCount--;
      this.askedCount++;
      if (this.asks[i]! > 0) this.refetched++;
      this.asks[i] = Math.min(255, this.asks[i]! + 1);
      this.cursors.set(holder, i + 1);
      return i;
    }
    this.cursors.set(holder, this.state.length);
    return undefined;
  }

  /** Chunk `index` (asked) is written. */
  done(index: number): void {
    this.expectAsked(index);
    this.state[index] = NOT_WANTED;
    this.askedCount--;
    this.wake();
  }

  /** Chunk `index` (asked) is needed again: its holder failed or did not have it. */
  putBack(index: number): void {
    this.expectAsked(index);
    this.state[index] = PENDING;
    this.askedCount--;
    this.pendingCount++;
    for (const [holder, cursor] of this.cursors) if (cursor > index) this.cursors.set(holder, index);
    this.wake();
  }

  /** Resolves at the next done() or putBack(). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private expectAsked(index: number): void {
    if (this.state[index] !== ASKED) throw new RangeError(`chunk ${index} is not asked`);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * The random draws of a two-party conversation as docs/PROTOCOL.md says them,
 * computed from the spec's rules alone (§6, §7 "Random draws", §7a's blob
 * schedule and receive steps, §12a's set-up), without running Sotto's
 * ratchet: who draws how many bytes at which offset of its §12a stream, and
 * the PQ stamp (epoch, first part, part count) each message carries. For
 * conversations delivered in order at once, as §12a's transcript and
 * `pqSteps` are.
 */
import {
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  PQ_EPOCH_MARGIN_MESSAGES,
  PQ_EPOCH_MAX_AGE_MS,
  PQ_EPOCH_MAX_MESSAGES,
  PQ_MAX_KEPT_EPOCHS,
  PQ_PART_BYTES,
} from '../../src/crypto/constants.ts';
import { VECTOR_ONE_TIME_PREKEYS } from './spec-party.ts';

/** §12a set-up: Ed25519 seed, X25519 identity key, SPK, KEM seed, the one-time prekeys, the one-time KEM seeds. */
export const SETUP_DRAWS: readonly number[] = [32, 32, 32, 64, ...Array<number>(VECTOR_ONE_TIME_PREKEYS).fill(32), ...Array<number>(VECTOR_ONE_TIME_PREKEYS).fill(64)];
/** §6: `EK_A`, `m`, the first `DHs`. */
export const START_DRAWS: readonly number[] = [32, 32, 32];

/** What §7a says a message carries in its header. */
export interface SpecStamp {
  readonly epoch: number;
  readonly firstPart: number;
  readonly partCount: number;
}

/** One side's PQ state as §7a's State names it (keys only by epoch: the model holds no secrets). */
export interface SpecPqState {
  sendEpoch: number;
  epochs: number[];
  outgoing: { blob: number; sent: number; startedAt: number; elapsed: number } | null;
  incoming: { blob: number; have: number } | null;
  /** Offset in the side's stream of the 64-byte seed of its last blob's key. */
  ownSeedAt: number | null;
}

interface Side {
  readonly parity: 0 | 1;
  offset: number;
  /** DH ratchet keys this side has made (its ratchet key changes with each). */
  ratchetKeys: number;
  /** The other side's ratchet key this side last received on (−1: none yet). */
  seenRatchetKey: number;
  pq: SpecPqState;
}

/** Bytes of blob `b` (§7a). */
const blobBytes = (blob: number): number => (blob === 1 ? MLKEM768_PUBLIC_KEY_BYTES : MLKEM768_CIPHERTEXT_BYTES + MLKEM768_PUBLIC_KEY_BYTES);
/** Parts of blob `b` (§7a "Parts"). */
export const blobParts = (blob: number): number => Math.ceil(blobBytes(blob) / PQ_PART_BYTES);

/** The draws and stamps of a conversation between an initiator and a responder, in the spec's order. */
export class SpecDraws {
  private readonly sides: Record<'initiator' | 'responder', Side>;

  /** Both sides after §12a's set-up; the initiator has started the session (§6), the responder drew nothing more. */
  constructor() {
    const setup = SETUP_DRAWS.reduce((a, b) => a + b, 0);
    const fresh = (): SpecPqState => ({ sendEpoch: 0, epochs: [0], outgoing: null, incoming: null, ownSeedAt: null });
    this.sides = {
      initiator: { parity: 1, offset: setup + START_DRAWS.reduce((a, b) => a + b, 0), ratchetKeys: 1, seenRatchetKey: 0, pq: fresh() },
      responder: { parity: 0, offset: setup, ratchetKeys: 0, seenRatchetKey: -1, pq: fresh() },
    };
  }

  /** The PQ state §7a gives `role` now. */
  pq(role: 'initiator' | 'responder'): SpecPqState {
    return this.sides[role].pq;
  }

  private draw(side: Side, length: number, out: { offset: number; length: number }[]): number {
    out.push({ offset: side.offset, length });
    side.offset += length;
    return side.offset - length;
  }

  /** §7 encrypt with §7a's send step at clock `now`: the draws (blob 1's seed, then the nonce: the last is the nonce) and the stamp. */
  send(role: 'initiator' | 'responder', now: number): { draws: { offset: number; length: number }[]; stamp: SpecStamp; ratchetKey: number } {
    const side = this.sides[role];
    const pq = side.pq;
    const draws: { offset: number; length: number }[] = [];
    if (side.parity === 1 && pq.epochs.at(-1) === 0 && !pq.outgoing) {
      pq.ownSeedAt = this.draw(side, 64, draws);
      pq.epochs.push(1);
      pq.outgoing = { blob: 1, sent: 0, startedAt: now, elapsed: 0 };
    }
    let stamp: SpecStamp = { epoch: pq.sendEpoch, firstPart: 0, partCount: 0 };
    const out = pq.outgoing;
    if (out) {
      const n = blobParts(out.blob);
      const unsent = n - out.sent;
      let count = 1;
      if (out.blob === 1) count = n;
      else if (unsent > 0 && now - out.startedAt >= PQ_EPOCH_MAX_AGE_MS) count = unsent;
      else if (unsent > 0) count = Math.ceil(unsent / Math.max(1, Math.floor((PQ_EPOCH_MAX_MESSAGES - PQ_EPOCH_MARGIN_MESSAGES - out.elapsed) / 2)));
      stamp = { epoch: pq.sendEpoch, firstPart: (out.sent + Math.floor(out.sent / n)) % n, partCount: count };
      out.sent += count;
      out.elapsed += 1;
    }
    this.draw(side, 16, draws);
    return { draws, stamp, ratchetKey: side.ratchetKeys };
  }

  /** §7 decrypt with §7a's receive step of a message sent with `sent`: the draws (a DH step's 32, then a completed blob's 32 and 64). */
  receive(role: 'initiator' | 'responder', sent: { stamp: SpecStamp; ratchetKey: number }, now: number): { offset: number; length: number }[] {
    const side = this.sides[role];
    const draws: { offset: number; length: number }[] = [];
    if (sent.ratchetKey !== side.seenRatchetKey) {
      this.draw(side, 32, draws);
      side.seenRatchetKey = sent.ratchetKey;
      side.ratchetKeys += 1;
    }
    const pq = side.pq;
    const s = sent.stamp.epoch;
    if (pq.outgoing && s >= pq.outgoing.blob) pq.outgoing = null;
    pq.sendEpoch = Math.max(pq.sendEpoch, s);
    if (pq.outgoing) pq.outgoing.elapsed += 1;
    const blob = s + 1;
    if (sent.stamp.partCount === 0 || pq.outgoing || s !== pq.epochs.at(-1) || blob % 2 === side.parity) return draws;
    if (pq.incoming?.blob !== blob) pq.incoming = { blob, have: 0 };
    const n = blobParts(blob);
    for (let i = 0; i < sent.stamp.partCount; i++) pq.incoming.have |= 1 << (sent.stamp.firstPart + i) % n;
    if (pq.incoming.have !== 2 ** n - 1) return draws;
    pq.sendEpoch = blob;
    pq.incoming = null;
    this.draw(side, 32, draws);
    pq.ownSeedAt = this.draw(side, 64, draws);
    pq.epochs = [...pq.epochs, blob, blob + 1].filter((e) => e >= blob + 1 - PQ_MAX_KEPT_EPOCHS - 1);
    pq.outgoing = { blob: blob + 1, sent: 0, startedAt: now, elapsed: 0 };
    return draws;
  }
}

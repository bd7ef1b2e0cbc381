/**
 * How far the contact of a sent 1:1 file has fetched it, for the sender's
 * history (docs/FILES.md, "What the sender sees"): while the contact is
 * connected, a history asks it HAVE over `/sotto/file` (it holds the file's
 * audience, the sender among them, so it answers) and shows `pending`,
 * `partial` with the bytes it holds, or `complete` once it holds every
 * chunk — then recorded in the file record (`delivered`), so it stays
 * complete without asking again. While the contact is away the last
 * answer since this node started shows (or `pending`). A small file
 * travelled in its message and is complete at once; a group file shows
 * the sender's own copy (complete).
 */
import { fromHex } from '../../crypto/bytes.ts';
import { chunkCount } from '../../crypto/file-cipher.ts';
import { FILE_INLINE_MAX_BYTES, FILE_SENT_QUERY_TIMEOUT_MS } from '../constants.ts';
import type { Scheduler } from '../core/core.ts';
import type { FileRecord } from '../store/file-records.ts';
import type { Network } from '../transport/network.ts';
import { allChunks, heldBytes } from './chunk-bitmap.ts';
import { HolderSession } from './holder-session.ts';
import type { SealedFiles } from './sealed-files.ts';
import type { FileIdHex, FileState } from './types.ts';

/** What a SentProgress asks through. */
export interface SentProgressInit {
  readonly files: SealedFiles;
  readonly scheduler: Scheduler;
  /** Without a network (a command on a home no node runs) nothing is asked. */
  readonly network?: Network;
  /** Whether a connection to the peer is open now: only then is it asked (a history never waits for a dial). */
  readonly isConnected?: (peerId: string) => boolean;
}

const COMPLETE: FileState = { state: 'complete' };
const PENDING: FileState = { state: 'pending' };

/** The sender's view of its sent files; see the module comment. */
export class SentProgress {
  private readonly last = new Map<FileIdHex, FileState>();
  /** Asks run one after the other (a history's lines are looked up together; a contact serves few streams at once). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly init: SentProgressInit) {}

  /** The state the sender's history shows for `record` (a file this node sent). */
  async state(record: FileRecord): Promise<FileState> {
    if (record.state !== 'complete' || record.audience.kind !== 'contact') return (await this.init.files.state(record.id)) ?? PENDING;
    if (record.delivered === true || record.size <= FILE_INLINE_MAX_BYTES) return COMPLETE;
    const { peerId } = record.audience;
    const known = this.last.get(record.id) ?? PENDING;
    if (!this.init.network || this.init.isConnected?.(peerId) !== true) return known;
    const network = this.init.network;
    const asked = this.queue.then(() => this.ask(network, record, peerId));
    this.queue = asked.catch(() => {});
    const bitmap = await asked.catch(() => undefined);
    if (!bitmap) return known;
    const chunks = chunkCount(record.size);
    if (allChunks(bitmap, chunks)) {
      await this.init.files.markDelivered(record.id);
      this.last.delete(record.id);
      return COMPLETE;
    }
    const received = heldBytes(bitmap, chunks, record.size);
    const state: FileState = received === 0 ? PENDING : { state: 'partial', received };
    this.last.set(record.id, state);
    return state;
  }

  /** The contact's HAVE answer for the file, within FILE_SENT_QUERY_TIMEOUT_MS. */
  private async ask(network: Network, record: FileRecord, peerId: string): Promise<Uint8Array> {
    const { scheduler } = this.init;
    const controller = new AbortController();
    const timer = scheduler.setTimeout(() => controller.abort(new Error('no HAVE answer in time')), FILE_SENT_QUERY_TIMEOUT_MS);
    let session: HolderSession | undefined;
    try {
      session = await HolderSession.open(network, peerId, fromHex(record.id), chunkCount(record.size), controller.signal, FILE_SENT_QUERY_TIMEOUT_MS);
      return await session.have();
    } finally {
      scheduler.clearTimeout(timer);
      await session?.close().catch(() => {});
    }
  }
}

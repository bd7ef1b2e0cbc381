/**
 * What this node has served of its files since it started (docs/FILES.md,
 * "What the sender sees"): every chunk written to a fetcher, per file and
 * per peer, counted twice when it is asked twice, and the distinct chunks
 * each peer got. `sotto status --json` prints the report; the file service
 * reads the distinct counts to tell how far a contact fetched a file sent
 * to it.
 */
import type { FileIdHex } from './types.ts';

/** Chunks served of one file: in all (repeats included), and per peer the distinct chunks it got. */
export interface ServedFile {
  readonly chunks: number;
  readonly peers: Readonly<Record<string, number>>;
}

/** What {@link ServedChunks.report} says: chunks served in all, and per file. */
export interface ServedReport {
  readonly chunks: number;
  readonly files: Readonly<Record<FileIdHex, ServedFile>>;
}

/** Counts the chunks a holder serves; see the module comment. */
export class ServedChunks {
  private total = 0;
  private readonly files = new Map<FileIdHex, { chunks: number; peers: Map<string, Set<number>> }>();

  /** Chunk `index` of `fileId` went to `peerId`. */
  record(fileId: FileIdHex, peerId: string, index: number): void {
    this.total++;
    let file = this.files.get(fileId);
    if (!file) this.files.set(fileId, (file = { chunks: 0, peers: new Map() }));
    file.chunks++;
    let got = file.peers.get(peerId);
    if (!got) file.peers.set(peerId, (got = new Set()));
    got.add(index);
  }

  /** Distinct chunks of `fileId` served to `peerId` since start. */
  distinct(fileId: FileIdHex, peerId: string): number {
    return this.files.get(fileId)?.peers.get(peerId)?.size ?? 0;
  }

  /** Forgets what was served of `fileId` (once its delivery is recorded, or the file is gone). */
  forget(fileId: FileIdHex): void {
    this.files.delete(fileId);
  }

  /** Everything counted, as plain data. */
  report(): ServedReport {
    const files: Record<FileIdHex, ServedFile> = {};
    for (const [id, file] of this.files) files[id] = { chunks: file.chunks, peers: Object.fromEntries([...file.peers].map(([peer, got]) => [peer, got.size])) };
    return { chunks: this.total, files };
  }
}

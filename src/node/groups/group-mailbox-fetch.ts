/**
 * A member fetching its group's frames from the group's mailboxes (the k
 * closest to the group mailbox key; docs/PROTOCOL.md §24a) and processing
 * them in an order its state can take: by epoch, and within an epoch the
 * messages and proposals sent in it before the operation that ends it. An
 * item its state cannot take yet (an epoch ahead: an earlier operation is
 * missing) waits for another round; every other item is marked processed
 * (`gseen`) and never fetched into processing again. A large frame is
 * stored as chunks (./chunks.ts): it is processed once all its chunks are
 * fetched, and its chunks are marked with it; chunks of a frame not yet
 * whole wait for another round.
 */
import { toHex, type Bytes } from '../../crypto/bytes.ts';
import { MAILBOX_REPLICAS } from '../constants.ts';
import type { Core } from '../core/core.ts';
import { fromBase64 } from '../encoding/base64.ts';
import { fetchGroupOn, withClosestMailboxes } from '../mailbox/client.ts';
import { groupMailboxKey } from '../mailbox/keys.ts';
import type { AckStatus } from '../messaging/wire.ts';
import type { GroupRecord } from '../store/group-records.ts';
import { Tx } from '../store/store.ts';
import { GroupChunkSets, isGroupChunk } from './chunks.ts';
import { decodeGroupFrame } from './wire.ts';

/** Order within one epoch: what was sent in it, then the operation that ends it. */
const RANK = { application: 0, proposal: 1, operation: 2 } as const;

interface Fetched {
  /** The mailbox items that carried it: one, or its chunks. */
  readonly ids: readonly string[];
  readonly bytes: Bytes;
  readonly epoch: bigint;
  readonly rank: number;
}

/** Sorts fetched frames into processing order (frames that do not decode go last; they are refused when processed). */
export function processingOrder(items: readonly { ids: readonly string[]; bytes: Bytes }[]): Fetched[] {
  return items
    .map(({ ids, bytes }) => {
      try {
        const frame = decodeGroupFrame(bytes);
        return frame.kind === 'welcome' ? { ids, bytes, epoch: -1n, rank: 3 } : { ids, bytes, epoch: frame.epoch, rank: RANK[frame.kind] };
      } catch {
        return { ids, bytes, epoch: -1n, rank: 3 };
      }
    })
    .sort((a, b) => (a.epoch === b.epoch ? a.rank - b.rank : a.epoch < b.epoch ? -1 : 1));
}

/**
 * Fetches `group`'s new frames and hands each to `receive` in processing
 * order, again while some that waited go through. Resolves to how many
 * were stored and how many mailboxes answered.
 */
export async function fetchGroupFrames(core: Core, group: GroupRecord, receive: (bytes: Bytes) => Promise<AckStatus>): Promise<{ stored: number; reached: number }> {
  if (!core.network) return { stored: 0, reached: 0 };
  const token = fromBase64(group.token);
  const items = new Map<string, Bytes>();
  const reached = await withClosestMailboxes(core, groupMailboxKey(core.ctx.primitives, token), MAILBOX_REPLICAS, new Set(), async (_mailbox, stream) => {
    for (const { id, item } of await fetchGroupOn(stream, token)) {
      const hex = toHex(id);
      if (!items.has(hex) && !(await core.store.hasGroupSeen(group.id, hex))) items.set(hex, item);
    }
  });
  const whole: { ids: string[]; bytes: Bytes }[] = [];
  const chunks = new GroupChunkSets<string>();
  for (const [id, bytes] of items) if (!isGroupChunk(bytes) || !chunks.add(bytes, id)) whole.push({ ids: [id], bytes });
  const joined = chunks.complete(core.ctx.primitives.sha256);
  for (const { frame, sources } of joined.frames) whole.push({ ids: sources, bytes: frame });
  // Chunks that decode but do not join into their digest never will: marked, like any refused item.
  if (joined.bad.length > 0) {
    const tx = new Tx();
    for (const id of joined.bad.flat()) tx.putGroupSeen(group.id, id, core.ctx.now());
    await core.store.commit(tx, { sync: false });
  }
  let pending = processingOrder(whole);
  let stored = 0;
  for (;;) {
    const waiting: Fetched[] = [];
    const tx = new Tx();
    let progress = false;
    for (const item of pending) {
      const status = await receive(item.bytes);
      if (status === 'retry') {
        waiting.push(item);
        continue;
      }
      if (status === 'refused') break; // no longer in the group: nothing more to read
      for (const id of item.ids) tx.putGroupSeen(group.id, id, core.ctx.now());
      if (status === 'stored') {
        stored++;
        progress = true;
      }
    }
    await core.store.commit(tx, { sync: false });
    if (!progress || waiting.length === 0) return { stored, reached };
    pending = waiting;
  }
}


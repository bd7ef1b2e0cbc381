/**
 * The client side of /sotto/mailbox/1.0.0: find the mailboxes of a peer
 * (the k mailbox peers closest to its mailbox key in the DHT), deposit
 * sealed mail there and check the signed custody receipt, and fetch and
 * acknowledge one's own mail.
 */
import { equalBytes, type Bytes } from '../../crypto/bytes.ts';
import { SottoError } from '../../crypto/errors.ts';
import { MAILBOX_CANDIDATES, MAILBOX_FETCH_BATCH, MAILBOX_PROTOCOL, MAILBOX_TIMEOUT_MS, MAX_MAILBOX_FRAME_BYTES } from '../constants.ts';
import type { Core } from '../core.ts';
import { ProtocolError } from '../errors.ts';
import type { FramedStream } from '../network.ts';
import { signingKeyOfPeerId } from '../peer-id.ts';
import { custodySignedData, decodeMailboxFrame, encodeMailboxFrame, type MailItem, type RefusalReason } from './wire.ts';

/** A mailbox refused a deposit. */
export class MailboxRefusedError extends SottoError {
  override readonly name = 'MailboxRefusedError';
  constructor(readonly mailbox: string, readonly reason: RefusalReason) {
    super(`mailbox ${mailbox.slice(0, 16)}… refused the deposit: ${reason}`);
  }
}

/** A mailbox's signed promise to hold an item. */
export interface CustodyReceipt {
  readonly mailbox: string;
  readonly expiresAt: number;
}

async function openMailbox(core: Core, peerId: string): Promise<FramedStream> {
  if (!core.network) throw new ProtocolError(MAILBOX_PROTOCOL, 'no network');
  return core.network.open(peerId, MAILBOX_PROTOCOL, MAX_MAILBOX_FRAME_BYTES, { signal: AbortSignal.timeout(MAILBOX_TIMEOUT_MS) });
}

/**
 * Up to `k` peers that serve mailboxes, closest to `mailboxKey` first, not
 * counting `exclude`. Candidates come from the DHT; a candidate counts once a
 * mailbox stream to it opens (the stream is handed to `use` and closed after).
 */
export async function withClosestMailboxes(
  core: Core,
  mailboxKey: Bytes,
  k: number,
  exclude: ReadonlySet<string>,
  use: (peerId: string, stream: FramedStream) => Promise<void>,
): Promise<number> {
  if (!core.network) return 0;
  const candidates = await core.network.closestPeers(mailboxKey, MAILBOX_CANDIDATES, { signal: AbortSignal.timeout(MAILBOX_TIMEOUT_MS) });
  let served = 0;
  for (const peerId of candidates) {
    if (served >= k) break;
    if (exclude.has(peerId)) continue;
    let stream: FramedStream;
    try {
      stream = await openMailbox(core, peerId);
    } catch {
      continue; // not a mailbox, or not reachable now
    }
    served++;
    try {
      await use(peerId, stream);
    } finally {
      await stream.close().catch(() => {});
    }
  }
  return served;
}

/**
 * Deposits `item` under `mailboxKey` on an open mailbox stream and checks
 * the custody receipt (signed by the mailbox's identity key, for this key
 * and this item). Throws MailboxRefusedError or ProtocolError.
 */
export async function depositOn(core: Core, mailbox: string, stream: FramedStream, mailboxKey: Bytes, item: Bytes): Promise<CustodyReceipt> {
  const signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
  await stream.write(encodeMailboxFrame({ type: 'deposit', mailboxKey, item }), { signal });
  const answer = decodeMailboxFrame(await stream.read({ signal }));
  if (answer.type === 'refused') throw new MailboxRefusedError(mailbox, answer.reason);
  if (answer.type !== 'receipt') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${answer.type} frame`);
  const id = core.ctx.primitives.sha256(item);
  if (!equalBytes(answer.id, id)) throw new ProtocolError(MAILBOX_PROTOCOL, 'receipt for another item');
  const valid = await core.ctx.primitives.ed25519Verify(answer.signature, custodySignedData(mailboxKey, id, answer.expiresAt), signingKeyOfPeerId(mailbox));
  if (!valid) throw new ProtocolError(MAILBOX_PROTOCOL, 'custody receipt with a bad signature');
  return { mailbox, expiresAt: answer.expiresAt };
}

/**
 * Acknowledges `ids` on an open mailbox stream, so the mailbox deletes them
 * (items this node already stored from another mailbox: their copies here
 * need not be downloaded). Every ACK frame is sent at once, then every ACKED
 * read. Resolves to how many the mailbox deleted.
 */
export async function acknowledgeOn(stream: FramedStream, ids: readonly Bytes[]): Promise<number> {
  if (ids.length === 0) return 0;
  const signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
  const frames: Bytes[] = [];
  for (let i = 0; i < ids.length; i += MAILBOX_FETCH_BATCH) frames.push(encodeMailboxFrame({ type: 'ack', ids: ids.slice(i, i + MAILBOX_FETCH_BATCH) }));
  await stream.writeMany(frames, { signal });
  let deleted = 0;
  for (let i = 0; i < frames.length; i++) {
    const acked = decodeMailboxFrame(await stream.read({ signal }));
    if (acked.type !== 'acked') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${acked.type} frame`);
    deleted += acked.deleted;
  }
  return deleted;
}

/**
 * Fetches everything a mailbox holds for this node, batch by batch: each
 * batch goes to `store` (which resolves once the items are durably handled)
 * with whether the mailbox has more, and is then acknowledged, so the mailbox
 * deletes it. The acknowledgement and the next FETCH leave together (the
 * mailbox answers in order: it deletes, then lists what is left). Resolves to
 * the number of items received.
 */
export async function fetchAllOn(stream: FramedStream, store: (items: readonly MailItem[], more: boolean) => Promise<void>): Promise<number> {
  let received = 0;
  const fetch = encodeMailboxFrame({ type: 'fetch', max: MAILBOX_FETCH_BATCH });
  let signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
  await stream.write(fetch, { signal });
  for (;;) {
    const answer = decodeMailboxFrame(await stream.read({ signal }));
    if (answer.type !== 'items') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${answer.type} frame`);
    if (answer.items.length === 0) return received;
    await store(answer.items, answer.more);
    received += answer.items.length;
    signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
    const ack = encodeMailboxFrame({ type: 'ack', ids: answer.items.map((i) => i.id) });
    await stream.writeMany(answer.more ? [ack, fetch] : [ack], { signal });
    const acked = decodeMailboxFrame(await stream.read({ signal }));
    if (acked.type !== 'acked') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${acked.type} frame`);
    if (!answer.more) return received;
  }
}

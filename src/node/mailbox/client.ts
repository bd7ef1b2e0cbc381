/**
 * The client side of /sotto/mailbox/1.0.0: find the mailboxes of a peer
 * (the k mailbox peers closest to its mailbox key in the DHT), deposit
 * sealed mail there and check the signed custody receipt, and fetch and
 * acknowledge one's own mail.
 */
import { equalBytes, type Bytes } from '../../crypto/bytes.ts';
import { SottoError } from '../../crypto/errors.ts';
import { MAILBOX_CANDIDATES, MAILBOX_FETCH_BATCH, MAILBOX_PROTOCOL, MAILBOX_TIMEOUT_MS, MAX_MAILBOX_FRAME_BYTES } from '../constants.ts';
import type { Core } from '../core/core.ts';
import { ProtocolError } from '../errors.ts';
import type { FramedStream } from '../transport/network.ts';
import { signingKeyOfPeerId } from '../encoding/peer-id.ts';
import type { MailboxPass } from './pass.ts';
import { groupMailboxKey } from './keys.ts';
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

/** Opens a mailbox stream to `peerId`. */
export async function openMailbox(core: Core, peerId: string): Promise<FramedStream> {
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
  let served = 0;
  for await (const { peerId, stream } of mailboxStreams(core, mailboxKey, k, exclude)) {
    served++;
    try {
      await use(peerId, stream);
    } finally {
      await stream.close().catch(() => {});
    }
  }
  return served;
}

/** A mailbox stream opened by {@link openClosestMailboxes}. */
export interface OpenMailbox {
  readonly peerId: string;
  readonly stream: FramedStream;
}

/**
 * Mailbox streams to up to `k` peers that serve mailboxes, closest to
 * `mailboxKey` first (candidates from the DHT; one that cannot be opened is
 * skipped). The caller closes them.
 */
export async function openClosestMailboxes(core: Core, mailboxKey: Bytes, k: number): Promise<OpenMailbox[]> {
  const open: OpenMailbox[] = [];
  for await (const mailbox of mailboxStreams(core, mailboxKey, k, new Set())) open.push(mailbox);
  return open;
}

/** Opens mailbox streams to the DHT's closest candidates not in `exclude`, one at a time, until `k` opened. */
async function* mailboxStreams(core: Core, mailboxKey: Bytes, k: number, exclude: ReadonlySet<string>): AsyncGenerator<OpenMailbox> {
  if (!core.network) return;
  const candidates = await core.network.closestPeers(mailboxKey, MAILBOX_CANDIDATES, { signal: AbortSignal.timeout(MAILBOX_TIMEOUT_MS) });
  let opened = 0;
  for (const peerId of candidates) {
    if (opened >= k) return;
    if (exclude.has(peerId)) continue;
    let stream: FramedStream;
    try {
      stream = await openMailbox(core, peerId);
    } catch {
      continue; // not a mailbox, or not reachable now
    }
    opened++;
    yield { peerId, stream };
  }
}

/**
 * Acknowledgements sent on a mailbox stream while this node works on
 * another: each {@link send} leaves after the answers to the one before
 * (read in the background), so the mailbox deletes while this node goes on.
 */
export class BackgroundAcks {
  private chain: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(private readonly stream: FramedStream) {}

  send(ids: readonly Bytes[]): void {
    if (ids.length === 0) return;
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        await acknowledgeOn(this.stream, ids);
      } catch {
        this.failed = true;
      }
    });
  }

  /** Resolves once every acknowledgement was answered: true, or false when the stream failed. */
  async settled(): Promise<boolean> {
    await this.chain;
    return !this.failed;
  }
}

/**
 * Deposits `item` under `mailboxKey` on an open mailbox stream, with the
 * recipient's `pass` when this node has one, and checks the custody receipt
 * (signed by the mailbox's identity key, for this key and this item). A
 * mailbox that refuses the pass (`bad-pass`, or `malformed` from one that
 * does not know passes) gets the deposit once more without it. Throws
 * MailboxRefusedError or ProtocolError.
 */
export async function depositOn(core: Core, mailbox: string, stream: FramedStream, mailboxKey: Bytes, item: Bytes, pass?: MailboxPass): Promise<CustodyReceipt> {
  const signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
  await stream.write(encodeMailboxFrame({ type: 'deposit', mailboxKey, item, ...(pass ? { pass } : {}) }), { signal });
  const answer = decodeMailboxFrame(await stream.read({ signal }));
  if (answer.type === 'refused' && pass && (answer.reason === 'bad-pass' || answer.reason === 'malformed')) return depositOn(core, mailbox, stream, mailboxKey, item);
  if (answer.type === 'refused') throw new MailboxRefusedError(mailbox, answer.reason);
  if (answer.type !== 'receipt') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${answer.type} frame`);
  const id = core.ctx.primitives.sha256(item);
  if (!equalBytes(answer.id, id)) throw new ProtocolError(MAILBOX_PROTOCOL, 'receipt for another item');
  const valid = await core.ctx.primitives.ed25519Verify(answer.signature, custodySignedData(mailboxKey, id, answer.expiresAt), signingKeyOfPeerId(mailbox));
  if (!valid) throw new ProtocolError(MAILBOX_PROTOCOL, 'custody receipt with a bad signature');
  return { mailbox, expiresAt: answer.expiresAt };
}

/**
 * Deposits a group frame in the box of the group whose mailbox token this
 * is, and checks the custody receipt (as {@link depositOn}). Throws
 * MailboxRefusedError or ProtocolError.
 */
export async function groupDepositOn(core: Core, mailbox: string, stream: FramedStream, token: Bytes, item: Bytes): Promise<CustodyReceipt> {
  const signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
  await stream.write(encodeMailboxFrame({ type: 'group-deposit', token, item }), { signal });
  const answer = decodeMailboxFrame(await stream.read({ signal }));
  if (answer.type === 'refused') throw new MailboxRefusedError(mailbox, answer.reason);
  if (answer.type !== 'receipt') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${answer.type} frame`);
  const id = core.ctx.primitives.sha256(item);
  if (!equalBytes(answer.id, id)) throw new ProtocolError(MAILBOX_PROTOCOL, 'receipt for another item');
  const valid = await core.ctx.primitives.ed25519Verify(answer.signature, custodySignedData(groupMailboxKey(core.ctx.primitives, token), id, answer.expiresAt), signingKeyOfPeerId(mailbox));
  if (!valid) throw new ProtocolError(MAILBOX_PROTOCOL, 'custody receipt with a bad signature');
  return { mailbox, expiresAt: answer.expiresAt };
}

/**
 * Every item of a group's box on an open mailbox stream, in deposit order,
 * batch after batch. Throws ProtocolError or the stream's errors.
 */
export async function fetchGroupOn(stream: FramedStream, token: Bytes): Promise<MailItem[]> {
  const signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
  const out: MailItem[] = [];
  let after: Bytes | undefined;
  for (;;) {
    await stream.write(encodeMailboxFrame({ type: 'group-fetch', token, max: MAILBOX_FETCH_BATCH, ...(after ? { after } : {}) }), { signal });
    const answer = decodeMailboxFrame(await stream.read({ signal }));
    if (answer.type !== 'items') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${answer.type} frame`);
    out.push(...answer.items);
    if (!answer.more || answer.items.length === 0) return out;
    after = answer.items[answer.items.length - 1]!.id;
  }
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
 * deletes it. The FETCH of the next batch leaves before a batch is handed to
 * `store`, so the mailbox lists it while this node works (a FETCH continues
 * after what the stream already handed out). Answers come in request order;
 * the ACKED answers are read as they come. Resolves to the number of items
 * received.
 */
export async function fetchAllOn(stream: FramedStream, store: (items: readonly MailItem[], more: boolean) => Promise<void>): Promise<number> {
  let received = 0;
  let unanswered = 0; // ACKs whose ACKED is still to come
  const fetch = encodeMailboxFrame({ type: 'fetch', max: MAILBOX_FETCH_BATCH });
  let signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
  await stream.write(fetch, { signal });
  for (;;) {
    const answer = decodeMailboxFrame(await stream.read({ signal }));
    if (answer.type === 'acked' && unanswered > 0) {
      unanswered--;
      continue;
    }
    if (answer.type !== 'items') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${answer.type} frame`);
    if (answer.items.length === 0) break;
    if (answer.more) await stream.write(fetch, { signal });
    await store(answer.items, answer.more);
    received += answer.items.length;
    signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
    await stream.write(encodeMailboxFrame({ type: 'ack', ids: answer.items.map((i) => i.id) }), { signal });
    unanswered++;
    if (!answer.more) break;
  }
  for (; unanswered > 0; unanswered--) {
    const acked = decodeMailboxFrame(await stream.read({ signal }));
    if (acked.type !== 'acked') throw new ProtocolError(MAILBOX_PROTOCOL, `unexpected ${acked.type} frame`);
  }
  return received;
}

/**
 * Observation points, all outside src/:
 *
 * - {@link instrumentNetwork} wraps the Network a Messenger runs on (the
 *   one libp2pNetwork builds): times every closestPeers lookup (mailbox
 *   placement and fetch) and every open (dial by peer id), and watches
 *   mailbox streams the node opens for DEPOSIT and GROUP DEPOSIT frames
 *   answered by a signed RECEIPT: each is a custody record. Across a
 *   simulated partition (./partition.ts) it refuses to open a stream and
 *   leaves the peer out of closest-peers answers.
 * - {@link watchOutbox} looks at the transactions a store commits: an
 *   outbox entry carries its envelope and message id, which later tells
 *   which message a sealed item in a mailbox is; a group outbox entry its
 *   frame, message id and recipients (what a group mailbox item is, and
 *   who was meant to read it).
 */
import { toHex } from '../src/crypto/bytes.ts';
import type { Primitives } from '../src/crypto/primitives/types.ts';
import { MAILBOX_PROTOCOL } from '../src/node/constants.ts';
import { groupMailboxKey } from '../src/node/mailbox/keys.ts';
import { decodeMailboxFrame } from '../src/node/mailbox/wire.ts';
import type { FramedStream, Network } from '../src/node/transport/network.ts';
import type { SottoStore } from '../src/node/store/store.ts';
import { wallNow } from './clock.ts';
import type { Recorder } from './recorder.ts';

/** Frame type bytes of /sotto/mailbox (after the version byte): a deposit without and with the recipient's pass. */
const DEPOSIT = 1;
const DEPOSIT_WITH_PASS = 8;
const GROUP_DEPOSIT = 9;
const RECEIPT = 2;
const ITEMS = 5;

/** What a wrapped network reports besides the recorder. */
export interface NetworkHooks {
  /** Mailbox peers, to count how many a closest-peers answer held. */
  isMailbox(peerId: string): boolean;
  /** Called with the items of every ITEMS frame read on a mailbox stream. */
  onItems?(mailbox: string, count: number): void;
  /** Called when a mailbox stream opened by this node closes, with its lifetime in ms and where a fetch spent it. */
  onMailboxStream?(mailbox: string, ms: number, items: number, phases: FetchPhases): void;
  /** False for a peer across a simulated partition: no stream opens to it, and lookups do not return it. Default: every peer. */
  reaches?(peerId: string): boolean;
}

/** What opening a stream across a simulated partition throws. */
export class PartitionedError extends Error {
  override readonly name = 'PartitionedError';
  constructor(peerId: string) {
    super(`${peerId} is across the simulated partition`);
  }
}

/**
 * Where the time of a fetch on one mailbox stream went, ms. The fetcher
 * sends the next FETCH before it handles a batch, and ACKs copies on the
 * streams of later mailboxes in the background, so these overlap.
 */
export interface FetchPhases {
  /** The fetcher blocked reading an ITEMS frame: what the early FETCH did not hide. */
  fetchWait: number;
  /** ITEMS arrived until their ACK left: the fetcher unsealing, decrypting and writing them. */
  processing: number;
  /** ACK sent until its ACKED arrived (summed over ACKs): the mailbox deleting them, copies included. */
  ackWait: number;
  /** ITEMS frames with at least one item. */
  batches: number;
}

const FETCH = 4;
const ACK = 6;
const ACKED = 7;

function watchMailboxStream(stream: FramedStream, depositor: string, mailbox: string, recorder: Recorder, hooks: NetworkHooks, primitives: Primitives): FramedStream {
  let pending: { mailboxKey: Uint8Array; item: Uint8Array } | undefined;
  const opened = wallNow();
  let items = 0;
  let closed = false;
  const phases: FetchPhases = { fetchWait: 0, processing: 0, ackWait: 0, batches: 0 };
  // FETCHes and ACKs sent and not answered yet (answers come in request order), and
  // the arrival times of non-empty ITEMS frames whose ACK has not left yet.
  const requests: { type: number; at: number }[] = [];
  const arrived: number[] = [];
  const sent = (frame: Uint8Array): void => {
    const type = frame[1]!;
    if (type !== FETCH && type !== ACK) return;
    const now = wallNow();
    requests.push({ type, at: now });
    if (type === ACK && arrived.length > 0) phases.processing += now - arrived.shift()!;
  };
  const answered = (frame: Uint8Array, called: number): void => {
    const type = frame[1]!;
    if (type !== ITEMS && type !== ACKED) return;
    const now = wallNow();
    const request = requests.shift();
    if (type === ITEMS) {
      phases.fetchWait += now - called;
      if (frame.length >= 5 && ((frame[3]! << 8) | frame[4]!) > 0) {
        phases.batches++;
        arrived.push(now);
      }
    } else if (request?.type === ACK) phases.ackWait += now - request.at;
  };
  const done = (): void => {
    if (closed) return;
    closed = true;
    hooks.onMailboxStream?.(mailbox, wallNow() - opened, items, phases);
  };
  return {
    read: async (options) => {
      const called = wallNow();
      const frame = await stream.read(options);
      answered(frame, called);
      if (pending && frame[1] === RECEIPT) {
        recorder.custody.push({ depositor, mailbox, mailboxKey: toHex(pending.mailboxKey), item: pending.item, at: wallNow() });
      }
      pending = undefined;
      if (frame[1] === ITEMS && frame.length >= 5) {
        // u8 version, u8 type, u8 more, u16 count
        const count = (frame[3]! << 8) | frame[4]!;
        items += count;
        hooks.onItems?.(mailbox, count);
      }
      return frame;
    },
    write: async (frame, options) => {
      sent(frame);
      pending = undefined;
      if (frame[1] === DEPOSIT || frame[1] === DEPOSIT_WITH_PASS) {
        const decoded = decodeMailboxFrame(frame);
        if (decoded.type === 'deposit') pending = { mailboxKey: decoded.mailboxKey.slice(), item: decoded.item.slice() };
      } else if (frame[1] === GROUP_DEPOSIT) {
        const decoded = decodeMailboxFrame(frame);
        if (decoded.type === 'group-deposit') pending = { mailboxKey: groupMailboxKey(primitives, decoded.token), item: decoded.item.slice() };
      }
      return stream.write(frame, options);
    },
    writeMany: (frames, options) => {
      for (const frame of frames) sent(frame);
      return stream.writeMany(frames, options);
    },
    close: async () => {
      done();
      return stream.close();
    },
    abort: (err) => {
      done();
      stream.abort(err);
    },
  };
}

/** `network` with every lookup, dial and custody receipt recorded, and peers across a simulated partition out of reach. `name` is the node's. */
export function instrumentNetwork(network: Network, name: string, recorder: Recorder, hooks: NetworkHooks, primitives: Primitives): Network {
  const reaches = hooks.reaches ?? (() => true);
  return {
    // Everything else (handle, onPeerConnected, records, rememberAddresses, ...) as it is.
    ...network,
    open: async (peerId, protocol, max, options) => {
      const start = wallNow();
      try {
        if (!reaches(peerId)) throw new PartitionedError(peerId);
        const stream = await network.open(peerId, protocol, max, options);
        recorder.dials.push({ protocol, phase: recorder.phase, ms: wallNow() - start, ok: true });
        return protocol === MAILBOX_PROTOCOL ? watchMailboxStream(stream, name, peerId, recorder, hooks, primitives) : stream;
      } catch (err) {
        recorder.dials.push({ protocol, phase: recorder.phase, ms: wallNow() - start, ok: false });
        throw err;
      }
    },
    closestPeers: async (key, count, options) => {
      const start = wallNow();
      const online = recorder.online;
      try {
        const peers = (await network.closestPeers(key, count, options)).filter(reaches);
        recorder.lookups.push({ kind: 'closest-traffic', phase: recorder.phase, ms: wallNow() - start, ok: peers.length > 0, found: peers.length, mailboxes: peers.filter((p) => hooks.isMailbox(p)).length, online });
        return peers;
      } catch (err) {
        recorder.lookups.push({ kind: 'closest-traffic', phase: recorder.phase, ms: wallNow() - start, ok: false, found: 0, online });
        throw err;
      }
    },
  };
}

/**
 * Records, for every outbox entry `store` commits with an envelope, the
 * envelope's SHA-256 → its message id, and for every group outbox entry of
 * a message, its frame's SHA-256 → the message id and its recipients.
 * Wraps the store's commit (public); the transaction's ops are a public field.
 */
export function watchOutbox(store: SottoStore, primitives: Primitives, recorder: Recorder): void {
  const commit = store.commit.bind(store);
  const decoder = new TextDecoder();
  store.commit = (tx, options) => {
    for (const op of tx.ops) {
      if (op.value !== null && op.key.startsWith('goutbox:')) watchGroupOutbox(op.value, primitives, recorder, decoder);
      if (op.value === null || !op.key.startsWith('outbox:')) continue;
      try {
        const entry = JSON.parse(decoder.decode(op.value)) as { envelope?: string | null; messageId?: string | null };
        if (typeof entry.envelope === 'string') {
          const hash = toHex(primitives.sha256(new Uint8Array(Buffer.from(entry.envelope, 'base64'))));
          if (!recorder.envelopes.has(hash)) recorder.envelopes.set(hash, entry.messageId ?? null);
        }
      } catch (err) {
        recorder.error('reading an outbox entry', err);
      }
    }
    return commit(tx, options);
  };
}

function watchGroupOutbox(value: Uint8Array, primitives: Primitives, recorder: Recorder, decoder: TextDecoder): void {
  try {
    const entry = JSON.parse(decoder.decode(value)) as { kind: string; frame: string; messageId: string | null; recipients: string[]; epoch: number };
    if (entry.kind !== 'message' || entry.messageId === null) return;
    const hash = toHex(primitives.sha256(new Uint8Array(Buffer.from(entry.frame, 'base64'))));
    if (!recorder.groupFrames.has(hash)) recorder.groupFrames.set(hash, { id: entry.messageId, recipients: entry.recipients, epoch: entry.epoch, at: wallNow() });
  } catch (err) {
    recorder.error('reading a group outbox entry', err);
  }
}

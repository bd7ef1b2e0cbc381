/**
 * A stranger on the network: a minimal libp2p peer (TCP, Noise, Yamux and
 * nothing else) with a fresh Ed25519 identity, that speaks Sotto's
 * protocols correctly from the outside: it fetches a peer's live bundle over
 * /sotto/prekeys, starts a session (PQXDH) and sends texts over /sotto/msg,
 * pipelined, or deposits them sealed with a mailbox without a pass. It is
 * not a contact of anyone, so whatever it sends is a message request.
 *
 * A full Sotto node (DHT, identify, store, messenger) per Sybil would be far
 * heavier than what an attacker needs; this is what one costs.
 */
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { decodeBundle, verifyBundle, type PrekeyBundle } from '../../src/crypto/bundle.ts';
import { toHex, utf8 } from '../../src/crypto/bytes.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { seal } from '../../src/crypto/sealed.ts';
import { encryptMessage, startSession, type SessionRecord } from '../../src/crypto/session.ts';
import { decodePrekeysFrame, encodePrekeysRequest } from '../../src/node/bundles/prekeys-wire.ts';
import {
  ACK_TIMEOUT_MS,
  MAILBOX_PROTOCOL,
  MAILBOX_TIMEOUT_MS,
  MAX_MAILBOX_FRAME_BYTES,
  MAX_MSG_FRAME_BYTES,
  MAX_PREKEYS_FRAME_BYTES,
  MESSAGE_ID_BYTES,
  MSG_PROTOCOL,
  MSG_WINDOW,
  PREKEYS_PROTOCOL,
  PREKEYS_TIMEOUT_MS,
} from '../../src/node/constants.ts';
import { libp2pKeyOfIdentity, peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { mailboxKeyOf } from '../../src/node/mailbox/keys.ts';
import { decodeMailboxFrame, encodeMailboxFrame } from '../../src/node/mailbox/wire.ts';
import { encodePayload } from '../../src/node/messaging/payload.ts';
import { decodeMsgFrame, encodeDeliver, type AckStatus } from '../../src/node/messaging/wire.ts';
import { framed, type FramedStream } from '../../src/node/transport/frames.ts';
import { guardProcess } from '../../src/node/transport/libp2p.ts';

/** What the receiver answered to each envelope, in the order sent, and the size of each envelope. */
export interface SendOutcome {
  readonly acks: readonly AckStatus[];
  readonly envelopeBytes: readonly number[];
}

/** How a mailbox answered each deposit: 'receipt', or 'refused:<reason>'. */
export type DepositAnswer = 'receipt' | `refused:${string}`;

/** Counts of each value in `values`. */
export function tally<T extends string>(values: readonly T[]): Partial<Record<T, number>> {
  const counts: Partial<Record<T, number>> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** A peer with its own identity that is nobody's contact. Create with {@link Stranger.create}; stop when done. */
export class Stranger {
  private session: SessionRecord | undefined;
  private bundle: PrekeyBundle | undefined;

  private constructor(
    private readonly ctx: CryptoContext,
    private readonly identity: IdentityKeyPair,
    private readonly node: Libp2p,
    private readonly release: () => void,
    /** The peer id the Noise handshake proves: the identity's Ed25519 key. */
    readonly peerId: string,
  ) {}

  /** A fresh identity and a started libp2p node that only dials (no listen address). */
  static async create(ctx: CryptoContext): Promise<Stranger> {
    const identity = await generateIdentity(ctx);
    // A peer resetting a connection must not end the process (as for every Sotto node).
    const release = guardProcess();
    try {
      const node = await createLibp2p({
        privateKey: await libp2pKeyOfIdentity(identity),
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
      });
      return new Stranger(ctx, identity, node, release, peerIdOfIdentity(identity.public));
    } catch (err) {
      release();
      throw err;
    }
  }

  private async open(target: Multiaddr, protocol: string, maxFrameBytes: number): Promise<FramedStream> {
    return framed(await this.node.dialProtocol(target, protocol), { maxFrameBytes });
  }

  /**
   * Fetches the live bundle of the peer at `target` (a multiaddr with its
   * /p2p/ peer id) and starts a session on it. Throws when it has none, or
   * a bundle that does not verify.
   */
  async startSession(target: string): Promise<void> {
    const stream = await this.open(multiaddr(target), PREKEYS_PROTOCOL, MAX_PREKEYS_FRAME_BYTES);
    try {
      const signal = AbortSignal.timeout(PREKEYS_TIMEOUT_MS);
      await stream.write(encodePrekeysRequest(), { signal });
      const answer = decodePrekeysFrame(await stream.read({ signal }));
      if (answer.type !== 'bundle') throw new Error('the peer gave no bundle');
      const bundle = decodeBundle(answer.bundle);
      await verifyBundle(this.ctx, bundle);
      this.bundle = bundle;
      this.session = await startSession(this.ctx, this.identity, bundle);
    } finally {
      await stream.close().catch(() => {});
    }
  }

  /** The next envelope of the session: one text payload, encrypted. */
  private envelope(text: string): Uint8Array {
    const id = toHex(this.ctx.randomBytes(MESSAGE_ID_BYTES));
    const out = encryptMessage(this.ctx, this.session, encodePayload({ type: 'text', id, sentAt: this.ctx.now(), text }));
    this.session = out.record;
    return out.envelope;
  }

  /**
   * Sends `count` texts (`text(i)`) to the peer at `target` on one /sotto/msg
   * stream, up to `window` unacknowledged (MSG_WINDOW by default), each
   * encrypted just before it leaves; resolves once every one is acked.
   * Needs {@link startSession} first.
   */
  async sendTexts(target: string, count: number, text: (i: number) => string, window: number = MSG_WINDOW): Promise<SendOutcome> {
    const stream = await this.open(multiaddr(target), MSG_PROTOCOL, MAX_MSG_FRAME_BYTES);
    const acks: AckStatus[] = [];
    const envelopeBytes: number[] = [];
    let inFlight = 0;
    let windowOpen: (() => void) | undefined;
    try {
      const writer = (async () => {
        for (let seq = 0; seq < count; seq++) {
          while (inFlight >= window) await new Promise<void>((resolve) => (windowOpen = resolve));
          const envelope = this.envelope(text(seq));
          envelopeBytes.push(envelope.length);
          inFlight++;
          await stream.write(encodeDeliver(seq, envelope));
        }
      })();
      const reader = (async () => {
        for (let received = 0; received < count; received++) {
          const frame = decodeMsgFrame(await stream.read({ timeoutMs: ACK_TIMEOUT_MS }));
          if (frame.type !== 'ack' || frame.seq >= count) throw new Error('unexpected frame from the receiver');
          acks[frame.seq] = frame.status;
          inFlight--;
          windowOpen?.();
          windowOpen = undefined;
        }
      })();
      await Promise.all([writer, reader]);
      return { acks, envelopeBytes };
    } finally {
      await stream.close().catch(() => {});
    }
  }

  /**
   * Deposits `count` texts (`text(i)`), each sealed to the peer whose session
   * this is, with the mailbox at `mailbox`, one after another and without a
   * pass (a stranger has none). Resolves to each answer. Needs
   * {@link startSession} first.
   */
  async depositTexts(mailbox: string, recipient: string, count: number, text: (i: number) => string): Promise<DepositAnswer[]> {
    if (!this.bundle) throw new Error('no session: call startSession first');
    const stream = await this.open(multiaddr(mailbox), MAILBOX_PROTOCOL, MAX_MAILBOX_FRAME_BYTES);
    const mailboxKey = mailboxKeyOf(this.ctx.primitives, recipient);
    const answers: DepositAnswer[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const item = await seal(this.ctx, this.bundle.identity.dhKey, utf8(this.peerId), this.envelope(text(i)));
        const signal = AbortSignal.timeout(MAILBOX_TIMEOUT_MS);
        await stream.write(encodeMailboxFrame({ type: 'deposit', mailboxKey, item }), { signal });
        const answer = decodeMailboxFrame(await stream.read({ signal }));
        answers.push(answer.type === 'refused' ? `refused:${answer.reason}` : 'receipt');
      }
      return answers;
    } finally {
      await stream.close().catch(() => {});
    }
  }

  /** Closes its connections and stops its node. */
  async stop(): Promise<void> {
    try {
      await this.node.stop();
    } finally {
      this.release();
    }
  }
}

/** What became of one Sybil: the ack of its text, or 'failed' (it could not connect, fetch a bundle or send). */
export interface SybilResult {
  readonly peerId: string;
  readonly status: AckStatus | 'failed';
  /** Why it failed (the error's name). */
  readonly error?: string;
}

/**
 * Runs `count` Sybils against the peer at `target`, `concurrency` at a
 * time: each is a fresh {@link Stranger} that connects, fetches the bundle,
 * starts a session, sends one text (`text(i)`) and stops. Resolves to one
 * result per Sybil, in the order they were started.
 */
export async function runSybils(ctx: CryptoContext, target: string, count: number, options: { concurrency: number; text: (i: number) => string }): Promise<SybilResult[]> {
  const results: SybilResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const sybil = await Stranger.create(ctx);
      try {
        await sybil.startSession(target);
        const { acks } = await sybil.sendTexts(target, 1, () => options.text(i));
        results[i] = { peerId: sybil.peerId, status: acks[0]! };
      } catch (err) {
        results[i] = { peerId: sybil.peerId, status: 'failed', error: err instanceof Error ? err.name : String(err) };
      } finally {
        await sybil.stop().catch(() => {});
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, worker));
  return results;
}

/**
 * Direct fan-out of one group message (docs/GROUPS.md, "Fan-out cost and
 * gossipsub"): a member of a steady X-Wing group of N encrypts a 100-byte
 * text and hands the frame to the N − 1 others over /sotto/group, the way
 * the group outbox does (`fanOut`, GROUP_FANOUT_CONCURRENCY streams at
 * once), on the in-memory network of the tests: each other member reads
 * the frame and acks it. Measured at the sender: the bytes it writes and
 * the time from encrypting to the last ack. The in-memory network costs no
 * wire time, so the time is the sender's own work (encryption, framing,
 * one stream per member); the bytes are what a real link would carry
 * before Noise and yamux add their ~40 bytes per stream and frame.
 *
 * Beside it, a gossipsub mesh's figures for the same message, computed
 * from gossipsub v1.1's defaults (mesh degree D = 6, not measured: Sotto
 * does not build gossipsub): what the sender writes, and the copies the
 * whole group moves.
 */
import type { CryptoContext } from '../../src/crypto/context.ts';
import { GROUP_CIPHERSUITE, encryptGroupMessage, type GroupEnv } from '../../src/node/groups/index.ts';
import { encodeGroupText } from '../../src/node/groups/group-plaintext.ts';
import { encodeGroupAck, fanOut, readGroupDelivery } from '../../src/node/groups/group-stream.ts';
import { GROUP_PROTOCOL, MAX_GROUP_STREAM_FRAME_BYTES } from '../../src/node/constants.ts';
import type { FramedStream, Network } from '../../src/node/transport/network.ts';
import { MemoryHub } from '../../test/helpers/memory-network.ts';
import { people, steadyGroup } from './fixture.ts';
import { median } from '../stats.ts';

/** gossipsub v1.1's default mesh degree (D). */
export const GOSSIPSUB_MESH_DEGREE = 6;
const TEXT = 'x'.repeat(100);

/** What one fan-out of one message cost at the sender. */
export interface FanoutResult {
  readonly members: number;
  /** The group frame's bytes. */
  readonly frameBytes: number;
  /** Bytes the sender wrote for one message (every DELIVER). */
  readonly senderBytes: number;
  /** Median over the rounds, ms: encrypting the message. */
  readonly encryptMs: number;
  /** Median over the rounds, ms: from the first stream opened to the last ack. */
  readonly fanoutMs: number;
  readonly acked: number;
  /** A gossipsub mesh, computed: bytes the sender writes (D copies) and copies the group moves in all (each member forwards to D − 1). */
  readonly meshSenderBytes: number;
  readonly meshCopies: number;
}

/** A Network whose every stream counts the bytes written on it into `count`. */
function counting(network: Network, count: { bytes: number }): Network {
  const wrap = (stream: FramedStream): FramedStream => ({
    write: (frame, options) => ((count.bytes += frame.length), stream.write(frame, options)),
    writeMany: (frames, options) => ((count.bytes += frames.reduce((n, f) => n + f.length, 0)), stream.writeMany(frames, options)),
    read: (options) => stream.read(options),
    close: () => stream.close(),
    abort: (err) => stream.abort(err),
  });
  return { ...network, open: async (peerId, protocol, max, options) => wrap(await network.open(peerId, protocol, max, options)) };
}

/** Measures one sender's direct fan-out in a steady X-Wing group of `members`, over `rounds` messages. */
export async function measureFanout(ctx: CryptoContext, members: number, rounds: number): Promise<FanoutResult> {
  const env: GroupEnv = { ctx, suite: GROUP_CIPHERSUITE };
  let [sender] = await steadyGroup(env, GROUP_CIPHERSUITE, await people(ctx, GROUP_CIPHERSUITE, members));
  const hub = new MemoryHub();
  const others = Array.from({ length: members - 1 }, (_, i) => `member-${i}`);
  for (const peerId of others) {
    await hub.network(peerId).handle(GROUP_PROTOCOL, MAX_GROUP_STREAM_FRAME_BYTES, async (stream) => {
      await readGroupDelivery(stream, ctx.primitives.sha256, () => true);
      await stream.write(encodeGroupAck('stored'));
      await stream.close();
    });
  }
  const count = { bytes: 0 };
  const network = counting(hub.network('sender'), count);
  const encrypts: number[] = [];
  const fanouts: number[] = [];
  let frameBytes = 0;
  let senderBytes = 0;
  let acked = 0;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const sent = await encryptGroupMessage(env, sender!, encodeGroupText({ id: '0'.repeat(32), sentAt: ctx.now(), text: TEXT }));
    const encrypted = performance.now();
    sender = sent.state;
    count.bytes = 0;
    const acks = await fanOut(network, others, sent.frame, ctx.primitives.sha256);
    fanouts.push(performance.now() - encrypted);
    encrypts.push(encrypted - start);
    frameBytes = sent.frame.length;
    senderBytes = count.bytes;
    acked = [...acks.values()].filter((a) => a === 'stored').length;
  }
  return {
    members,
    frameBytes,
    senderBytes,
    encryptMs: median(encrypts),
    fanoutMs: median(fanouts),
    acked,
    meshSenderBytes: GOSSIPSUB_MESH_DEGREE * (frameBytes + 2),
    meshCopies: GOSSIPSUB_MESH_DEGREE + (members - 1) * (GOSSIPSUB_MESH_DEGREE - 1),
  };
}

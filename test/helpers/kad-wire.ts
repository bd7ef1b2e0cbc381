/**
 * A hostile DHT peer's view of kad-dht's wire: PUT_VALUE and GET_VALUE
 * messages written by hand (protobuf, libp2p's Kademlia `Message`: field 1
 * type, 2 key, 3 record) and sent straight to one node over a stream of its
 * own, so a test can put and read one node's stored record without going
 * through anyone's DHT logic.
 */
import { Record as DhtRecord } from '@libp2p/kad-dht';
import { lpStream } from '@libp2p/utils';
import { KAD_PROTOCOL } from '../../src/node/constants.ts';
import type { SottoNode } from '../../src/node/transport/libp2p.ts';
import { peerIdFromText } from '../../src/node/encoding/peer-id.ts';

const PUT_VALUE = 0;
const GET_VALUE = 1;
const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}

function bytesField(field: number, value: Uint8Array): number[] {
  return [...varint((field << 3) | WIRE_BYTES), ...varint(value.length), ...value];
}

function encodeMessage(type: number, key: Uint8Array, record?: Uint8Array): Uint8Array {
  // proto3: the default type (PUT_VALUE = 0) is not written.
  const typeField = type === 0 ? [] : [...varint((1 << 3) | WIRE_VARINT), ...varint(type)];
  return Uint8Array.from([...typeField, ...bytesField(2, key), ...(record ? bytesField(3, record) : [])]);
}

/** The `record` field (3) of a Message, or undefined. */
function recordField(message: Uint8Array): Uint8Array | undefined {
  let pos = 0;
  const readVarint = (): number => {
    let n = 0;
    for (let shift = 1; ; shift *= 0x80) {
      const b = message[pos++]!;
      n += (b & 0x7f) * shift;
      if (b < 0x80) return n;
    }
  };
  let found: Uint8Array | undefined;
  while (pos < message.length) {
    const tag = readVarint();
    if ((tag & 7) === WIRE_VARINT) {
      readVarint();
      continue;
    }
    if ((tag & 7) !== WIRE_BYTES) throw new Error(`unexpected wire type ${tag & 7}`);
    const length = readVarint();
    if (tag >>> 3 === 3) found = message.subarray(pos, pos + length);
    pos += length;
  }
  return found;
}

async function exchange(from: SottoNode, to: string, message: Uint8Array): Promise<Uint8Array> {
  const stream = await from.libp2p.dialProtocol(peerIdFromText(to), KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) });
  const lp = lpStream(stream);
  await lp.write(message, { signal: AbortSignal.timeout(10_000) });
  const answer = (await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray();
  await stream.close().catch(() => {});
  return answer;
}

/**
 * Sends PUT_VALUE of (key, value) from `from` straight to the node `to`.
 * Resolves true when `to` echoed the record (stored it), false when it
 * aborted the stream instead (refused it).
 */
export async function putValueTo(from: SottoNode, to: string, key: Uint8Array, value: Uint8Array): Promise<boolean> {
  const record = new DhtRecord(key, value, new Date(0)).serialize();
  try {
    const answer = recordField(await exchange(from, to, encodeMessage(PUT_VALUE, key, record)));
    return answer !== undefined && Buffer.from(DhtRecord.deserialize(answer).value).equals(value);
  } catch {
    return false;
  }
}

/** Asks the node `to` with GET_VALUE for the value it holds itself under `key` (undefined: none). */
export async function storedValueOf(from: SottoNode, to: string, key: Uint8Array): Promise<Uint8Array | undefined> {
  const answer = recordField(await exchange(from, to, encodeMessage(GET_VALUE, key)));
  return answer === undefined ? undefined : Uint8Array.from(DhtRecord.deserialize(answer).value);
}

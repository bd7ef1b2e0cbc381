/**
 * /sotto/keypackage/1.0.0 (docs/PROTOCOL.md §24c): an adder who holds no
 * key package of a person online now asks that person's node for one.
 *
 *   REQUEST      u8 version (1) || u8 1
 *   KEY PACKAGE  u8 version (1) || u8 2 || u32 n || key package record (§24, at most 4,096 bytes)
 *   NONE         u8 version (1) || u8 3    (over the requester's allowance, or no room for secrets)
 *
 * The server makes a fresh key package per answer and keeps its secrets
 * (`gkpsec:`, handed out live: no contact named) before the answer leaves;
 * a token bucket per requesting peer and one for all (as /sotto/prekeys,
 * ../bundles/prekey-limiter.ts) bound how many it hands out. The requester
 * checks that the record is valid and signed by the identity inside the
 * peer id it dialled.
 */
import { equalBytes, Reader, toHex, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import type { PrekeyLimiter, PrekeyLimits } from '../bundles/prekey-limiter.ts';
import {
  GROUP_KEY_PACKAGE_LIFETIME_MS,
  GROUP_KEY_PACKAGE_PROTOCOL,
  GROUP_KEY_PACKAGE_REQUEST_TIMEOUT_MS,
  GROUP_KEY_PACKAGES_BURST,
  GROUP_KEY_PACKAGES_PER_PEER_BURST,
  GROUP_KEY_PACKAGES_PER_PEER_REFILL_MS,
  GROUP_KEY_PACKAGES_REFILL_MS,
  GROUP_WIRE_VERSION,
  MAX_GROUP_KEY_PACKAGE_BYTES,
  MAX_GROUP_KEY_PACKAGE_FRAME_BYTES,
  MAX_GROUP_KEY_PACKAGE_SECRETS,
  MAX_PREKEY_REQUESTERS_TRACKED,
} from '../constants.ts';
import type { Core } from '../core/core.ts';
import { toBase64 } from '../encoding/base64.ts';
import { signingKeyOfPeerId } from '../encoding/peer-id.ts';
import { ProtocolError } from '../errors.ts';
import { Tx } from '../store/store.ts';
import type { FramedStream } from '../transport/network.ts';
import type { GroupEnv } from './context.ts';
import { createKeyPackage, encodeKeyPackageSecrets, keyPackageRef, readKeyPackageRecord } from './key-package.ts';

const REQUEST = 1;
const KEY_PACKAGE = 2;
const NONE = 3;

/** The allowance of live key packages (src/node/constants.ts). */
export const KEY_PACKAGE_LIMITS: PrekeyLimits = {
  perPeerBurst: GROUP_KEY_PACKAGES_PER_PEER_BURST,
  perPeerRefillMs: GROUP_KEY_PACKAGES_PER_PEER_REFILL_MS,
  burst: GROUP_KEY_PACKAGES_BURST,
  refillMs: GROUP_KEY_PACKAGES_REFILL_MS,
  maxTrackedPeers: MAX_PREKEY_REQUESTERS_TRACKED,
};

/** A decoded /sotto/keypackage frame. */
export type KeyPackageFrame = { readonly type: 'request' } | { readonly type: 'key-package'; readonly record: Bytes } | { readonly type: 'none' };

export function encodeKeyPackageFrame(frame: KeyPackageFrame): Bytes {
  if (frame.type === 'request') return Uint8Array.of(GROUP_WIRE_VERSION, REQUEST);
  if (frame.type === 'none') return Uint8Array.of(GROUP_WIRE_VERSION, NONE);
  return new Writer(6 + frame.record.length).u8(GROUP_WIRE_VERSION).u8(KEY_PACKAGE).varBytes(frame.record).finish();
}

/** Decodes a /sotto/keypackage frame from untrusted bytes. Throws DecodeError, VersionTooOld/New. */
export function decodeKeyPackageFrame(bytes: Bytes): KeyPackageFrame {
  const what = 'key package frame';
  const r = new Reader(bytes, what);
  readVersion(r, what, GROUP_WIRE_VERSION);
  const type = r.u8('type');
  let frame: KeyPackageFrame;
  if (type === REQUEST) frame = { type: 'request' };
  else if (type === NONE) frame = { type: 'none' };
  else if (type === KEY_PACKAGE) frame = { type: 'key-package', record: r.varBytes('key package', MAX_GROUP_KEY_PACKAGE_BYTES, 1) };
  else throw new DecodeError(what, `unknown type ${type}`);
  r.end();
  return frame;
}

/**
 * A fresh key package for `requester` when `limiter` grants one and there
 * is room for its secrets, which are durable before it resolves; else
 * undefined.
 */
export async function issueKeyPackage(core: Core, env: GroupEnv, limiter: PrekeyLimiter, requester: string): Promise<Bytes | undefined> {
  if ((await core.store.listKeyPackageSecrets()).length >= MAX_GROUP_KEY_PACKAGE_SECRETS || !limiter.take(requester)) return undefined;
  const { record, secrets } = await createKeyPackage(env, core.identity);
  const now = core.ctx.now();
  const ref = toHex(await keyPackageRef(env, secrets.keyPackage));
  await core.store.commit(new Tx().putKeyPackageSecret({ ref, peerId: null, notAfter: now + GROUP_KEY_PACKAGE_LIFETIME_MS, createdAt: now, secrets: toBase64(encodeKeyPackageSecrets(secrets)) }), { sync: true });
  return record;
}

/** Serves one /sotto/keypackage stream from `remotePeerId`: one request, one answer. */
export async function serveKeyPackage(core: Core, env: GroupEnv, limiter: PrekeyLimiter, stream: FramedStream, remotePeerId: string): Promise<void> {
  const signal = AbortSignal.timeout(GROUP_KEY_PACKAGE_REQUEST_TIMEOUT_MS);
  try {
    const request = decodeKeyPackageFrame(await stream.read({ signal }));
    if (request.type !== 'request') throw new ProtocolError(GROUP_KEY_PACKAGE_PROTOCOL, `unexpected ${request.type} frame`);
    const record = await issueKeyPackage(core, env, limiter, remotePeerId);
    await stream.write(encodeKeyPackageFrame(record ? { type: 'key-package', record } : { type: 'none' }), { signal });
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    return;
  }
  await stream.close();
}

/**
 * Asks `peerId` for a key package and checks it (valid now, signed by the
 * identity in `peerId`). Throws ProtocolError (no network, none given, or
 * one of another identity), the record's errors, or the stream's.
 */
export async function requestKeyPackage(core: Core, env: GroupEnv, peerId: string): Promise<Bytes> {
  if (!core.network) throw new ProtocolError(GROUP_KEY_PACKAGE_PROTOCOL, 'no network');
  const signal = AbortSignal.timeout(GROUP_KEY_PACKAGE_REQUEST_TIMEOUT_MS);
  const stream = await core.network.open(peerId, GROUP_KEY_PACKAGE_PROTOCOL, MAX_GROUP_KEY_PACKAGE_FRAME_BYTES, { signal });
  try {
    await stream.write(encodeKeyPackageFrame({ type: 'request' }), { signal });
    const answer = decodeKeyPackageFrame(await stream.read({ signal }));
    if (answer.type !== 'key-package') throw new ProtocolError(GROUP_KEY_PACKAGE_PROTOCOL, 'the peer gave no key package');
    const kp = await readKeyPackageRecord(env, answer.record);
    if (!equalBytes(kp.identity, signingKeyOfPeerId(peerId))) throw new ProtocolError(GROUP_KEY_PACKAGE_PROTOCOL, 'key package of another identity');
    return answer.record;
  } finally {
    await stream.close().catch(() => {});
  }
}

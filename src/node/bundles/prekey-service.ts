/**
 * /sotto/prekeys/1.0.0: hand out a live prekey bundle, and fetch one from a
 * peer. A bundle carries one-time prekeys (an X25519 one, and a one-time
 * ML-KEM one as its KEM prekey, each while any is left) only while the
 * requester (the peer id Noise authenticated) and all requesters together
 * are within their allowance (./prekey-limiter.ts); each one-time prekey is
 * handed out at most once, and its issued mark is written to disk before the
 * bundle leaves.
 * Any other request gets a last-resort bundle, which costs no write. A
 * fetched bundle must belong to the peer it came from: its Ed25519 identity
 * key is the key inside the peer id that Noise authenticated.
 */
import { decodeBundle, encodeBundle, verifyBundle, type PrekeyBundle } from '../../crypto/bundle.ts';
import { equalBytes } from '../../crypto/bytes.ts';
import { hasUnissuedOneTimePrekey, issueBundle } from '../../crypto/prekeys.ts';
import { MAX_PREKEYS_FRAME_BYTES, PREKEYS_PROTOCOL, PREKEYS_TIMEOUT_MS } from '../constants.ts';
import type { Core } from '../core/core.ts';
import { ProtocolError } from '../errors.ts';
import type { FramedStream } from '../transport/network.ts';
import { signingKeyOfPeerId } from '../encoding/peer-id.ts';
import { changePrekeys, replenishPrekeys } from './local-prekeys.ts';
import type { PrekeyLimiter } from './prekey-limiter.ts';
import { decodePrekeysFrame, encodePrekeysBundle, encodePrekeysRequest } from './prekeys-wire.ts';

/**
 * Issues a bundle for `requester`. When a one-time prekey of either kind is
 * left and `limiter` grants one, the bundle carries the first unissued one of
 * each kind there is, marked issued now, and resolves once those marks are
 * durable; otherwise it is a last-resort bundle and nothing is written.
 * `oneTime` says whether any one-time prekey was handed out.
 */
export function issueLiveBundle(core: Core, limiter: PrekeyLimiter, requester: string): Promise<{ bundle: PrekeyBundle; oneTime: boolean }> {
  return changePrekeys(core, (state) => {
    const oneTime = hasUnissuedOneTimePrekey(state) && limiter.take(requester);
    const issued = issueBundle(core.ctx, core.identity, state, { oneTime, now: core.ctx.now() });
    return { state: issued.state, result: { bundle: issued.bundle, oneTime: issued.state !== state } };
  });
}

/** Serves one /sotto/prekeys stream from `remotePeerId`: one request, one answer. */
export async function servePrekeys(core: Core, limiter: PrekeyLimiter, stream: FramedStream, remotePeerId: string): Promise<void> {
  const signal = AbortSignal.timeout(PREKEYS_TIMEOUT_MS);
  try {
    const request = decodePrekeysFrame(await stream.read({ signal }));
    if (request.type !== 'request') throw new ProtocolError(PREKEYS_PROTOCOL, `unexpected ${request.type} frame`);
    const { bundle, oneTime } = await issueLiveBundle(core, limiter, remotePeerId);
    await stream.write(encodePrekeysBundle(encodeBundle(bundle)), { signal });
    if (oneTime) void replenishPrekeys(core).catch(() => {});
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    return;
  }
  await stream.close();
}

/**
 * Fetches and verifies `peerId`'s live bundle. Throws ProtocolError (no
 * bundle, or one for another identity) and every bundle decoding or
 * verification error.
 */
export async function fetchBundle(core: Core, peerId: string): Promise<PrekeyBundle> {
  if (!core.network) throw new ProtocolError(PREKEYS_PROTOCOL, 'no network');
  const signal = AbortSignal.timeout(PREKEYS_TIMEOUT_MS);
  const stream = await core.network.open(peerId, PREKEYS_PROTOCOL, MAX_PREKEYS_FRAME_BYTES, { signal });
  try {
    await stream.write(encodePrekeysRequest(), { signal });
    const answer = decodePrekeysFrame(await stream.read({ signal }));
    if (answer.type !== 'bundle') throw new ProtocolError(PREKEYS_PROTOCOL, 'the peer has no bundle to give');
    const bundle = decodeBundle(answer.bundle);
    if (!equalBytes(bundle.identity.signingKey, signingKeyOfPeerId(peerId))) throw new ProtocolError(PREKEYS_PROTOCOL, 'bundle of another identity');
    await verifyBundle(core.ctx, bundle);
    return bundle;
  } finally {
    await stream.close().catch(() => {});
  }
}


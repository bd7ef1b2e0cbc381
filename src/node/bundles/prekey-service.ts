/**
 * /sotto/prekeys/1.0.0: hand out a live prekey bundle (each one-time prekey
 * at most once: the issued mark is written to disk before the bundle
 * leaves), and fetch one from a peer. A fetched bundle must belong to the
 * peer it came from: its Ed25519 identity key is the key inside the peer id
 * that Noise authenticated.
 */
import { decodeBundle, encodeBundle, verifyBundle, type PrekeyBundle } from '../../crypto/bundle.ts';
import { equalBytes } from '../../crypto/bytes.ts';
import { issueBundle, replenishOneTimePrekeys } from '../../crypto/prekeys.ts';
import { ONE_TIME_PREKEY_LOW_MARK, ONE_TIME_PREKEY_TARGET, MAX_PREKEYS_FRAME_BYTES, PREKEYS_PROTOCOL, PREKEYS_TIMEOUT_MS } from '../constants.ts';
import { PREKEYS_LOCK, type Core } from '../core/core.ts';
import { ProtocolError } from '../errors.ts';
import type { FramedStream } from '../transport/network.ts';
import { signingKeyOfPeerId } from '../encoding/peer-id.ts';
import { Tx } from '../store/store.ts';
import { decodePrekeysFrame, encodePrekeysBundle, encodePrekeysRequest } from './prekeys-wire.ts';

/** Issues a bundle (marking its one-time prekey used) and writes the new prekey state durably. */
export async function issueLiveBundle(core: Core): Promise<PrekeyBundle> {
  return core.locks.run(PREKEYS_LOCK, async () => {
    const issued = issueBundle(core.identity, core.prekeys);
    if (issued.state !== core.prekeys) {
      await core.store.commit(new Tx().putPrekeys(issued.state), { sync: true });
      core.prekeys = issued.state;
    }
    return issued.bundle;
  });
}

/** Tops one-time prekeys up when few are left (run in the background). */
export async function replenishPrekeys(core: Core): Promise<void> {
  await core.locks.run(PREKEYS_LOCK, async () => {
    const available = core.prekeys.oneTime.filter((k) => !k.issued).length;
    if (available >= ONE_TIME_PREKEY_LOW_MARK) return;
    const next = await replenishOneTimePrekeys(core.ctx, core.prekeys, ONE_TIME_PREKEY_TARGET);
    await core.store.commit(new Tx().putPrekeys(next), { sync: true });
    core.prekeys = next;
  });
}

/** Serves one /sotto/prekeys stream: one request, one answer. */
export async function servePrekeys(core: Core, stream: FramedStream): Promise<void> {
  const signal = AbortSignal.timeout(PREKEYS_TIMEOUT_MS);
  try {
    const request = decodePrekeysFrame(await stream.read({ signal }));
    if (request.type !== 'request') throw new ProtocolError(PREKEYS_PROTOCOL, `unexpected ${request.type} frame`);
    const bundle = await issueLiveBundle(core);
    await stream.write(encodePrekeysBundle(encodeBundle(bundle)), { signal });
    void replenishPrekeys(core).catch(() => {});
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


/**
 * `sotto selftest`: checks on this machine that the fast primitives in use
 * (libsodium + liboqs, or their fallbacks) agree with the portable @noble
 * ones, then runs a complete session between two fresh identities in memory.
 * Nothing touches the disk or the network.
 */
import { noblePrimitives } from '../crypto/primitives/noble.ts';
import { nodeCryptoContext } from './context.ts';
import { equalBytes } from '../crypto/bytes.ts';
import { generateIdentity } from '../crypto/identity.ts';
import { createPrekeyState, issueBundle } from '../crypto/prekeys.ts';
import { decryptMessage, encryptMessage, startSession } from '../crypto/session.ts';
import { safetyNumber } from '../crypto/safety-number.ts';

/** Sotto needs Node 22 or newer (libp2p 3). */
const MIN_NODE_MAJOR = 22;

/** One line of the self-test report. */
export interface SelftestStep {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Runs the self-test; `now` is the clock (injected like everywhere else). */
export async function runSelftest(now: () => number): Promise<SelftestStep[]> {
  const steps: SelftestStep[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  steps.push({ name: 'runtime', ok: major >= MIN_NODE_MAJOR, detail: `Node ${process.version}` });
  const ctx = await nodeCryptoContext(now);
  const p = ctx.primitives;
  const priv = ctx.randomBytes(32);
  const pub = await noblePrimitives.x25519PublicKey(ctx.randomBytes(32));
  const same = equalBytes(await p.x25519(priv, pub), await noblePrimitives.x25519(priv, pub));
  steps.push({ name: `x25519 ${p.name} = @noble`, ok: same, detail: same ? 'identical output' : 'OUTPUTS DIFFER' });
  const seed = ctx.randomBytes(64);
  const m = ctx.randomBytes(32);
  const kemSame = equalBytes(p.kemEncapsulate(p.kemKeygen(seed).publicKey, m).cipherText, noblePrimitives.kemEncapsulate(noblePrimitives.kemKeygen(seed).publicKey, m).cipherText);
  steps.push({ name: `ML-KEM-768 ${p.name} = @noble`, ok: kemSame, detail: kemSame ? 'identical output' : 'OUTPUTS DIFFER' });

  const alice = await generateIdentity(ctx);
  const bob = await generateIdentity(ctx);
  const issued = issueBundle(ctx, bob, await createPrekeyState(ctx, bob, { oneTimePrekeys: 1, oneTimeKemPrekeys: 1 }));
  const record = await startSession(ctx, alice, issued.bundle);
  const message = new TextEncoder().encode('sotto selftest');
  const { envelope } = encryptMessage(ctx, record, message);
  const out = await decryptMessage(ctx, { identity: bob, prekeys: issued.state, record: undefined }, envelope);
  const ok = equalBytes(out.plaintext, message);
  steps.push({ name: 'PQXDH session + Double Ratchet', ok, detail: ok ? `first message decrypted (${envelope.length}-byte envelope)` : 'DECRYPTION MISMATCH' });

  const sn = safetyNumber(ctx.primitives, alice.public.signingKey, bob.public.signingKey);
  const snOk = sn.digits === safetyNumber(ctx.primitives, bob.public.signingKey, alice.public.signingKey).digits;
  steps.push({ name: 'safety number is order-independent', ok: snOk, detail: `${sn.digits.length} digits` });
  return steps;
}

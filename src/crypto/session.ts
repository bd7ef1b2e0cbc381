/**
 * Sessions with one contact: the PQXDH-style start, the Double Ratchet after
 * it, and the record that holds the active session plus archived ones.
 *
 * A session record keeps the active session first and up to
 * MAX_ARCHIVED_SESSIONS older ones, which still decrypt late messages (after
 * a contact reset its session, or when both sides started one at the same
 * moment). Until the initiator receives its first reply, every message it
 * sends carries the agreement header (a PREKEY envelope), so the responder
 * can set up the session from whichever of them arrives first.
 *
 * Simultaneous start: when a PREKEY message opens a new session while our
 * own active session is one we initiated and nobody has answered yet, the
 * session whose initiator has the lexicographically smaller Ed25519 identity
 * key becomes (or stays) active on both sides. The other is archived, so the
 * messages sent on it still decrypt.
 *
 * All functions are pure: they return a new record and never change the one
 * given; on failure they throw and the caller keeps the old one.
 */
import { compareBytes, equalBytes, type Bytes } from './bytes.ts';
import { MAX_ARCHIVED_SESSIONS } from './constants.ts';
import type { CryptoContext } from './context.ts';
import { HeaderDecryptError, IdentityMismatchError, NoSessionError, UnknownPrekeyError } from './errors.ts';
import { decodeEnvelope, encodeEnvelope } from './envelope.ts';
import type { PrekeyBundle } from './bundle.ts';
import type { IdentityKeyPair, IdentityPublic } from './identity.ts';
import { initiateAgreement, respondToAgreement, type PrekeyMessageHeader } from './pqxdh.ts';
import { consumeOneTimePrekey, oneTimeKemKeyPair, type PrekeyState } from './prekeys.ts';
import { initRatchetAsInitiator, initRatchetAsResponder, ratchetDecrypt, ratchetEncrypt, type RatchetMessage, type RatchetState } from './ratchet.ts';

/** One session with a contact. */
export interface SessionState {
  /** The initiator's base key EK_A: identifies the session on both sides. */
  readonly id: Bytes;
  readonly role: 'initiator' | 'responder';
  readonly remoteIdentity: IdentityPublic;
  /** Initiator only: the agreement header, sent with every message until the first reply. */
  readonly pendingPrekey: PrekeyMessageHeader | null;
  readonly ratchet: RatchetState;
}

/** All sessions with one contact; `sessions[0]` is the active one. */
export interface SessionRecord {
  readonly sessions: readonly SessionState[];
}

/** Result of {@link decryptMessage}. */
export interface DecryptResult {
  readonly record: SessionRecord;
  readonly plaintext: Bytes;
  /**
   * The new prekey state when this message used (and so removed) a one-time
   * prekey, X25519 or ML-KEM or both; undefined when the prekeys did not
   * change.
   */
  readonly prekeys: PrekeyState | undefined;
  /** The sender's identity, as bound into the session. */
  readonly remoteIdentity: IdentityPublic;
  /** True when this message created a new session. */
  readonly newSession: boolean;
}

function trim(sessions: readonly SessionState[]): SessionState[] {
  return sessions.slice(0, 1 + MAX_ARCHIVED_SESSIONS);
}

function assertSameContact(record: SessionRecord | undefined, identity: IdentityPublic): void {
  const known = record?.sessions[0]?.remoteIdentity;
  if (known && !equalBytes(known.signingKey, identity.signingKey)) throw new IdentityMismatchError();
}

/**
 * Starts a new session from a contact's prekey bundle and makes it active
 * (older sessions are archived). Throws IdentityMismatchError when `record`
 * belongs to another identity, and whatever {@link initiateAgreement}
 * throws for a bad bundle.
 */
export async function startSession(ctx: CryptoContext, ours: IdentityKeyPair, bundle: PrekeyBundle, record?: SessionRecord): Promise<SessionRecord> {
  assertSameContact(record, bundle.identity);
  const { header, secrets, remoteRatchetKey } = await initiateAgreement(ctx, ours, bundle);
  const ratchet = await initRatchetAsInitiator(ctx, secrets, remoteRatchetKey);
  const session: SessionState = { id: header.baseKey, role: 'initiator', remoteIdentity: bundle.identity, pendingPrekey: header, ratchet };
  return { sessions: trim([session, ...(record?.sessions ?? [])]) };
}

/**
 * Encrypts a message on the active session and returns the encoded envelope
 * (a PREKEY envelope until the contact has answered). Throws NoSessionError,
 * MessageTooLargeError, ChainExhaustedError.
 */
export function encryptMessage(ctx: CryptoContext, record: SessionRecord | undefined, plaintext: Bytes): { record: SessionRecord; envelope: Bytes } {
  const active = record?.sessions[0];
  if (!record || !active) throw new NoSessionError();
  const { state, message } = ratchetEncrypt(ctx, active.ratchet, plaintext);
  const envelope = active.pendingPrekey ? encodeEnvelope({ type: 'prekey', prekey: active.pendingPrekey, message }) : encodeEnvelope({ type: 'message', message });
  return { record: { sessions: [{ ...active, ratchet: state }, ...record.sessions.slice(1)] }, envelope };
}

/** Decrypts on session `index` of the record and returns the updated record. */
async function decryptOn(ctx: CryptoContext, record: SessionRecord, index: number, message: RatchetMessage): Promise<{ record: SessionRecord; plaintext: Bytes; session: SessionState }> {
  const session = record.sessions[index]!;
  const { state, plaintext } = await ratchetDecrypt(ctx, session.ratchet, message);
  // Any message received on a session we initiated proves the contact has it.
  const updated: SessionState = { ...session, ratchet: state, pendingPrekey: null };
  const sessions = [...record.sessions];
  sessions[index] = updated;
  return { record: { sessions }, plaintext, session: updated };
}

/** Places a session created by an incoming PREKEY message, resolving a simultaneous start. */
function insertIncoming(ours: IdentityKeyPair, record: SessionRecord | undefined, fresh: SessionState): SessionRecord {
  const existing = record?.sessions ?? [];
  const active = existing[0];
  const simultaneous = active !== undefined && active.role === 'initiator' && active.pendingPrekey !== null;
  if (simultaneous && compareBytes(ours.public.signingKey, fresh.remoteIdentity.signingKey) < 0) {
    return { sessions: trim([active, fresh, ...existing.slice(1)]) };
  }
  return { sessions: trim([fresh, ...existing]) };
}

/** `prekeys` without the one-time prekeys of `ids` that a first message used; undefined when none was. */
function consumedPrekeys(prekeys: PrekeyState, ids: readonly (number | undefined)[]): PrekeyState | undefined {
  const used = ids.filter((id) => id !== undefined);
  return used.length === 0 ? undefined : used.reduce(consumeOneTimePrekey, prekeys);
}

/** Inputs of {@link decryptMessage}: our identity and prekeys, and the record of the sender (if any). */
export interface DecryptInput {
  readonly identity: IdentityKeyPair;
  /** Our prekeys, or a loader called only when a PREKEY envelope opens a new session. */
  readonly prekeys: PrekeyState | (() => PrekeyState | Promise<PrekeyState>);
  readonly record: SessionRecord | undefined;
}

/**
 * Decrypts an envelope from a contact. A PREKEY envelope for an unknown
 * session runs the responder side of the agreement with the named prekeys
 * (the KEM prekey id is looked up among the signed last-resort KEM prekeys,
 * then among the one-time ones); the one-time prekeys it used, X25519 and
 * ML-KEM, are removed from the returned prekey state only when the message
 * decrypted. A last-resort KEM prekey is never removed. Throws every typed error of the envelope decoder,
 * the agreement and the ratchet, plus IdentityMismatchError (the record
 * belongs to another identity), UnknownPrekeyError and NoSessionError.
 */
export async function decryptMessage(ctx: CryptoContext, input: DecryptInput, envelopeBytes: Bytes): Promise<DecryptResult> {
  const envelope = decodeEnvelope(envelopeBytes);
  const { record } = input;

  if (envelope.type === 'prekey') {
    const header = envelope.prekey;
    assertSameContact(record, header.identity);
    const index = record ? record.sessions.findIndex((s) => equalBytes(s.id, header.baseKey)) : -1;
    if (record && index >= 0) {
      const done = await decryptOn(ctx, record, index, envelope.message);
      return { record: done.record, plaintext: done.plaintext, prekeys: undefined, remoteIdentity: done.session.remoteIdentity, newSession: false };
    }
    const prekeys = typeof input.prekeys === 'function' ? await input.prekeys() : input.prekeys;
    const signed = prekeys.signed.find((k) => k.id === header.signedPrekeyId);
    if (!signed) throw new UnknownPrekeyError('signed', header.signedPrekeyId);
    // The signed last-resort KEM prekeys first, then the one-time ones.
    const lastResortKem = prekeys.kem.find((k) => k.id === header.kemPrekeyId);
    const oneTimeKem = lastResortKem ? undefined : prekeys.oneTimeKem.find((k) => k.id === header.kemPrekeyId);
    const kem = lastResortKem ?? (oneTimeKem && { id: oneTimeKem.id, ...oneTimeKemKeyPair(ctx, oneTimeKem) });
    if (!kem) throw new UnknownPrekeyError('kem', header.kemPrekeyId);
    const oneTime = header.oneTimePrekeyId === undefined ? undefined : prekeys.oneTime.find((k) => k.id === header.oneTimePrekeyId);
    if (header.oneTimePrekeyId !== undefined && !oneTime) throw new UnknownPrekeyError('one-time', header.oneTimePrekeyId);
    const secrets = await respondToAgreement(ctx, input.identity, header, { signed, kem, oneTime });
    const { state, plaintext } = await ratchetDecrypt(ctx, initRatchetAsResponder(secrets, signed.keyPair), envelope.message);
    const fresh: SessionState = { id: header.baseKey, role: 'responder', remoteIdentity: header.identity, pendingPrekey: null, ratchet: state };
    return {
      record: insertIncoming(input.identity, record, fresh),
      plaintext,
      prekeys: consumedPrekeys(prekeys, [oneTime?.id, oneTimeKem?.id]),
      remoteIdentity: header.identity,
      newSession: true,
    };
  }

  if (!record || record.sessions.length === 0) throw new NoSessionError();
  for (let i = 0; i < record.sessions.length; i++) {
    try {
      const done = await decryptOn(ctx, record, i, envelope.message);
      return { record: done.record, plaintext: done.plaintext, prekeys: undefined, remoteIdentity: done.session.remoteIdentity, newSession: false };
    } catch (err) {
      if (!(err instanceof HeaderDecryptError)) throw err;
    }
  }
  throw new HeaderDecryptError();
}

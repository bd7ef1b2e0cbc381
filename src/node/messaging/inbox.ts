/**
 * The receiving side of /sotto/msg/1.0.0. Envelopes are decrypted one after
 * another per contact (under its lock); each decrypt's new session state,
 * the message, and the envelope's "seen" mark go into one transaction.
 * Transactions that arrive together are written in one synced batch (group
 * commit in the store), and each envelope is acked only once its
 * transaction is on disk. A re-delivered envelope (same bytes) is recognised
 * by its hash and acked again without touching the session, and a message id
 * seen before is never stored twice: the application sees each message once.
 */
import { decodeEnvelope } from '../../crypto/envelope.ts';
import { SottoError, VersionTooNewError, VersionTooOldError } from '../../crypto/errors.ts';
import { equalBytes, toHex } from '../../crypto/bytes.ts';
import { decryptMessage } from '../../crypto/session.ts';
import { withoutConsumedOneTimePrekeys } from '../../crypto/prekeys.ts';
import { MSG_PROTOCOL, STREAM_IDLE_TIMEOUT_MS } from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import { inlineFileFailure } from '../encoding/inline-file.ts';
import { storedFile } from '../store/file-record.ts';
import type { Core } from '../core/core.ts';
import { nextTurn } from '../core/mutex.ts';
import type { FramedStream } from '../transport/network.ts';
import { decodePayload } from './payload.ts';
import { evictRequests, noteStranger, refusesStranger } from './requests.ts';
import { checkContactName } from '../contacts/names.ts';
import { toBase64 } from '../encoding/base64.ts';
import { passSignedData } from '../mailbox/pass.ts';
import { signingKeyOfPeerId } from '../encoding/peer-id.ts';
import type { ContactRecord, MessageRecord, MessageStatus, RequestRecord, StoredPass } from '../store/records.ts';
import type { GroupInvitationRecord } from '../store/group-records.ts';
import { Reader } from '../../crypto/bytes.ts';
import { Tx } from '../store/store.ts';
import { decodeMsgFrame, encodeAck, type AckStatus } from './wire.ts';

/** Status order: a receipt only ever moves a message forward. */
const STATUS_RANK: Record<MessageStatus, number> = { failed: 0, queued: 1, received: 1, stored: 2, delivered: 3, read: 4 };

/** Envelopes whose transaction is on its way to disk, by peer and hash: a copy waits for it. */
const inFlight = new WeakMap<Core, Map<string, Promise<Received>>>();

function pending(core: Core): Map<string, Promise<Received>> {
  let map = inFlight.get(core);
  if (!map) inFlight.set(core, (map = new Map()));
  return map;
}

/** What decrypting one envelope produced: the ack, the write that makes it true, and what to announce after. */
interface Processed extends Received {
  readonly durable: Promise<void>;
  readonly announce: () => void;
}

/** The outcome of one received envelope, once durable. */
export interface Received {
  readonly status: AckStatus;
  /** New incoming messages it carried (none for a copy, a receipt or a rejection). */
  readonly stored: readonly MessageRecord[];
  /** The sender is not a contact: what it carried went to its message request. */
  readonly stranger: boolean;
}

/** How an envelope came: straight from its (authenticated) sender, or from a mailbox, where the sender is a claim. */
export type Via = 'direct' | 'mailbox';

const settled = (status: AckStatus, stranger = false): Processed => ({ status, stored: [], stranger, durable: Promise.resolve(), announce: () => {} });

/**
 * Decrypts and stores one envelope from `peerId`; resolves, once the result
 * is durable, to the ack to send. Never throws for bad input: anything the
 * peer sent wrong is 'rejected'. The contact's lock covers decryption and
 * queuing the write; the write itself is awaited outside the lock, so the
 * writes of envelopes that arrive together share one synced batch.
 */
export function receiveEnvelope(core: Core, peerId: string, envelope: Uint8Array): Promise<AckStatus> {
  return receiveEnvelopeDetailed(core, peerId, envelope).then((r) => r.status);
}

/**
 * {@link receiveEnvelope}, also telling which messages it stored. With
 * `sync: false` the write is not synced to disk on its own: the caller
 * makes it durable with a later synced write (fetched mail: one per batch,
 * before the batch is acknowledged to the mailbox).
 */
export function receiveEnvelopeDetailed(core: Core, peerId: string, envelope: Uint8Array, options: { sync?: boolean; via?: Via } = {}): Promise<Received> {
  const hash = toHex(core.ctx.primitives.sha256(envelope));
  const key = `${peerId} ${hash}`;
  const inProgress = pending(core).get(key);
  if (inProgress) return inProgress.then((r) => ({ status: r.status === 'stored' ? 'duplicate' : r.status, stored: [], stranger: r.stranger }));
  const work = core.locks.run(peerId, () => decryptAndQueue(core, peerId, envelope, hash, options.sync ?? true, options.via ?? 'direct')).then(async (processed): Promise<Received> => {
    await processed.durable;
    processed.announce();
    return { status: processed.status, stored: processed.stored, stranger: processed.stranger };
  });
  pending(core).set(key, work);
  void work.finally(() => pending(core).delete(key)).catch(() => {});
  return work;
}

/** Drops an envelope whose identity does not belong to the peer it came from (or claims): counted, never a key change. */
function forged(core: Core, peerId: string, via: Via, stranger: boolean): Processed {
  core.forged[via]++;
  core.emit('forged', { peerId, via });
  return settled('rejected', stranger);
}

/**
 * Drops an envelope of another protocol version (PROTOCOL §9) as 'rejected',
 * which every version's sender takes as "failed, never retry", and notes the
 * version so that the user learns who must upgrade.
 */
function otherVersion(core: Core, peerId: string, version: number, stranger: boolean): Processed {
  core.otherVersions.set(peerId, version);
  core.emit('other-version', { peerId, version });
  return settled('rejected', stranger);
}

async function decryptAndQueue(core: Core, peerId: string, envelope: Uint8Array, hash: string, sync: boolean, via: Via): Promise<Processed> {
  const contact = await core.contactByPeer(peerId);
  const stranger = contact === undefined;
  // Blocked peers, and strangers whose request is full, are refused before anything is opened.
  if (stranger && refusesStranger(core, peerId, envelope.length)) return settled('refused', true);
  // Copies are rare and cannot decrypt twice, so the seen mark is read only when
  // decryption fails, or for an envelope that opens a session (where a replayed
  // first message could otherwise be taken for a new session).
  let opensSession: boolean;
  try {
    opensSession = decodeEnvelope(envelope).type === 'prekey';
  } catch (err) {
    if (err instanceof VersionTooOldError || err instanceof VersionTooNewError) return otherVersion(core, peerId, err.version, stranger);
    if (err instanceof SottoError) return settled('rejected', stranger);
    throw err;
  }
  if (opensSession && (await core.store.getSeen(peerId, hash))) return settled('duplicate', stranger);
  const record = await core.session(peerId);
  let result;
  try {
    try {
      result = await decryptMessage(core.ctx, { identity: core.identity, prekeys: () => core.prekeys, record }, envelope);
    } catch (err) {
      if (!opensSession && (await core.store.getSeen(peerId, hash))) return settled('duplicate', stranger);
      throw err;
    }
    // A first message carries the sender's identity: it must be the key inside the peer id
    // (authenticated by Noise, or claimed by sealed mail).
    if (!equalBytes(result.remoteIdentity.signingKey, signingKeyOfPeerId(peerId))) return forged(core, peerId, via, stranger);
  } catch (err) {
    // Another identity than the session's: whoever made it is not this peer (a key change is a new peer id).
    if (err instanceof SottoError && err.name === 'IdentityMismatchError') return forged(core, peerId, via, stranger);
    if (err instanceof SottoError) return settled('rejected', stranger);
    throw err;
  }
  const tx = new Tx().putSession(peerId, result.record).putSeen(peerId, hash, { at: core.ctx.now(), messageId: null });
  const stored: MessageRecord[] = [];
  const statusChanges: { id: string; status: MessageStatus }[] = [];
  let contactUpdate: ContactRecord | undefined;
  let claimedName: string | undefined;
  let strangerPass: StoredPass | undefined;
  let strangerKeyPackage: RequestRecord['keyPackage'];
  let announced: readonly string[] | undefined;
  let invitation: GroupInvitationRecord | undefined;
  let payload;
  try {
    payload = decodePayload(result.plaintext);
  } catch {
    payload = undefined;
  }
  if (payload?.type === 'text') {
    if (!(await core.hasMessage(peerId, payload.id))) {
      const message: MessageRecord = { id: payload.id, peerId, direction: 'in', text: payload.text, timestamp: payload.sentAt, status: 'received', seq: core.allocateSeq(tx) };
      tx.putMessage(message).putSeen(peerId, hash, { at: core.ctx.now(), messageId: payload.id });
      core.noteMessage(peerId, payload.id);
      stored.push(message);
    }
  } else if (payload?.type === 'file') {
    // Stored like a text, its name as the text; an inline file that does not verify is kept, failed.
    if (!(await core.hasMessage(peerId, payload.id))) {
      const file = storedFile(payload.file, inlineFileFailure(core.ctx.primitives, payload.file));
      const message: MessageRecord = { id: payload.id, peerId, direction: 'in', text: payload.file.name, timestamp: payload.sentAt, status: 'received', seq: core.allocateSeq(tx), file };
      // The file service takes the file from here (a want survives a stop before it does).
      tx.putMessage(message).putSeen(peerId, hash, { at: core.ctx.now(), messageId: payload.id }).putFileWant({ messageId: payload.id, audience: { kind: 'contact', peerId }, sender: peerId });
      core.noteMessage(peerId, payload.id);
      stored.push(message);
    }
  } else if (payload?.type === 'receipt' && contact) {
    for (const id of payload.ids) {
      const message = await core.queuedMessage(peerId, id, false);
      if (!message || message.direction !== 'out' || STATUS_RANK[payload.kind] <= STATUS_RANK[message.status]) continue;
      const updated: MessageRecord = { ...message, status: payload.kind };
      tx.putMessage(updated);
      // The ack of this message may still be on its way: it must not move it back.
      core.updateQueued(updated);
      statusChanges.push({ id, status: payload.kind });
    }
  } else if (payload?.type === 'profile' && stranger) {
    claimedName = claimable(payload.name);
  } else if (payload?.type === 'pass') {
    // A stranger's pass is kept with its request, for when the user accepts it.
    const pass = await checkedPass(core, peerId, contact?.pass ?? core.requests.get(peerId)?.pass, payload.expiresAt, payload.signature);
    if (pass && contact) tx.putContact((contactUpdate = { ...contact, pass }));
    else strangerPass = pass;
  } else if (payload?.type === 'addresses' && contact && payload.at > (contact.addressesAt ?? 0)) {
    // A contact's newer addresses replace the ones kept (an invite's, or older announced ones).
    announced = payload.addresses;
    tx.putContact((contactUpdate = { ...contact, addresses: announced, addressesAt: payload.at }));
  }
  else if (payload?.type === 'group-invite') {
    // Joined by the groups room (../groups): at once from a contact, after the user accepts from a stranger.
    invitation = { id: toHex(core.ctx.primitives.sha256(payload.welcome)), peerId, name: payload.name, token: toBase64(payload.token), welcome: toBase64(payload.welcome), at: core.ctx.now() };
    tx.putGroupInvitation(invitation);
  } else if (payload?.type === 'key-package') {
    // A contact's key package lets this node add it to a group while it is offline; the newest replaces the one held.
    // A stranger's is kept with its request (bounded by the request quotas) and becomes the contact's if the user accepts it.
    const notAfter = keyPackageNotAfter(payload.record);
    if (notAfter !== undefined && notAfter > core.ctx.now()) {
      if (contact) tx.putHeldKeyPackage({ peerId, record: toBase64(payload.record), notAfter });
      else strangerKeyPackage = { record: toBase64(payload.record), notAfter };
    }
  }
  const request = stranger
    ? noteStranger(core, tx, peerId, envelope.length, {
        text: stored.length > 0 || invitation !== undefined,
        ...(claimedName === undefined ? {} : { claimedName }),
        ...(strangerPass ? { pass: strangerPass } : {}),
        ...(strangerKeyPackage ? { keyPackage: strangerKeyPackage } : {}),
      })
    : undefined;
  // The new state is what later envelopes decrypt against, before this one is on disk:
  // commits are written in order, and a failed write stops the store for good.
  core.setSession(peerId, result.record);
  if (result.prekeys) {
    // The used one-time prekey leaves the state as it is now: prekey
    // maintenance or a bundle handed out may have changed it since the decrypt.
    core.prekeys = withoutConsumedOneTimePrekeys(core.prekeys, result.prekeys);
    tx.putPrekeys(core.prekeys);
  }
  if (contactUpdate) core.contactsChanged([contact!], [contactUpdate]);
  const durable = core.store.commit(tx, { sync });
  return {
    status: payload ? 'stored' : 'rejected',
    stored,
    stranger,
    durable,
    announce: () => {
      for (const message of stored) core.messageDurable(peerId, message.id);
      if (invitation) core.emit('group-invitation', { invitation, stranger });
      if (request) {
        core.emit('request', { request, ...(stored[0] ? { message: stored[0] } : {}) });
        void evictRequests(core).catch(() => {});
        return;
      }
      for (const message of stored) core.emit('message', message);
      for (const change of statusChanges) core.emit('status', { peerId, ...change });
      // Dialled only as far as the contact dial policy admits them (../transport/contact-dial-policy.ts).
      if (announced) void core.network?.rememberAddresses?.(peerId, announced).catch(() => {});
    },
  };
}

/** The notAfter of a key package record (u8 version || u16 suite || u64 notAfter || …), or undefined when it is too short. */
function keyPackageNotAfter(record: Uint8Array): number | undefined {
  try {
    const r = new Reader(record, 'key package');
    r.u8('version');
    r.u16('suite');
    return r.u64('notAfter');
  } catch {
    return undefined;
  }
}

/** A name a stranger claims, in NFC, when it is one a contact could have (else none is kept). */
function claimable(name: string): string | undefined {
  try {
    return checkContactName(name);
  } catch {
    return undefined;
  }
}

/** The mailbox pass `peerId` sent us, when it is signed by that peer for us and newer than the one `held`. */
async function checkedPass(core: Core, peerId: string, held: StoredPass | undefined, expiresAt: number, signature: Uint8Array): Promise<StoredPass | undefined> {
  if (held && held.expiresAt >= expiresAt) return undefined;
  const recipientKey = signingKeyOfPeerId(peerId);
  const valid = await core.ctx.primitives.ed25519Verify(signature, passSignedData(recipientKey, core.identity.public.signingKey, expiresAt), recipientKey);
  return valid ? { expiresAt, signature: toBase64(signature) } : undefined;
}

/**
 * Serves one inbound /sotto/msg stream from `peerId`: reads DELIVER frames as
 * they come, and answers each with an ACK once its envelope is durable.
 * Acks may overtake one another; each names its frame's sequence number.
 */
export async function serveMsgStream(core: Core, stream: FramedStream, peerId: string): Promise<void> {
  let writing: Promise<void> = Promise.resolve();
  let batch: Uint8Array[] | undefined;
  // Acks that become ready together (one group commit) leave in one write.
  const ack = (seq: number, status: AckStatus): void => {
    if (batch) {
      batch.push(encodeAck(seq, status));
      return;
    }
    const frames = (batch = [encodeAck(seq, status)]);
    writing = writing
      .then(nextTurn)
      .then(() => {
        batch = undefined;
        return stream.writeMany(frames);
      })
      .catch((err: unknown) => stream.abort(err instanceof Error ? err : new Error(String(err))));
  };
  const inflight = new Set<Promise<void>>();
  try {
    for (;;) {
      let frame;
      try {
        frame = decodeMsgFrame(await stream.read({ signal: AbortSignal.timeout(STREAM_IDLE_TIMEOUT_MS) }));
      } catch (err) {
        if (err instanceof SottoError && err.name === 'DecodeError') throw err;
        break; // the stream ended, timed out or broke
      }
      if (frame.type !== 'deliver') throw new ProtocolError(MSG_PROTOCOL, 'unexpected frame on the receiving side');
      const { seq, envelope } = frame;
      // Malformed envelopes are refused at once, without waiting for the contact's lock
      // (one of another protocol version goes on, to be noted as such).
      try {
        decodeEnvelope(envelope);
      } catch (err) {
        if (!(err instanceof VersionTooOldError || err instanceof VersionTooNewError)) {
          ack(seq, 'rejected');
          continue;
        }
      }
      const job = receiveEnvelope(core, peerId, envelope).then(
        (status) => ack(seq, status),
        () => ack(seq, 'retry'),
      );
      inflight.add(job);
      void job.finally(() => inflight.delete(job));
    }
    await Promise.all(inflight);
    await writing;
    await stream.close().catch(() => {});
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  }
}

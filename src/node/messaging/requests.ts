/**
 * Message requests (docs/PROTOCOL.md §15, "Message requests"): whoever is
 * not a contact reaches this home only as a request. Their envelopes are
 * decrypted and their texts stored like a contact's, under their peer id,
 * but they are announced as 'request' events, never as messages, and no
 * contact record exists for them until the user accepts.
 *
 * Requests have quotas: per sender (REQUEST_MAX_MESSAGES_PER_SENDER texts,
 * REQUEST_MAX_BYTES_PER_SENDER bytes), checked before anything is
 * decrypted, and for all strangers together (REQUESTS_MAX_SENDERS,
 * REQUESTS_MAX_TOTAL_BYTES): past those the oldest request is deleted
 * whole. A blocked peer's envelopes are refused before anything is read.
 */
import {
  REQUEST_MAX_BYTES_PER_SENDER,
  REQUEST_MAX_MESSAGES_PER_SENDER,
  REQUEST_SENDER_OVERHEAD_BYTES,
  REQUESTS_MAX_SENDERS,
  REQUESTS_MAX_TOTAL_BYTES,
} from '../constants.ts';
import type { Core } from '../core/core.ts';
import { conversationFiles, filesDeleted } from './file-messages.ts';
import type { RequestRecord, StoredPass } from '../store/records.ts';
import { Tx } from '../store/store.ts';

/**
 * True when an envelope of `bytes` from `peerId` (not a contact) must be
 * refused without being opened: the peer is blocked, or its request already
 * holds as much as one sender may leave.
 */
export function refusesStranger(core: Core, peerId: string, bytes: number): boolean {
  if (core.blocked.has(peerId) || core.evicting.has(peerId)) return true;
  const request = core.requests.get(peerId);
  if (!request) return false;
  return request.messages >= REQUEST_MAX_MESSAGES_PER_SENDER || request.bytes + bytes > REQUEST_MAX_BYTES_PER_SENDER;
}

/**
 * The request of `peerId` after one more envelope of `bytes` (carrying a
 * text when `text`, the sender's claimed name when `claimedName`, a pass or
 * a key package kept for when the user accepts it), written
 * into `tx` and remembered at once (the caller commits `tx`). The requests
 * that must go to make room for it leave {@link Core.requests} at once too
 * (so the quotas hold at every moment) and wait in {@link Core.evicting}
 * until {@link evictRequests} has deleted them.
 */
export function noteStranger(core: Core, tx: Tx, peerId: string, bytes: number, update: { text?: boolean; claimedName?: string; pass?: StoredPass; keyPackage?: RequestRecord['keyPackage'] }): RequestRecord {
  const now = core.ctx.now();
  const before = core.requests.get(peerId) ?? { peerId, claimedName: null, firstAt: now, lastAt: now, messages: 0, bytes: REQUEST_SENDER_OVERHEAD_BYTES };
  const request: RequestRecord = {
    ...before,
    lastAt: now,
    bytes: before.bytes + bytes,
    messages: before.messages + (update.text ? 1 : 0),
    ...(update.claimedName === undefined ? {} : { claimedName: update.claimedName }),
    ...(update.pass === undefined ? {} : { pass: update.pass }),
    ...(update.keyPackage === undefined ? {} : { keyPackage: update.keyPackage }),
  };
  tx.putRequest(request);
  core.requests.set(peerId, request);
  for (const evicted of requestsOverQuota(core, peerId)) {
    core.requests.delete(evicted);
    core.evicting.add(evicted);
  }
  return request;
}

/**
 * The requests to delete so that all of them fit REQUESTS_MAX_SENDERS and
 * REQUESTS_MAX_TOTAL_BYTES: the oldest first (by first message), never
 * `keep` (the sender that just wrote).
 */
export function requestsOverQuota(core: Core, keep: string): string[] {
  let count = core.requests.size;
  let bytes = 0;
  for (const r of core.requests.values()) bytes += r.bytes;
  const evict: string[] = [];
  const oldestFirst = [...core.requests.values()].filter((r) => r.peerId !== keep).sort((a, b) => a.firstAt - b.firstAt || (a.peerId < b.peerId ? -1 : 1));
  for (const r of oldestFirst) {
    if (count <= REQUESTS_MAX_SENDERS && bytes <= REQUESTS_MAX_TOTAL_BYTES) break;
    evict.push(r.peerId);
    count--;
    bytes -= r.bytes;
  }
  return evict;
}

/**
 * Deletes everything this home keeps of a conversation with `peerId` (its
 * messages, their index and seen marks, the session, a request, the group
 * invitations it sent) in one transaction, with `extra` writes; call under
 * the peer's lock. Resolves once it is durable.
 */
export async function deleteConversation(core: Core, peerId: string, extra: (tx: Tx) => void = () => {}): Promise<void> {
  const tx = new Tx();
  const files = await conversationFiles(core, peerId);
  for (const key of await core.store.conversationKeys(peerId)) tx.deleteRaw(key);
  // A request's invitations go with it (blocked, deleted or evicted): none waits with no request to show it.
  for (const invitation of await core.store.listGroupInvitations()) if (invitation.peerId === peerId) tx.deleteGroupInvitation(invitation.id);
  tx.deleteSession(peerId).deleteRequest(peerId);
  extra(tx);
  await core.store.commit(tx, { sync: true });
  core.conversationDeleted(peerId);
  core.requests.delete(peerId);
  filesDeleted(core, files);
}

/**
 * Deletes what {@link noteStranger} took out to make room (the peers in
 * {@link Core.evicting}), each under its own lock; of a peer that became a
 * contact meanwhile only the request record goes. A deletion that fails
 * leaves the peer refused until the next one.
 */
export async function evictRequests(core: Core): Promise<void> {
  for (const peerId of [...core.evicting]) {
    await core.locks.run(peerId, async () => {
      if (!core.evicting.has(peerId)) return;
      if (await core.contactByPeer(peerId)) await core.store.commit(new Tx().deleteRequest(peerId), { sync: false });
      else await deleteConversation(core, peerId);
      core.evicting.delete(peerId);
    });
  }
}

/**
 * Turns the contact records that earlier versions made for peers who wrote
 * first (`added: false`) into message requests, with their messages. Runs
 * when a messenger opens; one transaction, nothing to do on later opens.
 */
export async function requestsFromUnaddedContacts(core: Core): Promise<void> {
  const unadded = (await core.store.listContacts()).filter((c) => !c.added);
  if (unadded.length === 0) return;
  const tx = new Tx();
  for (const contact of unadded) {
    const messages = await core.store.listMessages(contact.peerId);
    const request: RequestRecord = {
      peerId: contact.peerId,
      claimedName: null,
      firstAt: contact.addedAt,
      lastAt: messages.reduce((at, m) => Math.max(at, m.timestamp), contact.addedAt),
      messages: messages.length,
      bytes: REQUEST_SENDER_OVERHEAD_BYTES + messages.reduce((n, m) => n + new TextEncoder().encode(m.text).length, 0),
    };
    tx.deleteContact(contact).putRequest(request);
    core.requests.set(request.peerId, request);
  }
  await core.store.commit(tx, { sync: true });
  core.contactsChanged(unadded, []);
}

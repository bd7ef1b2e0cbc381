/**
 * Backup and restore of a home, over the store's typed getters and Tx
 * builders (docs/PROTOCOL.md, "Backup archive"). The walk is semantic: an
 * encrypted home hashes every identifier in its record keys, so
 * the records are found from what names them, not by listing keys:
 *
 *   meta (identity, prekeys, profile, seq) → contacts → for every peer id of
 *   a contact or an outbox entry: its session, messages and seen marks →
 *   the outbox.
 *
 * Not carried, on purpose:
 * - mail this node holds as a mailbox for others (mbox:, mboxexp:, mboxord:): it is
 *   other people's sealed mail with a short TTL, useless to the restored
 *   identity, and every item is held by k = 3 mailboxes anyway;
 * - the keyring and the schema: the restored home gets its own;
 * - peer memory (netpeer:) and the addresses last announced (meta:announced):
 *   they describe the network of the machine the home ran on;
 * - the indexes (peer:, msgid:), rebuilt by the Tx builders;
 * - records of a peer that is neither a contact nor in the outbox (a contact
 *   replaced with --accept-new-key): nothing can name them any more.
 */
import type { CryptoContext } from '../../crypto/context.ts';
import { AlreadyInitialisedError, NotInitialisedError } from '../errors.ts';
import { peerIdOfIdentity } from '../encoding/peer-id.ts';
import { Tx, type SottoStore } from '../store/store.ts';
import { openArchive, sealArchive, type BackupCost, BACKUP_COST } from './archive.ts';
import { decodeBackupBody, encodeBackupBody, type BackupSnapshot } from './body.ts';

/**
 * Reads everything a backup carries from an open store. Throws
 * NotInitialisedError for a store without an identity, and the store's read
 * errors (StoreCorruptError).
 */
export async function readSnapshot(store: SottoStore, ctx: CryptoContext): Promise<BackupSnapshot> {
  const identity = await store.getIdentity(ctx);
  const prekeys = await store.getPrekeys();
  if (!identity || !prekeys) throw new NotInitialisedError();
  const contacts = await store.listContacts();
  const outbox = await store.listOutbox();
  const peers = [...new Set([...contacts.map((c) => c.peerId), ...outbox.map((e) => e.peerId)])];
  const sessions: BackupSnapshot['sessions'][number][] = [];
  const messages: BackupSnapshot['messages'][number][] = [];
  const seen: BackupSnapshot['seen'][number][] = [];
  for (const peerId of peers) {
    const record = await store.getSession(peerId);
    if (record) sessions.push({ peerId, record });
    messages.push(...(await store.listMessages(peerId)));
    for (const { hash, record: mark } of await store.listSeen(peerId)) seen.push({ peerId, hash, record: mark });
  }
  return { createdAt: ctx.now(), identity, prekeys, profile: await store.getProfile(), seq: await store.getSeq(), contacts, sessions, messages, outbox, seen };
}

/** One Tx that writes a snapshot into a store (indexes included). */
export function restoreTx(snapshot: BackupSnapshot): Tx {
  const tx = new Tx().putIdentity(snapshot.identity).putPrekeys(snapshot.prekeys).putSeq(snapshot.seq);
  if (snapshot.profile) tx.putProfile(snapshot.profile);
  for (const c of snapshot.contacts) tx.putContact(c);
  for (const { peerId, record } of snapshot.sessions) tx.putSession(peerId, record);
  for (const m of snapshot.messages) tx.putMessage(m);
  for (const e of snapshot.outbox) tx.putOutbox(e);
  for (const { peerId, hash, record } of snapshot.seen) tx.putSeen(peerId, hash, record);
  return tx;
}

/**
 * Writes a snapshot into an open store that has no identity, in one synced
 * commit; resolves to the restored peer id. Throws AlreadyInitialisedError
 * (nothing written) for a store that has one.
 */
export async function restoreSnapshot(store: SottoStore, ctx: CryptoContext, snapshot: BackupSnapshot): Promise<string> {
  const existing = await store.getIdentity(ctx);
  if (existing) throw new AlreadyInitialisedError(peerIdOfIdentity(existing.public));
  await store.commit(restoreTx(snapshot), { sync: true });
  return peerIdOfIdentity(snapshot.identity.public);
}

/**
 * A complete archive of an open store, sealed under `passphrase`. The store
 * must not change meanwhile (the node is stopped). Throws NotInitialisedError,
 * BackupTooLargeError, and the store's read errors.
 */
export async function exportArchive(store: SottoStore, ctx: CryptoContext, passphrase: () => Promise<string>, cost: BackupCost = BACKUP_COST): Promise<{ archive: Uint8Array; snapshot: BackupSnapshot }> {
  const snapshot = await readSnapshot(store, ctx);
  const body = encodeBackupBody(snapshot);
  return { archive: await sealArchive(ctx, body, await passphrase(), cost), snapshot };
}

/**
 * Opens, authenticates and fully decodes an archive; nothing is written.
 * The passphrase is asked for only after the header checked out. Throws
 * NotABackupError, VersionTooOldError, VersionTooNewError,
 * WrongBackupPassphraseError, BackupCorruptError, BackupTooLargeError.
 */
export async function readArchive(ctx: CryptoContext, archive: Uint8Array, passphrase: () => Promise<string>): Promise<BackupSnapshot> {
  return decodeBackupBody(ctx, await openArchive(ctx, archive, passphrase));
}

/**
 * What the `sotto` commands can ask of a home, whether a node runs on it
 * (then through its control socket) or not (then on the database directly).
 * Both implementations answer with the same plain JSON-able values.
 */
import type { Primitives } from '../crypto/primitives/types.ts';
import { formatSafetyNumber, identityDigits } from '../crypto/safety-number.ts';
import type { Messenger, SendResult } from '../node/messaging/messenger.ts';
import type { ContactRecord, MessageRecord, RequestRecord } from '../node/store/records.ts';
import { lookalikeKey, lookalikes } from '../node/contacts/names.ts';
import { inviteMethods, type InviteLine, type SafetyNumberLine } from './invite-api.ts';
import { groupMethods, type GroupApi } from './group-api.ts';
import { noFileMethods, type FileApi } from './file-api.ts';
import type { GroupService } from '../node/groups/group-service.ts';
import { inlineFileState, type FileStateLookup } from '../node/files/message-file-state.ts';
import { fileLine, type FileLine } from './file-line.ts';

/** `sotto id`. */
export interface IdInfo {
  readonly peerId: string;
  readonly name: string;
  /** Listening addresses of the running node (empty when none runs). */
  readonly addresses: string[];
  /** This identity's half of every safety number: 30 digits. */
  readonly safetyNumber: string;
}

/** A page of a conversation: the newest `limit` messages before `before` (a message's `seq`). */
export interface HistoryPage {
  readonly before?: number;
  readonly limit?: number;
}

/** One line of `sotto history --json`. */
export interface HistoryLine {
  readonly id: string;
  /** Its place in this home's order of messages: page back with `before`. */
  readonly seq: number;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly timestamp: number;
  /** queued, stored, delivered, read, failed (outgoing); received, read (incoming). */
  readonly status: string;
  /** For 'stored': how many mailboxes hold it, and until when (ms). */
  readonly mailboxes?: number;
  readonly storedUntil?: number;
  /** For 'failed': why ("not accepted": the recipient refused it). */
  readonly reason?: string;
  /** For a file message: the file (`text` is its name). */
  readonly file?: FileLine;
}

/** One line of `sotto requests --json`: someone who is not a contact wrote. */
export interface RequestLine {
  readonly peerId: string;
  /** The name they say they have: unverified, never a contact's name until accepted. */
  readonly claimedName: string | null;
  readonly messages: number;
  /** What they cost this home (their envelopes and a fixed charge). */
  readonly bytes: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** The contact whose name the claimed name is, or looks like (UTS #39): a stranger may be posing as them. */
  readonly looksLike?: string;
}

/** One line of `sotto contacts list --json`. */
export interface ContactLine {
  readonly name: string;
  readonly peerId: string;
  readonly verified: boolean;
  readonly added: boolean;
  /** Connected to this node right now (always false without a running node). */
  readonly online: boolean;
  /** Received messages not read yet. */
  readonly unread: number;
  /** When the user accepted a new identity key for this name, until they verify it again. */
  readonly keyChangedAt?: number;
  /**
   * The name of another contact this one's name looks like (same UTS #39
   * skeleton, src/node/contacts/names.ts): the earliest added of them.
   * Absent when it looks like no other.
   */
  readonly confusableWith?: string;
}

/** The operations of the `sotto` commands on one home. */
export interface SottoApi extends GroupApi, FileApi {
  id(): Promise<IdInfo>;
  addContact(name: string, peerId: string, acceptNewKey: boolean): Promise<ContactLine>;
  listContacts(): Promise<ContactLine[]>;
  send(name: string, text: string, waitMs: number): Promise<SendResult>;
  /**
   * A conversation, oldest first (with `page`: the newest `limit` messages
   * before the one whose `seq` is `before`); marks every received message
   * of it read.
   */
  history(name: string, page?: HistoryPage | null): Promise<HistoryLine[]>;
  /** This identity's signed invite, with `addresses` (null: the running node's). */
  invite(addresses: string[] | null): Promise<InviteLine>;
  /** Adds (unverified) the contact an invite names, as `name` (null: the invite's name). */
  addInvite(invite: string, name: string | null, acceptNewKey: boolean): Promise<ContactLine>;
  /** The safety number with a contact. */
  safetyNumber(name: string): Promise<SafetyNumberLine>;
  /** Marks a contact verified or not; with `peerId`, only while it still has that identity. */
  setVerified(name: string, peerId: string | null, verified: boolean): Promise<ContactLine>;
  /** Message requests, oldest first. */
  listRequests(): Promise<RequestLine[]>;
  /** What a request says (nothing is sent back: no receipt). */
  requestHistory(peerId: string): Promise<HistoryLine[]>;
  /** Accepts a request as a contact named `name` (null: the name it claims). */
  acceptRequest(peerId: string, name: string | null): Promise<ContactLine>;
  /** Blocks a peer that is not a contact: its request goes, and it is refused from now on. */
  blockPeer(peerId: string): Promise<{ peerId: string }>;
  /** Deletes a request whole. */
  deleteRequest(peerId: string): Promise<{ peerId: string }>;
  /** Deletes a conversation (messageId null) or one message of it, on this device only. */
  deleteMessages(name: string, messageId: string | null): Promise<{ deleted: number }>;
}

const contactLine = (c: ContactRecord, online: boolean, unread: number, confusableWith: string | undefined): ContactLine => ({
  name: c.name,
  peerId: c.peerId,
  verified: c.verified,
  added: c.added,
  online,
  unread,
  ...(c.keyChangedAt === undefined ? {} : { keyChangedAt: c.keyChangedAt }),
  ...(confusableWith === undefined ? {} : { confusableWith }),
});
const historyLine = async (m: MessageRecord, fileState: FileStateLookup): Promise<HistoryLine> => ({
  id: m.id,
  seq: m.seq,
  direction: m.direction,
  text: m.text,
  timestamp: m.timestamp,
  status: m.status,
  ...(m.status === 'stored' && m.custody ? { mailboxes: m.custody.mailboxes, storedUntil: m.custody.until } : {}),
  ...(m.status === 'failed' && m.failure ? { reason: m.failure } : {}),
  ...(m.file ? { file: await fileLine(fileState, m.id, m.file) } : {}),
});
const requestLine = (r: RequestRecord, contacts: readonly ContactRecord[]): RequestLine => {
  const key = r.claimedName === null ? undefined : lookalikeKey(r.claimedName);
  const looksLike = key === undefined ? undefined : contacts.find((c) => lookalikeKey(c.name) === key)?.name;
  return { peerId: r.peerId, claimedName: r.claimedName, messages: r.messages, bytes: r.bytes, firstAt: r.firstAt, lastAt: r.lastAt, ...(looksLike === undefined ? {} : { looksLike }) };
};

/**
 * The API over a messenger in this process. `addresses` lists the running
 * node's addresses and `isOnline` tells whether a peer is connected (both
 * empty/false when no node runs); `groups` are the running node's (none:
 * the group methods throw NodeNotRunningError); `fileState` tells history
 * how far a message's file got (the file service's lookup; default: what
 * the message record tells, inlineFileState); `files` sends and saves files
 * (none: those methods throw).
 */
export function messengerApi(
  messenger: Messenger,
  primitives: Primitives,
  addresses: () => string[],
  isOnline: (peerId: string) => boolean = () => false,
  groups?: GroupService,
  fileState: FileStateLookup = inlineFileState,
  files: FileApi = noFileMethods,
): SottoApi {
  const lines = (messages: readonly MessageRecord[]): Promise<HistoryLine[]> => Promise.all(messages.map((m) => historyLine(m, fileState)));
  const lineAmong = async (c: ContactRecord, similar: ReadonlyMap<string, string>): Promise<ContactLine> => contactLine(c, isOnline(c.peerId), await messenger.unreadCount(c.peerId), similar.get(c.name));
  // One contact's line, flagged when its name looks like another contact's.
  const line = async (c: ContactRecord): Promise<ContactLine> => lineAmong(c, lookalikes(await messenger.contacts()));
  // A new contact gets a key package at once (it may be added to a group while this node is offline), not at the next poll;
  // the group invitations it sent while a stranger are joined, as a contact's are.
  const keyPackageFor = async <T extends { peerId: string }>(added: T): Promise<T> => {
    void groups?.upkeepKeyPackages().catch(() => {});
    await groups?.joinInvitationsFrom(added.peerId);
    return added;
  };
  const invites = inviteMethods(messenger, primitives, addresses, line);
  return {
    id: async () => ({ peerId: messenger.peerId, name: (await messenger.profile()).name, addresses: addresses(), safetyNumber: formatSafetyNumber(identityDigits(primitives, messenger.identity.public.signingKey)) }),
    addContact: async (name, peerId, acceptNewKey) => keyPackageFor(await line(await messenger.addContact(name, peerId, { acceptNewKey }))),
    listContacts: async () => {
      const all = await messenger.contacts();
      const similar = lookalikes(all);
      return Promise.all(all.map((c) => lineAmong(c, similar)));
    },
    send: (name, text, waitMs) => messenger.send(name, text, { waitMs }),
    history: async (name, page) => {
      const history = await lines(await messenger.history(name, page ?? {}));
      await messenger.markRead(name);
      return history;
    },
    ...invites,
    addInvite: async (invite, name, acceptNewKey) => keyPackageFor(await invites.addInvite(invite, name, acceptNewKey)),
    listRequests: async () => {
      const contacts = await messenger.contacts();
      return messenger.requests().map((r) => requestLine(r, contacts));
    },
    requestHistory: async (peerId) => lines(await messenger.requestMessages(peerId)),
    acceptRequest: async (peerId, name) => keyPackageFor(await line(await messenger.acceptRequest(peerId, name ?? undefined))),
    blockPeer: async (peerId) => {
      await messenger.block(peerId);
      return { peerId };
    },
    deleteRequest: async (peerId) => {
      await messenger.deleteRequest(peerId);
      return { peerId };
    },
    deleteMessages: async (name, messageId) => ({ deleted: await messenger.deleteMessages(name, messageId ?? undefined) }),
    ...groupMethods(groups, fileState),
    ...files,
  };
}

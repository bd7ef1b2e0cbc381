/**
 * The records a member keeps of its groups (docs/PROTOCOL.md §16, "Groups"):
 * the group (name, mailbox token, whether this member is still in it), its
 * MLS state (binary, ../groups/group-state.ts, written per operation), the
 * group's messages with their senders, the outgoing frames not yet handed
 * on (the group outbox), marks of mailbox items processed, invitations
 * received, key packages contacts gave this member, and the secrets of the
 * key packages this member gave out. UTF-8 JSON, every field checked on the
 * way back in, like ./records.ts.
 */
import { encodeJson, field, isBool, isCount, isNullableString, isString, isStringList, oneOf, parse } from './records.ts';
import { decodeStoredFile, type StoredFile } from './file-record.ts';

/** A group this member belongs (or belonged) to. */
export interface GroupRecord {
  /** The MLS group id, hex. */
  readonly id: string;
  /** The group's name (the creator's choice, from the invitation). */
  readonly name: string;
  /** The group's mailbox token (base64): its mailbox key is SHA-256("sotto/v1/group-mailbox" || token). */
  readonly token: string;
  readonly joinedAt: number;
  /** False once this member was removed or left. */
  readonly active: boolean;
  /** Peer id of the member whose invitation this member joined from (absent for the creator). */
  readonly invitedBy?: string;
  /** The seq of the newest message of the group the user has read (absent: none yet); received messages after it are unread. */
  readonly readSeq?: number;
}

/** The state of a group message as its sender sees it; received ones are 'received'. */
export type GroupMessageStatus = 'queued' | 'stored' | 'delivered' | 'received';

/** One message of a group conversation. */
export interface GroupMessageRecord {
  /** 128-bit id, hex: the same on every member (re-sends after a fork keep it). */
  readonly id: string;
  readonly groupId: string;
  /** Peer id of the member who sent it (authenticated by its MLS leaf signature). */
  readonly sender: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  /** When the sender wrote it (its clock), ms. */
  readonly timestamp: number;
  readonly status: GroupMessageStatus;
  /** Local order (the store's sequence number): page back with `before`. */
  readonly seq: number;
  /** The epoch it was sent in (a re-send after a fork looks for the abandoned ones). */
  readonly epoch: number;
  /** Outgoing: the other members when it was sent, how many acked it directly, how many it is stored for in mailboxes. */
  readonly members?: number;
  readonly delivered?: number;
  readonly stored?: number;
  /** For a file message (docs/PROTOCOL.md §25): the file; `text` is then its name. */
  readonly file?: StoredFile;
}

/** A group frame waiting to be handed on (directly to members, and to the group's mailboxes). */
export interface GroupOutboxEntry {
  readonly seq: number;
  readonly groupId: string;
  readonly kind: 'message' | 'operation' | 'proposal';
  /** The message id of a message, so its status can follow. */
  readonly messageId: string | null;
  /** The group frame (base64): encrypted once, the same bytes on every retry. */
  readonly frame: string;
  readonly epoch: number;
  /** The other members' peer ids when the frame was made. */
  readonly recipients: readonly string[];
  /** Those who acked it directly. */
  readonly delivered: readonly string[];
  /** Mailboxes that signed a custody receipt for it. */
  readonly custody: readonly string[];
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly createdAt: number;
  readonly lastError: string | null;
}

/** An invitation received (the Welcome and what goes with it), until it is joined, refused or accepted. */
export interface GroupInvitationRecord {
  /** SHA-256 of the Welcome frame, hex. */
  readonly id: string;
  /** Who sent it. */
  readonly peerId: string;
  readonly name: string;
  readonly token: string;
  readonly welcome: string;
  readonly at: number;
}

/** A key package record a contact gave this member (to add it while it is offline). */
export interface HeldKeyPackage {
  readonly peerId: string;
  /** The signed record (base64, ../groups/key-package.ts). */
  readonly record: string;
  readonly notAfter: number;
}

/** The secrets of a key package this member gave out, kept until a Welcome uses them or they expire. */
export interface KeyPackageSecretRecord {
  /** The key package's MLS KeyPackageRef, hex. */
  readonly ref: string;
  /** Who it was given to: a contact's peer id, or null when handed out live. */
  readonly peerId: string | null;
  readonly notAfter: number;
  readonly createdAt: number;
  /** encodeKeyPackageSecrets (base64). */
  readonly secrets: string;
}

/** A mailbox item of a group this member processed (or found unusable): never processed again. */
export interface GroupSeenItem {
  readonly groupId: string;
  readonly id: string;
  readonly at: number;
}

export { encodeJson as encodeGroupRecord };

/** Decodes a stored group. */
export function decodeGroup(key: string, bytes: Uint8Array): GroupRecord {
  const o = parse(key, bytes);
  return {
    id: field(key, o, 'id', isString),
    name: field(key, o, 'name', isString),
    token: field(key, o, 'token', isString),
    joinedAt: field(key, o, 'joinedAt', isCount),
    active: field(key, o, 'active', isBool),
    ...(o['invitedBy'] === undefined ? {} : { invitedBy: field(key, o, 'invitedBy', isString) }),
    ...(o['readSeq'] === undefined ? {} : { readSeq: field(key, o, 'readSeq', isCount) }),
  };
}

/** Decodes a stored group message. */
export function decodeGroupMessage(key: string, bytes: Uint8Array): GroupMessageRecord {
  const o = parse(key, bytes);
  const optional = (name: 'members' | 'delivered' | 'stored') => (o[name] === undefined ? {} : { [name]: field(key, o, name, isCount) });
  return {
    id: field(key, o, 'id', isString),
    groupId: field(key, o, 'groupId', isString),
    sender: field(key, o, 'sender', isString),
    direction: field(key, o, 'direction', oneOf('in', 'out')),
    text: field(key, o, 'text', isString),
    timestamp: field(key, o, 'timestamp', isCount),
    status: field(key, o, 'status', oneOf('queued', 'stored', 'delivered', 'received')),
    seq: field(key, o, 'seq', isCount),
    epoch: field(key, o, 'epoch', isCount),
    ...optional('members'),
    ...optional('delivered'),
    ...optional('stored'),
    ...(o['file'] === undefined ? {} : { file: decodeStoredFile(key, o['file']) }),
  };
}

/** Decodes a group outbox entry. */
export function decodeGroupOutbox(key: string, bytes: Uint8Array): GroupOutboxEntry {
  const o = parse(key, bytes);
  return {
    seq: field(key, o, 'seq', isCount),
    groupId: field(key, o, 'groupId', isString),
    kind: field(key, o, 'kind', oneOf('message', 'operation', 'proposal')),
    messageId: field(key, o, 'messageId', isNullableString),
    frame: field(key, o, 'frame', isString),
    epoch: field(key, o, 'epoch', isCount),
    recipients: field(key, o, 'recipients', isStringList),
    delivered: field(key, o, 'delivered', isStringList),
    custody: field(key, o, 'custody', isStringList),
    attempts: field(key, o, 'attempts', isCount),
    nextAttemptAt: field(key, o, 'nextAttemptAt', isCount),
    createdAt: field(key, o, 'createdAt', isCount),
    lastError: field(key, o, 'lastError', isNullableString),
  };
}

/** Decodes a stored invitation. */
export function decodeGroupInvitation(key: string, bytes: Uint8Array): GroupInvitationRecord {
  const o = parse(key, bytes);
  return {
    id: field(key, o, 'id', isString),
    peerId: field(key, o, 'peerId', isString),
    name: field(key, o, 'name', isString),
    token: field(key, o, 'token', isString),
    welcome: field(key, o, 'welcome', isString),
    at: field(key, o, 'at', isCount),
  };
}

/** Decodes a key package held from a contact. */
export function decodeHeldKeyPackage(key: string, bytes: Uint8Array): HeldKeyPackage {
  const o = parse(key, bytes);
  return { peerId: field(key, o, 'peerId', isString), record: field(key, o, 'record', isString), notAfter: field(key, o, 'notAfter', isCount) };
}

/** Decodes the secrets of a key package given out. */
export function decodeKeyPackageSecret(key: string, bytes: Uint8Array): KeyPackageSecretRecord {
  const o = parse(key, bytes);
  return {
    ref: field(key, o, 'ref', isString),
    peerId: field(key, o, 'peerId', isNullableString),
    notAfter: field(key, o, 'notAfter', isCount),
    createdAt: field(key, o, 'createdAt', isCount),
    secrets: field(key, o, 'secrets', isString),
  };
}

/** Decodes a processed-item mark. */
export function decodeGroupSeen(key: string, bytes: Uint8Array): GroupSeenItem {
  const o = parse(key, bytes);
  return { groupId: field(key, o, 'groupId', isString), id: field(key, o, 'id', isString), at: field(key, o, 'at', isCount) };
}

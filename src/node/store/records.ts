/**
 * The application records Sotto stores (contacts, messages, outbox entries,
 * seen envelopes) and their storage encoding: UTF-8 JSON with every field
 * checked on the way back in. Crypto records (identity, prekeys, sessions)
 * use the binary codecs of src/crypto. Storage schema version 2; see
 * docs/PROTOCOL.md, "Local store". Index records carry the identifiers their
 * keys name, because an encrypted home hashes them in the keys (keys.ts).
 */
import { StoreCorruptError } from '../errors.ts';
import { decodeStoredFile, type StoredFile } from './file-record.ts';

export type { StoredFile };

/** Who a message came from or went to, as the user named them. */
export interface ContactRecord {
  readonly name: string;
  readonly peerId: string;
  readonly addedAt: number;
  /** True once the user compared safety numbers (`sotto verify`). */
  readonly verified: boolean;
  /** False for a peer that wrote to us before the user added it. */
  readonly added: boolean;
  /** When the user accepted a new identity key for this name (cleared by verifying). */
  readonly keyChangedAt?: number;
  /** Where the contact's node listened, from the invite it was added with (multiaddrs; hints for dialling). */
  readonly addresses?: readonly string[];
  /** When the contact sent `addresses` (its clock, ms), for addresses it announced (§14); absent for an invite's. */
  readonly addressesAt?: number;
  /** The mailbox pass this contact gave us: deposits with its mailboxes carry it (docs/PROTOCOL.md §18). */
  readonly pass?: StoredPass;
  /** Until when the pass we last gave this contact is valid, ms (we renew it before). */
  readonly passIssuedUntil?: number;
}

/** A mailbox pass as kept with a contact: its expiry and the signature (base64). */
export interface StoredPass {
  readonly expiresAt: number;
  readonly signature: string;
}

/**
 * Someone who is not a contact and wrote to us: a message request. Their
 * messages are stored like a contact's (under their peer id) but nothing is
 * shown as a conversation until the user accepts them.
 */
export interface RequestRecord {
  readonly peerId: string;
  /** The name they say they have (unverified), once they sent one. */
  readonly claimedName: string | null;
  /** When their first and latest envelope arrived, ms (this device's clock). */
  readonly firstAt: number;
  readonly lastAt: number;
  /** Text messages stored. */
  readonly messages: number;
  /** What they cost this home: every envelope's bytes plus a fixed charge for their session and records. */
  readonly bytes: number;
  /** The mailbox pass they sent (checked), kept for when the user accepts them. */
  readonly pass?: StoredPass;
  /** The newest key package they sent (base64 record, unexpired when it came), kept for when the user accepts them: it becomes the contact's held key package. */
  readonly keyPackage?: { readonly record: string; readonly notAfter: number };
}

/** A peer the user blocked: whatever it sends is refused at once, nothing stored. */
export interface BlockRecord {
  readonly peerId: string;
  readonly at: number;
}

/**
 * A peer this node met and dials again at its next start (peer memory,
 * ../transport/peer-memory.ts): contacts, mailboxes, DHT peers, relays.
 */
export interface RememberedPeerRecord {
  readonly peerId: string;
  readonly kind: 'contact' | 'mailbox' | 'dht' | 'relay';
  /** Multiaddrs without /p2p/<its id>. */
  readonly addresses: readonly string[];
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** Starts in a row at which it did not answer. */
  readonly failures: number;
}

/** The addresses this node last announced to its contacts, and when (docs/PROTOCOL.md §14). */
export interface AnnouncedAddresses {
  readonly addresses: readonly string[];
  readonly at: number;
}

/** State of a message as its sender sees it (incoming messages are 'received' or 'read'). */
export type MessageStatus = 'queued' | 'stored' | 'delivered' | 'read' | 'failed' | 'received';

/** Mailboxes that hold an outgoing message for an offline recipient. */
export interface Custody {
  /** How many mailboxes signed a custody receipt. */
  readonly mailboxes: number;
  /** When the first of them lets it expire, ms. */
  readonly until: number;
}

/** One message of a conversation. */
export interface MessageRecord {
  /** 128-bit random id, hex. */
  readonly id: string;
  readonly peerId: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  /** When it was written (sender's clock for incoming messages), ms. */
  readonly timestamp: number;
  readonly status: MessageStatus;
  /** Local order: the store's sequence number when it was stored. */
  readonly seq: number;
  /** For a 'stored' message: who holds it, until when. */
  readonly custody?: Custody;
  /** For a 'failed' message: why, in words ("not accepted": the recipient refused it). */
  readonly failure?: string;
  /** For a file message (docs/PROTOCOL.md §25): the file; `text` is then its name. */
  readonly file?: StoredFile;
}

/** What an outbox entry carries. */
export type OutboxKind = 'text' | 'receipt' | 'profile' | 'pass' | 'addresses' | 'group-invite' | 'key-package' | 'file';

/** A message waiting for the recipient's ack. */
export interface OutboxEntry {
  readonly seq: number;
  readonly peerId: string;
  readonly kind: OutboxKind;
  /** The message id for a text or a file, so its status can follow. */
  readonly messageId: string | null;
  /** The application payload, until a session exists to encrypt it (base64). */
  readonly payload: string | null;
  /** The encrypted envelope, once there is one (base64); then it never changes. */
  readonly envelope: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly createdAt: number;
  readonly lastError: string | null;
  /** Mailboxes that hold this entry (signed receipts), with their expiry. */
  readonly custody: readonly { readonly mailbox: string; readonly expiresAt: number }[];
}

/** An envelope this device already processed (for idempotent re-delivery). */
export interface SeenRecord {
  readonly at: number;
  readonly messageId: string | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a record as UTF-8 JSON. */
export function encodeJson(value: object): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses a stored JSON object (StoreCorruptError otherwise). */
export function parse(key: string, bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new StoreCorruptError(key, 'not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StoreCorruptError(key, 'not an object');
  return value as Record<string, unknown>;
}

/** One checked field of a parsed record (StoreCorruptError otherwise). */
export function field<T>(key: string, o: Record<string, unknown>, name: string, check: (v: unknown) => v is T): T {
  const v = o[name];
  if (!check(v)) throw new StoreCorruptError(key, `field ${name}`);
  return v;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
export const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
/** A check that a field is one of `values`. */
export const oneOf =
  <T extends string>(...values: T[]) =>
  (v: unknown): v is T =>
    typeof v === 'string' && (values as string[]).includes(v);

/** Decodes a stored contact. */
export function decodeContact(key: string, bytes: Uint8Array): ContactRecord {
  const o = parse(key, bytes);
  return {
    name: field(key, o, 'name', isString),
    peerId: field(key, o, 'peerId', isString),
    addedAt: field(key, o, 'addedAt', isCount),
    verified: field(key, o, 'verified', isBool),
    added: field(key, o, 'added', isBool),
    ...(o['keyChangedAt'] === undefined ? {} : { keyChangedAt: field(key, o, 'keyChangedAt', isCount) }),
    ...(o['addresses'] === undefined ? {} : { addresses: field(key, o, 'addresses', isStringList) }),
    ...(o['addressesAt'] === undefined ? {} : { addressesAt: field(key, o, 'addressesAt', isCount) }),
    ...(o['pass'] === undefined ? {} : { pass: decodePass(key, o['pass']) }),
    ...(o['passIssuedUntil'] === undefined ? {} : { passIssuedUntil: field(key, o, 'passIssuedUntil', isCount) }),
  };
}

function decodePass(key: string, value: unknown): StoredPass {
  if (typeof value !== 'object' || value === null) throw new StoreCorruptError(key, 'field pass');
  const o = value as Record<string, unknown>;
  return { expiresAt: field(key, o, 'expiresAt', isCount), signature: field(key, o, 'signature', isString) };
}

/** Decodes a stored message request. */
export function decodeRequest(key: string, bytes: Uint8Array): RequestRecord {
  const o = parse(key, bytes);
  return {
    peerId: field(key, o, 'peerId', isString),
    claimedName: field(key, o, 'claimedName', isNullableString),
    firstAt: field(key, o, 'firstAt', isCount),
    lastAt: field(key, o, 'lastAt', isCount),
    messages: field(key, o, 'messages', isCount),
    bytes: field(key, o, 'bytes', isCount),
    ...(o['pass'] === undefined ? {} : { pass: decodePass(key, o['pass']) }),
    ...(o['keyPackage'] === undefined ? {} : { keyPackage: decodeRequestKeyPackage(key, o['keyPackage']) }),
  };
}

function decodeRequestKeyPackage(key: string, value: unknown): { record: string; notAfter: number } {
  if (typeof value !== 'object' || value === null) throw new StoreCorruptError(key, 'field keyPackage');
  const o = value as Record<string, unknown>;
  return { record: field(key, o, 'record', isString), notAfter: field(key, o, 'notAfter', isCount) };
}

/** Decodes a stored block. */
export function decodeBlock(key: string, bytes: Uint8Array): BlockRecord {
  const o = parse(key, bytes);
  return { peerId: field(key, o, 'peerId', isString), at: field(key, o, 'at', isCount) };
}

/** Decodes a remembered peer. */
export function decodeRememberedPeer(key: string, bytes: Uint8Array): RememberedPeerRecord {
  const o = parse(key, bytes);
  return {
    peerId: field(key, o, 'peerId', isString),
    kind: field(key, o, 'kind', oneOf('contact', 'mailbox', 'dht', 'relay')),
    addresses: field(key, o, 'addresses', isStringList),
    firstSeenAt: field(key, o, 'firstSeenAt', isCount),
    lastSeenAt: field(key, o, 'lastSeenAt', isCount),
    failures: field(key, o, 'failures', isCount),
  };
}

/** Decodes the addresses last announced to contacts. */
export function decodeAnnounced(key: string, bytes: Uint8Array): AnnouncedAddresses {
  const o = parse(key, bytes);
  return { addresses: field(key, o, 'addresses', isStringList), at: field(key, o, 'at', isCount) };
}

/** Decodes a stored message. */
export function decodeMessage(key: string, bytes: Uint8Array): MessageRecord {
  const o = parse(key, bytes);
  return {
    id: field(key, o, 'id', isString),
    peerId: field(key, o, 'peerId', isString),
    direction: field(key, o, 'direction', oneOf('in', 'out')),
    text: field(key, o, 'text', isString),
    timestamp: field(key, o, 'timestamp', isCount),
    status: field(key, o, 'status', oneOf('queued', 'stored', 'delivered', 'read', 'failed', 'received')),
    seq: field(key, o, 'seq', isCount),
    ...(o['custody'] === undefined ? {} : { custody: decodeCustody(key, o['custody']) }),
    ...(o['failure'] === undefined ? {} : { failure: field(key, o, 'failure', isString) }),
    ...(o['file'] === undefined ? {} : { file: decodeStoredFile(key, o['file']) }),
  };
}

function decodeCustody(key: string, value: unknown): Custody {
  if (typeof value !== 'object' || value === null) throw new StoreCorruptError(key, 'field custody');
  const o = value as Record<string, unknown>;
  return { mailboxes: field(key, o, 'mailboxes', isCount), until: field(key, o, 'until', isCount) };
}

function decodeCustodyList(key: string, value: unknown): { mailbox: string; expiresAt: number }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new StoreCorruptError(key, 'field custody');
  return value.map((v: unknown) => {
    if (typeof v !== 'object' || v === null) throw new StoreCorruptError(key, 'field custody');
    const o = v as Record<string, unknown>;
    return { mailbox: field(key, o, 'mailbox', isString), expiresAt: field(key, o, 'expiresAt', isCount) };
  });
}

/** Decodes a stored outbox entry. */
export function decodeOutbox(key: string, bytes: Uint8Array): OutboxEntry {
  const o = parse(key, bytes);
  const entry: OutboxEntry = {
    seq: field(key, o, 'seq', isCount),
    peerId: field(key, o, 'peerId', isString),
    kind: field(key, o, 'kind', oneOf('text', 'receipt', 'profile', 'pass', 'addresses', 'group-invite', 'key-package', 'file')),
    messageId: field(key, o, 'messageId', isNullableString),
    payload: field(key, o, 'payload', isNullableString),
    envelope: field(key, o, 'envelope', isNullableString),
    attempts: field(key, o, 'attempts', isCount),
    nextAttemptAt: field(key, o, 'nextAttemptAt', isCount),
    createdAt: field(key, o, 'createdAt', isCount),
    lastError: field(key, o, 'lastError', isNullableString),
    custody: decodeCustodyList(key, o['custody']),
  };
  if ((entry.payload === null) === (entry.envelope === null)) throw new StoreCorruptError(key, 'needs exactly one of payload and envelope');
  return entry;
}

/** Encodes a seen-envelope marker with the envelope hash its key names. */
export function encodeSeen(hash: string, record: SeenRecord): Uint8Array {
  return encodeJson({ at: record.at, messageId: record.messageId, hash });
}

function seenRecord(key: string, o: Record<string, unknown>): SeenRecord {
  return { at: field(key, o, 'at', isCount), messageId: field(key, o, 'messageId', isNullableString) };
}

/** Decodes a seen-envelope marker without its hash (`{"at","messageId"}`, as a backup archive carries it). */
export function decodeSeenRecord(key: string, bytes: Uint8Array): SeenRecord {
  return seenRecord(key, parse(key, bytes));
}

/** Decodes a stored seen-envelope marker and its envelope hash. */
export function decodeSeen(key: string, bytes: Uint8Array): { hash: string; record: SeenRecord } {
  const o = parse(key, bytes);
  return { hash: field(key, o, 'hash', isString), record: seenRecord(key, o) };
}

/** The message-id index entry: where a message is, and its id. */
export interface MessageIndex {
  readonly seq: number;
  readonly id: string;
}

/** Encodes a message-id index entry. */
export function encodeMessageIndex(index: MessageIndex): Uint8Array {
  return encodeJson({ seq: index.seq, id: index.id });
}

/** Decodes a message-id index entry. */
export function decodeMessageIndex(key: string, bytes: Uint8Array): MessageIndex {
  const o = parse(key, bytes);
  return { seq: field(key, o, 'seq', isCount), id: field(key, o, 'id', isString) };
}

/** Which held item an expiry or deposit-order index entry points to. */
export interface MailRef {
  readonly mailboxKey: string;
  readonly id: string;
}

/** Encodes a held-mail index entry. */
export function encodeMailRef(ref: MailRef): Uint8Array {
  return encodeJson({ mailboxKey: ref.mailboxKey, id: ref.id });
}

/** Decodes a held-mail index entry. */
export function decodeMailRef(key: string, bytes: Uint8Array): MailRef {
  const o = parse(key, bytes);
  return { mailboxKey: field(key, o, 'mailboxKey', isString), id: field(key, o, 'id', isString) };
}

/** Decodes a small JSON object of named numbers (schema, counters). */
export function decodeNumbers(key: string, bytes: Uint8Array, names: readonly string[]): Record<string, number> {
  const o = parse(key, bytes);
  return Object.fromEntries(names.map((n) => [n, field(key, o, n, isCount)]));
}

/** Decodes a profile ({ name }). */
export function decodeProfile(key: string, bytes: Uint8Array): { name: string } {
  return { name: field(key, parse(key, bytes), 'name', isString) };
}

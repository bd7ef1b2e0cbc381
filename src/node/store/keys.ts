/**
 * Record keys of the local store (docs/PROTOCOL.md §16 and §21): how each
 * kind of key is built, and which of its components identify someone.
 *
 * A key is `<kind>:<c1>:<c2>…`. The table {@link KEY_KINDS} lists, for every
 * kind, what each component is:
 * - `id`: a contact name, peer id, message id, envelope hash, mailbox key or
 *   item id. An encrypted home stores it as a keyed hash (at-rest.ts), so two
 *   seized homes share no key and a key names no one;
 * - `clear`: a local sequence number or time (zero-padded, so that keys sort
 *   in that order) or a fixed name; kept as it is so range reads keep their
 *   order.
 *
 * The last component takes the rest of the key (a contact name may contain
 * ':'). A key of a kind the table does not list is refused, so a new record
 * kind cannot be stored before its row says what to hide. Adding a kind is
 * one row here and a row in PROTOCOL.md §16.
 */

/** What one component of a record key is: an identifier (hashed at rest) or a local order or name (in clear). */
export type KeyPart = 'id' | 'clear';

/** Every record kind, with what each component of its key is. */
export const KEY_KINDS: Readonly<Record<string, readonly KeyPart[]>> = {
  meta: ['clear'], //                        meta:schema, meta:identity, …
  contact: ['id'], //                        contact:<name>
  peer: ['id'], //                           peer:<peer id>
  session: ['id'], //                        session:<peer id>
  msg: ['id', 'clear'], //                   msg:<peer id>:<seq>
  msgid: ['id', 'id'], //                    msgid:<peer id>:<message id>
  outbox: ['clear'], //                      outbox:<seq>
  seen: ['id', 'id'], //                     seen:<peer id>:<envelope hash>
  mbox: ['id', 'id'], //                     mbox:<mailbox key>:<item id>
  mboxexp: ['clear', 'id', 'id'], //         mboxexp:<expiresAt>:<mailbox key>:<item id>
  mboxord: ['id', 'clear', 'id'], //         mboxord:<mailbox key>:<storedAt>:<item id>
  req: ['id'], //                            req:<peer id>   (a message request)
  block: ['id'], //                          block:<peer id>
  netpeer: ['id'], //                        netpeer:<peer id>   (a remembered peer)
  group: ['id'], //                          group:<group id>
  gstate: ['id'], //                         gstate:<group id>   (the MLS state, binary)
  gmsg: ['id', 'clear'], //                  gmsg:<group id>:<seq>
  gmsgid: ['id', 'id'], //                   gmsgid:<group id>:<message id>
  goutbox: ['clear'], //                     goutbox:<seq>
  gseen: ['id', 'id'], //                    gseen:<group id>:<item id>
  ginv: ['id'], //                           ginv:<welcome hash>   (an invitation received)
  gkp: ['id'], //                            gkp:<peer id>   (a key package that contact gave us)
  gkpsec: ['id'], //                         gkpsec:<key package ref>   (secrets of a key package we gave out)
  file: ['id'], //                           file:<file id>   (a file held: sent or received)
  fman: ['id'], //                           fman:<file id>   (its manifest, binary)
  fbits: ['id'], //                          fbits:<file id>   (which chunks are written, a bitmap)
  fbitw: ['id'], //                          fbitw:<file id>   (chunks written since the last flush, a bitmap: checked by hash when the file is opened)
  fchunk: ['id', 'clear'], //                fchunk:<file id>:<index>   (a sealed chunk, in a page's store)
  fwant: ['id'], //                          fwant:<message id>   (a received file message the file service has not taken yet)
};

/** Width of zero-padded numbers in keys (ordered as strings). */
const NUMBER_DIGITS = 16;

/** A sequence number or time as a key component: zero-padded so that keys sort by it. */
export function padNumber(n: number): string {
  return String(n).padStart(NUMBER_DIGITS, '0');
}

/** The logical record keys (docs/PROTOCOL.md §16); {@link KeyNames} maps them to the keys stored. */
export const KEY = {
  schema: 'meta:schema',
  /** Present while a migration to the current schema is under way (docs/PROTOCOL.md §16). */
  migration: 'meta:migration',
  identity: 'meta:identity',
  prekeys: 'meta:prekeys',
  profile: 'meta:profile',
  seq: 'meta:seq',
  contact: (name: string) => `contact:${name}`,
  peer: (peerId: string) => `peer:${peerId}`,
  session: (peerId: string) => `session:${peerId}`,
  message: (peerId: string, seq: number) => `msg:${peerId}:${padNumber(seq)}`,
  messageId: (peerId: string, id: string) => `msgid:${peerId}:${id}`,
  outbox: (seq: number) => `outbox:${padNumber(seq)}`,
  seen: (peerId: string, hash: string) => `seen:${peerId}:${hash}`,
  mail: (mailboxKey: string, id: string) => `mbox:${mailboxKey}:${id}`,
  mailExpiry: (expiresAt: number, mailboxKey: string, id: string) => `mboxexp:${padNumber(expiresAt)}:${mailboxKey}:${id}`,
  mailOrder: (mailboxKey: string, storedAt: number, id: string) => `mboxord:${mailboxKey}:${padNumber(storedAt)}:${id}`,
  request: (peerId: string) => `req:${peerId}`,
  block: (peerId: string) => `block:${peerId}`,
  rememberedPeer: (peerId: string) => `netpeer:${peerId}`,
  /** The addresses last announced to contacts. */
  announced: 'meta:announced',
  group: (groupId: string) => `group:${groupId}`,
  groupState: (groupId: string) => `gstate:${groupId}`,
  groupMessage: (groupId: string, seq: number) => `gmsg:${groupId}:${padNumber(seq)}`,
  groupMessageId: (groupId: string, id: string) => `gmsgid:${groupId}:${id}`,
  groupOutbox: (seq: number) => `goutbox:${padNumber(seq)}`,
  groupSeen: (groupId: string, itemId: string) => `gseen:${groupId}:${itemId}`,
  groupInvitation: (id: string) => `ginv:${id}`,
  heldKeyPackage: (peerId: string) => `gkp:${peerId}`,
  keyPackageSecret: (ref: string) => `gkpsec:${ref}`,
  file: (fileId: string) => `file:${fileId}`,
  fileManifest: (fileId: string) => `fman:${fileId}`,
  fileBitmap: (fileId: string) => `fbits:${fileId}`,
  fileWritten: (fileId: string) => `fbitw:${fileId}`,
  fileChunk: (fileId: string, index: number) => `fchunk:${fileId}:${padNumber(index)}`,
  fileWant: (messageId: string) => `fwant:${messageId}`,
} as const;

/** The components of a key's rest (after `<kind>:`), split for a kind of `count` components: the last takes the rest. */
export function splitKey(rest: string, count: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (out.length < count - 1) {
    const colon = rest.indexOf(':', from);
    if (colon < 0) break;
    out.push(rest.slice(from, colon));
    from = colon + 1;
  }
  out.push(rest.slice(from));
  return out;
}

/**
 * Maps a logical key (or a prefix of one, ending in ':') to the key stored,
 * so that at-rest encryption keeps identifiers out of the keys.
 */
export interface KeyNames {
  /** The stored key of a logical key or key prefix. Throws TypeError for a kind not in {@link KEY_KINDS}. */
  physical(logical: string): string;
  /** One identifying component as stored: its keyed hash, or itself in a home kept in clear. */
  component(value: string): string;
}

/**
 * Key naming that stores every `id` component as `hash(component)` (none
 * when `hash` is undefined: a home kept in clear). Empty components (the end
 * of a prefix) stay empty. Throws TypeError, from `physical`, for a key of a
 * kind not in {@link KEY_KINDS}.
 */
export function keyNames(hash?: (component: string) => string): KeyNames {
  const component = hash ?? ((value: string) => value);
  return {
    component,
    physical: (logical) => {
      const colon = logical.indexOf(':');
      const kind = colon < 0 ? logical : logical.slice(0, colon);
      const parts = Object.hasOwn(KEY_KINDS, kind) ? KEY_KINDS[kind] : undefined;
      if (!parts) throw new TypeError(`no record kind "${kind}" in KEY_KINDS`);
      if (!hash || colon < 0) return logical;
      const components = splitKey(logical.slice(colon + 1), parts.length);
      return `${kind}:${components.map((c, i) => (c === '' || parts[i] === 'clear' ? c : hash(c))).join(':')}`;
    },
  };
}

/** Stores keys as they are (a home kept in clear, and tests). */
export const plainNames: KeyNames = keyNames();

/** The key range of everything that starts with `prefix`. */
export function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1) };
}

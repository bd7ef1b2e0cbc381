/**
 * Stores in the layout of storage schema 1, written byte for byte as Sotto
 * wrote them before schema 2 (docs/PROTOCOL.md §16, "Migration"): message
 * ids, envelope hashes, mailbox keys and item ids in clear in the keys (an
 * encrypted home hashed only the first component of contact:, peer:,
 * session:, msg:, msgid: and seen: keys), index values without the ids,
 * held mail version 1, empty index entries. Also what such a store holds,
 * to compare after the migration.
 */
import { Writer } from '../../src/crypto/bytes.ts';
import type { KvBackend, ValueCodec } from '../../src/node/store/backend.ts';
import { KEY, padNumber, type KeyNames } from '../../src/node/store/keys.ts';
import type { HeldMail } from '../../src/node/store/held-mail.ts';
import type { MessageRecord, SeenRecord } from '../../src/node/store/records.ts';

/** What a schema-1 fixture holds. */
export interface Schema1Content {
  readonly peers: readonly string[];
  readonly messages: readonly MessageRecord[];
  readonly seen: readonly { peerId: string; hash: string; record: SeenRecord }[];
  /** Held mail, in deposit order per mailbox key. */
  readonly mail: readonly { mailboxKey: string; id: string; held: HeldMail }[];
  /** A held item written without its deposit-order entry (a store older than that index). */
  readonly unordered: { mailboxKey: string; id: string };
}

const encoder = new TextEncoder();
const json = (value: object): Uint8Array => encoder.encode(JSON.stringify(value));
const hex = (n: number, bytes: number): string => n.toString(16).padStart(bytes * 2, '0');

/** Schema 1's physical key: only the first component of these kinds was hashed. */
function physical1(names: KeyNames, logical: string): string {
  const [kind, first, ...rest] = logical.split(':') as [string, string, ...string[]];
  if (!['contact', 'peer', 'session', 'msg', 'msgid', 'seen'].includes(kind)) return logical;
  return [kind, names.component(first), ...rest].join(':');
}

/**
 * Writes a schema-1 store into `backend` with `messages` messages and seen
 * marks per peer (two peers) and `mail` held items under two mailbox keys.
 * `names`/`values` are the home's codecs (plain, or an encrypted home's).
 */
export async function writeSchema1Store(backend: KvBackend, values: ValueCodec, names: KeyNames, size: { messages: number; mail: number }): Promise<Schema1Content> {
  const ops: { type: 'put'; key: string; value: Uint8Array }[] = [];
  const put = async (logical: string, value: Uint8Array): Promise<void> => {
    const key = physical1(names, logical);
    ops.push({ type: 'put', key, value: await values.encode(key, value) });
  };
  const peers = ['12D3KooWRbAKRwQFYg1bsa3bHezyVLoczdGTgzjrFsHUGUBGaPR2', '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'];
  const messages: MessageRecord[] = [];
  const seen: { peerId: string; hash: string; record: SeenRecord }[] = [];
  let seq = 1;
  for (const peerId of peers) {
    await put(KEY.contact(`contact ${peerId.slice(-4)}`), json({ name: `contact ${peerId.slice(-4)}`, peerId, addedAt: 1, verified: false, added: true }));
    await put(KEY.peer(peerId), encoder.encode(`contact ${peerId.slice(-4)}`));
    for (let i = 0; i < size.messages; i++, seq++) {
      // Ids whose order differs from the sequence order.
      const message: MessageRecord = { id: hex((seq * 2_654_435_761) % 2 ** 32, 16), peerId, direction: i % 2 ? 'in' : 'out', text: `message ${seq}`, timestamp: 1_700_000_000_000 + seq, status: i % 2 ? 'received' : 'delivered', seq };
      messages.push(message);
      await put(KEY.message(peerId, seq), json(message));
      await put(KEY.messageId(peerId, message.id), json({ seq }));
      const mark = { peerId, hash: hex(seq * 7_919, 32), record: { at: 1_700_000_000_000 + seq, messageId: i % 2 ? message.id : null } };
      seen.push(mark);
      await put(KEY.seen(peerId, mark.hash), json(mark.record));
    }
  }
  await put(KEY.seq, json({ next: seq }));
  const mail: { mailboxKey: string; id: string; held: HeldMail }[] = [];
  const boxes = ['cd'.repeat(32), 'ef'.repeat(32)];
  for (let i = 0; i < size.mail; i++) {
    const mailboxKey = boxes[i % 2]!;
    const id = hex((i + 1) * 40_503, 32);
    const held = { storedAt: 1_000 + i, expiresAt: 5_000 + (i % 7), item: Uint8Array.of(i % 251, 1, 2, 3) };
    mail.push({ mailboxKey, id, held });
    await put(KEY.mail(mailboxKey, id), new Writer().u8(1).u64(held.storedAt).u64(held.expiresAt).fixed(held.item, held.item.length).finish());
    await put(`mboxexp:${padNumber(held.expiresAt)}:${mailboxKey}:${id}`, new Uint8Array(0));
    if (i !== 0) await put(`mboxord:${mailboxKey}:${padNumber(held.storedAt)}:${id}`, new Uint8Array(0));
  }
  // An expiry entry whose item is gone (the mailbox sweep tolerates them).
  await put(`mboxexp:${padNumber(4_000)}:${boxes[0]}:${hex(99, 32)}`, new Uint8Array(0));
  await put(KEY.schema, json({ version: 1 }));
  await backend.batch(ops, { sync: true });
  return { peers, messages, seen, mail, unordered: { mailboxKey: mail[0]!.mailboxKey, id: mail[0]!.id } };
}

/** Label of the seeded data key that the migration tests and their child process share. */
export const MIGRATION_DATA_KEY_LABEL = 'migration data key';

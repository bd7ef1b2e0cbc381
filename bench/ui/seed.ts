/**
 * A home's store filled the way a long-used one is, without a network or a
 * session: contacts, and a long conversation with one of them (texts both
 * ways, read), written as records in a few large transactions. The chat
 * benchmark and the chat's scrolling tests open the chat on it.
 */
import { peerIdOfSigningKey } from '../../src/node/encoding/peer-id.ts';
import type { ContactRecord, MessageRecord } from '../../src/node/store/records.ts';
import { Tx, type SottoStore } from '../../src/node/store/store.ts';

/** Messages per transaction while seeding (keeps each batch a few MB). */
const SEED_BATCH = 2000;
/** Ms between two seeded messages (their clock times). */
const SEED_SPACING_MS = 60_000;

/** What was seeded. */
export interface SeededHome {
  /** Contact names, the one with the long conversation first. */
  readonly names: readonly string[];
  readonly peerIds: readonly string[];
}

/** The text of seeded message `i`: its number, so a test can tell which one it sees. */
export function seededText(i: number): string {
  return `message ${i} of the long conversation, with a few words to wrap`;
}

/** A peer id that no one holds (a fixed key per index). */
function fakePeerId(index: number): string {
  const key = new Uint8Array(32);
  new DataView(key.buffer).setUint32(0, index + 1);
  key.fill(0x5a, 4);
  return peerIdOfSigningKey(key);
}

/**
 * Adds `contacts` contacts ("long" first, then "other 001"…) and
 * `messages` read messages with the first, alternating directions, the
 * newest at `now`. The store must be open and initialised.
 */
export async function seedHome(store: SottoStore, options: { contacts: number; messages: number; now: number }): Promise<SeededHome> {
  const names: string[] = [];
  const peerIds: string[] = [];
  let tx = new Tx();
  for (let i = 0; i < options.contacts; i++) {
    const contact: ContactRecord = { name: i === 0 ? 'long' : `other ${String(i).padStart(3, '0')}`, peerId: fakePeerId(i), addedAt: options.now - i, verified: false, added: true };
    tx.putContact(contact);
    names.push(contact.name);
    peerIds.push(contact.peerId);
  }
  let seq = await store.getSeq();
  for (let i = 0; i < options.messages; i++) {
    const message: MessageRecord = {
      id: String(i).padStart(32, '0'),
      peerId: peerIds[0]!,
      direction: i % 2 === 0 ? 'in' : 'out',
      text: seededText(i),
      timestamp: options.now - (options.messages - i) * SEED_SPACING_MS,
      status: 'read',
      seq: seq++,
    };
    tx.putMessage(message);
    if ((i + 1) % SEED_BATCH === 0) {
      await store.commit(tx, { sync: false });
      tx = new Tx();
    }
  }
  tx.putSeq(seq);
  await store.commit(tx, { sync: true });
  return { names, peerIds };
}

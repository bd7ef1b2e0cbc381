/**
 * A browser profile made ahead of time for the page benchmark: a home with
 * its identity, a contact (the benchmark's desktop node) and a long
 * conversation with it, built in this process by the same store and
 * messenger code the page runs, encrypted at rest under a passphrase as the
 * page always is, and handed over as the raw records the page's IndexedDB
 * holds. Writing a 10,000-message conversation through the network would
 * take minutes and measure the network; this takes a second.
 *
 * The records go into IndexedDB as browser-level writes them (one object
 * store named after the database, keys and values as bytes): see
 * {@link writeProfileScript}.
 */
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { unlockStore } from '../../src/node/store/level.ts';
import type { MessageRecord } from '../../src/node/store/records.ts';
import { Tx } from '../../src/node/store/store.ts';

/** Messages written per transaction while the conversation is made. */
const WRITE_BATCH_MESSAGES = 1_000;
/** Time between two messages of the made conversation (ms): a long chat over days. */
const MESSAGE_SPACING_MS = 45_000;
/** Length of the longest generated message body (characters); bodies vary from short lines to a few sentences. */
const LONGEST_BODY_CHARS = 280;
/** Records per page script when a profile is written into the page (keeps each script a few MB at most). */
export const RECORDS_PER_SCRIPT = 4_000;
/** Bytes of a generated message id (as the messenger's). */
const MESSAGE_ID_BYTES = 16;

const FILLER = 'the quick brown fox jumps over the lazy dog while the meeting notes wait for tomorrow and the coffee gets cold ';

/** What a profile holds besides its identity. */
export interface ProfilePlan {
  /** The profile's own name (as on the page's first screen). */
  readonly name: string;
  readonly passphrase: string;
  /** The contact the conversation is with. */
  readonly contact: { readonly name: string; readonly peerId: string; readonly addresses: readonly string[] };
  /** Another contact, with no messages: the page opens it between two measured openings. */
  readonly other: { readonly name: string; readonly peerId: string };
  /** Messages in the conversation, alternately received and sent, all read. */
  readonly messages: number;
  /** When the profile is made (ms): the newest message is one spacing older. */
  readonly now: number;
}

/** A made profile. */
export interface MadeProfile {
  readonly peerId: string;
  /** Every record, as the page's database holds it: physical key, stored bytes. */
  readonly records: readonly (readonly [string, Uint8Array])[];
  /** The body of the newest message (what an opened conversation shows last). */
  readonly newestText: string;
}

/** The body of message `i`: a numbered line of varying length, so the page lays out messages of different heights. */
export function messageText(i: number): string {
  const length = 12 + ((i * 7919) % LONGEST_BODY_CHARS);
  return `#${i} ${FILLER.repeat(Math.ceil(length / FILLER.length)).slice(0, length)}`;
}

/** Makes the profile of `plan`. */
export async function makeProfile(plan: ProfilePlan): Promise<MadeProfile> {
  const ctx = await nodeCryptoContext(() => plan.now);
  const backend = memoryBackend();
  const store = await unlockStore(backend, ctx, { passphrase: async () => plan.passphrase, create: 'encrypted' });
  const { peerId } = await Messenger.initialise(store, ctx, { name: plan.name });
  const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler });
  await messenger.addContact(plan.contact.name, plan.contact.peerId, { addresses: plan.contact.addresses });
  await messenger.stop();
  // Written as it is, not added: adding would queue an introduction the page would try to deliver to a peer that does not exist.
  let seq = await store.getSeq();
  await store.commit(new Tx().putContact({ name: plan.other.name, peerId: plan.other.peerId, addedAt: plan.now, verified: false, added: true }), { sync: false });
  for (let from = 0; from < plan.messages; from += WRITE_BATCH_MESSAGES) {
    const tx = new Tx();
    for (let i = from; i < Math.min(plan.messages, from + WRITE_BATCH_MESSAGES); i++) {
      const incoming = i % 2 === 0;
      const message: MessageRecord = {
        id: Buffer.from(ctx.randomBytes(MESSAGE_ID_BYTES)).toString('hex'),
        peerId: plan.contact.peerId,
        direction: incoming ? 'in' : 'out',
        text: messageText(i),
        timestamp: plan.now - (plan.messages - i) * MESSAGE_SPACING_MS,
        status: 'read',
        seq: seq++,
      };
      tx.putMessage(message);
    }
    await store.commit(tx.putSeq(seq), { sync: false });
  }
  const records: [string, Uint8Array][] = [];
  for await (const entry of backend.entries({ gte: '', lt: '\uffff' })) records.push(entry);
  await store.close();
  return { peerId, records, newestText: plan.messages > 0 ? messageText(plan.messages - 1) : '' };
}

/**
 * A page script (a string: code that runs in the page must not pass through
 * this process's TypeScript transform) that writes `records` into the
 * browser-level database `location` as browser-level does: database
 * "level-js-" + location, version 1, one object store named `location`,
 * keys as UTF-8 bytes and values as bytes. The database must exist (the
 * page creates it when it first looks at the profile).
 */
export function writeProfileScript(location: string, records: readonly (readonly [string, Uint8Array])[]): string {
  const data = records.map(([key, value]) => [key, Buffer.from(value).toString('base64')]);
  return `(async () => {
    const location = ${JSON.stringify(location)};
    const records = ${JSON.stringify(data)};
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('level-js-' + location, 1);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const encoder = new TextEncoder();
    const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    await new Promise((resolve, reject) => {
      const tx = db.transaction(location, 'readwrite');
      const store = tx.objectStore(location);
      for (const [key, value] of records) store.put(bytes(value), encoder.encode(key));
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    return records.length;
  })()`;
}

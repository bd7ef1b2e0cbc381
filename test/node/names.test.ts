/**
 * Contact names (docs/PROTOCOL.md §23, "Names"; docs/SECURITY.md,
 * "Strangers and hostile peers"): the rules of checkContactName, each with
 * its typed error and nothing stored; names kept in NFC wherever they enter
 * (addContact, invites, the profile); names a home already holds still
 * restore from a backup; and lookalike names found by UTS #39 skeleton, from
 * a table that is exactly what Unicode's confusables.txt says.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/crypto/bytes.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { nodePrimitives as primitives } from '../../src/crypto/primitives/node.ts';
import { MAX_CONTACT_NAME_LENGTH } from '../../src/node/constants.ts';
import { checkContactName, checkStoredContactName, lookalikeKey, lookalikes } from '../../src/node/contacts/names.ts';
import { confusable, CONFUSABLES_UNICODE_VERSION, skeleton } from '../../src/node/contacts/skeleton.ts';
import { decodeInvite, encodeInvite } from '../../src/node/contacts/invite.ts';
import type { ContactNameProblem } from '../../src/node/errors.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { SottoStore, Tx } from '../../src/node/store/store.ts';
import { exportArchive, readArchive, restoreSnapshot } from '../../src/node/backup/snapshot.ts';
import { messengerApi } from '../../src/app/api.ts';
import { buildConfusablesTable, CONFUSABLES_SOURCE, CONFUSABLES_TABLE, CONFUSABLES_VERSION, confusablesJson } from '../../scripts/confusables.ts';
import { testContext } from '../helpers/context.ts';
import { type Home, homesOnOneHub } from '../helpers/homes.ts';
import { rawInvite } from '../helpers/invites.ts';
import { pair } from '../helpers/parties.ts';

const ROOT = new URL('../../', import.meta.url);
const PEER = '12D3KooWKrFgK5KWvGUAbJf5JmFA14zqVpa1BkVGPjdXYdeP4NBE';
const SEED = fromHex((JSON.parse(readFileSync(fileURLToPath(new URL('test/vectors/invite/sotto-v1.json', ROOT)), 'utf8')) as { seed: string }).seed);

/** Names refused, with the rule each breaks. */
const REFUSED: readonly (readonly [string, string, ContactNameProblem])[] = [
  ['empty', '', 'empty'],
  ['65 code units', 'a'.repeat(MAX_CONTACT_NAME_LENGTH + 1), 'too-long'],
  ['33 emoji (66 code units)', '🌱'.repeat(33), 'too-long'],
  ['a lone surrogate', 'bob\uD800', 'malformed'],
  ['a C0 control (ESC)', 'bob\x1b]0;owned\x07', 'control'],
  ['a newline', 'bob\nalice', 'control'],
  ['DEL', 'bob\x7f', 'control'],
  ['a C1 control (8-bit CSI)', 'bob\u009b2J', 'control'],
  ['NEL (U+0085)', 'bob\u0085', 'control'],
  ['a line separator', 'bob\u2028', 'control'],
  ['a right-to-left override', '\u202Egnp.exe', 'bidi'],
  ['a right-to-left isolate', 'bob\u2067x\u2069', 'bidi'],
  ['a left-to-right mark', 'bob\u200E', 'bidi'],
  ['an Arabic letter mark', 'bob\u061C', 'bidi'],
  ['a zero-width space', 'b\u200Bob', 'invisible'],
  ['a zero-width joiner', 'bo\u200Db', 'invisible'],
  ['a word joiner', 'bob\u2060', 'invisible'],
  ['an invisible separator', 'bob\u2063', 'invisible'],
  ['a byte order mark', '\uFEFFbob', 'invisible'],
  ['a Mongolian vowel separator', 'bob\u180E', 'invisible'],
  ['a soft hyphen', 'bo\u00ADb', 'invisible'],
  ['a variation selector', 'bob\uFE0F', 'invisible'],
  ['a Hangul filler', '\u3164', 'invisible'],
  ['a tag character', 'bob\u{E0041}', 'invisible'],
  ['a leading space', ' bob', 'spaces'],
  ['a trailing no-break space', 'bob\u00A0', 'spaces'],
  ['an ideographic space alone', '\u3000', 'spaces'],
  ['a peer id', PEER, 'peer-id'],
];

describe('contact names: the rules', () => {
  for (const [what, name, kind] of REFUSED) {
    test(`refused: ${what} (${kind})`, () => {
      assert.throws(() => checkContactName(name), (err: Error & { kind?: string; message: string }) => {
        assert.equal(err.name, 'InvalidContactNameError');
        assert.equal(err.kind, kind);
        // The message never repeats the (possibly hostile) name.
        assert.ok(name === '' || !err.message.includes(name));
        return true;
      });
    });
  }

  test('accepted: letters of any script, emoji, inner spaces and punctuation; returned in NFC', () => {
    for (const name of ['alice', 'Zoë 🌱', 'שרה', 'علي', 'Bob: the builder', '李小龍', 'a'.repeat(MAX_CONTACT_NAME_LENGTH), '12D3KooW', PEER.slice(0, -2)]) assert.equal(checkContactName(name), name, name);
    assert.equal(checkContactName('Zoe\u0308'), 'Zo\u00EB', 'NFD in, NFC out');
    assert.equal(checkContactName('e\u0301'.repeat(MAX_CONTACT_NAME_LENGTH)), '\u00E9'.repeat(MAX_CONTACT_NAME_LENGTH), 'the length counts the NFC form');
  });

  test('names a home may already hold (older rules, peer-id names of peers that wrote first) still pass the stored-name check', () => {
    for (const name of [PEER, '\u202Egnp.exe', 'b\u200Bob', 'Zoe\u0308']) assert.doesNotThrow(() => checkStoredContactName(name), name);
    assert.throws(() => checkStoredContactName('bob\x1b'), { name: 'InvalidContactNameError' });
    assert.throws(() => checkStoredContactName(''), { name: 'InvalidContactNameError' });
  });
});

describe('contact names: where they enter', () => {
  test('addContact refuses each broken rule with the typed error and writes nothing; a name is stored in NFC', async () => {
    const { homes, scheduler } = await homesOnOneHub('alice', 'bob');
    const [alice, bob] = homes as [Home, Home];
    await alice.messenger.addContact('bob', bob.peerId);
    await scheduler.advance(1); // alice's profile and pass reach bob before the store is compared
    const before = await alice.rawDump();
    for (const [what, name, kind] of REFUSED) {
      await assert.rejects(alice.messenger.addContact(name, PEER), { name: 'InvalidContactNameError', kind }, what);
    }
    assert.equal(await alice.rawDump(), before, 'the store is byte-identical');

    const added = await alice.messenger.addContact('Zoe\u0308', PEER);
    assert.equal(added.name, 'Zo\u00EB');
    assert.equal((await alice.messenger.contact('Zo\u00EB')).peerId, PEER);
    // The same person added again under the NFD spelling is the same contact.
    assert.equal((await alice.messenger.addContact('Zoe\u0308', PEER)).name, 'Zo\u00EB');
    assert.equal((await alice.messenger.contacts()).length, 2);
  });

  test('a profile name is checked before anything is written, and kept in NFC', async () => {
    const store = await new SottoStore(memoryBackend()).open();
    await assert.rejects(Messenger.initialise(store, testContext('profile'), { name: 'bob\u202E' }), { name: 'InvalidContactNameError', kind: 'bidi' });
    assert.equal(await store.getIdentity(testContext('profile')), undefined);
    await Messenger.initialise(store, testContext('profile'), { name: 'Zoe\u0308' });
    assert.deepEqual(await store.getProfile(), { name: 'Zo\u00EB' });
  });

  test('invites: the encoder writes NFC; the decoder takes an NFC form that passes and refuses the rest as InvalidInviteError(name)', async () => {
    const identity = await generateIdentity(testContext('names-invite'), SEED);
    const encoded = await decodeInvite(primitives, await encodeInvite(primitives, identity, { name: 'Zoe\u0308', addresses: [], createdAt: 1 }));
    assert.equal(encoded.name, 'Zo\u00EB');
    assert.equal((await decodeInvite(primitives, await rawInvite(primitives, SEED, { name: 'Zoe\u0308' }))).name, 'Zo\u00EB');
    for (const name of ['\u202Egnp.exe', 'b\u200Bob', '\uFEFFbob', 'bob\u009b', 'bob\u2028', PEER]) {
      await assert.rejects(decodeInvite(primitives, await rawInvite(primitives, SEED, { name })), { name: 'InvalidInviteError', reason: 'name' }, JSON.stringify(name));
    }
  });

  test('a backup restores the names a home holds, even those the rules now refuse', async () => {
    const ctx = testContext('names-backup');
    const { alice } = await pair();
    const source = await new SottoStore(memoryBackend()).open();
    const legacy = [
      { name: '\u202Egnp.exe', peerId: PEER, addedAt: 1, verified: false, added: true },
      { name: '12D3KooWRbAKRwQFYg1bsa3bHezyVLoczdGTgzjrFsHUGUBGaPR2', peerId: '12D3KooWRbAKRwQFYg1bsa3bHezyVLoczdGTgzjrFsHUGUBGaPR2', addedAt: 2, verified: false, added: false },
    ];
    const tx = new Tx().putIdentity(alice.identity).putPrekeys(alice.prekeys).putProfile({ name: 'alice' }).putSeq(1);
    for (const contact of legacy) tx.putContact(contact);
    await source.commit(tx, { sync: true });
    const ask = async (): Promise<string> => 'archive passphrase 1';
    const { archive } = await exportArchive(source, ctx, ask, { t: 1, m: 8, p: 1 });
    const target = await new SottoStore(memoryBackend()).open();
    await restoreSnapshot(target, ctx, await readArchive(ctx, archive, ask));
    assert.deepEqual((await target.listContacts()).map((c) => c.name).sort(), legacy.map((c) => c.name).sort());
  });
});

describe('contact names: lookalikes', () => {
  test('the skeleton table is exactly what scripts/confusables.ts makes from the committed confusables.txt', () => {
    const text = readFileSync(fileURLToPath(new URL(CONFUSABLES_SOURCE, ROOT)), 'utf8');
    assert.match(text, new RegExp(`^# Version: ${CONFUSABLES_VERSION.replaceAll('.', '\\.')}$`, 'm'));
    assert.equal(readFileSync(fileURLToPath(new URL(CONFUSABLES_TABLE, ROOT)), 'utf8'), confusablesJson(buildConfusablesTable(text, CONFUSABLES_VERSION)));
    assert.equal(CONFUSABLES_UNICODE_VERSION, CONFUSABLES_VERSION);
    assert.throws(() => buildConfusablesTable(text, '1.0.0'), RangeError);
  });

  test('UTS #39 skeletons: lookalike letters of other scripts, rn and m, digits, invisible code points, canonical equivalents', () => {
    assert.ok(confusable('alice', '\u0430lice'), 'Cyrillic а');
    assert.ok(confusable('paypal', 'p\u0430yp\u0430l'));
    assert.ok(confusable('modern', 'rnodern'), 'rn and m');
    assert.ok(confusable('O0', 'OO'), 'zero and O');
    assert.ok(confusable('bob', 'b\u200Bob'), 'a zero-width space is ignored');
    assert.ok(confusable('caf\u00E9', 'cafe\u0301'), 'NFC and NFD');
    assert.ok(!confusable('alice', 'alicia'));
    assert.equal(skeleton('m'), 'rn', 'a skeleton is for comparing, not for showing');
    assert.ok(!confusable('Bob', 'bob'), 'the skeleton keeps case');
    assert.equal(lookalikeKey('Bob'), lookalikeKey('bob'), 'the lookalike key does not');
    assert.equal(lookalikeKey('\u0412OB'), lookalikeKey('bob'), 'a Cyrillic capital Ve in capitals');
  });

  test('lookalikes names, for each contact that looks like another, the earliest added of the others', () => {
    const contacts = [
      { name: 'alice', addedAt: 10 },
      { name: 'bob', addedAt: 5 },
      { name: '\u0430lice', addedAt: 20 },
      { name: 'Alice', addedAt: 30 },
      { name: 'carol', addedAt: 1 },
    ];
    assert.deepEqual(
      [...lookalikes(contacts)].sort(),
      [
        ['Alice', 'alice'],
        ['alice', '\u0430lice'],
        ['\u0430lice', 'alice'],
      ].sort(),
    );
    assert.equal(lookalikes([{ name: 'alice', addedAt: 1 }]).size, 0);
  });

  test('the API flags a lookalike contact (confusableWith) when added and in the list; the add itself succeeds', async () => {
    const { clock, homes } = await homesOnOneHub('alice', 'bob');
    const [alice, bob] = homes as [Home, Home];
    const api = messengerApi(alice.messenger, primitives, () => []);
    assert.equal((await api.addContact('bob', bob.peerId, false)).confusableWith, undefined);
    clock.advance(1000);
    const impostor = await api.addContact('b\u043Eb', PEER, false);
    assert.equal(impostor.confusableWith, 'bob');
    const list = await api.listContacts();
    assert.deepEqual(Object.fromEntries(list.map((c) => [c.name, c.confusableWith])), { bob: 'b\u043Eb', 'b\u043Eb': 'bob' });
  });
});

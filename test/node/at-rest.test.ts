/**
 * Encryption at rest: every value encrypted under the data key, peer ids and
 * contact names kept out of the keys, the data key wrapped by the
 * passphrase; a wrong passphrase is a clear error that touches nothing; a
 * new passphrase re-wraps the key and re-encrypts nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KEYRING_KEY, decodeKeyring, rewrapKeyring } from '../../src/node/store/at-rest.ts';
import { memoryBackend, type KvBackend } from '../../src/node/store/backend.ts';
import { unlockStore } from '../../src/node/store/level.ts';
import { Tx } from '../../src/node/store/store.ts';
import { encodeKeyring } from '../../src/node/store/at-rest.ts';
import { pair } from '../helpers/parties.ts';
import { testContext } from '../helpers/context.ts';

const PASS = 'correct horse battery staple';
const PEER = '12D3KooWRbAKRwQFYg1bsa3bHezyVLoczdGTgzjrFsHUGUBGaPR2';

async function dump(backend: KvBackend): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [key, value] of backend.entries({ gte: '', lt: '\uffff' })) out.push([key, Buffer.from(value).toString('hex')]);
  return out;
}

async function encryptedHome() {
  const ctx = testContext('at-rest');
  const backend = memoryBackend();
  const store = await unlockStore(backend, ctx, { create: 'encrypted', passphrase: async () => PASS });
  const { alice } = await pair();
  await store.commit(
    new Tx()
      .putIdentity(alice.identity)
      .putContact({ name: 'Bob Secretname', peerId: PEER, addedAt: 1, verified: false, added: true })
      .putSession(PEER, alice.record!)
      .putMessage({ id: 'ab'.repeat(16), peerId: PEER, direction: 'out', text: 'a very private text', timestamp: 5, status: 'queued', seq: 1 }),
    { sync: true },
  );
  return { ctx, backend, store, alice };
}

describe('encryption at rest', () => {
  test('values are encrypted and names hashed; the store reads them back', async () => {
    const { ctx, backend, store, alice } = await encryptedHome();
    const raw = JSON.stringify(await dump(backend));
    for (const secret of ['a very private text', 'Bob Secretname', PEER, Buffer.from(alice.identity.signingSeed).toString('hex')]) {
      assert.ok(!raw.includes(secret) && !raw.includes(Buffer.from(secret).toString('hex')), `"${secret.slice(0, 20)}" does not appear in the database`);
    }
    assert.equal((await store.getContact('Bob Secretname'))!.peerId, PEER);
    assert.equal((await store.getContactByPeer(PEER))!.name, 'Bob Secretname');
    assert.deepEqual((await store.listMessages(PEER)).map((m) => m.text), ['a very private text']);
    assert.deepEqual(await store.getIdentity(ctx), alice.identity);
    // A reopened store with the passphrase reads the same.
    const again = await unlockStore(backend, ctx, { passphrase: async () => PASS });
    assert.deepEqual((await again.listMessages(PEER)).map((m) => m.text), ['a very private text']);
  });

  test('a wrong or missing passphrase is a clear error and changes nothing', async () => {
    const { ctx, backend } = await encryptedHome();
    const before = await dump(backend);
    await assert.rejects(unlockStore(backend, ctx, { passphrase: async () => 'not the passphrase' }), { name: 'WrongPassphraseError' });
    await assert.rejects(unlockStore(backend, ctx, {}), { name: 'PassphraseRequiredError' });
    assert.deepEqual(await dump(backend), before);
  });

  test('a new passphrase re-wraps the data key and re-encrypts nothing else', async () => {
    const { ctx, backend } = await encryptedHome();
    const before = (await dump(backend)).filter(([k]) => k !== KEYRING_KEY);
    const keyring = decodeKeyring((await backend.get(KEYRING_KEY))!);
    assert.equal(keyring.kdf, 'argon2id');
    if (keyring.kdf !== 'argon2id') return;
    await assert.rejects(rewrapKeyring(ctx, keyring, 'wrong', 'new passphrase 1'), { name: 'WrongPassphraseError' });
    const next = await rewrapKeyring(ctx, keyring, PASS, 'new passphrase 1');
    await backend.batch([{ type: 'put', key: KEYRING_KEY, value: encodeKeyring(next) }], { sync: true });
    assert.deepEqual((await dump(backend)).filter(([k]) => k !== KEYRING_KEY), before);
    await assert.rejects(unlockStore(backend, ctx, { passphrase: async () => PASS }), { name: 'WrongPassphraseError' });
    const reopened = await unlockStore(backend, ctx, { passphrase: async () => 'new passphrase 1' });
    assert.deepEqual((await reopened.listMessages(PEER)).map((m) => m.text), ['a very private text']);
  });

  test('a value moved to another key, or altered, does not decrypt', async () => {
    const { ctx, backend } = await encryptedHome();
    const entries = await dump(backend);
    const message = entries.find(([k]) => k.startsWith('msg:'))!;
    const contact = entries.find(([k]) => k.startsWith('contact:'))!;
    await backend.batch([{ type: 'put', key: contact[0], value: Buffer.from(message[1], 'hex') }], { sync: false });
    const store = await unlockStore(backend, ctx, { passphrase: async () => PASS });
    await assert.rejects(store.getContact('Bob Secretname'), { name: 'StoreCorruptError' });
  });

  test('--no-passphrase keeps the home in clear, by recorded choice', async () => {
    const ctx = testContext('plain');
    const backend = memoryBackend();
    const store = await unlockStore(backend, ctx, { create: 'plain' });
    await store.commit(new Tx().putProfile({ name: 'visible' }), { sync: false });
    assert.equal(decodeKeyring((await backend.get(KEYRING_KEY))!).kdf, 'none');
    assert.ok(JSON.stringify(await dump(backend)).includes(Buffer.from('visible').toString('hex')));
    assert.deepEqual(await (await unlockStore(backend, ctx, {})).getProfile(), { name: 'visible' });
  });
});

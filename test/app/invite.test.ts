/**
 * Invites (docs/PROTOCOL.md, "Invites"): the base32 text encoding, the
 * encoder against a byte-by-byte construction of the spec, the vectors in
 * test/vectors/invite/, every rejection of the decoder, tampering with any
 * byte or character, and the API on a messenger: adding from an invite
 * (unverified, addresses kept), verifying, and losing verification with a
 * new identity key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex, utf8 } from '../../src/crypto/bytes.ts';
import { SottoError } from '../../src/crypto/errors.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { nodePrimitives as primitives } from '../../src/crypto/primitives/node.ts';
import { messengerApi, type SottoApi } from '../../src/app/api.ts';
import { chatInviteHooks } from '../../src/app/chat-invites.ts';
import { InvalidInviteAddressError, OwnInviteError } from '../../src/app/invite-api.ts';
import { selectInviteAddresses } from '../../src/node/contacts/address-list.ts';
import { fromBase32, toBase32 } from '../../src/node/encoding/base32.ts';
import { INVITE_PREFIX, MAX_INVITE_ADDRESSES, MAX_INVITE_TEXT_LENGTH } from '../../src/node/constants.ts';
import { decodeInvite, encodeInvite, InvalidInviteError } from '../../src/node/contacts/invite.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import type { Network } from '../../src/node/transport/network.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { rawInvite, rawInviteBytes, inviteText } from '../helpers/invites.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

interface Vectors {
  readonly seed: string;
  readonly valid: readonly { comment: string; name: string; addresses: string[]; createdAt: number; peerId: string; invite: string }[];
  readonly invalid: readonly { comment: string; invite: string; error: string; reason?: string }[];
}
const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('../vectors/invite/sotto-v1.json', import.meta.url)), 'utf8')) as Vectors;
const seed = fromHex(vectors.seed);
const CREATED_AT = Date.UTC(2026, 10, 24, 8);

async function rejects(text: string, check: { name: string; reason?: string }, what: string): Promise<void> {
  await assert.rejects(decodeInvite(primitives, text), (err: Error & { reason?: string }) => {
    assert.equal(err.name, check.name, `${what}: ${err.message}`);
    if (check.reason !== undefined) assert.equal(err.reason, check.reason, `${what}: ${err.message}`);
    return true;
  });
}

test('base32: RFC 4648 vectors, and one spelling per byte string', () => {
  const rfc: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
  for (const [plain, encoded] of rfc) {
    assert.equal(toBase32(utf8(plain)), encoded);
    assert.deepEqual(fromBase32(encoded), utf8(plain));
  }
  for (const bad of ['mzxw6', 'MZXW6===', 'M', 'MZX', 'MZXW6Y', 'MZ', 'MZ0', 'MZXW6YTB1']) assert.throws(() => fromBase32(bad), TypeError, bad);
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (let n = 0; n <= all.length; n += 7) assert.deepEqual(fromBase32(toBase32(all.subarray(0, n))), all.subarray(0, n));
});

test('the encoder writes exactly the layout of the spec, and decoding gives the fields back', async () => {
  const identity = await generateIdentity(testContext('alice'), seed);
  const content = { name: 'alice', addresses: ['/ip4/192.0.2.1/tcp/4001', '/ip6/2001:db8::1/tcp/4001/ws'], createdAt: CREATED_AT };
  const invite = await encodeInvite(primitives, identity, content);
  assert.equal(invite, await rawInvite(primitives, seed, content));
  assert.ok(invite.startsWith(INVITE_PREFIX) && /^SOTTO:[A-Z2-7]+$/.test(invite), 'upper case only: a QR code holds it in alphanumeric mode');
  const decoded = await decodeInvite(primitives, `  ${invite}\n`);
  assert.deepEqual(decoded.signingKey, identity.public.signingKey);
  assert.deepEqual({ name: decoded.name, addresses: decoded.addresses, createdAt: decoded.createdAt }, content);
  // The node's own /p2p/ suffix is dropped, repeats are written once.
  const withSuffix = await encodeInvite(primitives, identity, { ...content, addresses: [`${content.addresses[0]}/p2p/${decoded.peerId}`, content.addresses[0]!, content.addresses[1]!] });
  assert.equal(withSuffix, invite);
});

test('the vectors: valid invites encode exactly, invalid ones fail with the error they name', async () => {
  const identity = await generateIdentity(testContext('vectors'), seed);
  for (const v of vectors.valid) {
    assert.equal(await encodeInvite(primitives, identity, v), v.invite, v.comment);
    const decoded = await decodeInvite(primitives, v.invite);
    assert.deepEqual({ peerId: decoded.peerId, name: decoded.name, addresses: decoded.addresses, createdAt: decoded.createdAt }, { peerId: v.peerId, name: v.name, addresses: v.addresses, createdAt: v.createdAt }, v.comment);
  }
  assert.ok(vectors.invalid.length >= 20);
  for (const v of vectors.invalid) await rejects(v.invite, { name: v.error, ...(v.reason ? { reason: v.reason } : {}) }, v.comment);
});

test('every rejection of the decoder, each with its own error', async () => {
  const good = await rawInviteBytes(primitives, seed, { createdAt: CREATED_AT });
  await rejects(`SOTTO:${'A'.repeat(MAX_INVITE_TEXT_LENGTH)}`, { name: 'InvalidInviteError', reason: 'oversized' }, 'oversized');
  await rejects(`12D3KooW${toBase32(good)}`, { name: 'InvalidInviteError', reason: 'prefix' }, 'no prefix');
  await rejects(`SOTTO:${toBase32(good)}!`, { name: 'InvalidInviteError', reason: 'encoding' }, 'not base32');
  for (let cut = 0; cut < good.length; cut++) await rejects(inviteText(good.subarray(0, cut)), { name: 'InvalidInviteError', reason: 'truncated' }, `cut at ${cut}`);
  await rejects(inviteText(new Uint8Array([...good, 1, 2])), { name: 'InvalidInviteError', reason: 'trailing' }, 'trailing');
  await rejects(await rawInvite(primitives, seed, { version: 0 }), { name: 'VersionTooOldError' }, 'too old');
  await rejects(await rawInvite(primitives, seed, { version: 255 }), { name: 'VersionTooNewError' }, 'too new');
  await rejects(await rawInvite(primitives, seed, { time: fromHex('0020000000000000') }), { name: 'InvalidInviteError', reason: 'timestamp' }, '2^53');
  await rejects(await rawInvite(primitives, seed, { name: 'alice ' }), { name: 'InvalidInviteError', reason: 'name' }, 'trailing space');
  await rejects(await rawInvite(primitives, seed, { name: new Uint8Array([0xc3]) }), { name: 'InvalidInviteError', reason: 'name' }, 'cut UTF-8');
  await rejects(await rawInvite(primitives, seed, { count: MAX_INVITE_ADDRESSES + 1, addresses: [] }), { name: 'InvalidInviteError', reason: 'address' }, 'count');
  await rejects(await rawInvite(primitives, seed, { addresses: [new Uint8Array(129).fill(4)] }), { name: 'InvalidInviteError', reason: 'address' }, 'long address');
  await rejects(await rawInvite(primitives, seed, { addresses: [new Uint8Array([4, 192, 0, 2])] }), { name: 'InvalidInviteError', reason: 'address' }, 'cut multiaddr');
  await rejects(await rawInvite(primitives, seed, { signature: new Uint8Array(64) }), { name: 'InviteSignatureError' }, 'zero signature');
  // A key of small order is refused by the verification policy, whatever the signature.
  await rejects(await rawInvite(primitives, seed, { key: fromHex('0100000000000000000000000000000000000000000000000000000000000000') }), { name: 'InviteSignatureError' }, 'small-order key');
  await assert.rejects(decodeInvite(primitives, 42 as unknown as string), TypeError);
});

test('changing any byte of an invite, or any character of its text, is refused', async () => {
  const good = await rawInviteBytes(primitives, seed, { createdAt: CREATED_AT, addresses: ['/ip4/192.0.2.1/tcp/4001', '/dns4/example.com/tcp/443/wss'] });
  for (let i = 0; i < good.length; i++) {
    for (const mask of [0x01, 0x80]) {
      const tampered = good.slice();
      tampered[i]! ^= mask;
      await assert.rejects(decodeInvite(primitives, inviteText(tampered)), SottoError, `byte ${i} ^ ${mask}`);
    }
  }
  const text = inviteText(good);
  for (let i = INVITE_PREFIX.length; i < text.length; i++) {
    const other = text[i] === 'A' ? 'B' : 'A';
    await assert.rejects(decodeInvite(primitives, text.slice(0, i) + other + text.slice(i + 1)), SottoError, `character ${i}`);
  }
});

test('the encoder refuses what the decoder would', async () => {
  const identity = await generateIdentity(testContext('alice'), seed);
  const base = { name: 'alice', addresses: [] as string[], createdAt: CREATED_AT };
  await assert.rejects(encodeInvite(primitives, identity, { ...base, name: ' alice' }), { name: 'InvalidContactNameError' });
  await assert.rejects(encodeInvite(primitives, identity, { ...base, addresses: Array.from({ length: 9 }, (_, i) => `/ip4/192.0.2.${i}/tcp/1`) }), RangeError);
  await assert.rejects(encodeInvite(primitives, identity, { ...base, addresses: ['not an address'] }), RangeError);
  const other = peerIdOfIdentity((await generateIdentity(testContext('other'))).public);
  await assert.rejects(encodeInvite(primitives, identity, { ...base, addresses: [`/ip4/192.0.2.1/tcp/1/p2p/${other}`] }), RangeError, 'another peer\'s address');
});

test('the addresses an invite takes from a running node', () => {
  const self = '12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB';
  const loopback = [`/ip4/127.0.0.1/tcp/4001/p2p/${self}`, `/ip6/::1/tcp/4001/p2p/${self}`];
  assert.deepEqual(selectInviteAddresses(loopback, self), ['/ip4/127.0.0.1/tcp/4001', '/ip6/::1/tcp/4001'], 'loopback when there is nothing else');
  assert.deepEqual(selectInviteAddresses([...loopback, `/ip4/192.168.1.20/tcp/4001/p2p/${self}`, `/ip4/192.168.1.20/tcp/4001/p2p/${self}`], self), ['/ip4/192.168.1.20/tcp/4001'], 'no loopback, no repeats');
  const many = Array.from({ length: 12 }, (_, i) => `/ip4/10.0.0.${i + 1}/tcp/4001`);
  assert.equal(selectInviteAddresses(many, self).length, MAX_INVITE_ADDRESSES);
});

/** A home in memory with its messenger and API (no network). */
async function home(label: string, clock = testClock()): Promise<{ api: SottoApi; messenger: Messenger; store: SottoStore }> {
  const store = await new SottoStore(memoryBackend()).open();
  const ctx = testContext(label, { clock });
  await Messenger.initialise(store, ctx, { name: label });
  const messenger = await Messenger.open({ ctx, store, scheduler: new ManualScheduler(clock) });
  return { api: messengerApi(messenger, ctx.primitives, () => []), messenger, store };
}

test('the API: add from an invite (unverified, addresses kept), verify, and a new key makes it unverified again', async () => {
  const alice = await home('alice');
  const bob = await home('bob');
  const carol = await home('carol');
  const invite = await alice.api.invite(['/ip4/192.0.2.1/tcp/4001']);
  assert.deepEqual(invite.addresses, ['/ip4/192.0.2.1/tcp/4001']);
  assert.deepEqual(await alice.api.invite(null).then((i) => i.addresses), [], 'no node, no address');
  await assert.rejects(alice.api.invite(['/ip4/1.2.3']), InvalidInviteAddressError);
  await assert.rejects(alice.api.addInvite(invite.invite, null, false), OwnInviteError);

  const added = await bob.api.addInvite(invite.invite, null, false);
  assert.deepEqual([added.name, added.peerId, added.verified], ['alice', alice.messenger.peerId, false], 'an invite is not verification');
  assert.deepEqual((await bob.store.getContact('alice'))?.addresses, ['/ip4/192.0.2.1/tcp/4001']);
  assert.equal((await bob.api.addInvite(invite.invite, 'al', false).catch((e: Error) => e)).name, 'DuplicatePeerError');

  const number = await bob.api.safetyNumber('alice');
  assert.match(number.safetyNumber, /^(\d{5} ){11}\d{5}$/);
  await alice.api.addContact('bob', bob.messenger.peerId, false);
  assert.equal((await alice.api.safetyNumber('bob')).safetyNumber, number.safetyNumber, 'the same number on both devices');
  assert.ok(number.qrPayload.startsWith('sotto-sn:1:'));

  // Verifying binds to the key whose number was compared.
  await assert.rejects(bob.api.setVerified('alice', carol.messenger.peerId, true), { name: 'ContactIdentityChangedError' });
  assert.equal((await bob.api.setVerified('alice', number.peerId, true)).verified, true);
  assert.equal((await bob.api.listContacts()).find((c) => c.name === 'alice')?.verified, true);
  assert.equal((await bob.api.setVerified('alice', null, false)).verified, false);
  await bob.api.setVerified('alice', null, true);

  // "alice" now presents carol's key: refused, then accepted, and no longer verified.
  const carolInvite = await carol.api.invite([]);
  await assert.rejects(bob.api.addContact('alice', carol.messenger.peerId, false), { name: 'ContactIdentityChangedError' });
  const changed = await bob.api.addInvite(carolInvite.invite, 'alice', true);
  assert.deepEqual([changed.peerId, changed.verified], [carol.messenger.peerId, false]);
  assert.ok(changed.keyChangedAt !== undefined);
  const reverified = await bob.api.setVerified('alice', carol.messenger.peerId, true);
  assert.equal(reverified.keyChangedAt, undefined, 'verifying clears the key-change mark');
  await assert.rejects(bob.api.safetyNumber('nobody'), { name: 'UnknownContactError' });
  await assert.rejects(bob.api.addInvite(carolInvite.invite.toLowerCase(), null, false), InvalidInviteError);
});

test('addresses from an invite reach the network: when the contact is added, and at every start', async () => {
  const clock = testClock();
  const alice = await home('alice', clock);
  const bob = await home('bob', clock);
  const invite = await alice.api.invite(['/ip4/192.0.2.1/tcp/4001', '/ip4/192.0.2.2/tcp/4002/ws']);
  await bob.api.addInvite(invite.invite, null, false);

  const remembered: [string, readonly string[]][] = [];
  const network: Network = {
    peerId: bob.messenger.peerId,
    handle: async () => {},
    open: async () => Promise.reject(new Error('offline')),
    rememberAddresses: async (peerId, addresses) => void remembered.push([peerId, addresses]),
    onPeerConnected: () => () => {},
    closestPeers: async () => [],
    putRecord: async () => 0,
    getRecords: async () => [],
  };
  const ctx = testContext('bob:online', { clock });
  const online = await Messenger.open({ ctx, store: bob.store, scheduler: new ManualScheduler(clock), network });
  await online.start();
  assert.deepEqual(remembered, [[alice.messenger.peerId, invite.addresses]], 'at start, from the stored contact');

  const carol = await home('carol', clock);
  const carolInvite = await carol.api.invite(['/dns4/carol.example/tcp/443/wss']);
  await messengerApi(online, ctx.primitives, () => []).addInvite(carolInvite.invite, null, false);
  assert.deepEqual(remembered.at(-1), [carol.messenger.peerId, ['/dns4/carol.example/tcp/443/wss']], 'when added');
  await online.stop();
});

test('the chat hooks: /invite, /add INVITE, /verify and /verify yes', async () => {
  const alice = await home('alice');
  const bob = await home('bob');
  const hooksA = chatInviteHooks(alice.api);
  const hooksB = chatInviteHooks(bob.api);
  assert.equal(await hooksB.addFromInvite(await hooksA.invite(), undefined), 'alice');
  const shown = await hooksB.verify('alice', false);
  assert.deepEqual([shown.verified, (await bob.api.listContacts())[0]?.verified], [false, false], 'showing the number marks nothing');
  assert.deepEqual(await hooksB.verify('alice', true), { safetyNumber: shown.safetyNumber, verified: true });
  assert.equal((await bob.api.listContacts())[0]?.verified, true);
});

/**
 * Every decoder of untrusted or stored bytes, as a fuzz target: what it is
 * given, the valid encodings (made by the real encoders) that are mutated,
 * and the typed errors it documents. A decoder that lets anything else
 * escape, or changes state when it rejects an input, fails the run.
 */
import { streamPair } from '@libp2p/utils';
import { openArchive, sealArchive, type BackupCost } from '../src/node/backup/archive.ts';
import { decodeBackupBody, encodeBackupBody } from '../src/node/backup/body.ts';
import { readSnapshot } from '../src/node/backup/snapshot.ts';
import { decodeBundle, encodeBundle, verifyBundle } from '../src/crypto/bundle.ts';
import { decodeEnvelope } from '../src/crypto/envelope.ts';
import { SottoError } from '../src/crypto/errors.ts';
import { decodeIdentityKeyPair, decodeIdentityPublic, encodeIdentityKeyPair, encodeIdentityPublic, generateIdentity } from '../src/crypto/identity.ts';
import { decodePrekeyState, encodePrekeyState, issueBundle } from '../src/crypto/prekeys.ts';
import { openSealed, seal } from '../src/crypto/sealed.ts';
import { decodeSessionRecord, encodeSessionRecord } from '../src/crypto/session-codec.ts';
import { decryptMessage, encryptMessage, startSession, type SessionRecord } from '../src/crypto/session.ts';
import { parseControlRequest, ControlProtocolError } from '../src/app/control/protocol.ts';
import { bundleRecordKey, encodeBundleRecord, validateBundleRecord } from '../src/node/bundles/bundle-record.ts';
import { BUNDLE_RECORD_MAX_SKEW_MS, GROUP_CHUNK_BYTES } from '../src/node/constants.ts';
import { createHash } from 'node:crypto';
import { encodeFrame, framed, varintLength } from '../src/node/transport/frames.ts';
import { decodeInvite, encodeInvite } from '../src/node/contacts/invite.ts';
import { decodeMailboxFrame, encodeMailboxFrame } from '../src/node/mailbox/wire.ts';
import { decodeGroupFrame, readKeyPackageRecord } from '../src/node/groups/index.ts';
import { decodeGroupChunk, splitGroupFrame } from '../src/node/groups/chunks.ts';
import { decodeKeyPackageFrame, encodeKeyPackageFrame } from '../src/node/groups/key-package-request.ts';
import { decodeFileAnswer, decodeFileRequest, encodeBitmap, encodeChunk, encodeChunksRequest, encodeHashes, encodeHaveRequest, encodeManifestRequest, encodeMissing, encodeRefused } from '../src/node/files/wire.ts';
import { decodePayload, encodePayload } from '../src/node/messaging/payload.ts';
import { decodeGroupPlaintext, encodeGroupPlaintext } from '../src/node/groups/group-plaintext.ts';
import { Reader, Writer } from '../src/crypto/bytes.ts';
import { encodeFileDescriptor, readFileDescriptor, type FileDescriptor } from '../src/node/encoding/file-descriptor.ts';
import { describeInlineFile } from '../src/node/encoding/inline-file.ts';
import { parsePeerId, peerIdOfIdentity } from '../src/node/encoding/peer-id.ts';
import { atRestCodecs, decodeKeyring, encodeKeyring } from '../src/node/store/at-rest.ts';
import { memoryBackend, type KvBackend } from '../src/node/store/backend.ts';
import { decodeHeldMail, encodeHeldMail } from '../src/node/store/held-mail.ts';
import { decodeContact, decodeMailRef, decodeMessage, decodeMessageIndex, decodeNumbers, decodeOutbox, decodeProfile, decodeSeen, encodeJson } from '../src/node/store/records.ts';
import { SottoStore, Tx } from '../src/node/store/store.ts';
import { decodeMsgFrame, encodeAck, encodeDeliver } from '../src/node/messaging/wire.ts';
import { decodePrekeysFrame, encodePrekeysBundle, encodePrekeysNone, encodePrekeysRequest } from '../src/node/bundles/prekeys-wire.ts';
import { FrameTooLargeError, StreamClosedError } from '../src/node/errors.ts';
import { testClock, testContext } from '../test/helpers/context.ts';
import { makeParty, pair } from '../test/helpers/parties.ts';
import type { FuzzRng, FuzzTarget } from './engine.ts';

const text = new TextEncoder();
const lenient = new TextDecoder();
const isSotto = (err: unknown): boolean => err instanceof SottoError;
const NOW = Date.UTC(2026, 0, 1);

/** A target whose decoder is a pure function of its input and a fixture built once. */
function pure<F>(name: string, setup: () => Promise<{ fixture: F; valid: Uint8Array[] }>, decode: (f: F, input: Uint8Array) => unknown, options: Partial<FuzzTarget<{ fixture: F; valid: Uint8Array[] }>> = {}): FuzzTarget<{ fixture: F; valid: Uint8Array[] }> {
  return { name, setup, valid: (s) => s.valid, decode: (s, input) => decode(s.fixture, input), accepts: isSotto, ...options };
}

/** JSON-aware mutation: one field of a valid JSON object set to a value of another type, removed, or added. */
function mutateJson(rng: FuzzRng, bytes: Uint8Array): Uint8Array {
  const value = JSON.parse(lenient.decode(bytes)) as unknown;
  const odd = [null, true, 0, -1, 1.5, 2 ** 53, -0, 1e308, '', 'x'.repeat(rng.int(300)), [], [null], {}, { a: 1 }, [{}], [1, 'a'], { mailboxes: -1, until: 'x' }];
  const visit = (node: unknown, depth: number): unknown => {
    if (Array.isArray(node)) {
      if (node.length === 0 || rng.chance(0.3)) return rng.pick(odd);
      const copy = [...node];
      const i = rng.int(copy.length);
      copy[i] = visit(copy[i], depth + 1);
      return copy;
    }
    if (typeof node === 'object' && node !== null) {
      const copy: Record<string, unknown> = { ...(node as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const op = rng.int(4);
      if (op === 0 && keys.length > 0) delete copy[rng.pick(keys)];
      else if (op === 1) copy[rng.pick(['__proto__', 'constructor', 'extra', 'custody', 'addresses', 'keyChangedAt'])] = rng.pick(odd);
      else if (keys.length > 0) {
        const k = rng.pick(keys);
        copy[k] = depth < 3 && rng.chance(0.5) ? visit(copy[k], depth + 1) : rng.pick(odd);
      }
      return copy;
    }
    return rng.pick(odd);
  };
  return text.encode(rng.chance(0.1) ? JSON.stringify(rng.pick(odd)) : JSON.stringify(visit(value, 0)));
}

/** Canonical text of a bytes-valued map (for state fingerprints). */
async function dumpBackend(backend: KvBackend): Promise<string> {
  const out: string[] = [];
  for await (const [key, value] of backend.entries({ gte: '', lt: '\uffff' })) out.push(`${key}=${Buffer.from(value).toString('hex')}`);
  return out.join('\n');
}

const PEER_B = '12D3KooWRbAKRwQFYg1bsa3bHezyVLoczdGTgzjrFsHUGUBGaPR2';
const PEER_C = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo';
const HASH = 'ab'.repeat(32);

/** A store with one record of every kind (as the backup tests fill it). */
async function filledStore(): Promise<{ store: SottoStore; backend: KvBackend }> {
  const backend = memoryBackend();
  const store = await new SottoStore(backend).open();
  const { alice, bob } = await pair();
  await bob.receive(alice.send('hi'));
  await store.commit(
    new Tx()
      .putIdentity(alice.identity)
      .putPrekeys(alice.prekeys)
      .putProfile({ name: 'alice' })
      .putSeq(5)
      .putContact({ name: 'Bob', peerId: PEER_B, addedAt: 1, verified: false, added: true, keyChangedAt: 3, addresses: ['/ip4/127.0.0.1/tcp/4001'] })
      .putContact({ name: PEER_C, peerId: PEER_C, addedAt: 2, verified: false, added: false })
      .putSession(PEER_B, alice.record!)
      .putMessage({ id: '01'.repeat(16), peerId: PEER_B, direction: 'out', text: 'a text', timestamp: 5, status: 'stored', seq: 1, custody: { mailboxes: 2, until: 99 } })
      .putMessage({ id: '02'.repeat(16), peerId: PEER_C, direction: 'in', text: 'who is this', timestamp: 6, status: 'received', seq: 2 })
      .putOutbox({ seq: 4, peerId: PEER_B, kind: 'text', messageId: '03'.repeat(16), payload: 'AAEC', envelope: null, attempts: 2, nextAttemptAt: 10, createdAt: 7, lastError: 'offline', custody: [{ mailbox: PEER_C, expiresAt: 50 }] })
      .putSeen(PEER_C, HASH, { at: 6, messageId: '02'.repeat(16) })
      .putMail('mailboxkey', 'item1', { storedAt: 1, expiresAt: 2, item: new Uint8Array([1, 2, 3]) }),
    { sync: true },
  );
  return { store, backend };
}

/** A decryption fixture: Bob's state, frozen, and envelopes he has not yet read. */
interface DecryptFixture {
  readonly ctx: ReturnType<typeof testContext>;
  readonly input: Parameters<typeof decryptMessage>[1];
  readonly valid: Uint8Array[];
}

function decryptTarget(name: string, setup: () => Promise<DecryptFixture>): FuzzTarget<DecryptFixture> {
  return {
    name,
    weight: 0.5,
    setup,
    valid: (f) => f.valid,
    decode: (f, input) => decryptMessage(f.ctx, f.input, input),
    accepts: isSotto,
    // decryptMessage returns new state and must never touch what it was given.
    state: (f) => {
      const prekeys = f.input.prekeys;
      return `${f.input.record ? Buffer.from(encodeSessionRecord(f.input.record)).toString('hex') : '-'}/${typeof prekeys === 'function' ? '' : Buffer.from(encodePrekeyState(prekeys)).toString('hex')}`;
    },
  };
}

/** Marks a bundle-record case whose input is the record key, not the value. */
const KEY_CASE = 0xee;
/**
 * Length-prefixed frames parsed the plain way: unsigned-varint lengths of at
 * most varintLength(max) bytes (non-minimal encodings allowed, as libp2p's
 * own framing does), each at most `max`.
 */
function referenceFrames(input: Uint8Array, max: number): { frames: Uint8Array[]; end: 'too-large' | 'truncated' | 'ended' } {
  const prefixBytes = varintLength(max);
  const frames: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    if (at === input.length) return { frames, end: 'ended' };
    let value = 0;
    let n = 0;
    for (;;) {
      if (at + n >= input.length) return { frames, end: 'truncated' };
      const byte = input[at + n]!;
      value += (byte & 0x7f) * 0x80 ** n;
      n++;
      if ((byte & 0x80) === 0) break;
      if (n >= prefixBytes) return { frames, end: 'too-large' };
    }
    if (value > max) return { frames, end: 'too-large' };
    if (at + n + value > input.length) return { frames, end: 'truncated' };
    frames.push(input.slice(at + n, at + n + value));
    at += n + value;
  }
}

const CHEAP_BACKUP: BackupCost = { t: 1, m: 8, p: 1 };
/** Thrown by the passphrase prompt: the archive header passed every check. */
class HeaderAccepted extends Error {
  override readonly name = 'HeaderAccepted';
}

/** Every fuzz target, in report order. */
export function fuzzTargets(): FuzzTarget<never>[] {
  const targets: FuzzTarget<never>[] = [];
  const add = <F>(t: FuzzTarget<F>): void => void targets.push(t as unknown as FuzzTarget<never>);

  // ---- Wire: what any peer can send ------------------------------------------------
  add(
    pure('envelope', async () => {
      const { alice, bob } = await pair();
      const first = alice.send('hello');
      await bob.receive(first);
      await alice.receive(bob.send('hi back'));
      return { fixture: null, valid: [first, alice.send('a'), alice.send('x'.repeat(500)), bob.send('')] };
    }, (_f, input) => decodeEnvelope(input)),
  );

  add(
    decryptTarget('ratchet-decrypt', async () => {
      const { alice, bob } = await pair();
      const first = alice.send('hello');
      await bob.receive(first);
      await alice.receive(bob.send('hi back'));
      const later = [alice.send('one'), alice.send('two'), alice.send('three')];
      return { ctx: bob.ctx as ReturnType<typeof testContext>, input: { identity: bob.identity, prekeys: bob.prekeys, record: bob.record }, valid: [first, ...later] };
    }),
  );

  add(
    decryptTarget('prekey-decrypt', async () => {
      const clock = testClock();
      // The bundle carries a one-time ML-KEM prekey: the KEM lookup falls through to the one-time ones.
      const bob = await makeParty('fuzz-bob', { clock, oneTime: 2, oneTimeKem: 1 });
      const carol = await makeParty('fuzz-carol', { clock });
      const issued = issueBundle(bob.ctx, bob.identity, bob.prekeys);
      bob.prekeys = issued.state;
      const record: SessionRecord = await startSession(carol.ctx, carol.identity, issued.bundle);
      const out = encryptMessage(carol.ctx, record, text.encode('first'));
      const second = encryptMessage(carol.ctx, out.record, text.encode('second'));
      return { ctx: bob.ctx as ReturnType<typeof testContext>, input: { identity: bob.identity, prekeys: bob.prekeys, record: undefined }, valid: [out.envelope, second.envelope] };
    }),
  );

  add({
    name: 'sealed',
    weight: 0.5,
    async setup() {
      const ctx = testContext('fuzz-sealed');
      const bob = await generateIdentity(ctx);
      const sender = text.encode(PEER_C);
      return { ctx, bob, valid: [await seal(ctx, bob.public.dhKey, sender, new Uint8Array(200).fill(7)), await seal(ctx, bob.public.dhKey, Uint8Array.of(1), Uint8Array.of(2))] };
    },
    valid: (f) => f.valid,
    decode: (f, input) => openSealed(f.ctx, f.bob, input),
    accepts: isSotto,
  });

  add(
    pure('prekey-bundle', async () => {
      const ctx = testContext('fuzz-bundle');
      const identity = await generateIdentity(ctx);
      const { createPrekeyState } = await import('../src/crypto/prekeys.ts');
      const state = await createPrekeyState(ctx, identity, { oneTimePrekeys: 2 });
      return { fixture: ctx, valid: [encodeBundle(issueBundle(ctx, identity, state).bundle), encodeBundle(issueBundle(ctx, identity, state, { oneTime: false }).bundle)] };
    }, async (ctx, input) => verifyBundle(ctx, decodeBundle(input)), { weight: 0.5, maxRandomBytes: 2_000 }),
  );

  add({
    name: 'bundle-record',
    weight: 0.5,
    maxRandomBytes: 5_000,
    async setup() {
      const clock = testClock(NOW);
      const ctx = testContext('fuzz-record', { clock });
      const identity = await generateIdentity(ctx);
      const { createPrekeyState } = await import('../src/crypto/prekeys.ts');
      const state = await createPrekeyState(ctx, identity, { oneTimePrekeys: 0 });
      const bundle = issueBundle(ctx, identity, state, { oneTime: false }).bundle;
      const key = bundleRecordKey(peerIdOfIdentity(identity.public));
      return { ctx, key, valid: [await encodeBundleRecord(ctx, identity, bundle, NOW), await encodeBundleRecord(ctx, identity, bundle, NOW + BUNDLE_RECORD_MAX_SKEW_MS)] };
    },
    valid: (f) => f.valid,
    // The key is attacker-chosen too: generated cases (marked 0xEE 0xEE) mutate the key under a valid value.
    decode: (f, input) => (input[0] === KEY_CASE && input[1] === KEY_CASE ? validateBundleRecord(f.ctx, input.subarray(2), f.valid[0]!, NOW) : validateBundleRecord(f.ctx, f.key, input, NOW)),
    generate: (rng, f) => {
      const key = new Uint8Array(f.key);
      const at = rng.int(key.length);
      key[at] = key[at]! ^ (1 << rng.int(8));
      return Uint8Array.of(KEY_CASE, KEY_CASE, ...key.subarray(0, rng.chance(0.2) ? rng.int(key.length) : key.length));
    },
    accepts: isSotto,
  });

  add(
    pure('invite', async () => {
      const ctx = testContext('fuzz-invite');
      const identity = await generateIdentity(ctx);
      const invites = [
        await encodeInvite(ctx.primitives, identity, { name: 'Alice', addresses: ['/ip4/192.0.2.7/tcp/4001', '/ip6/::1/tcp/4002/ws', '/dns4/example.org/tcp/443/wss'], createdAt: NOW }),
        await encodeInvite(ctx.primitives, identity, { name: '', addresses: [], createdAt: NOW }),
      ];
      // Mode byte 0: the rest are the binary body (re-encoded as base32 behind the prefix, so mutations reach the parser); 1: raw text.
      const { fromBase32 } = await import('../src/node/encoding/base32.ts');
      const valid = invites.flatMap((i) => [Uint8Array.of(0, ...fromBase32(i.slice('SOTTO:'.length))), Uint8Array.of(1, ...text.encode(i))]);
      return { fixture: ctx, valid };
    }, async (ctx, input) => {
      const { toBase32 } = await import('../src/node/encoding/base32.ts');
      const textForm = input[0] === 0 ? 'SOTTO:' + toBase32(input.subarray(1)) : lenient.decode(input.subarray(1));
      return decodeInvite(ctx.primitives, textForm);
    }, { maxRandomBytes: 3_000 }),
  );

  add(
    pure('msg-frame', async () => ({ fixture: null, valid: [encodeDeliver(7, new Uint8Array(300).fill(1)), encodeAck(1, 'stored'), encodeAck(0xffff_ffff, 'retry')] }), (_f, input) => decodeMsgFrame(input)),
  );
  add(
    pure('prekeys-frame', async () => ({ fixture: null, valid: [encodePrekeysRequest(), encodePrekeysNone(), encodePrekeysBundle(new Uint8Array(100).fill(3))] }), (_f, input) => decodePrekeysFrame(input)),
  );
  add(
    pure('mailbox-frame', async () => {
      const id = new Uint8Array(32).fill(9);
      return {
        fixture: null,
        valid: [
          encodeMailboxFrame({ type: 'deposit', mailboxKey: new Uint8Array(32).fill(1), item: new Uint8Array(120).fill(2) }),
          encodeMailboxFrame({ type: 'receipt', id, expiresAt: NOW, signature: new Uint8Array(64).fill(4) }),
          encodeMailboxFrame({ type: 'refused', reason: 'depositor-quota' }),
          encodeMailboxFrame({ type: 'fetch', max: 1000 }),
          encodeMailboxFrame({ type: 'items', more: true, items: [{ id, item: new Uint8Array(50).fill(5) }, { id: new Uint8Array(32), item: Uint8Array.of(1) }] }),
          encodeMailboxFrame({ type: 'ack', ids: [id, id] }),
          encodeMailboxFrame({ type: 'acked', deleted: 2 }),
        ],
      };
    }, (_f, input) => decodeMailboxFrame(input)),
  );
  add(
    pure('group-frame', async () => {
      const { groupFixture } = await import('./group-fixture.ts');
      return { fixture: null, valid: (await groupFixture()).frames };
    }, (_f, input) => decodeGroupFrame(input), { maxRandomBytes: 3_000 }),
  );
  add(
    pure('group-chunk', async () => {
      const frame = new Uint8Array(GROUP_CHUNK_BYTES + 300).map((_, i) => i & 0xff);
      return { fixture: null, valid: splitGroupFrame((d) => new Uint8Array(createHash('sha256').update(d).digest()), frame) };
    }, (_f, input) => decodeGroupChunk(input), { maxRandomBytes: 3_000 }),
  );
  add(
    pure('key-package-frame', async () => ({
      fixture: null,
      valid: [encodeKeyPackageFrame({ type: 'request' }), encodeKeyPackageFrame({ type: 'none' }), encodeKeyPackageFrame({ type: 'key-package', record: new Uint8Array(300).fill(3) })],
    }), (_f, input) => decodeKeyPackageFrame(input)),
  );
  add(
    pure('file-request', async () => {
      const f = new Uint8Array(32).fill(9);
      return { fixture: null, valid: [encodeManifestRequest(f, 0, 2048), encodeManifestRequest(f, 4095, 1), encodeChunksRequest(f, [0, 7, 3, 16383]), encodeChunksRequest(f, [1, 2, 3, 4, 5, 6, 7, 8]), encodeHaveRequest(f)] };
    }, (_f, input) => decodeFileRequest(input)),
  );
  add(
    pure('file-answer', async () => ({
      fixture: null,
      valid: [
        encodeHashes(0, new Uint8Array(32 * 3).fill(4)),
        encodeChunk(2, new Uint8Array(300).fill(5)),
        encodeMissing(16383),
        encodeBitmap(13, Uint8Array.of(0xff, 0x1f)),
        encodeBitmap(16, Uint8Array.of(0xaa, 0x55)),
        encodeRefused('busy'),
        encodeRefused('not allowed'),
      ],
    }), (_f, input) => decodeFileAnswer(input)),
  );
  add(
    pure('group-key-package', async () => {
      const { groupFixture } = await import('./group-fixture.ts');
      const { env, record } = await groupFixture();
      return { fixture: env, valid: [record] };
    }, (env, input) => readKeyPackageRecord(env, input), { maxRandomBytes: 3_000 }),
  );
  add(
    pure('payload', async () => ({
      fixture: null,
      valid: [
        encodePayload({ type: 'text', id: '0a'.repeat(16), sentAt: NOW, text: 'héllo ✓ 🙂' }),
        encodePayload({ type: 'receipt', kind: 'read', ids: ['01'.repeat(16), '02'.repeat(16)] }),
        encodePayload({ type: 'receipt', kind: 'delivered', ids: ['03'.repeat(16)] }),
        encodePayload({ type: 'addresses', at: NOW, addresses: ['/ip4/192.0.2.1/tcp/4001', '/ip6/2001:db8::1/tcp/4002/ws'] }),
        ...fuzzFiles().map((file) => encodePayload({ type: 'file', id: '0b'.repeat(16), sentAt: NOW, file })),
      ],
    }), (_f, input) => decodePayload(input)),
  );
  add(
    pure('file-descriptor', async () => ({ fixture: null, valid: fuzzFiles().map((file) => encodeFileDescriptor(new Writer(), '0c'.repeat(16), NOW, file).finish()) }), (_f, input) => {
      const r = new Reader(input, 'file descriptor');
      const message = readFileDescriptor(r);
      r.end();
      return message;
    }),
  );
  add(
    pure('group-plaintext', async () => ({
      fixture: null,
      valid: [encodeGroupPlaintext({ type: 'text', id: '0d'.repeat(16), sentAt: NOW, text: 'héllo ✓' }), ...fuzzFiles().map((file) => encodeGroupPlaintext({ type: 'file', id: '0e'.repeat(16), sentAt: NOW, file }))],
    }), (_f, input) => decodeGroupPlaintext(input)),
  );

  add({
    name: 'framed-stream',
    weight: 0.25,
    maxRandomBytes: 4_096,
    async setup() {
      const frames = [encodeDeliver(1, new Uint8Array(200).fill(1)), encodeAck(1, 'stored'), new Uint8Array(0), new Uint8Array(1000).fill(2)];
      const joined = (list: Uint8Array[]): Uint8Array => Uint8Array.from(list.flatMap((f) => [...encodeFrame(f)]));
      return { valid: [joined(frames), joined([frames[0]!]), joined([frames[3]!, frames[1]!])] };
    },
    valid: (f) => f.valid,
    // The bytes arrive in chunks cut where the input says, then the sender ends its side. The frames
    // read and the way reading ends must match a plain reference parse of the same bytes.
    async decode(_f, input) {
      const max = 1024;
      const expected = referenceFrames(input, max);
      const [a, b] = await streamPair();
      const reader = framed(b, { maxFrameBytes: max, readTimeoutMs: 1_000 });
      try {
        let at = 0;
        let cut = 1;
        while (at < input.length) {
          const size = 1 + ((input[cut % input.length]! * 7 + cut) % 700);
          a.send(input.subarray(at, at + size));
          at += size;
          cut++;
        }
        await a.close();
        for (let i = 0; ; i++) {
          let frame: Uint8Array;
          try {
            frame = await reader.read();
          } catch (err) {
            const end = err instanceof FrameTooLargeError ? 'too-large' : err instanceof StreamClosedError ? err.reason : undefined;
            if (i !== expected.frames.length || end !== expected.end) throw new Error(`reading ended (${String(end)}) after ${i} frames; the reference ends (${expected.end}) after ${expected.frames.length}`, { cause: err });
            throw err;
          }
          if (!Buffer.from(frame).equals(Buffer.from(expected.frames[i] ?? new Uint8Array(0))) || i >= expected.frames.length) throw new Error(`frame ${i} differs from the reference parse`);
        }
      } finally {
        a.abort(new Error('done'));
        b.abort(new Error('done'));
      }
    },
    accepts: (err) => err instanceof FrameTooLargeError || err instanceof StreamClosedError,
  });

  add(
    pure('peer-id', async () => ({ fixture: null, valid: [text.encode(PEER_B), text.encode(PEER_C)] }), (_f, input) => parsePeerId(lenient.decode(input))),
  );

  // ---- Local: the control socket and what is on disk --------------------------------
  add({
    ...pure(
      'control-request',
      async () => ({
        fixture: null,
        valid: [
          text.encode(JSON.stringify({ method: 'send', params: ['Bob', 'hello', 1000] })),
          text.encode(JSON.stringify({ method: 'addContact', params: ['Bob', PEER_B, false] })),
          text.encode(JSON.stringify({ method: 'status', params: [] })),
        ],
      }),
      (_f, input) => parseControlRequest(lenient.decode(input)),
    ),
    generate: (rng) => mutateJson(rng, text.encode(JSON.stringify({ method: rng.pick(['send', 'id', 'history']), params: ['Bob', 'x'] }))),
    accepts: (err) => err instanceof ControlProtocolError,
  });

  const records: { kind: string; decode: (bytes: Uint8Array) => unknown; valid: Uint8Array[] }[] = [
    { kind: 'contact', decode: (b) => decodeContact('contact:x', b), valid: [encodeJson({ name: 'Bob', peerId: PEER_B, addedAt: 1, verified: true, added: true, keyChangedAt: 2, addresses: ['/ip4/127.0.0.1/tcp/1'] })] },
    { kind: 'message', decode: (b) => decodeMessage('msg:x', b), valid: [
        encodeJson({ id: '01'.repeat(16), peerId: PEER_B, direction: 'out', text: 'hi', timestamp: 5, status: 'stored', seq: 1, custody: { mailboxes: 2, until: 99 } }),
        encodeJson({ id: '02'.repeat(16), peerId: PEER_B, direction: 'in', text: 'a.png', timestamp: 6, status: 'received', seq: 2, file: { name: 'a.png', type: 'image/png', size: 3, sha256: HASH, fileId: HASH, key: 'AAEC', inline: 'AAECAw==', failure: 'digest does not match' } }),
      ] },
    {
      kind: 'outbox',
      decode: (b) => decodeOutbox('outbox:x', b),
      valid: [encodeJson({ seq: 4, peerId: PEER_B, kind: 'text', messageId: '03'.repeat(16), payload: 'AAEC', envelope: null, attempts: 2, nextAttemptAt: 10, createdAt: 7, lastError: null, custody: [{ mailbox: PEER_C, expiresAt: 50 }] })],
    },
    { kind: 'seen', decode: (b) => decodeSeen('seen:x', b), valid: [encodeJson({ at: 6, messageId: null, hash: HASH })] },
    { kind: 'message-index', decode: (b) => decodeMessageIndex('msgid:x', b), valid: [encodeJson({ seq: 3, id: '01'.repeat(16) })] },
    { kind: 'mail-index', decode: (b) => decodeMailRef('mboxord:x', b), valid: [encodeJson({ mailboxKey: 'cd'.repeat(32), id: 'ef'.repeat(32) })] },
    { kind: 'numbers', decode: (b) => decodeNumbers('meta:seq', b, ['next']), valid: [encodeJson({ next: 5 })] },
    { kind: 'profile', decode: (b) => decodeProfile('meta:profile', b), valid: [encodeJson({ name: 'alice' })] },
    { kind: 'keyring', decode: (b) => decodeKeyring(b), valid: [encodeKeyring({ version: 1, kdf: 'none' }), encodeKeyring({ version: 1, kdf: 'argon2id', t: 2, m: 19456, p: 1, salt: 'AAAA', nonce: 'AAEC', wrapped: 'AAECAw==' })] },
  ];
  for (const record of records) {
    add({
      ...pure(`store-${record.kind}`, async () => ({ fixture: null, valid: record.valid }), (_f, input) => record.decode(input), { weight: 0.3 }),
      generate: (rng) => mutateJson(rng, rng.pick(record.valid)),
    });
  }
  add(pure('store-held-mail', async () => ({ fixture: null, valid: [encodeHeldMail({ mailboxKey: 'cd'.repeat(32), id: 'ef'.repeat(32), storedAt: 1, expiresAt: NOW, item: new Uint8Array(40).fill(1) })] }), (_f, input) => decodeHeldMail('mbox:x', input), { weight: 0.3 }));

  add(
    pure('store-crypto-records', async () => {
      const { alice, bob } = await pair();
      await bob.receive(alice.send('hi'));
      const withKem = await makeParty('fuzz-kem', { oneTime: 1, oneTimeKem: 2 });
      const kemIssued = issueBundle(withKem.ctx, withKem.identity, withKem.prekeys, { now: NOW }).state;
      return {
        fixture: alice.ctx,
        // Mode byte (mod 4): session record, prekey state, identity public key, identity key pair.
        valid: [
          Uint8Array.of(0, ...encodeSessionRecord(bob.record!)),
          Uint8Array.of(1, ...encodePrekeyState(bob.prekeys)),
          Uint8Array.of(1, ...encodePrekeyState(kemIssued)),
          Uint8Array.of(2, ...encodeIdentityPublic(bob.identity.public)),
          Uint8Array.of(3, ...encodeIdentityKeyPair(bob.identity)),
        ],
      };
    }, (ctx, input) => {
      const body = input.subarray(1);
      switch ((input[0] ?? 0) % 4) {
        case 0:
          return decodeSessionRecord(body);
        case 1:
          return decodePrekeyState(body);
        case 2:
          return decodeIdentityPublic(body);
        default:
          return decodeIdentityKeyPair(ctx, body);
      }
    }, { maxRandomBytes: 12_000 }),
  );

  add(
    pure('at-rest-value', async () => {
      const ctx = testContext('fuzz-at-rest');
      const { values } = atRestCodecs(ctx, new Uint8Array(32).fill(5));
      return { fixture: values, valid: [await values.encode('contact:abc', encodeJson({ name: 'x' })), await values.encode('contact:abc', new Uint8Array(0))] };
    }, (values, input) => values.decode('contact:abc', input)),
  );

  add({
    name: 'store-read',
    weight: 0.3,
    async setup() {
      const { store, backend } = await filledStore();
      const keys: string[] = [];
      const valid: Uint8Array[] = [];
      for await (const [key, value] of backend.entries({ gte: '', lt: '\uffff' })) {
        keys.push(key);
        valid.push(value);
      }
      return { store, backend, keys, valid, ctx: testContext('fuzz-store-read'), next: 0 };
    },
    valid: (f) => f.valid,
    // The input replaces one record (keys taken in turn); every reader runs, then the record is put back.
    async decode(f, input) {
      const i = f.next++ % f.keys.length;
      const key = f.keys[i]!;
      await f.backend.batch([{ type: 'put', key, value: input }], { sync: false });
      try {
        const corrupted = await dumpBackend(f.backend);
        const s = f.store;
        const readers: (() => Promise<unknown>)[] = [
          // open() without its writes (a mutated schema may ask for a migration).
          () => s.schemaState(),
          () => s.getIdentity(f.ctx),
          () => s.getPrekeys(),
          () => s.getProfile(),
          () => s.getSeq(),
          () => s.getContact('Bob'),
          () => s.getContactByPeer(PEER_B),
          () => s.listContacts(),
          () => s.getSession(PEER_B),
          () => s.listMessages(PEER_B),
          () => s.listMessages(PEER_C),
          () => s.getMessage(PEER_B, '01'.repeat(16)),
          () => s.listMessageIds(PEER_B),
          () => s.getMail('mailboxkey', 'item1'),
          () => s.listMail('mailboxkey', 10),
          async () => {
            for await (const _ of s.scanMail());
          },
          () => s.listExpiredMail(NOW, 10),
          () => s.listOutbox(),
          () => s.getSeen(PEER_C, HASH),
          () => s.listSeen(PEER_C),
          () => s.listSeenBefore(NOW, 10),
        ];
        let rejected: unknown;
        for (const read of readers) {
          try {
            await read();
          } catch (err) {
            if (!isSotto(err)) throw err;
            rejected ??= err;
          }
        }
        if (corrupted !== (await dumpBackend(f.backend))) throw new Error('a read changed the store');
        if (rejected !== undefined) throw rejected;
      } finally {
        await f.backend.batch([{ type: 'put', key, value: f.valid[i]! }], { sync: false });
      }
    },
    accepts: isSotto,
    state: (f) => dumpBackend(f.backend),
  });

  add({
    name: 'backup-archive',
    weight: 0.3,
    maxRandomBytes: 512,
    async setup() {
      const ctx = testContext('fuzz-backup');
      return { ctx, valid: [await sealArchive(ctx, new Uint8Array(64).fill(1), 'pass', CHEAP_BACKUP)] };
    },
    valid: (f) => f.valid,
    // The passphrase is asked only once the header passed every check; the prompt stops there.
    decode: (f, input) =>
      openArchive(f.ctx, input, async () => {
        throw new HeaderAccepted('header accepted');
      }),
    accepts: (err) => isSotto(err) || err instanceof HeaderAccepted,
  });

  add({
    name: 'backup-body',
    weight: 0.3,
    maxRandomBytes: 4_096,
    async setup() {
      const ctx = testContext('fuzz-backup-body');
      const { store } = await filledStore();
      return { ctx, valid: [encodeBackupBody(await readSnapshot(store, ctx))] };
    },
    valid: (f) => f.valid,
    decode: (f, input) => decodeBackupBody(f.ctx, input),
    accepts: isSotto,
  });

  return targets;
}

/** The share of `total` cases each target gets, by weight (at least one case each). */
export function allocateCases(targets: readonly FuzzTarget<never>[], total: number): number[] {
  const weights = targets.map((t) => t.weight ?? 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.max(1, Math.round((total * w) / sum)));
}

/** File descriptors for the seeds: an inline picture, an empty file, a large file (no inline bytes). */
function fuzzFiles(): FileDescriptor[] {
  const ctx = testContext('fuzz files');
  const large: FileDescriptor = { name: 'film – final.mp4', type: 'video/mp4', size: 3_000_000_000, sha256: new Uint8Array(32).fill(1), fileId: new Uint8Array(32).fill(2), key: new Uint8Array(32).fill(3), inline: new Uint8Array(0) };
  return [describeInlineFile(ctx, 'photo.png', 'image/png', new Uint8Array(300).map((_, i) => i & 0xff)), describeInlineFile(ctx, 'empty', '', new Uint8Array(0)), large];
}

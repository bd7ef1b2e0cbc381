/**
 * Strangers against a real node (issue 12), libp2p on loopback: the victim
 * keeps its home in a level database on disk, an honest contact (who holds
 * the victim's mailbox pass) keeps sending, and strangers attack: one floods
 * with the largest texts through its own messenger, Sybils (minimal libp2p
 * peers with fresh identities, test/helpers/stranger.ts) each start a
 * session and write once, and more Sybils write through a mailbox without a
 * pass. The honest contact's messages must arrive exactly once and stay its
 * only conversation; each stranger is held to its request's quota, all of
 * them together to the total (the oldest evicted first, whole); a mailbox
 * keeps only the stranger allowance for the victim; and the victim's store,
 * compacted, grows by no more than the strangers' quota, also when Sybils
 * write at the same time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { createPrekeyState, issueBundle } from '../../src/crypto/prekeys.ts';
import { encryptMessage, startSession } from '../../src/crypto/session.ts';
import {
  MAILBOX_PROTOCOL,
  MAILBOX_STRANGER_BYTES_PER_RECIPIENT,
  MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR,
  MAILBOX_STRANGER_ITEMS_PER_RECIPIENT,
  MAX_MAILBOX_FRAME_BYTES,
  MAX_TEXT_BYTES,
  MESSAGE_ID_BYTES,
  REQUEST_MAX_BYTES_PER_SENDER,
  REQUEST_MAX_MESSAGES_PER_SENDER,
  REQUESTS_MAX_SENDERS,
  REQUESTS_MAX_TOTAL_BYTES,
} from '../../src/node/constants.ts';
import { fromBase64 } from '../../src/node/encoding/base64.ts';
import { signingKeyOfPeerId } from '../../src/node/encoding/peer-id.ts';
import { mailboxKeyOf } from '../../src/node/mailbox/keys.ts';
import { encodePayload } from '../../src/node/messaging/payload.ts';
import { decodeMailboxFrame, encodeMailboxFrame } from '../../src/node/mailbox/wire.ts';
import { framed } from '../../src/node/transport/frames.ts';
import { openParty, type Party } from '../../bench/transport/party.ts';
import { compactedBytes } from '../../bench/strangers/store-size.ts';
import { runSybils, Stranger, type DepositAnswer } from '../../bench/strangers/stranger.ts';

/** Texts of the largest size the flooding stranger sends: many times what its request has room for. */
const FLOOD_TEXTS = 40;
/** Sybils beyond REQUESTS_MAX_SENDERS, so that the oldest requests must go. */
const SYBILS_OVER = 10;
/** Sybils that write at the same time (a few at a time, as an attacker would), and how many at once. */
const SYBIL_WAVE = 60;
const SYBIL_WAVE_CONCURRENCY = 4;
/** Stranger deposits one eager Sybil tries beyond its own allowance at a mailbox. */
const DEPOSITS_OVER = 8;
/** Sybils that deposit the largest texts for the victim, and how many each: several times the stranger allowance. */
const MAILBOX_SYBILS = 12;
const MAILBOX_TEXTS_EACH = 4;
/** Pause between two honest messages. */
const HONEST_PAUSE_MS = 20;
/** How long one honest send may wait for its ack, and the flood for its last answer. */
const SEND_WAIT_MS = 15_000;
/** How long evictions (after the last write) may take to settle. */
const SETTLE_WAIT_MS = 10_000;
const POLL_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const largest = (label: string): string => `${label} `.padEnd(MAX_TEXT_BYTES, '.');

/** Bytes of an envelope carrying `text` before any reply (with the agreement header), as a stranger sends it. */
async function firstEnvelopeBytes(ctx: CryptoContext, text: string): Promise<number> {
  const [sender, recipient] = [await generateIdentity(ctx), await generateIdentity(ctx)];
  const session = await startSession(ctx, sender, issueBundle(ctx, recipient, await createPrekeyState(ctx, recipient, { oneTimePrekeys: 1 })).bundle);
  return encryptMessage(ctx, session, encodePayload({ type: 'text', id: toHex(new Uint8Array(MESSAGE_ID_BYTES)), sentAt: ctx.now(), text })).envelope.length;
}

/** Polls `check` until it holds or `timeoutMs` passes (then fails with `what`). */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = SETTLE_WAIT_MS): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(performance.now() < end, `timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

describe('strangers: a flood of them while an honest contact sends', { timeout: 300_000 }, () => {
  let root: string;
  let ctx: CryptoContext;
  let victim: Party;
  let alice: Party;
  let mallory: Party;
  let post: Party;
  let victimDir: string;
  let compactedAtStart: number;
  const honestTexts = ['hello victim'];

  /** Alice sends one message after another until `attack` is over; each must be delivered. */
  async function whileHonestSends<T>(attack: Promise<T>): Promise<T> {
    let over = false;
    void attack.finally(() => (over = true)).catch(() => {});
    do {
      const text = `honest ${honestTexts.length}`;
      honestTexts.push(text);
      const result = await alice.messenger.send('victim', text, { waitMs: SEND_WAIT_MS });
      assert.equal(result.status, 'delivered', `${text}: ${result.status}`);
      await sleep(HONEST_PAUSE_MS);
    } while (!over);
    return attack;
  }

  /** Every honest message reached the victim exactly once, in order, as a message; alice is still its only contact. */
  async function assertHonestIntact(): Promise<void> {
    assert.deepEqual((await victim.messenger.history('alice')).map((m) => m.text), honestTexts);
    assert.deepEqual(victim.received.texts, honestTexts, "one 'message' event each, and none for a stranger");
    assert.deepEqual((await victim.messenger.contacts()).map((c) => [c.name, c.peerId]), [['alice', alice.node.peerId]]);
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sotto-adversarial-strangers-'));
    ctx = await nodeCryptoContext(() => Date.now());
    victimDir = join(root, 'victim');
    // The store's size after a full compaction, before anyone wrote to the victim.
    await (await openParty(victimDir, 'victim', { serveEcho: false })).close();
    compactedAtStart = await compactedBytes(victimDir);
    victim = await openParty(victimDir, 'victim', { serveEcho: false });
    alice = await openParty(join(root, 'alice'), 'alice', { serveEcho: false, store: 'memory' });
    mallory = await openParty(join(root, 'mallory'), 'mallory', { serveEcho: false, store: 'memory' });
    post = await openParty(join(root, 'post'), 'post', { serveEcho: false, store: 'memory', mailbox: {} });
    for (const peer of [alice, mallory, post]) await peer.node.connect(victim.node.addresses()[0]!);
    await alice.messenger.addContact('victim', victim.node.peerId);
    await victim.messenger.addContact('alice', alice.node.peerId);
    assert.equal((await alice.messenger.send('victim', honestTexts[0]!, { waitMs: SEND_WAIT_MS })).status, 'delivered');
    await eventually(async () => (await alice.messenger.contact('victim')).pass !== undefined, "the victim's mailbox pass at alice");
  });

  after(async () => {
    for (const party of [alice, mallory, post, victim]) await party?.close();
    await rm(root, { recursive: true, force: true });
  });

  test('one stranger floods with the largest texts: its request keeps what it has room for, the rest is refused (its outbox: failed, not accepted)', async () => {
    await mallory.messenger.addContact('victim', victim.node.peerId);
    const settled = async (): Promise<boolean> => (await mallory.messenger.history('victim')).every((m) => m.status === 'delivered' || m.status === 'failed');
    await whileHonestSends(
      (async () => {
        // Handed to the messenger at once: its courier pipelines them on one stream.
        await Promise.all(Array.from({ length: FLOOD_TEXTS }, (_, i) => mallory.messenger.send('victim', largest(`flood ${i}`))));
        await eventually(settled, "answers to the flood's messages", SEND_WAIT_MS);
      })(),
    );
    const sent = await mallory.messenger.history('victim');
    const stored = sent.filter((m) => m.status === 'delivered').length;
    assert.ok(stored >= 1 && stored <= REQUEST_MAX_MESSAGES_PER_SENDER, `${stored} stored`);
    assert.deepEqual(
      sent.map((m) => (m.status === 'failed' ? `failed: ${m.failure}` : m.status)),
      [...Array<string>(stored).fill('delivered'), ...Array<string>(FLOOD_TEXTS - stored).fill('failed: not accepted')],
    );
    const request = victim.messenger.request(mallory.node.peerId);
    assert.equal(request.messages, stored);
    assert.ok(request.bytes <= REQUEST_MAX_BYTES_PER_SENDER, 'within its byte quota');
    const next = await firstEnvelopeBytes(ctx, largest(`flood ${stored}`));
    assert.ok(stored === REQUEST_MAX_MESSAGES_PER_SENDER || request.bytes + next > REQUEST_MAX_BYTES_PER_SENDER, `refused only once one more would not fit (${request.bytes} + ${next})`);
    assert.deepEqual((await victim.messenger.requestMessages(mallory.node.peerId)).map((m) => m.text), sent.slice(0, stored).map((m) => m.text));
    await assertHonestIntact();
  });

  test('Sybils past the quota of senders: the oldest requests go first and whole (the flooder, then the first Sybils); strangers stay within the total', async () => {
    const target = victim.node.addresses()[0]!;
    // One at a time, so that the order they write in is the order of their requests.
    const sybils = await whileHonestSends(runSybils(ctx, target, REQUESTS_MAX_SENDERS + SYBILS_OVER, { concurrency: 1, text: (i) => `sybil ${i} says hello` }));
    assert.deepEqual(sybils.filter((s) => s.status !== 'stored'), [], 'every Sybil got its one text in');
    await eventually(() => victim.messenger.requests().length === REQUESTS_MAX_SENDERS, 'evictions down to the quota of senders');
    const kept = victim.messenger.requests();
    assert.deepEqual(new Set(kept.map((r) => r.peerId)), new Set(sybils.slice(SYBILS_OVER).map((s) => s.peerId)), 'the newest stay');
    assert.ok(kept.reduce((n, r) => n + r.bytes, 0) <= REQUESTS_MAX_TOTAL_BYTES);
    for (const peerId of [mallory.node.peerId, ...sybils.slice(0, SYBILS_OVER).map((s) => s.peerId)]) {
      assert.deepEqual(await victim.store.conversationKeys(peerId), [], 'its messages, index and seen marks are gone');
      assert.equal(await victim.store.getSession(peerId), undefined, 'its session is gone');
    }
    await assertHonestIntact();
  });

  test('Sybils writing at the same time: each first message gets in, and requests never exceed the quota of senders, even for a moment', async () => {
    let most = 0;
    const off = victim.messenger.on('request', () => (most = Math.max(most, victim.messenger.requests().length)));
    const sybils = await whileHonestSends(runSybils(ctx, victim.node.addresses()[0]!, SYBIL_WAVE, { concurrency: SYBIL_WAVE_CONCURRENCY, text: (i) => `wave ${i}` }));
    off();
    await assertHonestIntact();
    assert.deepEqual(sybils.filter((s) => s.status !== 'stored').map((s) => s.status), [], 'every Sybil got its one text in');
    assert.ok(most <= REQUESTS_MAX_SENDERS, `${most} requests held at once`);
  });

  test("Sybils that write through a mailbox without a pass get only the stranger allowance; the honest contact's pass still gets mail in", async () => {
    const mailbox = post.node.addresses()[0]!;
    const target = victim.node.addresses()[0]!;
    // One Sybil past its own allowance of stranger deposits.
    const eager = await Stranger.create(ctx);
    try {
      await eager.startSession(target);
      const answers = await eager.depositTexts(mailbox, victim.node.peerId, MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR + DEPOSITS_OVER, (i) => `let me in ${i}`);
      assert.deepEqual(answers, [...Array<DepositAnswer>(MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR).fill('receipt'), ...Array<DepositAnswer>(DEPOSITS_OVER).fill('refused:depositor-quota')]);
    } finally {
      await eager.stop();
    }
    // Many Sybils with the largest texts: far more than strangers may leave for one recipient.
    const answers: DepositAnswer[] = [];
    for (let s = 0; s < MAILBOX_SYBILS; s++) {
      const sybil = await Stranger.create(ctx);
      try {
        await sybil.startSession(target);
        answers.push(...(await sybil.depositTexts(mailbox, victim.node.peerId, MAILBOX_TEXTS_EACH, (i) => largest(`deposit ${s}.${i}`))));
      } finally {
        await sybil.stop();
      }
      // Never more than the strangers' allowance held at once, whatever the victim's own fetches (every MAILBOX_POLL_INTERVAL_MS) took away meanwhile.
      const now = post.mailbox!.usage();
      assert.ok(now.strangerBytes <= MAILBOX_STRANGER_BYTES_PER_RECIPIENT && now.items <= MAILBOX_STRANGER_ITEMS_PER_RECIPIENT, JSON.stringify(now));
    }
    const taken = answers.filter((a) => a === 'receipt').length;
    assert.ok(taken > 0 && taken < answers.length, `${taken} of ${answers.length} taken`);
    assert.ok(taken * MAX_TEXT_BYTES <= 2 * MAILBOX_STRANGER_BYTES_PER_RECIPIENT, `${taken} taken: at most the allowance, and once more only if the victim fetched it meanwhile`);
    // A deposit after a refusal is taken only when the victim's poll emptied the box in between; every refusal names the strangers' quota.
    assert.deepEqual(new Set(answers.filter((a) => a !== 'receipt')), new Set(['refused:stranger-quota']), 'once the allowance is used, strangers are refused');
    const held = post.mailbox!.usage();

    // The honest contact deposits with the pass the victim gave it: counted against the victim's box, not the strangers'.
    const pass = (await alice.messenger.contact('victim')).pass!;
    const stream = framed(await alice.node.dialProtocol(post.node.peerId, MAILBOX_PROTOCOL), { maxFrameBytes: MAX_MAILBOX_FRAME_BYTES });
    const item = ctx.randomBytes(MAX_TEXT_BYTES);
    await stream.write(
      encodeMailboxFrame({
        type: 'deposit',
        mailboxKey: mailboxKeyOf(ctx.primitives, victim.node.peerId),
        item,
        pass: { recipientKey: signingKeyOfPeerId(victim.node.peerId), expiresAt: pass.expiresAt, signature: fromBase64(pass.signature) },
      }),
    );
    assert.equal(decodeMailboxFrame(await stream.read()).type, 'receipt', 'taken, although strangers are refused');
    await stream.close();
    assert.deepEqual(post.mailbox!.usage(), { ...held, items: held.items + 1, bytes: held.bytes + item.length }, "not from the strangers' allowance");
    await assertHonestIntact();
  });

  test("the victim's store, compacted, grew by no more than the strangers' quota", async () => {
    await victim.close();
    const growth = (await compactedBytes(victimDir)) - compactedAtStart;
    console.log(`# victim store after a full compaction: ${growth} bytes more than at the start (quota ${REQUESTS_MAX_TOTAL_BYTES})`);
    assert.ok(growth <= REQUESTS_MAX_TOTAL_BYTES, `${growth} bytes`);
  });
});

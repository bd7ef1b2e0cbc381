/**
 * The mlswg interoperability vectors (mlswg/mls-implementations, test-vectors/)
 * run through ts-mls: with Sotto's own ciphersuite implementation
 * (src/node/groups/ciphersuite.ts) for the classical reference suite 0x0001,
 * and with ts-mls's @noble provider for every suite it can build here
 * (1, 2, 5, 7), which proves the library works with Sotto's newer @noble
 * releases (package.json `overrides`). The X-Wing suite is in no mlswg file;
 * test/node/groups-hpke.test.ts checks it against @hpke/hybridkem-x-wing.
 * tree-validation also runs the tree-hash cache and parent-hash checks that
 * Sotto's patch of ts-mls changes (docs/GROUPS.md, "Patched ts-mls").
 *
 * The vector files are in test/vectors/mls/ (their source is in its
 * README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCapabilities, defaultCredentialTypes, mlsMessageDecoder, nobleCryptoProvider, type CiphersuiteImpl, type GroupContext, type RatchetTree } from 'ts-mls';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { loadNodePrimitives } from '../../src/crypto/primitives/node-best.ts';
import { groupCiphersuite, REFERENCE_CIPHERSUITE } from '../../src/node/groups/ciphersuite.ts';
import { seededRandom } from '../helpers/context.ts';
import { tsMlsInternal } from '../helpers/ts-mls.ts';

const vectorDir = fileURLToPath(new URL('../vectors/mls/', import.meta.url));

function vectors<T>(file: string): T[] {
  return JSON.parse(readFileSync(join(vectorDir, file), 'utf8')) as T[];
}

/** A module of ts-mls that its package does not export (the vectors test internals). */
const internal = tsMlsInternal;

type Hex = string;
const h = fromHex;

/** The ciphersuite implementations each vector runs with: Sotto's for 0x0001, ts-mls's @noble one for the suites it builds here. */
async function implementations(suite: number): Promise<{ name: string; impl: CiphersuiteImpl }[]> {
  const out: { name: string; impl: CiphersuiteImpl }[] = [];
  if (suite === REFERENCE_CIPHERSUITE) {
    out.push({ name: 'sotto', impl: groupCiphersuite({ primitives: await loadNodePrimitives(), randomBytes: seededRandom('mls-vectors') }, REFERENCE_CIPHERSUITE) });
  }
  if ([1, 2, 5, 7].includes(suite)) out.push({ name: 'ts-mls noble', impl: await nobleCryptoProvider.getCiphersuiteImpl(suite) });
  return out;
}

describe('mlswg test vectors through ts-mls', () => {
  it('tree-math: node width, root, left, right, parent, sibling', async () => {
    const tm = await internal<{
      nodeWidth(n: number): number;
      root(n: number): number;
      left(i: number): number;
      right(i: number): number;
      parent(i: number, n: number): number;
      sibling(i: number, n: number): number;
    }>('treemath');
    const cases = vectors<{ n_leaves: number; n_nodes: number; root: number; left: (number | null)[]; right: (number | null)[]; parent: (number | null)[]; sibling: (number | null)[] }>('tree-math.json');
    for (const t of cases) {
      assert.equal(tm.nodeWidth(t.n_leaves), t.n_nodes);
      assert.equal(tm.root(t.n_leaves), t.root);
      const check = (expected: (number | null)[], f: (i: number) => number): void => {
        expected.forEach((want, i) => {
          if (want === null) assert.throws(() => f(i), `node ${i} of ${t.n_leaves} leaves has none`);
          else assert.equal(f(i), want);
        });
      };
      check(t.left, (i) => tm.left(i));
      check(t.right, (i) => tm.right(i));
      check(t.parent, (i) => tm.parent(i, t.n_leaves));
      check(t.sibling, (i) => tm.sibling(i, t.n_leaves));
    }
  });

  it('crypto-basics: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret, SignWithLabel, EncryptWithLabel', async () => {
    const hash = await internal<{ refhash(label: string, value: Uint8Array, h: CiphersuiteImpl['hash']): Promise<Uint8Array> }>('crypto/hash');
    const kdf = await internal<{
      expandWithLabel(s: Uint8Array, l: string, c: Uint8Array, n: number, k: CiphersuiteImpl['kdf']): Promise<Uint8Array>;
      deriveSecret(s: Uint8Array, l: string, k: CiphersuiteImpl['kdf']): Promise<Uint8Array>;
      deriveTreeSecret(s: Uint8Array, l: string, g: number, n: number, k: CiphersuiteImpl['kdf']): Promise<Uint8Array>;
    }>('crypto/kdf');
    const sig = await internal<{
      signWithLabel(k: Uint8Array, l: string, c: Uint8Array, s: CiphersuiteImpl['signature']): Promise<Uint8Array>;
      verifyWithLabel(p: Uint8Array, l: string, c: Uint8Array, sig: Uint8Array, s: CiphersuiteImpl['signature']): Promise<boolean>;
    }>('crypto/signature');
    type HpkeKeys = Parameters<CiphersuiteImpl['hpke']['open']>[0];
    const hpke = await internal<{
      encryptWithLabel(p: unknown, l: string, c: Uint8Array, pt: Uint8Array, h: CiphersuiteImpl['hpke']): Promise<{ ct: Uint8Array; enc: Uint8Array }>;
      decryptWithLabel(k: HpkeKeys, l: string, c: Uint8Array, enc: Uint8Array, ct: Uint8Array, h: CiphersuiteImpl['hpke']): Promise<Uint8Array>;
    }>('crypto/hpke');
    type Case = {
      cipher_suite: number;
      ref_hash: { label: string; value: Hex; out: Hex };
      expand_with_label: { secret: Hex; label: string; context: Hex; length: number; out: Hex };
      derive_secret: { secret: Hex; label: string; out: Hex };
      derive_tree_secret: { secret: Hex; label: string; generation: number; length: number; out: Hex };
      sign_with_label: { priv: Hex; pub: Hex; content: Hex; label: string; signature: Hex };
      encrypt_with_label: { priv: Hex; pub: Hex; label: string; context: Hex; plaintext: Hex; kem_output: Hex; ciphertext: Hex };
    };
    let ran = 0;
    for (const c of vectors<Case>('crypto-basics.json')) {
      for (const { name, impl } of await implementations(c.cipher_suite)) {
        const at = `suite ${c.cipher_suite}, ${name}`;
        assert.equal(toHex(await hash.refhash(c.ref_hash.label, h(c.ref_hash.value), impl.hash)), c.ref_hash.out, at);
        const e = c.expand_with_label;
        assert.equal(toHex(await kdf.expandWithLabel(h(e.secret), e.label, h(e.context), e.length, impl.kdf)), e.out, at);
        assert.equal(toHex(await kdf.deriveSecret(h(c.derive_secret.secret), c.derive_secret.label, impl.kdf)), c.derive_secret.out, at);
        const t = c.derive_tree_secret;
        assert.equal(toHex(await kdf.deriveTreeSecret(h(t.secret), t.label, t.generation, t.length, impl.kdf)), t.out, at);
        const s = c.sign_with_label;
        assert.ok(await sig.verifyWithLabel(h(s.pub), s.label, h(s.content), h(s.signature), impl.signature), at);
        const mine = await sig.signWithLabel(h(s.priv), s.label, h(s.content), impl.signature);
        assert.ok(await sig.verifyWithLabel(h(s.pub), s.label, h(s.content), mine, impl.signature), at);
        const x = c.encrypt_with_label;
        const priv = await impl.hpke.importPrivateKey(h(x.priv));
        assert.equal(toHex(await hpke.decryptWithLabel(priv, x.label, h(x.context), h(x.kem_output), h(x.ciphertext), impl.hpke)), x.plaintext, at);
        const again = await hpke.encryptWithLabel(await impl.hpke.importPublicKey(h(x.pub)), x.label, h(x.context), h(x.plaintext), impl.hpke);
        assert.equal(toHex(await hpke.decryptWithLabel(priv, x.label, h(x.context), again.enc, again.ct, impl.hpke)), x.plaintext, at);
        ran++;
      }
    }
    assert.ok(ran >= 5, `ran ${ran} suite/implementation pairs`);
  });

  it('key-schedule: every epoch secret, the external public key and the exporter', async () => {
    const ks = await internal<{
      initializeEpoch(init: Uint8Array, commit: Uint8Array, gc: GroupContext, psk: Uint8Array, kdf: CiphersuiteImpl['kdf']): Promise<{
        keySchedule: Record<string, Uint8Array>;
        joinerSecret: Uint8Array;
        welcomeSecret: Uint8Array;
        encryptionSecret: Uint8Array;
      }>;
      mlsExporter(secret: Uint8Array, label: string, context: Uint8Array, length: number, cs: CiphersuiteImpl): Promise<Uint8Array>;
    }>('keySchedule');
    const { groupContextEncoder } = await internal<{ groupContextEncoder: (gc: GroupContext) => Uint8Array }>('groupContext');
    const { encode } = await internal<{ encode<T>(e: (v: T) => Uint8Array, v: T): Uint8Array }>('codec/tlsEncoder');
    type Epoch = Record<string, Hex> & { exporter: { label: string; context: Hex; length: number; secret: Hex } };
    let ran = 0;
    for (const c of vectors<{ cipher_suite: number; group_id: Hex; initial_init_secret: Hex; epochs: Epoch[] }>('key-schedule.json')) {
      for (const { name, impl } of await implementations(c.cipher_suite)) {
        let init = h(c.initial_init_secret);
        for (const [index, epoch] of c.epochs.entries()) {
          const at = `suite ${c.cipher_suite}, ${name}, epoch ${index}`;
          const gc = { version: 1, cipherSuite: c.cipher_suite, groupId: h(c.group_id), epoch: BigInt(index), treeHash: h(epoch.tree_hash!), confirmedTranscriptHash: h(epoch.confirmed_transcript_hash!), extensions: [] } as unknown as GroupContext;
          assert.equal(toHex(encode(groupContextEncoder, gc)), epoch.group_context, at);
          const out = await ks.initializeEpoch(init, h(epoch.commit_secret!), gc, h(epoch.psk_secret!), impl.kdf);
          assert.equal(toHex(out.joinerSecret), epoch.joiner_secret, at);
          assert.equal(toHex(out.welcomeSecret), epoch.welcome_secret, at);
          assert.equal(toHex(out.encryptionSecret), epoch.encryption_secret, at);
          const fields: [string, string][] = [
            ['initSecret', 'init_secret'],
            ['senderDataSecret', 'sender_data_secret'],
            ['exporterSecret', 'exporter_secret'],
            ['externalSecret', 'external_secret'],
            ['confirmationKey', 'confirmation_key'],
            ['membershipKey', 'membership_key'],
            ['resumptionPsk', 'resumption_psk'],
            ['epochAuthenticator', 'epoch_authenticator'],
          ];
          for (const [mine, theirs] of fields) assert.equal(toHex(out.keySchedule[mine]!), epoch[theirs], `${at}: ${theirs}`);
          const { publicKey } = await impl.hpke.deriveKeyPair(out.keySchedule.externalSecret!);
          assert.equal(toHex(await impl.hpke.exportPublicKey(publicKey)), epoch.external_pub, at);
          const x = epoch.exporter;
          assert.equal(toHex(await ks.mlsExporter(out.keySchedule.exporterSecret!, x.label, h(x.context), x.length, impl)), x.secret, at);
          init = out.keySchedule.initSecret!;
        }
        ran++;
      }
    }
    assert.ok(ran >= 5, `ran ${ran} suite/implementation pairs`);
  });

  it('secret-tree: sender data key and nonce, handshake and application ratchets of every leaf', async () => {
    const sender = await internal<{
      expandSenderDataKey(cs: CiphersuiteImpl, s: Uint8Array, ct: Uint8Array): Promise<Uint8Array>;
      expandSenderDataNonce(cs: CiphersuiteImpl, s: Uint8Array, ct: Uint8Array): Promise<Uint8Array>;
    }>('sender');
    type Step = { generation: number; key: Uint8Array; nonce: Uint8Array; newTree: unknown };
    const st = await internal<{
      createSecretTree(width: number, secret: Uint8Array): unknown;
      ratchetToGeneration(tree: unknown, senderData: unknown, contentType: number, config: unknown, cs: CiphersuiteImpl): Promise<Step>;
    }>('secretTree');
    const { defaultKeyRetentionConfig } = await import('ts-mls');
    const APPLICATION = 1;
    const COMMIT = 3;
    type Leaf = { generation: number; handshake_key: Hex; handshake_nonce: Hex; application_key: Hex; application_nonce: Hex };
    type Case = { cipher_suite: number; encryption_secret: Hex; sender_data: { sender_data_secret: Hex; ciphertext: Hex; key: Hex; nonce: Hex }; leaves: Leaf[][] };
    let ran = 0;
    for (const c of vectors<Case>('secret-tree.json')) {
      for (const { name, impl } of await implementations(c.cipher_suite)) {
        const at = `suite ${c.cipher_suite}, ${name}`;
        const sd = c.sender_data;
        assert.equal(toHex(await sender.expandSenderDataKey(impl, h(sd.sender_data_secret), h(sd.ciphertext))), sd.key, at);
        assert.equal(toHex(await sender.expandSenderDataNonce(impl, h(sd.sender_data_secret), h(sd.ciphertext))), sd.nonce, at);
        let tree = st.createSecretTree(c.leaves.length, h(c.encryption_secret));
        for (const [leafIndex, steps] of c.leaves.entries()) {
          for (const step of steps) {
            const senderData = { leafIndex, generation: step.generation, reuseGuard: new Uint8Array(4) };
            const app = await st.ratchetToGeneration(tree, senderData, APPLICATION, defaultKeyRetentionConfig, impl);
            assert.equal(toHex(app.key), step.application_key, at);
            assert.equal(toHex(app.nonce), step.application_nonce, at);
            const hs = await st.ratchetToGeneration(app.newTree, senderData, COMMIT, defaultKeyRetentionConfig, impl);
            assert.equal(toHex(hs.key), step.handshake_key, at);
            assert.equal(toHex(hs.nonce), step.handshake_nonce, at);
            tree = hs.newTree;
          }
        }
        ran++;
      }
    }
    assert.ok(ran >= 15, `ran ${ran} suite/implementation pairs`);
  });

  it('message-protection: the private and public proposal, commit and application messages open to the given content', async () => {
    const { unprotectPrivateMessage } = await internal<{
      unprotectPrivateMessage(sds: Uint8Array, msg: unknown, tree: unknown, rt: RatchetTree, gc: GroupContext, config: unknown, cs: CiphersuiteImpl, sigKey?: Uint8Array): Promise<{ content: { content: Record<string, unknown> } }>;
    }>('messageProtection');
    const { unprotectPublicMessage } = await internal<{
      unprotectPublicMessage(mk: Uint8Array, gc: GroupContext, rt: RatchetTree, msg: unknown, cs: CiphersuiteImpl, sigKey?: Uint8Array): Promise<{ content: Record<string, unknown> }>;
    }>('messageProtectionPublic');
    const { createSecretTree } = await internal<{ createSecretTree(width: number, secret: Uint8Array): unknown }>('secretTree');
    const { proposalEncoder } = await internal<{ proposalEncoder: (p: unknown) => Uint8Array }>('proposal');
    const { commitEncoder } = await internal<{ commitEncoder: (p: unknown) => Uint8Array }>('commit');
    const { encode } = await internal<{ encode<T>(e: (v: T) => Uint8Array, v: T): Uint8Array }>('codec/tlsEncoder');
    const { defaultKeyRetentionConfig } = await import('ts-mls');
    // The vectors' sender is leaf 1: a tree with a (content-free) leaf there.
    const leaf = { leafNodeSource: 3, hpkePublicKey: new Uint8Array(), signaturePublicKey: new Uint8Array(), capabilities: defaultCapabilities(), parentHash: new Uint8Array(), extensions: [], signature: new Uint8Array(), credential: { credentialType: defaultCredentialTypes.basic, identity: new Uint8Array() } };
    const tree = [undefined, undefined, { nodeType: 1, leaf }] as unknown as RatchetTree;
    type Case = Record<string, Hex> & { cipher_suite: number; epoch: number };
    let ran = 0;
    for (const c of vectors<Case>('message-protection.json')) {
      for (const { name, impl } of await implementations(c.cipher_suite)) {
        const at = `suite ${c.cipher_suite}, ${name}`;
        const gc = { version: 1, cipherSuite: c.cipher_suite, groupId: h(c.group_id!), epoch: BigInt(c.epoch), treeHash: h(c.tree_hash!), confirmedTranscriptHash: h(c.confirmed_transcript_hash!), extensions: [] } as unknown as GroupContext;
        const decoded = (hex: Hex): Record<string, unknown> => {
          const m = mlsMessageDecoder(h(hex), 0);
          assert.ok(m, at);
          return m[0] as unknown as Record<string, unknown>;
        };
        const open = async (hex: Hex): Promise<Record<string, unknown>> =>
          (await unprotectPrivateMessage(h(c.sender_data_secret!), decoded(hex).privateMessage, createSecretTree(2, h(c.encryption_secret!)), tree, gc, defaultKeyRetentionConfig, impl, h(c.signature_pub!))).content.content;
        const verify = async (hex: Hex): Promise<Record<string, unknown>> =>
          (await unprotectPublicMessage(h(c.membership_key!), gc, tree, decoded(hex).publicMessage, impl, h(c.signature_pub!))).content;
        assert.equal(toHex((await open(c.application_priv!)).applicationData as Uint8Array), c.application, at);
        assert.equal(toHex(encode(proposalEncoder, (await open(c.proposal_priv!)).proposal)), c.proposal, at);
        assert.equal(toHex(encode(commitEncoder, (await open(c.commit_priv!)).commit)), c.commit, at);
        assert.equal(toHex(encode(proposalEncoder, (await verify(c.proposal_pub!)).proposal)), c.proposal, at);
        assert.equal(toHex(encode(commitEncoder, (await verify(c.commit_pub!)).commit)), c.commit, at);
        ran++;
      }
    }
    assert.ok(ran >= 5, `ran ${ran} suite/implementation pairs`);
  });

  it('welcome: the joiner decrypts the group secrets and the GroupInfo, whose confirmation tag and signature verify', async () => {
    const welcome = await internal<{
      decryptGroupSecrets(k: unknown, ref: Uint8Array, w: unknown, hpke: CiphersuiteImpl['hpke']): Promise<{ joinerSecret: Uint8Array } | undefined>;
      decryptGroupInfo(w: unknown, joiner: Uint8Array, psk: Uint8Array, cs: CiphersuiteImpl): Promise<unknown>;
    }>('welcome');
    const gi = await internal<{
      verifyGroupInfoConfirmationTag(gi: unknown, joiner: Uint8Array, psk: Uint8Array, cs: CiphersuiteImpl): Promise<boolean>;
      verifyGroupInfoSignature(gi: unknown, pub: Uint8Array, s: CiphersuiteImpl['signature']): Promise<boolean>;
    }>('groupInfo');
    const { makeKeyPackageRef } = await import('ts-mls');
    let ran = 0;
    for (const c of vectors<{ cipher_suite: number; init_priv: Hex; key_package: Hex; signer_pub: Hex; welcome: Hex }>('welcome.json')) {
      for (const { name, impl } of await implementations(c.cipher_suite)) {
        const at = `suite ${c.cipher_suite}, ${name}`;
        const w = mlsMessageDecoder(h(c.welcome), 0)?.[0] as unknown as { welcome: unknown };
        const kp = mlsMessageDecoder(h(c.key_package), 0)?.[0] as unknown as { keyPackage: Parameters<typeof makeKeyPackageRef>[0] };
        const ref = await makeKeyPackageRef(kp.keyPackage, impl.hash);
        const secrets = await welcome.decryptGroupSecrets(await impl.hpke.importPrivateKey(h(c.init_priv)), ref, w.welcome, impl.hpke);
        assert.ok(secrets, at);
        const psk = new Uint8Array(impl.kdf.size);
        const info = await welcome.decryptGroupInfo(w.welcome, secrets.joinerSecret, psk, impl);
        assert.ok(info, at);
        assert.ok(await gi.verifyGroupInfoConfirmationTag(info, secrets.joinerSecret, psk, impl), at);
        assert.ok(await gi.verifyGroupInfoSignature(info, h(c.signer_pub), impl.signature), at);
        ran++;
      }
    }
    assert.ok(ran >= 5, `ran ${ran} suite/implementation pairs`);
  });

  it('tree-operations: add, update and remove give the expected tree and tree hash', async () => {
    const rt = await internal<{
      ratchetTreeDecoder(b: Uint8Array, offset: number): [RatchetTree, number] | undefined;
      ratchetTreeEncoder: (t: RatchetTree) => Uint8Array;
      addLeafNodeMutable(t: RatchetTree, leaf: unknown): number;
      updateLeafNodeMutable(t: RatchetTree, leaf: unknown, index: number): void;
      removeLeafNodeMutable(t: RatchetTree, index: number): void;
    }>('ratchetTree');
    const { treeHashRoot } = await internal<{ treeHashRoot(t: RatchetTree, h: CiphersuiteImpl['hash']): Promise<Uint8Array> }>('treeHash');
    const { proposalDecoder } = await internal<{ proposalDecoder(b: Uint8Array, offset: number): [Record<string, unknown> & { proposalType: number }, number] | undefined }>('proposal');
    const { encode } = await internal<{ encode<T>(e: (v: T) => Uint8Array, v: T): Uint8Array }>('codec/tlsEncoder');
    const ADD = 1;
    const UPDATE = 2;
    const REMOVE = 3;
    let ran = 0;
    for (const c of vectors<{ cipher_suite: number; tree_before: Hex; tree_after: Hex; tree_hash_before: Hex; tree_hash_after: Hex; proposal: Hex; proposal_sender: number }>('tree-operations.json')) {
      for (const { name, impl } of await implementations(c.cipher_suite)) {
        const at = `suite ${c.cipher_suite}, ${name}`;
        const tree = rt.ratchetTreeDecoder(h(c.tree_before), 0)![0].slice();
        assert.equal(toHex(await treeHashRoot(tree, impl.hash)), c.tree_hash_before, at);
        const proposal = proposalDecoder(h(c.proposal), 0)![0];
        if (proposal.proposalType === ADD) rt.addLeafNodeMutable(tree, (proposal.add as { keyPackage: { leafNode: unknown } }).keyPackage.leafNode);
        else if (proposal.proposalType === UPDATE) rt.updateLeafNodeMutable(tree, (proposal.update as { leafNode: unknown }).leafNode, c.proposal_sender);
        else if (proposal.proposalType === REMOVE) rt.removeLeafNodeMutable(tree, (proposal.remove as { removed: number }).removed);
        else assert.fail(`${at}: unexpected proposal type ${proposal.proposalType}`);
        assert.equal(toHex(encode(rt.ratchetTreeEncoder, tree)), c.tree_after, at);
        assert.equal(toHex(await treeHashRoot(tree, impl.hash)), c.tree_hash_after, at);
        ran++;
      }
    }
    assert.ok(ran >= 5, `ran ${ran} suite/implementation pairs`);
  });

  it('tree-validation: subtree hashes with and without the tree-hash cache, parent hashes verified, a changed parent hash refused', async () => {
    const rt = await internal<{ ratchetTreeDecoder(b: Uint8Array, offset: number): [RatchetTree, number] | undefined }>('ratchetTree');
    const th = await internal<{
      treeHash(t: RatchetTree, node: number, h: CiphersuiteImpl['hash'], cache?: (Uint8Array | undefined)[]): Promise<Uint8Array>;
      treeHashRoot(t: RatchetTree, h: CiphersuiteImpl['hash'], cache?: (Uint8Array | undefined)[]): Promise<Uint8Array>;
    }>('treeHash');
    const { verifyParentHashes } = await internal<{ verifyParentHashes(t: RatchetTree, h: CiphersuiteImpl['hash'], cache: (Uint8Array | undefined)[]): Promise<boolean> }>('parentHash');
    let ran = 0;
    let tampered = 0;
    for (const c of vectors<{ cipher_suite: number; tree: Hex; tree_hashes: Hex[] }>('tree-validation.json')) {
      for (const { name, impl } of await implementations(c.cipher_suite)) {
        const at = `suite ${c.cipher_suite}, ${name}, ${c.tree_hashes.length} nodes`;
        const tree = rt.ratchetTreeDecoder(h(c.tree), 0)![0];
        for (const [node, want] of c.tree_hashes.entries()) assert.equal(toHex(await th.treeHash(tree, node, impl.hash)), want, `${at}: node ${node}`);
        const cache: (Uint8Array | undefined)[] = [];
        assert.equal(toHex(await th.treeHashRoot(tree, impl.hash, cache)), c.tree_hashes[(c.tree_hashes.length - 1) / 2], `${at}: root through the cache`);
        assert.deepEqual(cache.map((v) => (v === undefined ? undefined : toHex(v))), c.tree_hashes, `${at}: every node cached with its hash`);
        assert.equal(await verifyParentHashes(tree, impl.hash, []), true, `${at}: parent hashes`);
        assert.equal(await verifyParentHashes(tree, impl.hash, cache), true, `${at}: parent hashes through a filled cache`);
        const parent = tree.findIndex((n) => n?.nodeType === 2 && n.parent.parentHash.length > 0);
        if (parent >= 0) {
          const node = tree[parent] as Extract<RatchetTree[number], { nodeType: 2 }>;
          const changed = tree.slice();
          changed[parent] = { ...node, parent: { ...node.parent, parentHash: node.parent.parentHash.map((b, i) => (i === 0 ? b ^ 1 : b)) } };
          assert.equal(await verifyParentHashes(changed, impl.hash, []), false, `${at}: a changed parent hash at node ${parent}`);
          tampered++;
        }
        ran++;
      }
    }
    assert.ok(ran >= 20 && tampered >= 10, `ran ${ran} trees, ${tampered} with a changed parent hash`);
  });
});

/**
 * Bundle records in a real private DHT (in-process libp2p nodes on
 * loopback): a valid record is found by any node; a forged record (another
 * identity's bundle filed under a victim's key) and a stale one are refused
 * by every node, and never returned.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { createPrekeyState, issueBundle } from '../../src/crypto/prekeys.ts';
import { bundleRecordDhtHooks, bundleRecordKey, encodeBundleRecord, validateBundleRecord } from '../../src/node/bundles/bundle-record.ts';
import { BUNDLE_RECORD_MAX_AGE_MS } from '../../src/node/constants.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';

const nodes: SottoNode[] = [];
after(async () => {
  for (const node of nodes) await node.stop().catch(() => {});
});

const NODES = 6;
/** Longest wait for every routing table to hold a peer. */
const ROUTING_WAIT_MS = 30_000;

test('a forged or stale bundle record is refused by every DHT node; the valid one is found', { timeout: 90_000 }, async () => {
  const ctx = await nodeCryptoContext(() => Date.now());
  const hooks = bundleRecordDhtHooks(ctx);
  const identities = [];
  for (let i = 0; i < NODES; i++) {
    const identity = await generateIdentity(ctx);
    identities.push(identity);
    const bootstrap = nodes.slice(-2).map((n) => n.addresses()[0]!);
    nodes.push(await createNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, dhtValidators: hooks.validators, dhtSelectors: hooks.selectors }));
  }
  // Routing tables fill after start (identify, then the DHT's own queries): wait until each node knows another.
  const tableSize = (node: SottoNode): number => (node.libp2p.services.dht as { routingTable?: { size: number } }).routingTable?.size ?? 0;
  for (let waited = 0; nodes.some((n) => tableSize(n) < 1); waited += 100) {
    assert.ok(waited < ROUTING_WAIT_MS, `routing tables still empty after ${ROUTING_WAIT_MS} ms: ${nodes.map(tableSize).join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const [victim, forger, reader] = [identities[0]!, identities[1]!, nodes[NODES - 1]!];
  const victimId = nodes[0]!.peerId;
  const key = bundleRecordKey(victimId);
  const bundleOf = async (identity: typeof victim) => issueBundle(ctx, identity, await createPrekeyState(ctx, identity, { oneTimePrekeys: 0 }), { oneTime: false }).bundle;

  // The forger files its own bundle under the victim's key, and a stale copy of the victim's.
  const forged = await encodeBundleRecord(ctx, forger, await bundleOf(forger), ctx.now());
  const stale = await encodeBundleRecord(ctx, victim, await bundleOf(victim), ctx.now() - BUNDLE_RECORD_MAX_AGE_MS - 60_000);
  const forgerNet = libp2pNetwork(nodes[1]!);
  assert.equal(await forgerNet.putRecord(key, forged, { signal: AbortSignal.timeout(20_000) }).catch(() => 0), 0, 'no node stores a forged record');
  assert.equal(await forgerNet.putRecord(key, stale, { signal: AbortSignal.timeout(20_000) }).catch(() => 0), 0, 'no node stores a stale record');
  assert.deepEqual(await libp2pNetwork(reader).getRecords(key, { signal: AbortSignal.timeout(20_000) }), []);

  // The victim publishes a valid record: any node finds it, and it validates.
  const valid = await encodeBundleRecord(ctx, victim, await bundleOf(victim), ctx.now());
  assert.ok((await libp2pNetwork(nodes[0]!).putRecord(key, valid, { signal: AbortSignal.timeout(20_000) })) > 0);
  const found = await libp2pNetwork(reader).getRecords(key, { signal: AbortSignal.timeout(20_000) });
  assert.ok(found.length > 0);
  // Bytes compared as bytes: a value read from the network may come as a Buffer, one from the local store as a Uint8Array.
  for (const value of found) assert.deepEqual(new Uint8Array(value), valid);
  await validateBundleRecord(ctx, key, found[0]!, ctx.now());
});

/**
 * An older valid record never replaces a newer one (src/node/transport/
 * dht-records.ts): the datastore guard on its own (a map-backed datastore,
 * bundle records signed at two times), then real kad-dht nodes on loopback
 * where a hostile peer PUTs the older record straight to every node.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Record as DhtRecord, type KadDHTComponents } from '@libp2p/kad-dht';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { createPrekeyState, issueBundle } from '../../src/crypto/prekeys.ts';
import { bundleRecordDhtHooks, bundleRecordKey, encodeBundleRecord } from '../../src/node/bundles/bundle-record.ts';
import { DHT_DATASTORE_PREFIX, monotonicRecordDatastore } from '../../src/node/transport/dht-records.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { testContext, type TestClock } from '../helpers/context.ts';
import { putValueTo, storedValueOf } from '../helpers/kad-wire.ts';

type Datastore = KadDHTComponents['datastore'];
const HOUR = 60 * 60 * 1000;

const ctx = testContext('dht-records');
const clock: TestClock = ctx.clock;
const hooks = bundleRecordDhtHooks(ctx);

async function recordAt(identity: IdentityKeyPair, publishedAt: number): Promise<Uint8Array> {
  const bundle = issueBundle(ctx, identity, await createPrekeyState(ctx, identity, { oneTimePrekeys: 0 }), { oneTime: false }).bundle;
  return encodeBundleRecord(ctx, identity, bundle, publishedAt);
}

/** A datastore over a Map, keyed by the key's text; NotFoundError like every libp2p datastore. */
function mapDatastore(): { store: Datastore; entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  const store = {
    put: async (key: { toString(): string }, value: Uint8Array) => {
      entries.set(key.toString(), value);
      return key;
    },
    get: async (key: { toString(): string }) => {
      const value = entries.get(key.toString());
      if (value === undefined) throw Object.assign(new Error('not found'), { name: 'NotFoundError' });
      return value;
    },
  };
  return { store: store as unknown as Datastore, entries };
}

describe('the DHT datastore guard', async () => {
  const owner = await generateIdentity(ctx);
  const key = bundleRecordKey(peerIdOfIdentity(owner.public));
  const dsKey = { toString: () => `${DHT_DATASTORE_PREFIX}/record/owner` } as unknown as Parameters<Datastore['put']>[0];
  const wrap = (value: Uint8Array): Uint8Array => new DhtRecord(key, value, new Date(0)).serialize();
  const older = await recordAt(owner, clock.now() - 2 * HOUR);
  const newer = await recordAt(owner, clock.now() - HOUR);

  test('a newer record replaces an older one; the same record is stored again', async () => {
    const { store, entries } = mapDatastore();
    const guarded = monotonicRecordDatastore(store, { prefix: DHT_DATASTORE_PREFIX, ...hooks });
    await guarded.put(dsKey, wrap(older));
    await guarded.put(dsKey, wrap(newer));
    assert.deepEqual(DhtRecord.deserialize(entries.get(dsKey.toString())!).value, newer);
    const again = new DhtRecord(key, newer, new Date(1)).serialize();
    await guarded.put(dsKey, again);
    assert.deepEqual(entries.get(dsKey.toString()), again, 'a republished record refreshes the stored copy');
  });

  test('an older record is refused with OlderDhtRecordError and the stored bytes stay', async () => {
    const { store, entries } = mapDatastore();
    const guarded = monotonicRecordDatastore(store, { prefix: DHT_DATASTORE_PREFIX, ...hooks });
    await guarded.put(dsKey, wrap(newer));
    const before = entries.get(dsKey.toString());
    await assert.rejects(Promise.resolve(guarded.put(dsKey, wrap(older))), { name: 'OlderDhtRecordError', namespace: 'sotto-bundle' });
    assert.equal(entries.get(dsKey.toString()), before);
  });

  test('a stored record that no longer validates does not block one the selector ranks lower', async () => {
    // A namespace of its own: byte 0 says whether a value is still valid, byte 1 is its rank.
    const custom = {
      validators: { t: (_key: Uint8Array, value: Uint8Array) => { if (value[0] !== 1) throw new Error('expired'); } },
      selectors: { t: (_key: Uint8Array, values: Uint8Array[]) => (values[1]![1]! > values[0]![1]! ? 1 : 0) },
    };
    const tKey = new TextEncoder().encode('/t/x');
    const { store, entries } = mapDatastore();
    const guarded = monotonicRecordDatastore(store, { prefix: DHT_DATASTORE_PREFIX, ...custom });
    await guarded.put(dsKey, new DhtRecord(tKey, Uint8Array.of(1, 9), new Date(0)).serialize());
    await assert.rejects(Promise.resolve(guarded.put(dsKey, new DhtRecord(tKey, Uint8Array.of(1, 5), new Date(0)).serialize())), { name: 'OlderDhtRecordError', namespace: 't' });
    await guarded.put(dsKey, new DhtRecord(tKey, Uint8Array.of(0, 9), new Date(0)).serialize()); // the stored one, expired since
    await guarded.put(dsKey, new DhtRecord(tKey, Uint8Array.of(1, 5), new Date(0)).serialize());
    assert.deepEqual(DhtRecord.deserialize(entries.get(dsKey.toString())!).value, Uint8Array.of(1, 5));
  });

  test('racing puts of an older and a newer record end with the newer, in either order', async () => {
    for (const order of [[older, newer], [newer, older]]) {
      const { store, entries } = mapDatastore();
      const guarded = monotonicRecordDatastore(store, { prefix: DHT_DATASTORE_PREFIX, ...hooks });
      await Promise.allSettled(order.map((value) => guarded.put(dsKey, wrap(value))));
      assert.deepEqual(DhtRecord.deserialize(entries.get(dsKey.toString())!).value, newer);
    }
  });

  test('keys outside the record space and namespaces without a selector pass through', async () => {
    const { store, entries } = mapDatastore();
    const guarded = monotonicRecordDatastore(store, { prefix: DHT_DATASTORE_PREFIX, ...hooks });
    const provider = { toString: () => `${DHT_DATASTORE_PREFIX}/provider/x` } as unknown as Parameters<Datastore['put']>[0];
    await guarded.put(provider, Uint8Array.of(1));
    await guarded.put(provider, Uint8Array.of(2));
    assert.deepEqual(entries.get(provider.toString()), Uint8Array.of(2));
    const other = new TextEncoder().encode('/other/x');
    await guarded.put(dsKey, new DhtRecord(other, Uint8Array.of(2), new Date(0)).serialize());
    await guarded.put(dsKey, new DhtRecord(other, Uint8Array.of(1), new Date(0)).serialize());
    assert.deepEqual(DhtRecord.deserialize(entries.get(dsKey.toString())!).value, Uint8Array.of(1));
  });
});

describe('real kad-dht nodes on loopback', () => {
  const NODES = 5;
  const nodes: SottoNode[] = [];
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
  });

  test('after the owner published a newer record, a hostile peer PUTting the older one to every node changes nothing', { timeout: 60_000 }, async () => {
    const identities: IdentityKeyPair[] = [];
    for (let i = 0; i <= NODES; i++) {
      const identity = await generateIdentity(testContext(`dht-records-node-${i}`));
      identities.push(identity);
      const bootstrap = nodes.slice(-2).map((n) => n.addresses()[0]!);
      nodes.push(await createNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, dhtValidators: hooks.validators, dhtSelectors: hooks.selectors }));
    }
    const hostile = nodes.at(-1)!; // a DHT node too, speaking raw PUT_VALUE / GET_VALUE
    const honest = nodes.slice(0, -1);
    const [owner] = honest as [SottoNode];
    const key = bundleRecordKey(owner.peerId);
    // The hostile peer kept the owner's earlier record; the owner has published since.
    const older = await recordAt(identities[0]!, clock.now() - 2 * HOUR);
    const newer = await recordAt(identities[0]!, clock.now() - HOUR);
    for (const n of honest) await hostile.connect(n.addresses()[0]!);

    await libp2pNetwork(owner).putRecord(key, newer, { signal: AbortSignal.timeout(20_000) });
    // Whatever the owner's put reached, every node holds the newer record from here on
    // (an honest peer re-publishing it: accepted everywhere, the owner included).
    for (const n of honest) assert.equal(await putValueTo(hostile, n.peerId, key, newer), true, `${n.peerId} takes the newer record`);

    for (const n of honest) assert.equal(await putValueTo(hostile, n.peerId, key, older), false, `${n.peerId} refuses the older record`);
    for (const n of honest) assert.deepEqual(await storedValueOf(hostile, n.peerId, key), newer, `${n.peerId} still holds the newer record`);

    // The owner's own put of the older record fails the same way, before anything is sent.
    await assert.rejects(libp2pNetwork(owner).putRecord(key, older, { signal: AbortSignal.timeout(20_000) }), { name: 'OlderDhtRecordError' });
    assert.deepEqual(await storedValueOf(hostile, owner.peerId, key), newer);
    for (const value of await libp2pNetwork(owner).getRecords(key, { signal: AbortSignal.timeout(20_000) })) assert.deepEqual(Uint8Array.from(value), newer);
  });
});

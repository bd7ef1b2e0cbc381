/**
 * DHT records that only move forward. @libp2p/kad-dht 16.4.5 runs a
 * namespace's validator before it stores a record, but never its selector:
 * its PUT_VALUE handler (rpc/handlers/put-value.js) and its own `put`
 * (content-fetching) write straight to the datastore. So any peer holding an
 * older valid record (a bundle record it saw a month ago) could PUT it to
 * every node, the owner's included, and each would replace the newer one.
 *
 * {@link guardDhtRecords} wraps the DHT's factory so that it sees a datastore
 * whose `put` of a record first compares it with the record already stored
 * under that key, through the namespace's selector: a record the selector
 * ranks below the stored one is refused with {@link OlderDhtRecordError}
 * (kad-dht then aborts the PUT_VALUE stream, and a local `put` rejects),
 * unless the stored one no longer passes its validator (an expired record
 * never blocks a fresh one). Every write path of kad-dht goes through the
 * datastore, so this holds for remote PUTs, corrections sent after a `get`,
 * and the node's own publications alike.
 */
import { Record as DhtRecord, type KadDHT, type KadDHTComponents, type Selectors, type Validators } from '@libp2p/kad-dht';
import { logger } from '@libp2p/logger';
import { equalBytes } from '../../crypto/bytes.ts';
import { LOG_PREFIX } from '../constants.ts';
import { OlderDhtRecordError } from '../errors.ts';

const log = logger(`${LOG_PREFIX}:dht-records`);

/**
 * Where kad-dht keeps data in the libp2p datastore (its `datastorePrefix`;
 * createNode passes it explicitly so that the guard and the DHT agree).
 * Records live under `<prefix>/record/<base32 of the record key>`.
 */
export const DHT_DATASTORE_PREFIX = '/dht';

/** The datastore as kad-dht sees it. */
type Datastore = KadDHTComponents['datastore'];
type DatastoreKey = Parameters<Datastore['put']>[0];

/** The namespace of a DHT record key `/<namespace>/<rest>`, as kad-dht reads it. */
function namespaceOf(key: Uint8Array): string | undefined {
  const parts = new TextDecoder().decode(key).split('/');
  return parts.length < 3 ? undefined : parts[1];
}

/**
 * A view of `datastore` whose `put` of a DHT record (a key under
 * `<prefix>/record/`) refuses, with {@link OlderDhtRecordError}, a record
 * that its namespace's selector ranks below the valid record already stored.
 * The two are offered to the selector as [incoming, stored], so a tie (and
 * the same record again, which refreshes kad-dht's receive time) replaces.
 * Puts of one key run one after another, so two racing PUTs cannot both
 * pass the comparison. Namespaces without a selector, and everything that is
 * not a record, pass through unchanged.
 */
export function monotonicRecordDatastore(datastore: Datastore, hooks: { prefix: string; validators: Validators; selectors: Selectors }): Datastore {
  const recordPrefix = `${hooks.prefix}/record/`;
  const queues = new Map<string, Promise<unknown>>();

  const check = async (key: DatastoreKey, value: Uint8Array): Promise<void> => {
    const incoming = DhtRecord.deserialize(value);
    const namespace = namespaceOf(incoming.key);
    const select = namespace === undefined ? undefined : hooks.selectors[namespace];
    if (namespace === undefined || select === undefined) return;
    let stored: InstanceType<typeof DhtRecord>;
    try {
      stored = DhtRecord.deserialize(await datastore.get(key));
    } catch {
      return; // nothing stored (NotFoundError), or nothing readable: the new record goes in
    }
    if (equalBytes(stored.value, incoming.value)) return;
    if ((await select(incoming.key, [incoming.value, stored.value])) !== 1) return;
    try {
      await hooks.validators[namespace]?.(stored.key, stored.value);
    } catch {
      return; // the stored record expired (or no longer validates): replace it
    }
    log('refused an older %s record', namespace);
    throw new OlderDhtRecordError(namespace);
  };

  const put = (key: DatastoreKey, value: Uint8Array, options?: Parameters<Datastore['put']>[2]): ReturnType<Datastore['put']> => {
    const name = key.toString();
    if (!name.startsWith(recordPrefix)) return datastore.put(key, value, options);
    const previous = queues.get(name) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(async () => {
      await check(key, value);
      return datastore.put(key, value, options);
    });
    const settled = run.catch(() => {});
    queues.set(name, settled);
    void settled.then(() => {
      if (queues.get(name) === settled) queues.delete(name);
    });
    return run;
  };

  return new Proxy(datastore, {
    get(target, prop) {
      if (prop === 'put') return put;
      const member: unknown = Reflect.get(target, prop, target);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
    },
  });
}

/**
 * Wraps kad-dht's service factory so that the DHT stores records through
 * {@link monotonicRecordDatastore} (the rest of libp2p keeps the plain
 * datastore). `hooks` must be the validators and selectors given to the DHT.
 */
export function guardDhtRecords(
  factory: (components: KadDHTComponents) => KadDHT,
  hooks: { validators: Validators; selectors: Selectors },
): (components: KadDHTComponents) => KadDHT {
  return (components) => {
    const datastore = monotonicRecordDatastore(components.datastore, { prefix: DHT_DATASTORE_PREFIX, ...hooks });
    // libp2p's components are a Proxy that looks services up by name on each
    // access; this one answers `datastore` and asks it for everything else.
    const view = new Proxy(components, {
      get: (target, prop) => (prop === 'datastore' ? datastore : Reflect.get(target, prop)),
    });
    return factory(view);
  };
}

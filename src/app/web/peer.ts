/**
 * A full Sotto peer in a web page: the identity and everything else in
 * IndexedDB (browser-level) under the same encryption at rest as a desktop
 * home, the same messenger, and a libp2p node that dials the desktop node
 * that served the page (WebSockets), reserves a relay slot on it and listens
 * for WebRTC through it, so other browsers and desktop nodes reach this one
 * directly; when the browser cannot open WebRTC connections at all
 * (./webrtc-probe.ts), through that relay. The page stays linked to its
 * node across the node's restarts (./node-link.ts).
 *
 * Nothing here is a copy of desktop code: the store, messenger, groups, node and API
 * are the ones `sotto start` runs; only their configuration differs.
 */
import { checkContactName } from '../../node/contacts/names.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { SottoError } from '../../crypto/errors.ts';
import { detectPrimitives } from '../../crypto/primitives/webcrypto.ts';
import { bundleRecordDhtHooks } from '../../node/bundles/bundle-record.ts';
import { ICE_MAX_STUN_SERVERS, WEB_CONFIG_VERSION, WEB_MAX_RELAYS } from '../../node/constants.ts';
import type { Scheduler } from '../../node/core/core.ts';
import { isStunUrlForIp } from '../../node/transport/ice-servers.ts';
import { createNode, type SottoNode } from '../../node/transport/libp2p.ts';
import { libp2pNetwork } from '../../node/transport/libp2p-network.ts';
import { Messenger } from '../../node/messaging/messenger.ts';
import { GroupService } from '../../node/groups/group-service.ts';
import { FileService, groupMembership } from '../../node/files/file-service.ts';
import { LevelFileStore } from '../../node/files/level-file-store.ts';
import { openLevelStore, probeLevelStore } from '../../node/store/level.ts';
import type { SottoStore } from '../../node/store/store.ts';
import { messengerApi, type SottoApi } from '../api.ts';
import { watchNodeLink, type NodeLink } from './node-link.ts';
import { canGatherIceCandidates } from './webrtc-probe.ts';

/** Shortest passphrase the page accepts for a new identity (as `sotto init`). */
export const MIN_PASSPHRASE_LENGTH = 8;
/** Largest chunk crypto.getRandomValues fills at once (the Web Crypto limit). */
const RANDOM_CHUNK_BYTES = 65_536;
/** Prefix of the IndexedDB database of a profile. */
const DB_PREFIX = 'sotto-';

/** /config.json is missing, unreadable or of another version. */
export class WebConfigError extends SottoError {
  override readonly name = 'WebConfigError';
  constructor(readonly reason: string) {
    super(`cannot read the node's /config.json: ${reason}`);
  }
}

/** A new passphrase is too short or was not typed the same twice. */
export class WeakWebPassphraseError extends SottoError {
  override readonly name = 'WeakWebPassphraseError';
  constructor(readonly reason: 'short' | 'mismatch') {
    super(reason === 'short' ? `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters` : 'the two passphrases differ');
  }
}

/** Where the page's node connects: read from the desktop node that served it. */
export interface PageConfig {
  readonly relays: readonly string[];
  /** The STUN servers the page's WebRTC may ask: its node's relays' responders (none from a node that names none). */
  readonly stun: readonly string[];
}

/** Reads and checks /config.json. Throws WebConfigError. */
export async function fetchPageConfig(fetchImpl: typeof fetch = fetch): Promise<PageConfig> {
  let body: unknown;
  try {
    const response = await fetchImpl('/config.json', { cache: 'no-store' });
    if (!response.ok) throw new WebConfigError(`HTTP ${response.status}`);
    body = await response.json();
  } catch (err) {
    if (err instanceof WebConfigError) throw err;
    throw new WebConfigError(err instanceof Error ? err.message : 'unreachable');
  }
  const config = body as { version?: unknown; relays?: unknown; stun?: unknown };
  if (config.version !== WEB_CONFIG_VERSION) throw new WebConfigError(`version ${String(config.version)}`);
  if (!Array.isArray(config.relays) || config.relays.some((r) => typeof r !== 'string') || config.relays.length > WEB_MAX_RELAYS) throw new WebConfigError('bad relays');
  // Only STUN servers named by IP address, as many as a node names: nothing else is ever asked.
  const stun = config.stun ?? [];
  if (!Array.isArray(stun) || stun.length > ICE_MAX_STUN_SERVERS || !stun.every((u) => typeof u === 'string' && isStunUrlForIp(u))) throw new WebConfigError('bad stun');
  return { relays: config.relays as string[], stun: stun as string[] };
}

/** The browser's CSPRNG, in chunks the Web Crypto API accepts. */
export function browserRandomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += RANDOM_CHUNK_BYTES) crypto.getRandomValues(out.subarray(i, Math.min(length, i + RANDOM_CHUNK_BYTES)));
  return out;
}

/** The page's crypto context: WebCrypto curves when they pass their checks, @noble otherwise. */
export async function browserCryptoContext(now: () => number): Promise<CryptoContext> {
  return { primitives: await detectPrimitives(), randomBytes: browserRandomBytes, now };
}

/** The page's timers. */
export const browserScheduler: Scheduler = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The IndexedDB name of a profile. */
export function databaseName(profile: string): string {
  return `${DB_PREFIX}${profile}`;
}

/**
 * Takes the profile's Web Lock and holds it for as long as the page lives,
 * so that one identity never runs in two tabs at once (its sessions would
 * fork). When another tab holds it, `waiting()` is called and the lock is
 * queued: it is granted (and this resolves) as soon as that tab is closed or
 * reloaded, since a page's locks are released with it.
 */
export async function lockProfile(profile: string, waiting: () => void): Promise<void> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return; // An old browser: nothing to lock with; one tab per profile is then up to the person.
  const name = `sotto:${databaseName(profile)}`;
  const { promise: acquired, resolve } = Promise.withResolvers<boolean>();
  // Never settles: released when the page goes away.
  const hold = (): Promise<void> => new Promise<void>(() => {});
  void locks.request(name, { ifAvailable: true }, (lock) => {
    resolve(lock !== null);
    return lock === null ? undefined : hold();
  });
  if (await acquired) return;
  waiting();
  const { promise: granted, resolve: grant } = Promise.withResolvers<void>();
  void locks.request(name, () => {
    grant();
    return hold();
  });
  await granted;
}

/** Whether the profile has an identity yet (nothing is written). */
export async function profileState(profile: string): Promise<{ initialised: boolean }> {
  const { initialised } = await probeLevelStore(databaseName(profile));
  return { initialised };
}

/** A running browser peer. */
export interface BrowserPeer {
  readonly ctx: CryptoContext;
  readonly store: SottoStore;
  readonly node: SottoNode;
  readonly messenger: Messenger;
  /** The page's groups (docs/GROUPS.md): the same service `sotto start` runs. */
  readonly groups: GroupService;
  /** The page's files (docs/FILES.md): sealed chunks in the profile's store, and the service that sends, serves and fetches them. */
  readonly files: { readonly store: LevelFileStore; readonly service: FileService };
  readonly api: SottoApi;
  /** The page's link to the node that served it, mended by itself (./node-link.ts). */
  readonly link: NodeLink;
  /** Whether this browser can open WebRTC connections (./webrtc-probe.ts); without, every contact but its node is reached through the relay. */
  readonly webrtc: boolean;
  stop(): Promise<void>;
}

/** How to open the profile. */
export interface OpenPeerOptions {
  readonly profile: string;
  readonly passphrase: string;
  /** For a profile without an identity: create one with this name. */
  readonly create?: { readonly name: string };
  readonly config: PageConfig;
  readonly now: () => number;
  /** Reads /config.json again when the page lost its node (default {@link fetchPageConfig}). */
  readonly fetchConfig?: () => Promise<PageConfig>;
}

/**
 * Unlocks (or creates) the profile and starts its node and messenger.
 * Throws WrongPassphraseError, WeakWebPassphraseError, InvalidContactNameError,
 * AlreadyInitialisedError, or the node's start errors; nothing is left open
 * when it throws.
 */
export async function openBrowserPeer(options: OpenPeerOptions): Promise<BrowserPeer> {
  if (options.create && options.passphrase.length < MIN_PASSPHRASE_LENGTH) throw new WeakWebPassphraseError('short');
  // Refused before the profile's database is created, so a retry starts afresh.
  if (options.create) checkContactName(options.create.name);
  const ctx = await browserCryptoContext(options.now);
  const store = await openLevelStore(databaseName(options.profile), ctx, {
    passphrase: async () => options.passphrase,
    ...(options.create ? { create: 'encrypted' as const } : {}),
  });
  let node: SottoNode | undefined;
  let messenger: Messenger | undefined;
  let groups: GroupService | undefined;
  let files: { store: LevelFileStore; service: FileService } | undefined;
  let link: NodeLink | undefined;
  const retry = (): void => link?.retryNow();
  const stop = async (): Promise<void> => {
    removeEventListener('online', retry);
    link?.stop();
    files?.service.stop();
    await files?.store.close().catch(() => {});
    await groups?.stop().catch(() => {});
    await messenger?.stop().catch(() => {});
    await node?.stop().catch(() => {});
    await store.close();
  };
  try {
    if (options.create && !(await store.getIdentity(ctx))) await Messenger.initialise(store, ctx, { name: options.create.name });
    const identity = await store.getIdentity(ctx);
    if (!identity) throw new WebConfigError('the profile has no identity');
    const hooks = bundleRecordDhtHooks(ctx);
    const webrtc = await canGatherIceCandidates();
    const fetchConfig = options.fetchConfig ?? (() => fetchPageConfig());
    // Asked at each WebRTC connection: the node takes relay slots (and so STUN servers) as it runs.
    let stun = options.config.stun;
    const stunServers = async (): Promise<readonly string[]> => {
      stun = await fetchConfig().then((c) => c.stun, () => stun);
      return stun;
    };
    node = await createNode({
      identity,
      listen: [],
      bootstrap: options.config.relays,
      relays: options.config.relays,
      tcp: false,
      webrtc,
      stunServers,
      // A page is reachable only through its relay: it asks the DHT, never answers.
      dhtClientMode: true,
      dhtValidators: hooks.validators,
      dhtSelectors: hooks.selectors,
      // The node that served the page is on this machine or the LAN: addresses browsers refuse by default.
      allowPrivateDials: true,
      guardProcess: false,
    });
    const network = libp2pNetwork(node);
    messenger = await Messenger.open({ ctx, store, scheduler: browserScheduler, network });
    await messenger.start();
    groups = await GroupService.open(messenger);
    await groups.start();
    const started = node;
    const fileStore = new LevelFileStore({ store, ctx, isGroupMember: groupMembership(groups) });
    files = { store: fileStore, service: new FileService({ files: fileStore, store, messenger, groups, ctx, scheduler: browserScheduler, network, isConnected: (peerId) => started.isConnected(peerId) }) };
    await files.service.start();
    const running = node;
    const api = messengerApi(messenger, ctx.primitives, () => running.addresses(), (peerId) => running.isConnected(peerId), groups, files.service.fileState);
    link = watchNodeLink({
      relays: options.config.relays,
      fetchRelays: async () => (await fetchConfig()).relays,
      isConnected: (peerId) => running.isConnected(peerId),
      reserveRelay: (address) => running.reserveRelay(address),
      onConnectionsChanged: (listener) => {
        running.libp2p.addEventListener('peer:connect', listener);
        running.libp2p.addEventListener('peer:disconnect', listener);
        return () => {
          running.libp2p.removeEventListener('peer:connect', listener);
          running.libp2p.removeEventListener('peer:disconnect', listener);
        };
      },
      scheduler: browserScheduler,
      now: options.now,
    });
    // The browser says the network is back: no need to wait for the next try.
    addEventListener('online', retry);
    return { ctx, store, node, messenger, groups, files, api, link, webrtc, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

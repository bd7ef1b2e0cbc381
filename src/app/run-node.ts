/**
 * `sotto start`: runs this home's node in the foreground. It holds the
 * database, serves the control socket for the other commands, prints
 * "listening <multiaddr>" for each address and then "ready", and shuts down
 * cleanly on SIGINT or SIGTERM.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import type { CryptoContext } from '../crypto/context.ts';
import { SottoError } from '../crypto/errors.ts';
import { NotInitialisedError } from '../node/errors.ts';
import { createNode, type SottoNode } from '../node/transport/libp2p.ts';
import { interfaceSubnets } from '../node/transport/interface-subnets.ts';
import { libp2pNetwork } from '../node/transport/libp2p-network.ts';
import { bundleRecordDhtHooks } from '../node/bundles/bundle-record.ts';
import { MailboxService } from '../node/mailbox/service.ts';
import { Messenger } from '../node/messaging/messenger.ts';
import { GroupService } from '../node/groups/group-service.ts';
import { openLevelStore } from '../node/store/level.ts';
import { Tx, type SottoStore } from '../node/store/store.ts';
import { rememberPeers, type PeerMemoryStorage, type RememberedPeers } from '../node/transport/remembered-peers.ts';
import { messengerApi, type SottoApi } from './api.ts';
import { openHomeFiles, type HomeFiles } from './home-files.ts';
import { nodeCryptoContext } from './context.ts';
import { nodeIsRunning } from './control/client.ts';
import { nodeControlApi } from './control/node-control.ts';
import { collectNodeStatus, type NodeStatus } from './node-status.ts';
import { startupFeedback } from './startup-feedback.ts';
import type { ProgressOutput } from './status-line.ts';
import { startControlServer, stopControlServer } from './control/server.ts';
import { secureHome, type HomePaths } from './home.ts';
import { existingPassphrase } from './passphrase.ts';
import { readSwarmKey } from './swarm-key.ts';
import { realScheduler } from './local.ts';
import { startWebServer, WebPrivateNetworkError, type WebServer } from './web-server.ts';
import { awaitFirstPeer, noPeerLines, type NetworkReport, type NetworkState, type PeerSources } from './reachability.ts';

/** Where a node listens when no --listen is given: every interface, free TCP and WebSocket ports. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'];

/** Options of `sotto start`. */
export interface StartOptions {
  readonly listen: readonly string[];
  readonly bootstrap: readonly string[];
  /** LAN discovery; default: on unless every listen address is a loopback one (nobody on the LAN could dial it). */
  readonly mdns?: boolean;
  readonly relay?: boolean;
  readonly mailbox?: boolean;
  /** Ask the router to forward the listen port by UPnP / NAT-PMP (off unless asked: it changes the router's settings). */
  readonly upnp?: boolean;
  readonly swarmKey?: string;
  /** Serve the browser app on 127.0.0.1:PORT (0: any free port); implies `relay`. */
  readonly web?: number;
  /** With `web`: the folder of the built app to serve (default dist/web; a benchmark serves an older build). */
  readonly webRoot?: string;
  /** Received files kept at most, bytes (the home's `files-quota` setting); FILES_DEFAULT_QUOTA_BYTES when absent. */
  readonly filesQuota?: number;
  readonly clock: () => number;
  /** Where the passphrase comes from (default: $SOTTO_PASSPHRASE, else a prompt). */
  readonly passphrase?: () => Promise<string>;
  /**
   * Called by runNode once the control socket serves and the node knows
   * whether it reached a peer (at most START_PEER_WAIT_MS later), with the
   * listening addresses, the browser app URL (`web`) and the warning lines
   * when it reached none.
   */
  readonly onReady?: (addresses: string[], web: string | undefined, warnings: string[]) => void;
  /** Called by startHome once the node runs (before the home is handed back): the settings remember what it started with. */
  readonly onStarted?: (running: RunningHome) => Promise<void>;
  /** Where runNode writes warnings (no peer reachable); none without. */
  readonly warn?: (line: string) => void;
  /** Where runNode shows progress (connecting, fetching mail); none without. */
  readonly progress?: ProgressOutput;
}

/** A node already runs on this home. */
export class NodeAlreadyRunningError extends SottoError {
  override readonly name = 'NodeAlreadyRunningError';
  constructor() {
    super('a node is already running on this home');
  }
}

/** A listen address is taken by another program. */
export class PortInUseError extends SottoError {
  override readonly name = 'PortInUseError';
  constructor(readonly address: string) {
    super(`cannot listen on ${address}: the port is already in use`);
  }
}

/** A --listen or --bootstrap value is not a usable multiaddr. */
export class InvalidMultiaddrError extends SottoError {
  override readonly name = 'InvalidMultiaddrError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

async function startNode(config: Parameters<typeof createNode>[0]): Promise<SottoNode> {
  try {
    return await createNode(config);
  } catch (err) {
    const text = err instanceof Error ? `${err.message} ${String((err as { code?: unknown }).code ?? '')}` : String(err);
    if (/EADDRINUSE/.test(text)) throw new PortInUseError(config.listen.join(', '));
    if (err instanceof TypeError || err instanceof RangeError) throw new InvalidMultiaddrError(err.message);
    throw err;
  }
}

/** A node running on a home in this process: its parts and how to stop it. */
export interface RunningHome {
  readonly ctx: CryptoContext;
  readonly store: SottoStore;
  readonly node: SottoNode;
  readonly messenger: Messenger;
  readonly mailbox: MailboxService | undefined;
  /** The browser app server (`--web`). */
  readonly web: WebServer | undefined;
  /** The API served on the control socket. */
  readonly api: SottoApi;
  /** The home's files: the store and the service that serves and fetches them. */
  readonly files: HomeFiles;
  /** Peer memory: the peers met before, dialled at start. */
  readonly memory: RememberedPeers;
  /** How the start's search for peers ended (at most START_PEER_WAIT_MS after start). */
  readonly reachable: Promise<NetworkState>;
  /** The node's network now (`sotto status`). */
  network(): NetworkReport;
  /** Stops serving, delivering and listening, and closes the database (once, however often called). */
  stop(): Promise<void>;
  /** Resolves once the node has stopped and closed its database, also when `sotto stop` asked for it. */
  readonly stopped: Promise<void>;
}

/**
 * Opens `home`, starts its node and messenger and serves the control socket.
 * Throws UnsafeHomeError (before anything in the home is touched),
 * NodeAlreadyRunningError, NotInitialisedError, the store's unlock errors,
 * PortInUseError or InvalidMultiaddrError; nothing is left running when it
 * throws.
 */
export async function startHome(home: HomePaths, options: StartOptions): Promise<RunningHome> {
  await secureHome(home);
  if (await nodeIsRunning(home.socket)) throw new NodeAlreadyRunningError();
  if (!existsSync(home.database)) throw new NotInitialisedError();
  if (options.web !== undefined && options.swarmKey) throw new WebPrivateNetworkError();
  const ctx = await nodeCryptoContext(options.clock);
  const store = await openLevelStore(home.database, ctx, { passphrase: options.passphrase ?? existingPassphrase() });
  const startedAt = options.clock();
  let node: SottoNode | undefined;
  let messenger: Messenger | undefined;
  let groups: GroupService | undefined;
  let files: HomeFiles | undefined;
  let memory: RememberedPeers | undefined;
  let server: Server | undefined;
  let web: WebServer | undefined;
  const { promise: stopped, resolve: closed } = Promise.withResolvers<void>();
  let stopping: Promise<void> | undefined;
  // The control socket stops taking requests first but is awaited last: a
  // `shutdown` request is answered once the database is closed.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const closing = server ? stopControlServer(server, home.socket).catch(() => {}) : undefined;
      try {
        await web?.close().catch(() => {});
        // Together: the messenger stops scheduling work and waits for what runs, while the node's
        // stop ends every dial and stream that work waits on (a contact out of reach would
        // otherwise hold a delivery round, and the exit, for its whole dial timeout).
        files?.service.stop();
        await groups?.stop().catch(() => {});
        await Promise.all([messenger?.stop().catch(() => {}), memory?.stop().catch(() => {}), node?.stop().catch(() => {})]);
        await files?.store.close().catch(() => {});
        await store.close();
      } finally {
        closed();
        await closing;
      }
    })());
  try {
    const identity = await store.getIdentity(ctx);
    if (!identity) throw new NotInitialisedError();
    const swarmKey = options.swarmKey ? await readSwarmKey(options.swarmKey) : undefined;
    const hooks = bundleRecordDhtHooks(ctx);
    const listen = options.listen.length > 0 ? options.listen : DEFAULT_LISTEN;
    const mdns = options.mdns ?? !listen.every(isLoopbackAddress);
    node = await startNode({
      identity,
      listen,
      bootstrap: options.bootstrap,
      mdns,
      relay: (options.relay ?? false) || options.web !== undefined,
      // Behind a NAT, reachable through relays among its peers (AutoNAT decides).
      relaySlots: true,
      upnp: options.upnp ?? false,
      // Another site's LAN addresses are dialled last (after relayed ones).
      localSubnets: interfaceSubnets,
      // The page --web serves may open WebSockets to this node; no other page may.
      webSocketOrigins: () => (web ? [web.origin] : []),
      dhtValidators: hooks.validators,
      dhtSelectors: hooks.selectors,
      ...(swarmKey ? { swarmKey } : {}),
    });
    const mailbox = options.mailbox ? await MailboxService.open({ ctx, store, identity, scheduler: realScheduler }) : undefined;
    const network = libp2pNetwork(node, { localSubnets: interfaceSubnets });
    messenger = await Messenger.open({ ctx, store, scheduler: realScheduler, network, ...(mailbox ? { mailbox } : {}) });
    await messenger.start();
    groups = await GroupService.open(messenger);
    await groups.start();
    files = await openHomeFiles(home, { ctx, store, messenger, groups, network, isConnected: (peerId) => node!.isConnected(peerId), scheduler: realScheduler, ...(options.filesQuota === undefined ? {} : { quotaBytes: options.filesQuota }) });
    const running = node;
    const started = messenger;
    const served = files.service.served;
    const remembered = (memory = await rememberPeers(running, {
      storage: storePeerMemory(store),
      now: options.clock,
      timers: realScheduler,
      isContact: async (peerId) => (await store.getContactByPeer(peerId))?.added === true,
      localSubnets: interfaceSubnets,
    }));
    started.on('mail-fetched', ({ mailboxes }) => remembered.noteMailboxes(mailboxes));
    const sources: PeerSources = { bootstrap: options.bootstrap.length, remembered: remembered.size(), mdns };
    let searched: NetworkState | undefined;
    const reachable = awaitFirstPeer(
      {
        connected: () => running.libp2p.getConnections().length,
        onConnect: (listener) => {
          running.libp2p.addEventListener('peer:connect', listener);
          return () => running.libp2p.removeEventListener('peer:connect', listener);
        },
        dialsDone: Promise.all([running.bootstrap(), remembered.firstRound]),
        stopped,
      },
      sources,
      realScheduler,
    ).then((state) => (searched = state));
    // Live: the peers remembered now (the start's own count is in `sources`).
    const networkReport = (): NetworkReport => ({
      state: running.libp2p.getConnections().length > 0 ? 'connected' : searched === 'connected' ? 'unreachable' : (searched ?? 'connecting'),
      sources: { ...sources, remembered: remembered.size() },
    });
    const api = messengerApi(messenger, ctx.primitives, () => running.addresses(), (peerId) => running.isConnected(peerId), groups, files.service.fileState, files.api);
    const status = (): NodeStatus => collectNodeStatus({ node: running, messenger: started, mailbox, files: served, startedAt, pid: process.pid, now: options.clock, network: networkReport });
    const control = nodeControlApi(status, () => void stop().catch(() => {}), stopped, process.pid);
    if (options.web !== undefined) web = await startWebServer({ port: options.web, addresses: () => running.addresses(), ...(options.webRoot === undefined ? {} : { root: options.webRoot }) });
    server = await startControlServer(home.socket, { ...api, ...control });
    const result: RunningHome = { ctx, store, node, messenger, mailbox, web, api, files, memory: remembered, reachable, network: networkReport, stop, stopped };
    await options.onStarted?.(result);
    return result;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Peer memory kept in the home's store (`netpeer:` records, docs/PROTOCOL.md §16); a hint, so not synced on its own. */
function storePeerMemory(store: SottoStore): PeerMemoryStorage {
  return {
    load: () => store.listRememberedPeers(),
    save: (change) => {
      const tx = new Tx();
      for (const peer of change.put) tx.putRememberedPeer(peer);
      for (const peerId of change.delete) tx.deleteRememberedPeer(peerId);
      return store.commit(tx, { sync: false });
    },
  };
}

/** True for a multiaddr whose host is a loopback address (127.0.0.0/8, ::1). */
export function isLoopbackAddress(address: string): boolean {
  return /^\/ip4\/127\.|^\/ip6\/::1\//.test(address);
}

/**
 * Runs the node until a signal or `sotto stop` stops it. `print` receives
 * each stdout line; progress goes to `options.progress`.
 */
export async function runNode(home: HomePaths, options: StartOptions, print: (line: string) => void): Promise<void> {
  const running = await startHome(home, options);
  let stopFeedback = (): void => {};
  try {
    for (const address of running.node.addresses()) print(`listening ${address}`);
    if (running.web) print(`web ${running.web.url}`);
    const startedAt = options.clock();
    const sources = running.network().sources;
    const warnings = running.reachable.then((state) => noPeerLines(state, sources, options.clock() - startedAt, running.node.addresses()[0]));
    if (options.progress) {
      const expectPeers = sources.bootstrap > 0 || sources.remembered > 0 || sources.mdns;
      stopFeedback = startupFeedback(running.node, running.messenger, expectPeers, options.progress, { now: options.clock, scheduler: realScheduler }, warnings);
    }
    // A detached node reports once it knows whether it reached anyone: the foreground prints that before it
    // returns. "ready" is in the log before the report, so whoever the report wakes finds it there.
    const known = options.onReady ? await warnings : undefined;
    print('ready');
    if (options.onReady) options.onReady(running.node.addresses(), running.web?.url, known!);
    void warnings.then((lines) => {
      for (const line of lines) options.warn?.(line);
    });
    await Promise.race([
      running.stopped,
      new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      }),
    ]);
  } finally {
    stopFeedback();
    await running.stop();
  }
}

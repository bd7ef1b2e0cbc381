/**
 * One simulated Sotto node, assembled as `sotto start` assembles one
 * (src/app/run-node.ts): an on-disk level store, createNode on loopback
 * with the bundle-record DHT hooks, a MailboxService when it is a mailbox,
 * a Messenger on libp2pNetwork(node), started, and in the group scenario
 * a GroupService on it. The store stays on disk
 * while the node is away, so a return is a restart on the same home.
 *
 * Lifecycle calls (start, stop) are serialised per node: a return that is
 * due while the node is still stopping waits for the stop.
 */
import type { CryptoContext } from '../src/crypto/context.ts';
import type { IdentityKeyPair } from '../src/crypto/identity.ts';
import { bundleRecordDhtHooks } from '../src/node/bundles/bundle-record.ts';
import { createNode, type SottoNode } from '../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../src/node/transport/libp2p-network.ts';
import { MailboxService } from '../src/node/mailbox/service.ts';
import { GroupService } from '../src/node/groups/group-service.ts';
import type { GroupMessageRecord } from '../src/node/store/group-records.ts';
import { Messenger } from '../src/node/messaging/messenger.ts';
import type { MessengerEvents } from '../src/node/core/core.ts';
import { peerIdOfIdentity } from '../src/node/encoding/peer-id.ts';
import type { MessageRecord } from '../src/node/store/records.ts';
import { openLevelStore } from '../src/node/store/level.ts';
import type { SottoStore } from '../src/node/store/store.ts';
import { wallNow, type SimClock } from './clock.ts';
import { traceGroups } from './group-trace.ts';
import { instrumentNetwork, watchOutbox, type NetworkHooks } from './instrument.ts';
import type { Phase, Recorder } from './recorder.ts';
import { seededBytes } from './rng.ts';

export type NodeKind = 'mailbox' | 'user' | 'drain-sender';
export type NodeState = 'offline' | 'starting' | 'online' | 'stopping' | 'gone';

/** What every node of one host process shares. */
export interface SimEnv {
  readonly ctx: CryptoContext;
  readonly clock: SimClock;
  /** Lookups, dials, custody receipts, outbox envelopes and errors land here (the host forwards them). */
  readonly recorder: Recorder;
  readonly hooks: NetworkHooks;
  /** A 'message' event at node `recipient`. */
  onMessage(recipient: string, message: MessageRecord): void;
  /** A 'status' event at a sender. */
  onStatus(event: MessengerEvents['status']): void;
  /** Run a GroupService on every node (the group scenario, ./group-scenario.ts); off in the churn scenario. */
  readonly groups: boolean;
  /** A 'group-message' event at node `recipient` (a member's new message from another member). */
  onGroupMessage(recipient: string, message: GroupMessageRecord): void;
  /** Can a node with peer id `from` reach `to` now? False across a simulated partition (./partition.ts). */
  reaches(from: string, to: string): boolean;
}

/** Opens a home's store: plain, or encrypted at rest with `passphrase` (created so when `create`). */
export function openHome(dir: string, ctx: CryptoContext, passphrase: string | undefined, create = false): Promise<SottoStore> {
  if (passphrase === undefined) return openLevelStore(dir);
  return openLevelStore(dir, ctx, { passphrase: async () => passphrase, ...(create ? { create: 'encrypted' as const } : {}) });
}

/** Creates a home in `dir`: identity from the seed, prekeys, profile (as `sotto init`). */
export async function createHome(dir: string, name: string, seed: number, ctx: CryptoContext, passphrase?: string): Promise<{ peerId: string; identity: IdentityKeyPair }> {
  const store = await openHome(dir, ctx, passphrase, true);
  try {
    return await Messenger.initialise(store, { ...ctx, randomBytes: seededBytes(seed, `identity:${name}`) }, { name });
  } finally {
    await store.close();
  }
}

const LOOPBACK = '/ip4/127.0.0.1/tcp/';

export class SimNode {
  peerId = '';
  identity: IdentityKeyPair | undefined;
  /** Last listen address, with /p2p/ (kept while offline: others bootstrap from it). */
  address: string | undefined;
  state: NodeState = 'offline';
  store: SottoStore | undefined;
  node: SottoNode | undefined;
  messenger: Messenger | undefined;
  mailbox: MailboxService | undefined;
  groups: GroupService | undefined;
  /** How long each start and stop took, wall ms, with the phase it happened in. */
  readonly startMs: { ms: number; phase: Phase }[] = [];
  readonly stopMs: { ms: number; phase: Phase }[] = [];
  private port = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: SimEnv,
    readonly name: string,
    readonly kind: NodeKind,
    readonly dir: string,
    /** The home is encrypted at rest with this passphrase (as `sotto init` makes it by default); plain without. */
    readonly passphrase?: string,
  ) {}

  get online(): boolean {
    return this.state === 'online';
  }

  private serial(op: () => Promise<void>): Promise<void> {
    const next = this.chain.then(op);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Starts (or restarts) the node, bootstrapping to `bootstrap` (multiaddrs with /p2p/). */
  start(bootstrap: readonly string[]): Promise<void> {
    return this.serial(async () => {
      if (this.state === 'gone' || this.state === 'online') return;
      this.state = 'starting';
      const began = wallNow();
      const { ctx, clock, recorder } = this.env;
      const store = await openHome(this.dir, ctx, this.passphrase);
      try {
        watchOutbox(store, ctx.primitives, recorder);
        this.identity ??= (await store.getIdentity(ctx))!;
        this.peerId = peerIdOfIdentity(this.identity.public);
        const hooks = bundleRecordDhtHooks(ctx);
        const config = { identity: this.identity, bootstrap: [...bootstrap], dhtValidators: hooks.validators, dhtSelectors: hooks.selectors };
        let node: SottoNode;
        try {
          node = await createNode({ ...config, listen: [`${LOOPBACK}${this.port}`] });
        } catch (err) {
          if (this.port === 0) throw err;
          // The port was taken meanwhile: come back on another one (peers then find the new address in the DHT).
          recorder.error(`${this.name} could not listen on its old port`, err);
          node = await createNode({ ...config, listen: [`${LOOPBACK}0`] });
        }
        this.node = node;
        this.address = node.addresses()[0];
        this.port = Number(/\/tcp\/(\d+)/.exec(this.address ?? '')?.[1] ?? 0);
        this.mailbox = this.kind === 'mailbox' ? await MailboxService.open({ ctx, store, identity: this.identity, scheduler: clock.scheduler }) : undefined;
        const self = this.peerId;
        const network = instrumentNetwork(libp2pNetwork(node), this.name, recorder, { ...this.env.hooks, reaches: (peer) => this.env.reaches(self, peer) }, ctx.primitives);
        const messenger = await Messenger.open({ ctx, store, scheduler: clock.scheduler, network, ...(this.mailbox ? { mailbox: this.mailbox } : {}) });
        messenger.on('message', (m) => this.env.onMessage(this.name, m));
        messenger.on('status', (e) => this.env.onStatus(e));
        this.messenger = messenger;
        this.store = store;
        await messenger.start();
        if (this.env.groups) {
          // As `sotto start` runs it (src/app/run-node.ts): after the messenger.
          const groups = await GroupService.open(messenger);
          messenger.shared().on('group-message', (m) => this.env.onGroupMessage(this.name, m));
          this.groups = groups;
          traceGroups(this.name, groups, messenger);
          await groups.start();
        }
        this.state = 'online';
        this.startMs.push({ ms: wallNow() - began, phase: recorder.phase });
      } catch (err) {
        await this.groups?.stop().catch(() => {});
        this.groups = undefined;
        await this.messenger?.stop().catch(() => {});
        await this.node?.stop().catch(() => {});
        await store.close().catch(() => {});
        this.node = undefined;
        this.messenger = undefined;
        this.mailbox = undefined;
        this.store = undefined;
        this.state = 'offline';
        throw err;
      }
    });
  }

  /**
   * Stops as `sotto start` does on SIGINT (src/app/run-node.ts): the
   * messenger (which waits for delivery rounds in progress), then the node,
   * then the store. `forGood` marks it gone: it never returns.
   */
  stop(forGood = false): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'online') {
        if (forGood) this.state = 'gone';
        return;
      }
      this.state = 'stopping';
      const began = wallNow();
      await this.groups?.stop().catch((err: unknown) => this.env.recorder.error(`${this.name} groups.stop`, err));
      await this.messenger?.stop().catch((err: unknown) => this.env.recorder.error(`${this.name} messenger.stop`, err));
      await this.node?.stop().catch((err: unknown) => this.env.recorder.error(`${this.name} node.stop`, err));
      await this.store?.close().catch((err: unknown) => this.env.recorder.error(`${this.name} store.close`, err));
      this.stopMs.push({ ms: wallNow() - began, phase: this.env.recorder.phase });
      this.groups = undefined;
      this.messenger = undefined;
      this.node = undefined;
      this.mailbox = undefined;
      this.store = undefined;
      this.state = forGood ? 'gone' : 'offline';
    });
  }

  /** Waits for lifecycle calls in progress. */
  settled(): Promise<void> {
    return this.chain;
  }
}

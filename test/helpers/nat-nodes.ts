/**
 * Real `sotto start` nodes on the hosts of a NAT topology (./nat.ts), each
 * driven through its control socket (a Unix socket in its home, which every
 * network namespace shares): the NAT tests and `npm run bench -- reach`
 * use them to make contacts, send, and see how two nodes are connected.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { SottoApi } from '../../src/app/api.ts';
import { controlClient } from '../../src/app/control/client.ts';
import { nodeControlClient } from '../../src/app/control/node-control.ts';
import type { NodeStatus } from '../../src/app/node-status.ts';
import { sotto, startNode, tempHome, type RunningNode } from './cli.ts';
import type { NetHost } from './nat.ts';

/** The TCP port every node of a topology listens on (each host has its own address). */
export const NAT_NODE_PORT = 4001;
/** How long a step that waits on the network (a relay slot, a connection, a delivery) may take. */
export const NAT_WAIT_MS = 60_000;
/** How often a wait looks again. */
const POLL_MS = 50;

/** A node running on one host. */
export interface NatNode {
  readonly name: string;
  readonly host: NetHost;
  readonly home: string;
  readonly peerId: string;
  readonly running: RunningNode;
  /** The commands' API over the control socket. */
  readonly api: SottoApi;
  status(): Promise<NodeStatus>;
  /** The address to bootstrap through this node: its TCP listen address with /p2p/. */
  readonly bootstrap: string;
}

/**
 * Makes a home for `name` (removed by `cleanup`) and starts its node on
 * `host`, listening on NAT_NODE_PORT of every interface, with `args` added.
 */
export async function startNatNode(name: string, host: NetHost, args: readonly string[], cleanup: (() => Promise<void>)[]): Promise<NatNode> {
  const home = await tempHome(`nat-${name}`, cleanup);
  const init = await sotto(home, ['init', '--name', name]);
  assert.equal(init.code, 0, init.stderr);
  const running = await startNode(home, ['--listen', `/ip4/0.0.0.0/tcp/${NAT_NODE_PORT}`, ...args], {}, host.namespace);
  cleanup.push(async () => void (await running.stop()));
  const api = controlClient(join(home, 'control.sock'));
  const control = nodeControlClient(join(home, 'control.sock'));
  const { peerId } = await api.id();
  return { name, host, home, peerId, running, api, status: () => control.status(), bootstrap: `/ip4/${host.address}/tcp/${NAT_NODE_PORT}/p2p/${peerId}` };
}

/** Polls `check` until it returns a value other than undefined, or fails after NAT_WAIT_MS naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = NAT_WAIT_MS): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Each adds the other from the invite its running node prints (addresses included), under the other's name. */
export async function befriend(a: NatNode, b: NatNode): Promise<void> {
  await a.api.addInvite((await b.api.invite(null)).invite, b.name, false);
  await b.api.addInvite((await a.api.invite(null)).invite, a.name, false);
}

/** How `from` is connected to `to` now: the best of its open connections (a direct one over a relayed one), or undefined. */
export async function connectionBetween(from: NatNode, to: NatNode): Promise<{ address: string; relayed: boolean } | undefined> {
  const connections = (await from.status()).connections.filter((c) => c.peerId === to.peerId);
  return connections.find((c) => !c.relayed) ?? connections[0];
}

/** Waits until `node` holds a relay slot, and returns its relays. */
export function relaysOf(node: NatNode): Promise<readonly string[]> {
  return waitFor(`${node.name} to hold a relay slot`, async () => {
    const { relays } = await node.status();
    return relays.length > 0 ? relays : undefined;
  });
}

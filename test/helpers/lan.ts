/**
 * A LAN of separate hosts for tests: network namespaces joined by veth pairs
 * to a bridge in a namespace of its own, addresses 10.77.0.0/24, the
 * multicast route mDNS needs, and no route anywhere else. Needs root and
 * `ip` (iproute2).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The LAN's prefix: a documentation-free private range, only inside the namespaces. */
const SUBNET = '10.77.0';
const PREFIX_LENGTH = 24;
/** IPv4 multicast (224.0.0.0/4): mDNS sends to 224.0.0.251. */
const MULTICAST = '224.0.0.0/4';

/** One host of the LAN. */
export interface LanHost {
  /** Its network namespace. */
  readonly namespace: string;
  /** Its address on the LAN. */
  readonly address: string;
}

/** A LAN of hosts; `remove` deletes every namespace (and with them the links). */
export interface Lan {
  readonly hosts: readonly LanHost[];
  remove(): Promise<void>;
}

/** Why namespace tests cannot run here, or undefined when they can. */
export async function lanUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (ip netns); skipped';
  try {
    await run('ip', ['-V']);
  } catch {
    return 'needs ip (iproute2); skipped';
  }
  return undefined;
}

const ip = (...args: string[]): Promise<unknown> => run('ip', args);

/** Creates a LAN of `count` hosts; namespace names start with `name` (keep it short). */
export async function createLan(name: string, count: number): Promise<Lan> {
  const bridge = `${name}-br`;
  const namespaces = [bridge];
  const remove = async (): Promise<void> => {
    for (const ns of namespaces.reverse()) await ip('netns', 'delete', ns).catch(() => {});
  };
  try {
    await ip('netns', 'add', bridge);
    await ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    await ip('-n', bridge, 'link', 'set', 'br0', 'up');
    const hosts: LanHost[] = [];
    for (let i = 1; i <= count; i++) {
      const ns = `${name}-h${i}`;
      const address = `${SUBNET}.${i}`;
      await ip('netns', 'add', ns);
      namespaces.push(ns);
      await ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `port${i}`, 'netns', bridge);
      await ip('-n', bridge, 'link', 'set', `port${i}`, 'master', 'br0', 'up');
      await ip('-n', ns, 'addr', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'route', 'add', MULTICAST, 'dev', 'eth0');
      hosts.push({ namespace: ns, address });
    }
    return { hosts, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/**
 * Home routers for tests: an "internet" (a bridge in a namespace of its
 * own) with public hosts on it, and sites behind NAT routers, each a
 * namespace with a WAN leg on the internet, a LAN leg, IP forwarding and
 * `iptables` masquerading; the hosts of a site sit on its LAN with the
 * router as their default route. Nothing leaves the machine: the internet
 * bridge has no uplink and no namespace has a route to the host.
 *
 * The internet uses 11.77.0.0/24, a range libp2p counts as public: it
 * ignores private addresses for AutoNAT, observed addresses and hole
 * punching, so a NAT between two private ranges would model nothing. The
 * range exists only inside these namespaces.
 *
 * Two kinds of NAT (RFC 4787 terms): `endpoint-independent` (Linux
 * MASQUERADE keeps one external port per internal socket whatever the
 * destination; where hole punching can work) and `symmetric`
 * (`MASQUERADE --random-fully`: a new external port per destination; where
 * it cannot). {@link probeMapping} measures which one a site is.
 *
 * Needs root, `ip` (iproute2) and `iptables`.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The internet's /24 (public to libp2p, only inside the namespaces). */
const INTERNET = '11.77.0';
/** Public hosts are .1, .2, …; routers' WAN legs .101, .102, …; the probe's second address on public host 1 is .201. */
const ROUTER_WAN_BASE = 100;
const PROBE_SECOND_ADDRESS = `${INTERNET}.201`;
/** Site i's LAN is 192.168.i.0/24, its router .1, its hosts .2, .3, … */
const LAN_PREFIX = '192.168';
const PREFIX_LENGTH = 24;
/** UDP ports of the mapping probe's two reflectors. */
const PROBE_PORTS = [3478, 3479] as const;
/** How long the mapping probe waits for the reflectors' answers. */
const PROBE_TIMEOUT_MS = 5_000;

/** How a site's router maps its hosts' outbound flows. */
export type NatKind = 'endpoint-independent' | 'symmetric';

/** One host: its namespace and its address (public, or on its site's LAN). */
export interface NetHost {
  readonly namespace: string;
  readonly address: string;
}

/** A site behind a NAT router. */
export interface NatSite {
  readonly kind: NatKind;
  /** The router's namespace and its WAN (public) address. */
  readonly router: NetHost;
  /** The LAN in CIDR form. */
  readonly lan: string;
  readonly hosts: readonly NetHost[];
}

/** The whole topology; `remove` deletes every namespace (and with them the links and rules). */
export interface NatTopology {
  readonly publicHosts: readonly NetHost[];
  readonly sites: readonly NatSite[];
  remove(): Promise<void>;
}

/** What to build: public hosts, and sites with their NAT kind and host count. */
export interface NatTopologySpec {
  readonly publicHosts: number;
  readonly sites: readonly { readonly kind: NatKind; readonly hosts: number }[];
}

/** Why NAT tests cannot run here, or undefined when they can. */
export async function natUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (ip netns); skipped';
  for (const [tool, args] of [['ip', ['-V']], ['iptables', ['--version']]] as const) {
    try {
      await run(tool, [...args]);
    } catch {
      return `needs ${tool}; skipped`;
    }
  }
  return undefined;
}

const ip = (...args: string[]): Promise<unknown> => run('ip', args);
const inNamespace = (ns: string, ...command: string[]): Promise<unknown> => run('ip', ['netns', 'exec', ns, ...command]);

/**
 * Builds the topology; namespace names start with `name` (keep it short and
 * unique per run: several test runs may share the machine). Removes what it
 * made when a step fails.
 */
export async function createNatTopology(name: string, spec: NatTopologySpec): Promise<NatTopology> {
  const internet = `${name}-i`;
  const namespaces: string[] = [];
  const remove = async (): Promise<void> => {
    for (const ns of [...namespaces].reverse()) await ip('netns', 'delete', ns).catch(() => {});
  };
  const addNamespace = async (ns: string): Promise<void> => {
    await ip('netns', 'add', ns);
    namespaces.push(ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  };
  let ports = 0;
  /** A veth from `ns` (named `inside`) to the internet bridge, with `address`. */
  const plugIn = async (ns: string, inside: string, address: string): Promise<void> => {
    const port = `port${++ports}`;
    await ip('-n', ns, 'link', 'add', inside, 'type', 'veth', 'peer', 'name', port, 'netns', internet);
    await ip('-n', internet, 'link', 'set', port, 'master', 'br0', 'up');
    await ip('-n', ns, 'addr', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', inside);
    await ip('-n', ns, 'link', 'set', inside, 'up');
  };
  try {
    await addNamespace(internet);
    await ip('-n', internet, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', internet, 'link', 'set', 'br0', 'up');
    const publicHosts: NetHost[] = [];
    for (let i = 1; i <= spec.publicHosts; i++) {
      const host = { namespace: `${name}-p${i}`, address: `${INTERNET}.${i}` };
      await addNamespace(host.namespace);
      await plugIn(host.namespace, 'eth0', host.address);
      if (i === 1) await ip('-n', host.namespace, 'addr', 'add', `${PROBE_SECOND_ADDRESS}/${PREFIX_LENGTH}`, 'dev', 'eth0');
      publicHosts.push(host);
    }
    const sites: NatSite[] = [];
    for (const [index, siteSpec] of spec.sites.entries()) {
      const s = index + 1;
      const router = { namespace: `${name}-r${s}`, address: `${INTERNET}.${ROUTER_WAN_BASE + s}` };
      await addNamespace(router.namespace);
      await plugIn(router.namespace, 'wan0', router.address);
      const lanGateway = `${LAN_PREFIX}.${s}.1`;
      const hosts: NetHost[] = [];
      await ip('-n', router.namespace, 'link', 'add', 'lan0', 'type', 'bridge');
      await ip('-n', router.namespace, 'addr', 'add', `${lanGateway}/${PREFIX_LENGTH}`, 'dev', 'lan0');
      await ip('-n', router.namespace, 'link', 'set', 'lan0', 'up');
      for (let h = 1; h <= siteSpec.hosts; h++) {
        const host = { namespace: `${name}-s${s}h${h}`, address: `${LAN_PREFIX}.${s}.${h + 1}` };
        await addNamespace(host.namespace);
        await ip('-n', host.namespace, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `host${h}`, 'netns', router.namespace);
        await ip('-n', router.namespace, 'link', 'set', `host${h}`, 'master', 'lan0', 'up');
        await ip('-n', host.namespace, 'addr', 'add', `${host.address}/${PREFIX_LENGTH}`, 'dev', 'eth0');
        await ip('-n', host.namespace, 'link', 'set', 'eth0', 'up');
        await ip('-n', host.namespace, 'route', 'add', 'default', 'via', lanGateway);
        hosts.push(host);
      }
      await inNamespace(router.namespace, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
      const masquerade = ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan0', '-j', 'MASQUERADE'];
      await inNamespace(router.namespace, ...masquerade, ...(siteSpec.kind === 'symmetric' ? ['--random-fully'] : []));
      // A home router: replies and related traffic come in, nothing unsolicited reaches the LAN.
      await inNamespace(router.namespace, 'iptables', '-A', 'FORWARD', '-i', 'wan0', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
      await inNamespace(router.namespace, 'iptables', '-A', 'FORWARD', '-i', 'wan0', '-j', 'DROP');
      // Nor the router itself, as every home router's firewall does. Without this an
      // unsolicited datagram to the WAN address (the other peer's first hole-punching packet,
      // arriving before this side sent its own) is accepted by the router, its conntrack entry
      // holds the very port pair the host's mapping would use, and Linux then maps the host's
      // own packets to that peer from another port: no hole ever opens (seen with WebRTC).
      // Dropped before conntrack confirms it, the packet leaves no entry behind.
      await inNamespace(router.namespace, 'iptables', '-A', 'INPUT', '-i', 'wan0', '-m', 'conntrack', '--ctstate', 'NEW,INVALID', '-j', 'DROP');
      sites.push({ kind: siteSpec.kind, router, lan: `${LAN_PREFIX}.${s}.0/${PREFIX_LENGTH}`, hosts });
    }
    return { publicHosts, sites, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** UDP datagrams one host sent, by where they went (see {@link watchOutboundUdp}). */
export interface UdpCounts {
  /** To port 53 anywhere: DNS lookups (of a STUN server's name, say). */
  readonly dns: number;
  /** To `stun` (the relay's STUN responder). */
  readonly stun: number;
  /** To any address outside the topology, loopback and multicast: somewhere on the real internet. */
  readonly elsewhere: number;
}

/** The chain of {@link watchOutboundUdp} in a host's namespace. */
const UDP_WATCH_CHAIN = 'SOTTO_UDP_WATCH';

/**
 * Counts the UDP datagrams `host` sends from now on (iptables counters in
 * its namespace, nothing is dropped): DNS, to `stun` (`ip:port`), and to
 * anywhere outside the topology's networks. Call before the host's node
 * starts.
 */
export async function watchOutboundUdp(host: NetHost, stun: string): Promise<() => Promise<UdpCounts>> {
  const [stunHost, stunPort] = stun.split(':');
  const rule = async (...args: string[]): Promise<void> => void (await inNamespace(host.namespace, 'iptables', '-A', UDP_WATCH_CHAIN, ...args));
  await inNamespace(host.namespace, 'iptables', '-N', UDP_WATCH_CHAIN);
  await inNamespace(host.namespace, 'iptables', '-A', 'OUTPUT', '-p', 'udp', '-j', UDP_WATCH_CHAIN);
  await rule('-p', 'udp', '--dport', '53', '-m', 'comment', '--comment', 'dns', '-j', 'RETURN');
  await rule('-d', stunHost!, '-p', 'udp', '--dport', stunPort!, '-m', 'comment', '--comment', 'stun', '-j', 'RETURN');
  for (const near of [`${INTERNET}.0/24`, `${LAN_PREFIX}.0.0/16`, '127.0.0.0/8', '224.0.0.0/4']) await rule('-d', near, '-j', 'RETURN');
  await rule('-m', 'comment', '--comment', 'elsewhere', '-j', 'RETURN');
  return async () => {
    const { stdout } = (await run('ip', ['netns', 'exec', host.namespace, 'iptables', '-L', UDP_WATCH_CHAIN, '-n', '-v', '-x'])) as { stdout: string };
    const count = (name: string): number => Number(stdout.split('\n').find((line) => line.includes(`/* ${name} */`))?.trim().split(/\s+/)[0] ?? NaN);
    return { dns: count('dns'), stun: count('stun'), elsewhere: count('elsewhere') };
  };
}

/** What {@link probeMapping} saw: the external address of one internal UDP socket, as two endpoints saw it. */
export interface MappingProbe {
  /** `ip:port` as the first reflector (public host 1, port 3478) saw it, then the second (another address and port). */
  readonly seen: readonly [string, string];
  /** The same external address for both: an endpoint-independent mapping; two different ones: symmetric. */
  readonly kind: NatKind;
}

/** Answers every datagram with the sender's address as text, on both probe endpoints of public host 1. */
const REFLECTOR = `
const dgram = require('node:dgram');
const [first, second] = JSON.parse(process.argv[1]);
let bound = 0;
for (const [address, port] of [first, second]) {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (_, from) => socket.send(from.address + ':' + from.port, from.port, from.address));
  socket.bind(port, address, () => { if (++bound === 2) console.log('ready'); });
}`;

/** Sends from one socket to both endpoints and prints what each saw, as JSON. */
const PROBER = `
const dgram = require('node:dgram');
const endpoints = JSON.parse(process.argv[1]);
const socket = dgram.createSocket('udp4');
const seen = new Map();
socket.on('message', (text, from) => {
  seen.set(from.address + ':' + from.port, text.toString());
  if (seen.size === endpoints.length) {
    console.log(JSON.stringify(endpoints.map(([a, p]) => seen.get(a + ':' + p))));
    process.exit(0);
  }
});
socket.bind(0, () => {
  const send = () => { for (const [address, port] of endpoints) socket.send('probe', port, address); };
  send();
  setInterval(send, 200);
});`;

/**
 * Measures the mapping of `site`'s NAT from its first host: one UDP socket
 * sends to public host 1 at two addresses and ports, which answer with the
 * source address they saw. Needs a topology with at least one public host.
 */
export async function probeMapping(topology: NatTopology, site: NatSite): Promise<MappingProbe> {
  const reflectorHost = topology.publicHosts[0];
  const prober = site.hosts[0];
  if (reflectorHost === undefined || prober === undefined) throw new RangeError('probeMapping needs a public host and a host on the site');
  const endpoints = [[reflectorHost.address, PROBE_PORTS[0]], [PROBE_SECOND_ADDRESS, PROBE_PORTS[1]]];
  const reflector = spawn('ip', ['netns', 'exec', reflectorHost.namespace, process.execPath, '-e', REFLECTOR, JSON.stringify(endpoints)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await waitForLine(reflector.stdout, /^ready$/m);
    const { stdout } = await run('ip', ['netns', 'exec', prober.namespace, process.execPath, '-e', PROBER, JSON.stringify(endpoints)], { timeout: PROBE_TIMEOUT_MS });
    const seen = JSON.parse(stdout) as [string, string];
    return { seen, kind: seen[0] === seen[1] ? 'endpoint-independent' : 'symmetric' };
  } finally {
    reflector.kill();
    await once(reflector, 'exit').catch(() => {});
  }
}

function waitForLine(stream: NodeJS.ReadableStream, line: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('the mapping reflector did not start')), PROBE_TIMEOUT_MS);
    stream.on('data', (d: Buffer) => {
      text += d.toString();
      if (line.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

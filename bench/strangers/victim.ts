/**
 * The node under attack in the strangers benchmark: a real `sotto start`
 * on a home encrypted at rest, as a user runs it (./../transport/cli-node.ts),
 * reached by the other commands through its control socket. It can be
 * stopped and started again on the same home (to compact its database in
 * between); each start listens on a fresh loopback port.
 */
import { join } from 'node:path';
import type { SottoApi } from '../../src/app/api.ts';
import { controlClient } from '../../src/app/control/client.ts';
import { runSotto, startSotto, type RunningSotto } from '../transport/cli-node.ts';

/** The victim's profile name. */
export const VICTIM_NAME = 'victim';

/** A victim home and the `sotto start` running on it (if any). */
export interface Victim {
  /** The home folder (`--home`), its LevelDB folder and its control socket. */
  readonly home: string;
  readonly database: string;
  readonly socket: string;
  readonly peerId: string;
  /** Its commands' API over the control socket (the node must run). */
  readonly api: SottoApi;
  /** The running node's loopback TCP address with /p2p/; throws when it does not run. */
  address(): string;
  /** The running node's process id; throws when it does not run. */
  pid(): number;
  /** Starts `sotto start` (after a stop). */
  start(): Promise<void>;
  /** Stops it (SIGTERM: the database is closed before it exits). */
  stop(): Promise<void>;
}

/** `sotto init` in `dir`/home, then `sotto start` on it. */
export async function openVictim(dir: string): Promise<Victim> {
  const home = join(dir, 'home');
  await runSotto(home, ['init', '--name', VICTIM_NAME]);
  let running: RunningSotto | undefined = await startSotto(home);
  const tcp = (node: RunningSotto): string => {
    const address = node.addresses.find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'));
    if (!address) throw new Error(`sotto start listens on no loopback TCP address: ${node.addresses.join(' ')}`);
    return address;
  };
  const peerId = tcp(running).split('/p2p/')[1]!;
  const socket = join(home, 'control.sock');
  const current = (): RunningSotto => {
    if (!running) throw new Error('the victim is not running');
    return running;
  };
  return {
    home,
    database: join(home, 'db'),
    socket,
    peerId,
    api: controlClient(socket),
    address: () => tcp(current()),
    pid: () => current().pid,
    start: async () => {
      running ??= await startSotto(home);
    },
    stop: async () => {
      await running?.stop();
      running = undefined;
    },
  };
}

/**
 * What the strangers benchmark measures on the victim, each a function that
 * does the real work once: `sotto contacts list` as a spawned command, the
 * chat's first screen as `sotto chat` loads it when it attaches to a running
 * node, an honest contact's send until 'delivered', and a look at the
 * victim's store (its size on disk, and what its message requests hold).
 */
import type { SottoApi } from '../../src/app/api.ts';
import { remoteBackend } from '../../src/app/chat/backends.ts';
import { ChatController } from '../../src/app/chat/controller.ts';
import type { Party } from '../transport/party.ts';
import { runSotto } from '../transport/cli-node.ts';
import { diskBytes } from './store-size.ts';
import type { Victim } from './victim.ts';

/** How long the honest contact waits for a message's 'delivered' before counting it as not delivered. */
export const HONEST_WAIT_MS = 30_000;

/** Milliseconds of one run of `sotto --home HOME contacts list` (spawned, to its exit). */
export async function timeContactsList(victim: Victim): Promise<number> {
  const start = performance.now();
  await runSotto(victim.home, ['contacts', 'list']);
  return performance.now() - start;
}

/**
 * Milliseconds until the chat's first screen is loaded, as `sotto chat` does
 * it when a node runs (src/app/chat-session.ts, run.tsx): who am I, then
 * the controller's first load (contacts, the first conversation). Throws
 * when the load failed (the chat would show the error).
 */
export async function timeChatFirstScreen(api: SottoApi): Promise<number> {
  const start = performance.now();
  const self = await api.id();
  const controller = new ChatController(remoteBackend(api), { name: self.name, peerId: self.peerId });
  await controller.start();
  controller.stop();
  const ms = performance.now() - start;
  const state = controller.getState();
  if (state.noticeIsError) throw new Error(`the chat's first load failed: ${state.notice.join(' ')}`);
  if (state.contacts.length === 0 || state.selected === undefined) throw new Error("the chat's first screen shows no conversation");
  return ms;
}

/** One honest send: milliseconds to 'delivered', or undefined when it was not delivered within HONEST_WAIT_MS. */
export async function timeHonestSend(honest: Party, victimName: string, text: string): Promise<number | undefined> {
  const start = performance.now();
  const result = await honest.messenger.send(victimName, text, { waitMs: HONEST_WAIT_MS });
  return result.status === 'delivered' ? performance.now() - start : undefined;
}

/** The victim's store at one moment. */
export interface StoreSample {
  /** Bytes of its LevelDB folder. */
  readonly diskBytes: number;
  /** Message requests held, and the sum of their `bytes` (what strangers cost it, by its own count). */
  readonly requests: number;
  readonly requestBytes: number;
  /** The most texts any one request holds. */
  readonly maxRequestMessages: number;
}

/** Samples the running victim's store (its folder, and its requests through the control socket). */
export async function sampleStore(victim: Victim): Promise<StoreSample> {
  const [requests, disk] = await Promise.all([victim.api.listRequests(), diskBytes(victim.database)]);
  return {
    diskBytes: disk,
    requests: requests.length,
    requestBytes: requests.reduce((sum, r) => sum + r.bytes, 0),
    maxRequestMessages: Math.max(0, ...requests.map((r) => r.messages)),
  };
}

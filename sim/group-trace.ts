/**
 * Per-node logs of group events, for finding why a group message was lost
 * (docs/SCALING.md §4). Off unless `SOTTO_SIM_GROUP_LOG` names a directory;
 * then each sim node appends to `<dir>/<node>.log` one line per frame it
 * received (from whom, its kind and epoch, the ack it got, and for an ack
 * other than 'stored' the error a dry run of the same frame on the same
 * state throws), per frame it queued (with the message id it carries), per
 * branch switch and state change, with the state's epoch, kept past epochs,
 * rewind history and side branches. It never logs keys or plaintext: frame
 * digests, epochs, message ids, error names and peer names.
 *
 * It wraps the service's methods on the instance (receive, the delivery's
 * enqueue): GroupService itself has no trace hook.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, type Bytes } from '../src/crypto/bytes.ts';
import type { GroupService } from '../src/node/groups/group-service.ts';
import type { GroupEnv } from '../src/node/groups/context.ts';
import { processGroupFrame } from '../src/node/groups/group-process.ts';
import type { GroupState } from '../src/node/groups/group-state.ts';
import { decodeGroupFrame } from '../src/node/groups/wire.ts';
import type { AckStatus } from '../src/node/messaging/wire.ts';
import type { Messenger } from '../src/node/messaging/messenger.ts';
import { wallNow } from './clock.ts';

/** The directory of the logs, when tracing is on. */
export const GROUP_TRACE_DIR = process.env['SOTTO_SIM_GROUP_LOG'];

/** What the trace reads of a GroupService (private members, read only). */
interface Internals {
  states: Map<string, GroupState>;
  receive(bytes: Bytes, from?: string): Promise<AckStatus>;
  delivery: { enqueue(group: { id: string }, frame: { kind: string; frame: Bytes; epoch: bigint; messageId?: string; recipients?: readonly string[] }, also: unknown): Promise<unknown> };
}

/** A state in one line: epoch, authenticator, kept past epochs, the rewind history's epochs, side branches (fork epoch → tip epoch). */
export function describeState(state: GroupState | undefined): string {
  if (!state) return 'no-state';
  const mls = state.mls;
  const past = [...mls.historicalReceiverData.keys()].join(',');
  const history = state.history.map((e) => `${e.before.groupContext.epoch}`).join(',');
  const branches = state.branches.map((b) => `${b.forkEpoch}>${b.tip.groupContext.epoch}[${b.entries.length}]`).join(' ');
  return `e${mls.groupContext.epoch} ${toHex(mls.keySchedule.epochAuthenticator).slice(0, 8)} ${mls.groupActiveState.kind} past=[${past}] hist=[${history}] br=[${branches}]`;
}

function frameLabel(bytes: Bytes): string {
  try {
    const frame = decodeGroupFrame(bytes);
    return frame.kind === 'welcome' ? 'welcome' : `${frame.kind}@${frame.epoch}`;
  } catch {
    return 'undecodable';
  }
}

/** Starts tracing `groups` of node `name` into GROUP_TRACE_DIR (no-op when it is unset). Peers are named by the last 8 characters of their peer id; each log's first line names its own. */
export function traceGroups(name: string, groups: GroupService, messenger: Messenger): void {
  if (GROUP_TRACE_DIR === undefined) return;
  mkdirSync(GROUP_TRACE_DIR, { recursive: true });
  const file = join(GROUP_TRACE_DIR, `${name}.log`);
  const log = (line: string): void => appendFileSync(file, `${(wallNow() / 1000).toFixed(3)} ${line}\n`);
  const inner = groups as unknown as Internals;
  const core = messenger.shared();
  const env: GroupEnv = { ctx: core.ctx };
  const digestOf = (bytes: Bytes): string => toHex(core.ctx.primitives.sha256(bytes)).slice(0, 12);
  const stateOf = (): GroupState | undefined => [...inner.states.values()][0];
  const nameOf = (peerId: string): string => peerId.slice(-8);
  log(`start peer=${nameOf(core.peerId)} ${describeState(stateOf())}`);
  const receive = inner.receive.bind(groups);
  inner.receive = async (bytes, from) => {
    const before = stateOf();
    const status = await receive(bytes, from);
    let why = '';
    if (status !== 'stored' && status !== 'duplicate' && before) {
      why = await processGroupFrame(env, before, bytes).then(
        () => ' (opens on the state before)',
        (err: unknown) => ` ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      );
    }
    log(`recv ${frameLabel(bytes)} ${digestOf(bytes)} from=${from === undefined ? 'mailbox' : nameOf(from)} -> ${status}${why} | ${describeState(stateOf())}`);
    return status;
  };
  const enqueue = inner.delivery.enqueue.bind(inner.delivery);
  inner.delivery.enqueue = async (group, frame, also) => {
    log(`queue ${frame.kind}@${frame.epoch} ${digestOf(frame.frame)}${frame.messageId ? ` id=${frame.messageId.slice(0, 12)}` : ''} | ${describeState(stateOf())}`);
    return enqueue(group, frame, also);
  };
  core.on('group-message', (m) => log(`message id=${m.id.slice(0, 12)} from=${nameOf(m.sender)} epoch=${m.epoch}`));
  core.on('group-changed', () => log(`changed | ${describeState(stateOf())}`));
}

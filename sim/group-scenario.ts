/**
 * The group scenario (`npm run sim -- --groups`): one group among real
 * Sotto nodes (as ./node.ts runs them, each with its GroupService), under
 * churn, vanishing mailboxes, membership changes and a partition. The
 * coordinator runs no node; the phases, in order:
 *
 * 1. build: mailboxes and users start; both admins and every other user
 *    become contacts; the first admin makes the group with the first
 *    members (waiting for their key packages), makes the second admin an
 *    admin, and the scenario waits until every member holds one state.
 * 2. churn: the seeded schedule (./group-schedule.ts) runs: members leave
 *    and return, members online send, the admins add joiners and remove
 *    members (one offline when there is one), the group's closest
 *    mailboxes vanish for good.
 * 3. regroup: everyone who is away returns; every member converges.
 * 4. partition: the nodes split in two halves (streams between them fail,
 *    lookups do not return the other half: ./instrument.ts), each admin in
 *    one, the group's mailboxes shared between them; on one side the first
 *    admin adds the last joiner while on the other the second admin
 *    removes a member; members on both sides send.
 * 5. heal: the halves join again; the time until every member holds the
 *    same state with both changes in it (nothing forced: the nodes' own
 *    retries and group polls) is the convergence time.
 * 6. settle: members poll their mailboxes until every message each one is
 *    owed arrived (./group-analysis.ts says which), or time is up; then
 *    every member's history is read.
 */
import { join } from 'node:path';
import { toHex } from '../src/crypto/bytes.ts';
import { MAILBOX_REPLICAS } from '../src/node/constants.ts';
import { fromBase64 } from '../src/node/encoding/base64.ts';
import { groupMailboxKey } from '../src/node/mailbox/keys.ts';
import { sleep, wallNow } from './clock.ts';
import { analyseGroups } from './group-analysis.ts';
import type { GroupPlan } from './group-plan.ts';
import { drawGroupSchedule, type GroupScheduledEvent } from './group-schedule.ts';
import type { GroupOpResult, GroupView, HostEvent } from './host.ts';
import { recordedNetwork, type SimNetwork } from './network.ts';
import type { NodeProxy } from './proxy.ts';
import type { ChurnEvent, Phase } from './recorder.ts';
import type { RunOptions } from './scenario.ts';

/** The group's name at every member. */
export const GROUP_NAME = 'sim';
const MESSAGE_BYTES = 100;
const BOOTSTRAP_FANOUT = 3;
/** Group views are compared this often while waiting for convergence. */
const CONVERGE_POLL_MS = 250;
/** A membership change refused for a reason that passes (no key package yet, an earlier invitee not yet in) is tried again this often. */
const CHANGE_RETRY_MS = 1000;
/** While waiting for convergence, how far it got is printed this often. */
const CONVERGE_REPORT_MS = 10_000;
/** While settling, what the hosts recorded is gathered and checked this often. */
const SETTLE_POLL_MS = 2000;
/** Errors a membership change may throw for a while: it is tried again. */
const PASSING_REFUSALS = new Set(['GroupAddBlockedError', 'GroupKeyPackageMissingError']);

/** One group message the simulation sent. */
export interface GroupMessageTrack {
  readonly id: string;
  readonly from: string;
  readonly sentAt: number;
  readonly phase: Phase;
  /** 'group-message' events by recipient name. */
  readonly events: Map<string, number>;
  /** Wall ms of each recipient's first event. */
  readonly firstAt: Map<string, number>;
}

/** An admin's add or removal, as the scenario asked for it. */
export interface MembershipChange {
  readonly kind: 'create' | 'set-admins' | 'add' | 'remove';
  readonly admin: string;
  readonly target: string;
  readonly phase: Phase;
  /** Wall ms of the first attempt and of success. */
  readonly at: number;
  doneAt: number | null;
  attempts: number;
  /** The last refusal (error name). */
  error: string | null;
}

/** Time until every member held one state, wall ms (null: not within convergeSeconds). */
export interface Convergence {
  readonly formed: number | null;
  readonly regrouped: number | null;
  /** The two admins held different states at the end of the partition. */
  readonly forked: boolean;
  readonly afterHeal: number | null;
  /** Epoch authenticators held by members when the wait after the heal ended (1 when converged). */
  readonly states: number;
  /** When a wait ended without convergence: who held which state (by phase). */
  readonly splits: Readonly<Record<string, readonly string[]>>;
}

export interface GroupScenario {
  readonly plan: GroupPlan;
  readonly seed: number;
  readonly network: SimNetwork;
  readonly admins: readonly [string, string];
  /** The group's k mailboxes when it was made, closest first. */
  readonly groupMailboxes: readonly string[];
  /** The group's mailbox key, hex (custody records under it are the group's). */
  readonly groupKey: string;
  readonly messages: Map<string, GroupMessageTrack>;
  /** Sends not made: the member picked had not joined yet, or had been removed without knowing. */
  readonly skippedSends: number;
  readonly changes: readonly MembershipChange[];
  /** Wall ms when a member's removal was asked for, by name. */
  readonly removedAt: ReadonlyMap<string, number>;
  /** Members leaving and returning, mailboxes vanishing. */
  readonly churn: readonly ChurnEvent[];
  /** Vanished mailboxes: wall ms, by name. */
  readonly goneAt: ReadonlyMap<string, number>;
  /** The partition's sides (peer id → 0 or 1) and when it began and healed. */
  readonly partition: { readonly sides: ReadonlyMap<string, number>; readonly from: number; readonly to: number };
  readonly convergence: Convergence;
  /** Each member's history at the end (every user that ever was a member). */
  readonly histories: ReadonlyMap<string, readonly { id: string; sender: string; direction: string }[]>;
  readonly wall: { readonly total: number; readonly settle: number };
}

/** What the group scenario runs with: the churn scenario's options (./scenario.ts) but its own plan, and no drain. */
export interface GroupRunOptions extends Omit<RunOptions, 'plan' | 'profile' | 'fifoMailboxes'> {
  readonly plan: GroupPlan;
}

function text(i: number, from: string): string {
  return `g${i} ${from} `.padEnd(MESSAGE_BYTES, '.');
}

/** Do the views of `expected` (names) agree on one state with exactly those members, and do `removed` no longer take part? */
function agree(views: ReadonlyMap<string, GroupView | null>, expected: ReadonlySet<string>, removed: ReadonlySet<string>, peerOf: (name: string) => string, nameOf: (peerId: string) => string): Agreement {
  const members = [...expected].map(peerOf).sort();
  const states = new Map<string, string[]>();
  const split: string[] = [];
  let converged = true;
  for (const name of expected) {
    const view = views.get(name);
    if (!view?.active) {
      converged = false;
      split.push(`${name}: ${view ? 'not active' : 'not in the group'}`);
      continue;
    }
    states.set(view.authenticator, [...(states.get(view.authenticator) ?? []), name]);
    if (view.members.join() !== members.join()) converged = false;
  }
  for (const name of removed) {
    if (!views.get(name)?.active) continue;
    converged = false;
    split.push(`${name}: removed, still active`);
  }
  for (const [authenticator, names] of states) {
    const view = views.get(names[0]!)!;
    const extra = view.members.filter((p) => !members.includes(p)).map(nameOf);
    const missing = members.filter((p) => !view.members.includes(p)).map(nameOf);
    split.push(`${authenticator.slice(0, 8)}: ${names.join(' ')}${extra.length > 0 ? ` (still has ${extra.join(' ')})` : ''}${missing.length > 0 ? ` (lacks ${missing.join(' ')})` : ''}`);
  }
  return { converged: converged && states.size === 1, states: states.size, split };
}

/** How far the members' views agree: one state, how many, and who holds which (for the report when they do not). */
interface Agreement {
  readonly converged: boolean;
  readonly states: number;
  readonly split: readonly string[];
}

export async function runGroupScenario(options: GroupRunOptions): Promise<GroupScenario> {
  const { plan, seed, ctx, clock, recorder, rng, progress } = options;
  const began = wallNow();
  const { network, setPhase } = recordedNetwork(recorder, join(options.root, 'groups'), rng.fork('bootstrap'), BOOTSTRAP_FANOUT, options.hosts);
  setPhase('build');
  for (let i = 0; i < plan.mailboxes; i++) network.add(`gmb${i}`, 'mailbox');
  const initial = Array.from({ length: plan.members }, (_, i) => network.add(`m${String(i).padStart(2, '0')}`, 'user'));
  const joiners = Array.from({ length: plan.joiners }, (_, i) => network.add(`j${i}`, 'user'));
  const [admin0, admin1] = initial as [NodeProxy, NodeProxy];
  const users = [...initial, ...joiners];
  const byName = new Map(network.nodes.map((n) => [n.name, n]));
  const byPeer = new Map<string, string>();
  progress(`groups build: ${network.nodes.length} nodes (${plan.mailboxes} mailboxes, ${plan.members} members with 2 admins, ${plan.joiners} to join) in ${options.hosts} host processes, seed ${seed}`);
  await network.createHomes(ctx, seed);
  for (const n of network.nodes) byPeer.set(n.peerId, n.name);
  const peerOf = (name: string): string => byName.get(name)!.peerId;

  const messages = new Map<string, GroupMessageTrack>();
  const early = new Map<string, { recipient: string; at: number }[]>();
  const delivered = (id: string, recipient: string, at: number): void => {
    const track = messages.get(id);
    if (!track) {
      early.set(id, [...(early.get(id) ?? []), { recipient, at }]);
      return;
    }
    track.events.set(recipient, (track.events.get(recipient) ?? 0) + 1);
    if (!track.firstAt.has(recipient)) track.firstAt.set(recipient, at);
  };
  const onEvent = (event: HostEvent): void => {
    for (const m of event.groupMessages) delivered(m.id, m.recipient, m.at);
  };
  const changes: MembershipChange[] = [];
  const removedAt = new Map<string, number>();
  const goneAt = new Map<string, number>();
  // Who the scenario means to be in the group now.
  const expected = new Set(initial.map((n) => n.name));
  const removed = new Set<string>();
  let sent = 0;
  let skippedSends = 0;
  const track = (p: Promise<unknown>, what: string): void => recorder.track(p, what);
  const sendFrom = async (from: NodeProxy): Promise<void> => {
    const body = text(sent++, from.name);
    const result = await from.ask('groupSend', { group: GROUP_NAME, text: body });
    if (!result.ok || result.id === undefined) {
      skippedSends++;
      return;
    }
    messages.set(result.id, { id: result.id, from: from.name, sentAt: result.sentAt!, phase: recorder.phase, events: new Map(), firstAt: new Map() });
    for (const e of early.get(result.id) ?? []) delivered(result.id, e.recipient, e.at);
    early.delete(result.id);
  };
  /** Asks `admin` for a change until it is done, refused for good, or `deadline` (wall ms) passed. */
  const change = async (kind: MembershipChange['kind'], admin: NodeProxy, target: string, deadline: number, op: () => Promise<GroupOpResult>): Promise<MembershipChange> => {
    const record: MembershipChange = { kind, admin: admin.name, target, phase: recorder.phase, at: wallNow(), doneAt: null, attempts: 0, error: null };
    changes.push(record);
    for (;;) {
      record.attempts++;
      const result = await op().catch((err: unknown): GroupOpResult => ({ ok: false, error: 'sim', message: err instanceof Error ? err.message.split('\n')[0]! : String(err) }));
      if (result.ok) {
        record.doneAt = wallNow();
        record.error = null;
        return record;
      }
      record.error = result.error;
      if (!PASSING_REFUSALS.has(result.error) || wallNow() + CHANGE_RETRY_MS > deadline) {
        recorder.error(`group ${kind} of ${target} by ${admin.name}`, new Error(`${result.error}: ${result.message}`));
        return record;
      }
      await sleep(CHANGE_RETRY_MS);
    }
  };
  const views = async (names: Iterable<string>): Promise<Map<string, GroupView | null>> => {
    const byHost = new Map<number, string[]>();
    for (const name of names) {
      const node = byName.get(name)!;
      if (node.online) byHost.set(node.hostIndex, [...(byHost.get(node.hostIndex) ?? []), name]);
    }
    const out = new Map<string, GroupView | null>();
    await Promise.all(
      [...byHost.values()].map(async (list) => {
        const answer = await byName.get(list[0]!)!.ask('groupViews', { names: list, group: GROUP_NAME }).catch(() => ({}) as Record<string, GroupView | null>);
        for (const name of list) out.set(name, answer[name] ?? null);
      }),
    );
    return out;
  };
  /** Waits until every member expected holds one state; resolves to the wait (wall ms) or null, and how many states members held then. */
  const converge = async (seconds: number): Promise<{ ms: number | null; states: number; split: readonly string[] }> => {
    const start = wallNow();
    let last: Agreement = { converged: false, states: 0, split: [] };
    let reported = start;
    while (wallNow() - start < seconds * 1000) {
      const result = (last = agree(await views([...expected, ...removed]), expected, removed, peerOf, (p) => byPeer.get(p) ?? p.slice(0, 12)));
      if (result.converged) return { ms: wallNow() - start, states: result.states, split: [] };
      if (wallNow() - reported >= CONVERGE_REPORT_MS) {
        reported = wallNow();
        progress(`  ${recorder.phase}: after ${Math.round((reported - start) / 1000)} s: ${result.split.join('; ')}`);
      }
      await sleep(CONVERGE_POLL_MS);
    }
    return { ms: null, states: last.states, split: last.split };
  };
  const flush = async (): Promise<void> => {
    for (const f of await network.everyHost('flush', {})) {
      recorder.custody.push(...f.custody);
      for (const [hash, frame] of f.groupFrames) if (!recorder.groupFrames.has(hash)) recorder.groupFrames.set(hash, frame);
      recorder.absorbErrors(f.errorKinds, f.errors);
    }
  };

  try {
    await network.spawnHosts(clock.params, onEvent, true);
    await network.startAll();
    progress(`groups build: ${network.online.length} nodes up after ${Math.round(wallNow() - began)} ms`);
    const pairs = [admin0, admin1].flatMap((admin) => users.filter((other) => other !== admin && !(other === admin0 && admin === admin1)).map((other) => [admin, other] as const));
    await Promise.all(
      pairs.map(async ([admin, other]) => {
        await admin.addContact(other.name, other.peerId);
        await other.addContact(admin.name, admin.peerId);
        admin.contacts.set(other.name, other);
        other.contacts.set(admin.name, admin);
      }),
    );
    // The group: made as soon as the first members' key packages are at hand (given ahead, or asked for live).
    const buildDeadline = wallNow() + plan.convergeSeconds * 1000;
    let token: string | undefined;
    const created = await change('create', admin0, GROUP_NAME, buildDeadline, async () => {
      const result = await admin0.ask('groupCreate', { group: GROUP_NAME, members: initial.slice(1).map((n) => n.name) });
      token = result.token;
      return result;
    });
    if (created.doneAt === null || token === undefined) throw new Error(`the group could not be made: ${created.error ?? 'unknown'}`);
    progress(`groups build: ${admin0.name} made the group after ${Math.round(created.doneAt - created.at)} ms (${created.attempts} attempts)`);
    const groupKey = groupMailboxKey(ctx.primitives, fromBase64(token));
    const groupKeyHex = toHex(groupKey);
    const groupMailboxes = network.closest(groupKey, network.mailboxes, MAILBOX_REPLICAS).map((n) => n.name);
    const formed = await converge(plan.convergeSeconds);
    await change('set-admins', admin0, admin1.name, wallNow() + plan.convergeSeconds * 1000, () => admin0.ask('groupSetAdmins', { group: GROUP_NAME, admins: [null, admin1.name] }));
    const adminsAgreed = await converge(plan.convergeSeconds);
    progress(`groups build: the group of ${plan.members} formed in ${formed.ms === null ? 'NOT within the wait' : `${Math.round(formed.ms)} ms`}, two admins agreed in ${adminsAgreed.ms === null ? 'NOT within the wait' : `${Math.round(adminsAgreed.ms)} ms`}; its mailboxes ${groupMailboxes.join(' ')}`);

    // 2. churn
    const churners = users.filter((n) => n !== admin0 && n !== admin1).map((n) => n.name);
    const lastJoiner = joiners.at(-1)!;
    const schedule = drawGroupSchedule(plan, churners, joiners.slice(0, -1).map((n) => n.name), rng.fork('group-schedule'));
    const pickRng = rng.fork('group-picks');
    setPhase('churn');
    progress(`groups churn: ${plan.churnSeconds} s, ${schedule.filter((e) => e.type === 'send').length} sends, ${schedule.filter((e) => e.type === 'leave').length} departures, ${schedule.filter((e) => e.type === 'add' || e.type === 'remove').length} membership changes, ${plan.mailboxVanish} of the group's mailboxes vanish`);
    const senders = (side?: number, sides?: ReadonlyMap<string, number>): NodeProxy[] =>
      [...expected].map((n) => byName.get(n)!).filter((n) => n.online && (side === undefined || sides?.get(n.peerId) === side));
    const removable = (prefer: (n: NodeProxy) => boolean): string | undefined => {
      const candidates = initial.filter((n) => n !== admin0 && n !== admin1 && expected.has(n.name));
      const preferred = candidates.filter(prefer);
      const pool = preferred.length > 0 ? preferred : candidates;
      return pool.length === 0 ? undefined : pickRng.pick(pool).name;
    };
    const churnEnd = wallNow() + plan.churnSeconds * 1000;
    const dispatch = (e: GroupScheduledEvent): void => {
      if (e.type === 'send') {
        const online = senders();
        if (online.length > 0) track(sendFrom(pickRng.pick(online)), 'group send');
        return;
      }
      if (e.type === 'add') {
        const admin = e.admin === 0 ? admin0 : admin1;
        track(
          change('add', admin, e.joiner, churnEnd, () => admin.ask('groupAdd', { group: GROUP_NAME, members: [e.joiner] })).then((c) => {
            if (c.doneAt !== null) expected.add(e.joiner);
          }),
          `add ${e.joiner}`,
        );
        return;
      }
      if (e.type === 'remove') {
        const admin = e.admin === 0 ? admin0 : admin1;
        // A member away, when there is one: it learns of its removal from the mailboxes.
        const target = removable((n) => !n.online);
        if (!target) return;
        expected.delete(target);
        removed.add(target);
        removedAt.set(target, wallNow());
        track(change('remove', admin, target, churnEnd, () => admin.ask('groupRemove', { group: GROUP_NAME, member: target })), `remove ${target}`);
        return;
      }
      if (e.type === 'vanish') {
        const alive = network.closest(groupKey, network.mailboxes.filter((n) => !goneAt.has(n.name)), MAILBOX_REPLICAS);
        const node = alive[e.rank];
        if (!node) return;
        goneAt.set(node.name, wallNow());
        recorder.churn.push({ kind: 'vanish', node: node.name, at: wallNow() });
        track(node.stop(true), `${node.name} vanishing`);
        return;
      }
      const node = byName.get(e.node)!;
      recorder.churn.push({ kind: e.type, node: node.name, at: wallNow() });
      track(e.type === 'leave' ? node.stop() : node.start(network.bootstrapFor(node)), `${node.name} ${e.type}`);
    };
    const churnStart = wallNow();
    for (const e of schedule) {
      const due = churnStart + e.at * 1000 - wallNow();
      if (due > 0) await sleep(due);
      dispatch(e);
    }
    const left = churnEnd - wallNow();
    if (left > 0) await sleep(left);

    // 3. regroup
    setPhase('regroup');
    await recorder.settled();
    await Promise.all(network.nodes.filter((n) => n.state === 'offline').map((n) => n.start(network.bootstrapFor(n)).catch((err: unknown) => recorder.error(`${n.name} returning`, err))));
    const regrouped = await converge(plan.convergeSeconds);
    progress(`groups regroup: everyone back; members ${regrouped.ms === null ? `did NOT converge (${regrouped.states} states)` : `converged in ${Math.round(regrouped.ms)} ms`}`);

    // 4. partition: the group's mailboxes alternate between the halves (closest first), so each half holds some of them.
    const sides = new Map<string, number>();
    const alive = network.closest(groupKey, network.mailboxes.filter((n) => !goneAt.has(n.name)), plan.mailboxes);
    alive.forEach((n, i) => sides.set(n.peerId, i % 2));
    sides.set(admin0.peerId, 0);
    sides.set(admin1.peerId, 1);
    sides.set(lastJoiner.peerId, 0);
    pickRng.shuffle(users.filter((n) => !sides.has(n.peerId))).forEach((n, i) => sides.set(n.peerId, i % 2));
    setPhase('partition');
    await network.everyHost('partition', { sides: [...sides] });
    const partitionFrom = wallNow();
    const partitionEnd = partitionFrom + plan.partitionSeconds * 1000;
    progress(`groups partition: ${plan.partitionSeconds} s; ${admin0.name} adds ${lastJoiner.name} on one side while ${admin1.name} removes a member on the other`);
    const target = removable((n) => sides.get(n.peerId) === 1);
    track(
      change('add', admin0, lastJoiner.name, partitionEnd, () => admin0.ask('groupAdd', { group: GROUP_NAME, members: [lastJoiner.name] })).then((c) => {
        if (c.doneAt !== null) expected.add(lastJoiner.name);
      }),
      `add ${lastJoiner.name}`,
    );
    if (target) {
      expected.delete(target);
      removed.add(target);
      removedAt.set(target, wallNow());
      track(change('remove', admin1, target, partitionEnd, () => admin1.ask('groupRemove', { group: GROUP_NAME, member: target })), `remove ${target}`);
    }
    const sendRng = rng.fork('partition-sends');
    for (let t = wallNow() + sendRng.exp(1000 / plan.sendsPerSecond); t < partitionEnd; t += sendRng.exp(1000 / plan.sendsPerSecond)) {
      await sleep(Math.max(0, t - wallNow()));
      const online = senders(sendRng.int(2), sides);
      if (online.length > 0) track(sendFrom(sendRng.pick(online)), 'group send');
    }
    await sleep(Math.max(0, partitionEnd - wallNow()));
    await recorder.settled();
    const split = await views([admin0.name, admin1.name]);
    const forked = split.get(admin0.name)?.authenticator !== split.get(admin1.name)?.authenticator;

    // 5. heal
    setPhase('heal');
    await network.everyHost('partition', { sides: null });
    const partitionTo = wallNow();
    const healed = await converge(plan.convergeSeconds);
    progress(`groups heal: the two sides ${forked ? 'had forked' : 'had NOT forked'}; members ${healed.ms === null ? `did NOT converge (${healed.states} states)` : `converged in ${Math.round(healed.ms)} ms`}`);

    // 6. settle
    setPhase('settle');
    const settleStart = wallNow();
    const everyone = users.map((n) => n.name);
    const histories = new Map<string, { id: string; sender: string; direction: string }[]>();
    const readHistories = async (): Promise<void> => {
      for (const name of everyone) {
        const node = byName.get(name)!;
        if (!node.online) continue;
        const history = await node.ask('groupHistory', { group: GROUP_NAME }).catch(() => null);
        if (history) histories.set(name, history);
      }
    };
    const scenarioNow = (): GroupScenario => ({
      plan,
      seed,
      network,
      admins: [admin0.name, admin1.name],
      groupMailboxes,
      groupKey: groupKeyHex,
      messages,
      skippedSends,
      changes,
      removedAt,
      churn: recorder.churn,
      goneAt,
      partition: { sides, from: partitionFrom, to: partitionTo },
      convergence: { formed: formed.ms, regrouped: regrouped.ms, forked, afterHeal: healed.ms, states: healed.states, splits: Object.fromEntries(Object.entries({ build: formed.split, regroup: regrouped.split, heal: healed.split }).filter(([, v]) => v.length > 0)) },
      histories,
      wall: { total: wallNow() - began, settle: wallNow() - settleStart },
    });
    for (;;) {
      await flush();
      await readHistories();
      const owed = analyseGroups(scenarioNow(), recorder).lost.length;
      if (owed === 0 || wallNow() - settleStart > plan.settleSeconds * 1000) break;
      await sleep(SETTLE_POLL_MS);
    }
    progress(`groups settle: ${Math.round(wallNow() - settleStart)} ms`);
    recorder.endPhases();
    return scenarioNow();
  } finally {
    progress('groups teardown: stopping every node');
    recorder.setPhase('teardown');
    await network.shutdown();
    recorder.endPhases();
  }
}

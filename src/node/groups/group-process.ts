/**
 * Processing what arrives for a group: application messages, a member's
 * leave proposal, and operations (commits), including operations from a
 * competing branch, which the fork choice (./fork-choice.ts) weighs against
 * the member's own branch.
 *
 * Every check runs before the state changes, and a failure leaves the state
 * given untouched (a new state is returned only on success): a replayed
 * frame is refused by its digest before any key is used; a frame for
 * another group, an epoch ahead or one whose keys are gone, a forged sender
 * or a commit that breaks the group's rules is refused with a typed error.
 */
import { defaultProposalTypes, processMessage, type ClientState, type MlsPrivateMessage, type ProposalWithSender, type SecretTree } from 'ts-mls';
import { equalBytes, toHex, type Bytes } from '../../crypto/bytes.ts';
import { GROUP_PAST_EPOCHS_KEPT, MAX_GROUP_MEMBERS } from '../constants.ts';
import { DuplicateGroupMessageError, GroupEpochError, GroupPolicyError, NotGroupAdminError, WrongGroupError } from '../errors.ts';
import { groupAdmins } from './admins.ts';
import { mlsContext, type GroupEnv } from './context.ts';
import { compareBranches, type OperationSummary } from './fork-choice.ts';
import { identityAtLeaf, memberCount, prunedBranches, withHistory, withSeen, type GroupState, type HistoryEntry, type OwnIntent, type SideBranch } from './group-state.ts';
import { enterEpoch, expirePastEpochKeys, withPastEpochKeys } from './group-ops.ts';
import { keyPackageIdentity } from './key-package.ts';
import { guarded } from './mls-failure.ts';
import { decodeGroupFrame } from './wire.ts';

/** What processing a frame produced. */
export type GroupEvent =
  | {
      readonly kind: 'application';
      /** Identity key of the sender (authenticated by its leaf's signature). */
      readonly sender: Bytes;
      readonly plaintext: Bytes;
      readonly epoch: bigint;
    }
  | {
      /** A member asked to leave; any member may commit it (commitPending). */
      readonly kind: 'leave-request';
      readonly sender: Bytes;
    }
  | {
      readonly kind: 'operation';
      readonly committer: Bytes;
      /** Epoch the group is at afterwards. */
      readonly epoch: bigint;
      readonly added: readonly Bytes[];
      readonly removed: readonly Bytes[];
      /** This member was removed by it. */
      readonly removedSelf: boolean;
    }
  | {
      /**
       * An operation of a competing branch. `switched`: the fork choice now
       * prefers it, and the state moved to it; `abandoned` are the epochs of
       * the branch this member left (re-send what it sent in them),
       * `reapply` its own operations there (make them again).
       */
      readonly kind: 'fork';
      readonly switched: boolean;
      readonly forkEpoch: bigint;
      readonly epoch: bigint;
      readonly abandoned: readonly bigint[];
      readonly reapply: readonly OwnIntent[];
    };

const PRIVILEGED = new Set<number>([defaultProposalTypes.add, defaultProposalTypes.psk, defaultProposalTypes.reinit, defaultProposalTypes.external_init, defaultProposalTypes.group_context_extensions]);

/** True for a proposal only an admin may commit: anything but a member's own update or leave. */
function privileged(p: ProposalWithSender): boolean {
  const type = p.proposal.proposalType;
  if (type === defaultProposalTypes.update) return false;
  if (type === defaultProposalTypes.remove) return (p.proposal as { remove: { removed: number } }).remove.removed !== p.senderLeafIndex;
  return PRIVILEGED.has(type) || type > defaultProposalTypes.group_context_extensions;
}

/** The leaf whose ratchet a message advanced: the sender (the secret tree is replaced only where it changed). */
function advancedLeaf(before: SecretTree, after: SecretTree): number | undefined {
  for (const [node, value] of Object.entries(after.leafNodes)) if (before.leafNodes[Number(node)] !== value) return Number(node) / 2;
  return undefined;
}

function isAdmin(mls: ClientState, identity: Bytes | undefined): boolean {
  return identity !== undefined && groupAdmins(mls).some((a) => equalBytes(a, identity));
}

/** Public keys of a tree must be unique (RFC 9420 §7.9); ts-mls 2.0.0-rc.10 does not check a commit's UpdatePath for it. */
function assertUniqueKeys(mls: ClientState): void {
  const keys = new Set<string>();
  for (const node of mls.ratchetTree) {
    if (node === undefined) continue;
    const key = toHex(('leaf' in node ? node.leaf.hpkePublicKey : node.parent.hpkePublicKey).subarray(0, 32));
    if (keys.has(key)) throw new GroupPolicyError('duplicate-keys');
    keys.add(key);
  }
}

interface Applied {
  readonly mls: ClientState;
  readonly committer: Bytes;
  readonly privileged: boolean;
  readonly added: Bytes[];
  readonly removed: Bytes[];
  readonly removedSelf: boolean;
}

/** Applies an operation's commits to `mls` under the group's rules; throws without side effects when any fails. */
async function applyOperation(env: GroupEnv, suite: GroupState['suite'], mls: ClientState, commits: readonly MlsPrivateMessage[]): Promise<Applied> {
  const context = mlsContext(env.ctx, suite);
  let current = mls;
  let committerLeaf: number | undefined;
  let committer: Bytes | undefined;
  let isPrivileged = false;
  let sealNeeded = false;
  let removedSelf = false;
  const added: Bytes[] = [];
  const removed: Bytes[] = [];
  for (const [i, commit] of commits.entries()) {
    let violation: Error | undefined;
    const before = current;
    const result = await guarded(() =>
      processMessage({
        context,
        state: before,
        message: commit,
        callback: (incoming) => {
          if (incoming.kind !== 'commit') return 'reject';
          const sender = incoming.senderLeafIndex;
          if (sender === undefined) violation = new GroupPolicyError('external-commit');
          else if (i === 0) {
            committerLeaf = sender;
            committer = identityAtLeaf(before, sender);
            isPrivileged = incoming.proposals.some(privileged);
            if (isPrivileged && !isAdmin(before, committer)) violation = new NotGroupAdminError();
            for (const p of incoming.proposals) {
              if (p.proposal.proposalType === defaultProposalTypes.remove) {
                sealNeeded = true;
                const who = identityAtLeaf(before, (p.proposal as { remove: { removed: number } }).remove.removed);
                if (who !== undefined) removed.push(who);
              } else if (p.proposal.proposalType === defaultProposalTypes.add) {
                added.push(keyPackageIdentity((p.proposal as { add: { keyPackage: Parameters<typeof keyPackageIdentity>[0] } }).add.keyPackage));
              }
            }
          } else if (sender !== committerLeaf || incoming.proposals.length > 0 || !sealNeeded) {
            violation = new GroupPolicyError('malformed-operation');
          }
          return violation === undefined ? 'accept' : 'reject';
        },
      }),
    );
    if (violation !== undefined) throw violation;
    if (result.kind !== 'newState' || result.actionTaken !== 'accept') throw new GroupPolicyError('malformed-operation');
    current = result.newState;
    if (current.groupActiveState.kind === 'removedFromGroup') {
      removedSelf = true;
      break;
    }
  }
  if (sealNeeded && !removedSelf && commits.length < 2) throw new GroupPolicyError('unsealed-removal');
  if (memberCount(current) > MAX_GROUP_MEMBERS) throw new GroupPolicyError('too-many-members');
  if (!removedSelf) assertUniqueKeys(current);
  return { mls: current, committer: committer!, privileged: isPrivileged, added, removed, removedSelf };
}

/**
 * The past epochs a member keeps keys for once it moved to branch `side`:
 * those before the fork as they were, the fork epoch (both branches left it;
 * messages sent in it open on either), and each epoch of the branch that an
 * operation ended (not the epoch inside a sealed removal: nobody sends in
 * it), the newest GROUP_PAST_EPOCHS_KEPT of those whose keys the branch's
 * tip holds. Left out of this list, an epoch's keys would go with the next
 * commit (enterEpoch keeps only the epochs listed).
 */
function pastEpochsOfBranch(state: GroupState, side: SideBranch, now: number): GroupState['pastEpochs'] {
  const forkEnded = state.pastEpochs.find((p) => p.epoch === side.forkEpoch)?.endedAt ?? now;
  const branchEnded = side.entries.map((e) => ({ epoch: e.before.groupContext.epoch, endedAt: e.before.groupContext.epoch === side.forkEpoch ? forkEnded : now }));
  return [...state.pastEpochs.filter((p) => p.epoch < side.forkEpoch), ...branchEnded].filter((p) => side.tip.historicalReceiverData.has(p.epoch)).slice(-GROUP_PAST_EPOCHS_KEPT);
}

/** The canonical operations from `forkEpoch` on. */
function canonicalSince(state: GroupState, forkEpoch: bigint): readonly HistoryEntry[] {
  return state.history.filter((e) => e.before.groupContext.epoch >= forkEpoch);
}

/**
 * Processes a group frame (application, leave proposal or operation) at
 * `env.ctx.now()`. Throws GroupMessageTooLargeError, DecodeError,
 * VersionTooOld/New, WrongGroupError, DuplicateGroupMessageError,
 * GroupEpochError, GroupAuthenticationError, GroupPolicyError or
 * NotGroupAdminError, and then `state` is as it was.
 */
export async function processGroupFrame(env: GroupEnv, given: GroupState, bytes: Bytes): Promise<{ state: GroupState; event: GroupEvent }> {
  const frame = decodeGroupFrame(bytes);
  if (frame.kind === 'welcome') throw new GroupPolicyError('malformed-operation');
  if (!equalBytes(frame.groupId, given.mls.groupContext.groupId)) throw new WrongGroupError();
  const digest = env.ctx.primitives.sha256(bytes);
  if (given.seen.includes(toHex(digest))) throw new DuplicateGroupMessageError();
  const state = expirePastEpochKeys(given, env.ctx.now());
  const seen = withSeen(state.seen, digest);
  if (frame.kind === 'operation') return processOperation(env, state, frame.commits, frame.epoch, digest, seen);
  return processMessageFrame(env, state, frame.message, frame.kind, frame.epoch, seen);
}

async function processMessageFrame(env: GroupEnv, state: GroupState, message: MlsPrivateMessage, kind: 'application' | 'proposal', epoch: bigint, seen: readonly string[]): Promise<{ state: GroupState; event: GroupEvent }> {
  const current = state.mls.groupContext.epoch;
  const context = mlsContext(env.ctx, state.suite);
  const candidates: { mls: ClientState; branch?: SideBranch }[] = [];
  if (epoch === current || state.mls.historicalReceiverData.has(epoch)) candidates.push({ mls: state.mls });
  for (const branch of state.branches) {
    if (branch.tip.groupContext.epoch === epoch || (branch.tip.historicalReceiverData.has(epoch) && epoch > branch.forkEpoch)) candidates.push({ mls: branch.tip, branch });
  }
  if (candidates.length === 0) throw new GroupEpochError(epoch > current ? 'ahead' : 'expired', epoch, current);
  if (kind === 'proposal' && epoch !== current) throw new GroupEpochError(epoch > current ? 'ahead' : 'expired', epoch, current);
  let failure: unknown;
  for (const { mls, branch } of candidates) {
    let violation = false;
    let proposer: number | undefined;
    let result;
    try {
      result = await guarded(() =>
        processMessage({
          context,
          state: mls,
          message,
          callback: (incoming) => {
            if (incoming.kind !== 'proposal') return 'reject';
            proposer = incoming.proposal.senderLeafIndex;
            // Only a member's own leave is accepted as a proposal.
            violation = incoming.proposal.proposal.proposalType !== defaultProposalTypes.remove || privileged(incoming.proposal);
            return violation ? 'reject' : 'accept';
          },
        }),
      );
    } catch (error) {
      failure = error;
      continue;
    }
    if (result.kind === 'applicationMessage') {
      const atEpoch = mls.groupContext.epoch === epoch ? { before: mls.secretTree, after: result.newState.secretTree, tree: mls.ratchetTree } : undefined;
      const past = atEpoch ?? { before: mls.historicalReceiverData.get(epoch)!.secretTree, after: result.newState.historicalReceiverData.get(epoch)!.secretTree, tree: mls.historicalReceiverData.get(epoch)!.ratchetTree };
      const leaf = advancedLeaf(past.before, past.after);
      const node = leaf === undefined ? undefined : past.tree[leaf * 2];
      const sender = node !== undefined && 'leaf' in node ? identityAtLeaf({ ...mls, ratchetTree: past.tree }, leaf!) : undefined;
      if (sender === undefined) throw new GroupPolicyError('malformed-operation');
      const next: GroupState =
        branch === undefined ? { ...state, mls: result.newState, seen } : { ...state, branches: state.branches.map((b) => (b === branch ? { ...b, tip: result.newState } : b)), seen };
      return { state: next, event: { kind: 'application', sender, plaintext: result.message, epoch } };
    }
    if (violation || result.actionTaken !== 'accept' || proposer === undefined || branch !== undefined) throw new GroupPolicyError('malformed-operation');
    const sender = identityAtLeaf(mls, proposer);
    if (sender === undefined) throw new GroupPolicyError('malformed-operation');
    return { state: { ...state, mls: result.newState, seen }, event: { kind: 'leave-request', sender } };
  }
  throw failure;
}

async function processOperation(env: GroupEnv, state: GroupState, commits: readonly MlsPrivateMessage[], epoch: bigint, digest: Bytes, seen: readonly string[]): Promise<{ state: GroupState; event: GroupEvent }> {
  const now = env.ctx.now();
  const current = state.mls.groupContext.epoch;
  // The operation may extend the canonical tip, a competing branch, or fork from a kept snapshot: its
  // commits decrypt only under the epoch secrets of the state they were made on, so the first that
  // applies is the one.
  type Base = { forkEpoch: bigint; entries: readonly HistoryEntry[]; mls: ClientState; startedAt: number; branch?: SideBranch };
  const bases: Base[] = [];
  if (epoch === current) bases.push({ forkEpoch: current, entries: [], mls: state.mls, startedAt: state.epochStartedAt });
  for (const b of state.branches) if (b.tip.groupContext.epoch === epoch) bases.push({ forkEpoch: b.forkEpoch, entries: b.entries, mls: b.tip, startedAt: b.tipStartedAt, branch: b });
  const at = epoch < current ? state.history.find((e) => e.before.groupContext.epoch === epoch) : undefined;
  if (at !== undefined) {
    if (equalBytes(at.summary.digest, digest)) throw new DuplicateGroupMessageError();
    // The snapshot was kept without past-epoch keys: give it back those of epochs before the fork.
    const pastKeys = new Map([...state.mls.historicalReceiverData].filter(([e]) => e < epoch));
    bases.push({ forkEpoch: epoch, entries: [], mls: { ...at.before, historicalReceiverData: new Map([...pastKeys, ...at.before.historicalReceiverData]) }, startedAt: at.beforeStartedAt });
  }
  if (bases.length === 0) throw new GroupEpochError(epoch > current ? 'ahead' : 'expired', epoch, current);
  let applied: Applied | undefined;
  let base: Base | undefined;
  let failure: unknown;
  for (const candidate of bases) {
    try {
      applied = await applyOperation(env, state.suite, candidate.mls, commits);
      base = candidate;
      break;
    } catch (error) {
      failure ??= error;
    }
  }
  if (applied === undefined || base === undefined) throw failure;
  if (base.mls === state.mls) {
    const summary: OperationSummary = { committer: applied.committer, privileged: applied.privileged, digest };
    const next: GroupState = {
      ...state,
      ...enterEpoch(state, applied.mls, now),
      history: withHistory(state.history, { before: state.mls, beforeStartedAt: state.epochStartedAt, summary }),
      seen,
    };
    return {
      state: { ...next, branches: prunedBranches(next.branches, next.history) },
      event: { kind: 'operation', committer: applied.committer, epoch: applied.mls.groupContext.epoch, added: applied.added, removed: applied.removed, removedSelf: applied.removedSelf },
    };
  }
  const branch = base.branch;
  const entry: HistoryEntry = { before: base.mls, beforeStartedAt: base.startedAt, summary: { committer: applied.committer, privileged: applied.privileged, digest } };
  const side: SideBranch = { forkEpoch: base.forkEpoch, entries: [...base.entries, entry], tip: applied.mls, tipStartedAt: now };
  const canonical = canonicalSince(state, side.forkEpoch);
  const others = state.branches.filter((b) => b !== branch);
  if (canonical.length > 0 && compareBranches(side.entries.map((e) => e.summary), canonical.map((e) => e.summary)) > 0) {
    const branches = prunedBranches([...others, side], state.history);
    return { state: { ...state, branches, seen }, event: { kind: 'fork', switched: false, forkEpoch: side.forkEpoch, epoch: applied.mls.groupContext.epoch, abandoned: [], reapply: [] } };
  }
  // The competing branch wins: the canonical suffix becomes a side branch, the state moves to the winner.
  const kept = state.history.filter((e) => e.before.groupContext.epoch < side.forkEpoch);
  const losing: SideBranch | undefined = canonical.length === 0 ? undefined : { forkEpoch: side.forkEpoch, entries: canonical, tip: state.mls, tipStartedAt: state.epochStartedAt };
  const history = side.entries.reduce<readonly HistoryEntry[]>((h, e) => withHistory(h, e), kept);
  const pastEpochs = pastEpochsOfBranch(state, side, now);
  const next: GroupState = {
    ...state,
    mls: withPastEpochKeys(side.tip, pastEpochs.map((p) => p.epoch)),
    epochStartedAt: now,
    pastEpochs,
    history,
    branches: prunedBranches(losing === undefined ? others : [...others, losing], history),
    seen,
  };
  const abandoned: bigint[] = [];
  for (let e = side.forkEpoch + 1n; e <= current; e++) abandoned.push(e);
  const reapply = canonical.flatMap((e) => (e.own === undefined ? [] : [e.own]));
  return { state: next, event: { kind: 'fork', switched: true, forkEpoch: side.forkEpoch, epoch: side.tip.groupContext.epoch, abandoned, reapply } };
}

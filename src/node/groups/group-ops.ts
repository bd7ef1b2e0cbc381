/**
 * What a member does to a group: create it (and become its first admin),
 * add members from their published key packages, remove a member, ask to
 * leave, commit others' pending proposals, update its own keys, and encrypt
 * an application message. Each returns the new state and the frames to send
 * (PROTOCOL.md §24); the state given is never changed.
 *
 * Two rules work around ts-mls 2.0.0-rc.10 (docs/GROUPS.md, "The library"):
 * a commit that removes anyone is sealed by an empty commit from the same
 * member in the same operation (the library sends a single removal without
 * an UpdatePath, which would leave the next epoch's secrets to the removed
 * member), and an add is refused while it would give the new member a tree
 * the library cannot join (./join-guard.ts).
 */
import {
  createApplicationMessage,
  createCommit,
  createGroup as createMlsGroup,
  createProposal,
  defaultProposalTypes,
  generateKeyPackageWithKey,
  joinGroup as joinMlsGroup,
  type ClientState,
  type CreateCommitResult,
  type MlsPrivateMessage,
  type Proposal,
} from 'ts-mls';
import { equalBytes, type Bytes } from '../../crypto/bytes.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import { GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS, GROUP_PAST_EPOCHS_KEPT, GROUP_SELF_UPDATE_AFTER_MESSAGES, GROUP_SELF_UPDATE_AFTER_MS, MAX_GROUP_MEMBERS } from '../constants.ts';
import { GroupAddBlockedError, GroupPolicyError, NotGroupAdminError, NotGroupMemberError } from '../errors.ts';
import { adminsExtension } from './admins.ts';
import { GROUP_CIPHERSUITE, type GroupCiphersuiteId } from './ciphersuite.ts';
import { groupCapabilities, mlsContext, type GroupEnv } from './context.ts';
import { makeGroupCredential } from './credential.ts';
import { identityAtLeaf, memberCount, membersOf, withHistory, withSeen, type GroupState, type OwnIntent } from './group-state.ts';
import { leavesBlockingJoin } from './join-guard.ts';
import { KEY_PACKAGE_MLS_LIFETIME, readKeyPackageRecord, type GroupKeyPackageSecrets } from './key-package.ts';
import { guarded } from './mls-failure.ts';
import { decodeGroupFrame, encodeMessageFrame, encodeOperationFrame, encodeWelcomeFrame } from './wire.ts';

const GROUP_ID_BYTES = 32;

/** An operation this member made: its new state and the frame for the group (and a Welcome for members it added). */
export interface OwnOperation {
  readonly state: GroupState;
  readonly operation: Bytes;
  readonly welcome?: Bytes;
}

/** The new state once `mls` replaced `state.mls` at `now`: past epochs recorded, keys of epochs too old or too many dropped. */
export function enterEpoch(state: GroupState, mls: ClientState, now: number): Pick<GroupState, 'mls' | 'epochStartedAt' | 'pastEpochs'> {
  const ended = [...state.pastEpochs, { epoch: state.mls.groupContext.epoch, endedAt: now }];
  const kept = ended.filter((p) => now - p.endedAt <= GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS && p.epoch < mls.groupContext.epoch).slice(-GROUP_PAST_EPOCHS_KEPT);
  return { mls: withPastEpochKeys(mls, kept.map((p) => p.epoch)), epochStartedAt: now, pastEpochs: kept };
}

/** `mls` with the receiving keys of past epochs other than `keep` deleted. */
export function withPastEpochKeys(mls: ClientState, keep: readonly bigint[]): ClientState {
  const kept = new Map([...mls.historicalReceiverData].filter(([epoch]) => keep.includes(epoch)));
  return kept.size === mls.historicalReceiverData.size ? mls : { ...mls, historicalReceiverData: kept };
}

/** Drops the receiving keys of past epochs that ended more than GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS before `now`. */
export function expirePastEpochKeys(state: GroupState, now: number): GroupState {
  const pastEpochs = state.pastEpochs.filter((p) => now - p.endedAt <= GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS);
  if (pastEpochs.length === state.pastEpochs.length) return state;
  return { ...state, pastEpochs, mls: withPastEpochKeys(state.mls, pastEpochs.map((p) => p.epoch)) };
}

function assertActive(state: GroupState): void {
  if (state.mls.groupActiveState.kind !== 'active') throw new NotGroupMemberError('removed');
}

function assertAdmin(state: GroupState): void {
  assertActive(state);
  if (!membersOf(state.mls).some((m) => m.admin && equalBytes(m.identity, state.identity))) throw new NotGroupAdminError();
}

async function sha256(env: GroupEnv, bytes: Bytes): Promise<Bytes> {
  return env.ctx.primitives.sha256(bytes);
}

async function finishOwn(env: GroupEnv, state: GroupState, commits: readonly CreateCommitResult[], intent: OwnIntent, privileged: boolean): Promise<OwnOperation> {
  const operation = encodeOperationFrame(commits.map((c) => c.commit as MlsPrivateMessage));
  const digest = await sha256(env, operation);
  const now = env.ctx.now();
  const last = commits[commits.length - 1]!;
  const next: GroupState = {
    ...state,
    ...enterEpoch(state, last.newState, now),
    history: withHistory(state.history, { before: state.mls, beforeStartedAt: state.epochStartedAt, summary: { committer: state.identity, privileged, digest }, own: intent }),
    lastOwnCommitAt: now,
    updatedSinceJoin: true,
    messagesSinceOwnCommit: 0,
    seen: withSeen(state.seen, digest),
  };
  const welcome = commits[0]!.welcome;
  return welcome === undefined ? { state: next, operation } : { state: next, operation, welcome: encodeWelcomeFrame(welcome) };
}

/** A commit of `proposals`, sealed by an empty commit when it removes anyone. */
async function commitSealed(env: GroupEnv, state: GroupState, proposals: Proposal[], seal: boolean, ratchetTreeExtension = false): Promise<CreateCommitResult[]> {
  const context = mlsContext(env.ctx, state.suite);
  const first = await guarded(() => createCommit({ context, state: state.mls, extraProposals: proposals, ratchetTreeExtension }));
  if (!seal) return [first];
  const sealing = await guarded(() => createCommit({ context, state: first.newState }));
  return [first, sealing];
}

function hasRemove(mls: ClientState, proposals: readonly Proposal[]): boolean {
  return proposals.some((p) => p.proposalType === defaultProposalTypes.remove) || Object.values(mls.unappliedProposals).some((p) => p.proposal.proposalType === defaultProposalTypes.remove);
}

/**
 * A new group with only `identity` in it, its admin. The group id is 32
 * random bytes.
 */
export async function createGroup(env: GroupEnv, identity: IdentityKeyPair): Promise<GroupState> {
  const suite: GroupCiphersuiteId = env.suite ?? GROUP_CIPHERSUITE;
  const context = mlsContext(env.ctx, suite);
  const signatureKeyPair = await context.cipherSuite.signature.keygen();
  const own = await generateKeyPackageWithKey({
    credential: await makeGroupCredential(env.ctx.primitives, identity, signatureKeyPair.publicKey),
    capabilities: groupCapabilities(),
    lifetime: KEY_PACKAGE_MLS_LIFETIME,
    extensions: [],
    signatureKeyPair,
    cipherSuite: context.cipherSuite,
  });
  const mls = await guarded(() =>
    createMlsGroup({ context, groupId: env.ctx.randomBytes(GROUP_ID_BYTES), keyPackage: own.publicPackage, privateKeyPackage: own.privatePackage, extensions: [adminsExtension([identity.public.signingKey])] }),
  );
  const now = env.ctx.now();
  return { suite, identity: identity.public.signingKey, mls, epochStartedAt: now, pastEpochs: [], lastOwnCommitAt: now, updatedSinceJoin: true, messagesSinceOwnCommit: 0, leaving: false, history: [], branches: [], seen: [] };
}

/**
 * Joins a group from a welcome frame with the secrets of the key package it
 * was made for. The first self-update is due at once (updateDue). Throws
 * DecodeError, GroupMessageTooLargeError or GroupAuthenticationError.
 */
export async function joinGroup(env: GroupEnv, identity: IdentityKeyPair, secrets: GroupKeyPackageSecrets, welcomeFrame: Bytes): Promise<GroupState> {
  const frame = decodeGroupFrame(welcomeFrame);
  if (frame.kind !== 'welcome') throw new GroupPolicyError('malformed-operation');
  const suite = secrets.keyPackage.cipherSuite as GroupCiphersuiteId;
  const context = mlsContext(env.ctx, suite);
  const mls = await guarded(() => joinMlsGroup({ context, welcome: frame.welcome.welcome, keyPackage: secrets.keyPackage, privateKeys: secrets.privateKeys }));
  const now = env.ctx.now();
  return { suite, identity: identity.public.signingKey, mls, epochStartedAt: now, pastEpochs: [], lastOwnCommitAt: now, updatedSinceJoin: false, messagesSinceOwnCommit: 0, leaving: false, history: [], branches: [], seen: [] };
}

/**
 * Adds the people whose published key package records are given (an admin
 * only). Returns the operation for the group and the Welcome for the new
 * members. Throws NotGroupAdminError, GroupPolicyError('too-many-members'),
 * the record errors of readKeyPackageRecord, or GroupAddBlockedError.
 */
export async function addMembers(env: GroupEnv, state: GroupState, records: readonly Bytes[]): Promise<OwnOperation> {
  assertAdmin(state);
  const packages = await Promise.all(records.map((r) => readKeyPackageRecord({ ...env, suite: state.suite }, r)));
  if (memberCount(state.mls) + packages.length > MAX_GROUP_MEMBERS) throw new GroupPolicyError('too-many-members');
  const proposals: Proposal[] = packages.map((p) => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: p.keyPackage } }));
  const commits = await commitSealed(env, state, proposals, false, true);
  const blocking = leavesBlockingJoin(commits[0]!.newState.ratchetTree);
  if (blocking.length > 0) {
    const after = commits[0]!.newState;
    throw new GroupAddBlockedError(blocking.map((leaf) => identityAtLeaf(after, leaf)).filter((id): id is Bytes => id !== undefined));
  }
  return finishOwn(env, state, commits, { kind: 'add', records }, true);
}

/**
 * Removes every leaf of the member `identity` (an admin only), sealed by an
 * empty commit. Throws NotGroupAdminError or NotGroupMemberError('unknown-member').
 */
export async function removeMember(env: GroupEnv, state: GroupState, identity: Bytes): Promise<OwnOperation> {
  assertAdmin(state);
  const leaves = membersOf(state.mls).filter((m) => equalBytes(m.identity, identity) && !equalBytes(m.identity, state.identity));
  if (leaves.length === 0) throw new NotGroupMemberError('unknown-member');
  const proposals: Proposal[] = leaves.map((m) => ({ proposalType: defaultProposalTypes.remove, remove: { removed: m.leaf } }));
  return finishOwn(env, state, await commitSealed(env, state, proposals, true), { kind: 'remove', identities: [identity] }, true);
}

/**
 * Replaces the admin list (an admin only; at least one admin remains): a
 * GroupContextExtensions commit carrying the new list. Admins are identity
 * keys of members.
 */
export async function setAdmins(env: GroupEnv, state: GroupState, admins: readonly Bytes[]): Promise<OwnOperation> {
  assertAdmin(state);
  const members = membersOf(state.mls);
  if (admins.length === 0 || admins.some((a) => !members.some((m) => equalBytes(m.identity, a)))) throw new NotGroupMemberError('unknown-member');
  const proposal: Proposal = { proposalType: defaultProposalTypes.group_context_extensions, groupContextExtensions: { extensions: [adminsExtension(admins)] } };
  return finishOwn(env, state, await commitSealed(env, state, [proposal], false), { kind: 'commit' }, true);
}

/**
 * Asks the group to remove this member (a Remove proposal for its own leaf,
 * RFC 9420 §12.1.3); any remaining member commits it (commitPending).
 */
export async function proposeLeave(env: GroupEnv, state: GroupState): Promise<{ state: GroupState; proposal: Bytes }> {
  assertActive(state);
  const own = state.mls.privatePath.leafIndex;
  const result = await guarded(() => createProposal({ context: mlsContext(env.ctx, state.suite), state: state.mls, proposal: { proposalType: defaultProposalTypes.remove, remove: { removed: own } } }));
  const proposal = encodeMessageFrame('proposal', result.message as MlsPrivateMessage);
  return { state: { ...state, mls: result.newState, leaving: true, seen: withSeen(state.seen, await sha256(env, proposal)) }, proposal };
}

/** True when proposals received from others wait for a commit (a member asked to leave). */
export function hasPendingProposals(state: GroupState): boolean {
  return Object.keys(state.mls.unappliedProposals).length > 0;
}

/** Commits the proposals received from others (a leave), sealed when it removes anyone. */
export async function commitPending(env: GroupEnv, state: GroupState): Promise<OwnOperation> {
  assertActive(state);
  if (!hasPendingProposals(state)) throw new RangeError('commitPending: no pending proposals');
  return finishOwn(env, state, await commitSealed(env, state, [], hasRemove(state.mls, [])), { kind: 'commit' }, false);
}

/** Updates this member's own keys (an empty commit with a fresh UpdatePath): post-compromise security. */
export async function selfUpdate(env: GroupEnv, state: GroupState): Promise<OwnOperation> {
  assertActive(state);
  return finishOwn(env, state, await commitSealed(env, state, [], false), { kind: 'update' }, false);
}

/** True when this member should update its keys now: after joining, after GROUP_SELF_UPDATE_AFTER_MESSAGES sent, or GROUP_SELF_UPDATE_AFTER_MS after its last commit. */
export function updateDue(state: GroupState, now: number): boolean {
  return state.mls.groupActiveState.kind === 'active' && (!state.updatedSinceJoin || state.messagesSinceOwnCommit >= GROUP_SELF_UPDATE_AFTER_MESSAGES || now - state.lastOwnCommitAt >= GROUP_SELF_UPDATE_AFTER_MS);
}

/** Encrypts an application message for the group: the frame and the epoch it was sent in (for re-sending after a fork). */
export async function encryptGroupMessage(env: GroupEnv, state: GroupState, plaintext: Bytes): Promise<{ state: GroupState; frame: Bytes; epoch: bigint }> {
  assertActive(state);
  const result = await guarded(() => createApplicationMessage({ context: mlsContext(env.ctx, state.suite), state: state.mls, message: plaintext }));
  const frame = encodeMessageFrame('application', result.message as MlsPrivateMessage);
  return {
    state: { ...state, mls: result.newState, messagesSinceOwnCommit: state.messagesSinceOwnCommit + 1, seen: withSeen(state.seen, await sha256(env, frame)) },
    frame,
    epoch: state.mls.groupContext.epoch,
  };
}

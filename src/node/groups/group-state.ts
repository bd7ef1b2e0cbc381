/**
 * A member's state of one group: the MLS state (ts-mls ClientState, a plain
 * immutable object) and what Sotto keeps beside it — when epochs began and
 * ended (old receiving keys go by age as well as by count), when this member
 * last updated its keys, the last operations with the state before each (to
 * roll back for the fork choice), competing branches, and digests of frames
 * already processed (replays are refused before any key is touched).
 *
 * Every operation returns a new state and leaves the one it was given as it
 * was, so a caller persists the new state only after a call succeeded
 * (STYLE.md 3). {@link encodeGroupState} / {@link decodeGroupState} are the
 * stored form (PROTOCOL.md §24, "Stored group state").
 */
import { clientStateDecoder, clientStateEncoder, encode, getGroupMembers, type ClientState } from 'ts-mls';
import { equalBytes, fromHex, Reader, toHex, Writer, type Bytes } from '../../crypto/bytes.ts';
import { ED25519_KEY_BYTES } from '../../crypto/constants.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { GROUP_WIRE_VERSION, MAX_GROUP_SEEN_DIGESTS, MAX_GROUP_SIDE_BRANCHES, GROUP_MAX_REWIND_OPERATIONS } from '../constants.ts';
import { groupAdmins } from './admins.ts';
import { GROUP_CIPHERSUITE, REFERENCE_CIPHERSUITE, type GroupCiphersuiteId } from './ciphersuite.ts';
import { credentialIdentity } from './credential.ts';
import type { OperationSummary } from './fork-choice.ts';
import { decodeExactly } from './key-package.ts';

/** An operation this member made, kept so that it can make it again if its branch loses the fork choice. */
export type OwnIntent =
  | { readonly kind: 'add'; readonly records: readonly Bytes[] }
  | { readonly kind: 'remove'; readonly identities: readonly Bytes[] }
  | { readonly kind: 'update' }
  | { readonly kind: 'commit' };

/** One operation of a branch, with the MLS state before it. */
export interface HistoryEntry {
  readonly before: ClientState;
  /** When the member entered the epoch `before` is at. */
  readonly beforeStartedAt: number;
  readonly summary: OperationSummary;
  /** Set when this member made the operation. */
  readonly own?: OwnIntent;
}

/** A competing branch: operations from `forkEpoch` that are not the canonical ones, and the state they lead to. */
export interface SideBranch {
  readonly forkEpoch: bigint;
  readonly entries: readonly HistoryEntry[];
  readonly tip: ClientState;
  readonly tipStartedAt: number;
}

/** One member's state of one group. */
export interface GroupState {
  readonly suite: GroupCiphersuiteId;
  /** This member's identity key. */
  readonly identity: Bytes;
  readonly mls: ClientState;
  /** When this member entered the current epoch (injected clock, ms). */
  readonly epochStartedAt: number;
  /** Past epochs whose receiving keys are still kept, with when each ended. */
  readonly pastEpochs: readonly { readonly epoch: bigint; readonly endedAt: number }[];
  /** When this member last committed (its join time until its first commit). */
  readonly lastOwnCommitAt: number;
  /** False until this member's first commit after joining: its first update is due at once. */
  readonly updatedSinceJoin: boolean;
  /** Application messages this member sent since its last commit. */
  readonly messagesSinceOwnCommit: number;
  /** True once this member asked to leave (until a commit removes it). */
  readonly leaving: boolean;
  /** The canonical operations of the last GROUP_MAX_REWIND_OPERATIONS epochs, oldest first. */
  readonly history: readonly HistoryEntry[];
  readonly branches: readonly SideBranch[];
  /** Hex SHA-256 of the frames processed, oldest first (at most MAX_GROUP_SEEN_DIGESTS). */
  readonly seen: readonly string[];
}

/** A member as the group state lists it. */
export interface GroupMember {
  /** The member's identity key (its peer id's key). */
  readonly identity: Bytes;
  /** Its leaf index in the ratchet tree. */
  readonly leaf: number;
  readonly admin: boolean;
}

/** The group id. */
export function groupId(state: GroupState): Bytes {
  return state.mls.groupContext.groupId;
}

/** The current epoch. */
export function groupEpoch(state: GroupState): bigint {
  return state.mls.groupContext.epoch;
}

/** The epoch authenticator (RFC 9420 §8.7): equal for two members exactly when they share the epoch's secrets. */
export function epochAuthenticator(state: GroupState): Bytes {
  return state.mls.keySchedule.epochAuthenticator;
}

/** The members of an MLS state, in leaf order. */
export function membersOf(mls: ClientState): GroupMember[] {
  const admins = groupAdmins(mls);
  const members: GroupMember[] = [];
  mls.ratchetTree.forEach((node, index) => {
    if (node === undefined || index % 2 !== 0 || !('leaf' in node)) return;
    const identity = credentialIdentity(node.leaf.credential);
    if (identity === undefined) return;
    members.push({ identity, leaf: index / 2, admin: admins.some((a) => equalBytes(a, identity)) });
  });
  return members;
}

/** The members of the group, in leaf order. */
export function groupMembers(state: GroupState): GroupMember[] {
  return membersOf(state.mls);
}

/** True while this member is in the group (not removed). */
export function isActiveMember(state: GroupState): boolean {
  return state.mls.groupActiveState.kind === 'active';
}

/** The identity key of the member at `leaf` of `mls`, if any. */
export function identityAtLeaf(mls: ClientState, leaf: number): Bytes | undefined {
  const node = mls.ratchetTree[leaf * 2];
  return node !== undefined && 'leaf' in node ? credentialIdentity(node.leaf.credential) : undefined;
}

/** How many members `mls` has (non-blank leaves). */
export function memberCount(mls: ClientState): number {
  return getGroupMembers(mls).length;
}

/** Records a processed frame digest, keeping the newest MAX_GROUP_SEEN_DIGESTS. */
export function withSeen(seen: readonly string[], digest: Bytes): readonly string[] {
  const next = [...seen, toHex(digest)];
  return next.length > MAX_GROUP_SEEN_DIGESTS ? next.slice(next.length - MAX_GROUP_SEEN_DIGESTS) : next;
}

/** Appends a canonical operation, keeping the last GROUP_MAX_REWIND_OPERATIONS. */
export function withHistory(history: readonly HistoryEntry[], entry: HistoryEntry): readonly HistoryEntry[] {
  const next = [...history, entry];
  return next.length > GROUP_MAX_REWIND_OPERATIONS ? next.slice(next.length - GROUP_MAX_REWIND_OPERATIONS) : next;
}

/** Keeps the newest MAX_GROUP_SIDE_BRANCHES branches whose fork epoch is still within the rewind horizon. */
export function prunedBranches(branches: readonly SideBranch[], history: readonly HistoryEntry[]): readonly SideBranch[] {
  const oldest = history[0]?.before.groupContext.epoch;
  const kept = branches.filter((b) => oldest !== undefined && b.forkEpoch >= oldest);
  return kept.length > MAX_GROUP_SIDE_BRANCHES ? kept.slice(kept.length - MAX_GROUP_SIDE_BRANCHES) : kept;
}

// Stored form.

const MAX_STATE_BYTES = 256 * 1024 * 1024;
const INTENT_NONE = 0;
const INTENTS = ['add', 'remove', 'update', 'commit'] as const;

function writeState(w: Writer, mls: ClientState, withHistoricalKeys: boolean): void {
  w.varBytes(encode(clientStateEncoder, withHistoricalKeys ? mls : { ...mls, historicalReceiverData: new Map() }));
}

function readState(r: Reader): ClientState {
  return decodeExactly(clientStateDecoder, r.varBytes('MLS state', MAX_STATE_BYTES), 'MLS state');
}

function writeEntry(w: Writer, entry: HistoryEntry): void {
  writeState(w, entry.before, false);
  w.u64(entry.beforeStartedAt).fixed(entry.summary.committer, ED25519_KEY_BYTES).u8(entry.summary.privileged ? 1 : 0).fixed(entry.summary.digest, 32);
  const own = entry.own;
  w.u8(own === undefined ? INTENT_NONE : INTENTS.indexOf(own.kind) + 1);
  const items = own?.kind === 'add' ? own.records : own?.kind === 'remove' ? own.identities : [];
  w.u16(items.length);
  for (const item of items) w.varBytes(item);
}

function readEntry(r: Reader): HistoryEntry {
  const before = readState(r);
  const beforeStartedAt = r.u64('epoch start');
  const summary: OperationSummary = { committer: r.fixed(ED25519_KEY_BYTES, 'committer'), privileged: r.u8('privileged') === 1, digest: r.fixed(32, 'digest') };
  const kind = r.u8('intent');
  const count = r.u16('intent items');
  const items: Bytes[] = [];
  for (let i = 0; i < count; i++) items.push(r.varBytes('intent item', MAX_STATE_BYTES));
  if (kind > INTENTS.length) throw new DecodeError('group state', `unknown intent ${kind}`);
  const name = kind === INTENT_NONE ? undefined : INTENTS[kind - 1]!;
  const own: OwnIntent | undefined = name === undefined ? undefined : name === 'add' ? { kind: 'add', records: items } : name === 'remove' ? { kind: 'remove', identities: items } : { kind: name };
  return own === undefined ? { before, beforeStartedAt, summary } : { before, beforeStartedAt, summary, own };
}

/** The stored form of a group state (PROTOCOL.md §24). Snapshots are kept without their past-epoch keys. */
export function encodeGroupState(state: GroupState): Bytes {
  const w = new Writer(64 * 1024).u8(GROUP_WIRE_VERSION).u16(state.suite).fixed(state.identity, ED25519_KEY_BYTES);
  writeState(w, state.mls, true);
  w.u64(state.epochStartedAt).u64(state.lastOwnCommitAt).u8((state.updatedSinceJoin ? 1 : 0) | (state.leaving ? 2 : 0)).u32(state.messagesSinceOwnCommit);
  w.u8(state.pastEpochs.length);
  for (const past of state.pastEpochs) w.u64(Number(past.epoch)).u64(past.endedAt);
  w.u8(state.history.length);
  for (const entry of state.history) writeEntry(w, entry);
  w.u8(state.branches.length);
  for (const branch of state.branches) {
    w.u64(Number(branch.forkEpoch)).u8(branch.entries.length);
    for (const entry of branch.entries) writeEntry(w, entry);
    writeState(w, branch.tip, true);
    w.u64(branch.tipStartedAt);
  }
  w.u32(state.seen.length);
  for (const digest of state.seen) w.fixed(fromHex(digest), 32);
  return w.finish();
}

/** Reads {@link encodeGroupState}. Throws DecodeError or VersionTooOld/New. */
export function decodeGroupState(bytes: Bytes): GroupState {
  const r = new Reader(bytes, 'group state');
  readVersion(r, 'group state', GROUP_WIRE_VERSION);
  const suite = r.u16('ciphersuite');
  if (suite !== GROUP_CIPHERSUITE && suite !== REFERENCE_CIPHERSUITE) throw new DecodeError('group state', `unknown ciphersuite ${suite}`);
  const identity = r.fixed(ED25519_KEY_BYTES, 'identity');
  const mls = readState(r);
  const epochStartedAt = r.u64('epoch start');
  const lastOwnCommitAt = r.u64('last commit');
  const flags = r.u8('flags');
  const messagesSinceOwnCommit = r.u32('messages since commit');
  const pastEpochs: { epoch: bigint; endedAt: number }[] = [];
  for (let i = r.u8('past epochs'); i > 0; i--) pastEpochs.push({ epoch: BigInt(r.u64('epoch')), endedAt: r.u64('ended at') });
  const history: HistoryEntry[] = [];
  for (let i = r.u8('history'); i > 0; i--) history.push(readEntry(r));
  const branches: SideBranch[] = [];
  for (let i = r.u8('branches'); i > 0; i--) {
    const forkEpoch = BigInt(r.u64('fork epoch'));
    const entries: HistoryEntry[] = [];
    for (let j = r.u8('branch entries'); j > 0; j--) entries.push(readEntry(r));
    branches.push({ forkEpoch, entries, tip: readState(r), tipStartedAt: r.u64('tip start') });
  }
  const seenCount = r.u32('seen');
  if (seenCount > MAX_GROUP_SEEN_DIGESTS) throw new DecodeError('group state', `${seenCount} seen digests`);
  const seen: string[] = [];
  for (let i = 0; i < seenCount; i++) seen.push(toHex(r.fixed(32, 'seen digest')));
  r.end();
  return {
    suite: suite as GroupCiphersuiteId,
    identity,
    mls,
    epochStartedAt,
    pastEpochs,
    lastOwnCommitAt,
    updatedSinceJoin: (flags & 1) !== 0,
    messagesSinceOwnCommit,
    leaving: (flags & 2) !== 0,
    history,
    branches,
    seen,
  };
}

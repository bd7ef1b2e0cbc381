/**
 * Groups for the groups benchmark, built fast enough to reach 1,000 members.
 *
 * A *fresh* group is what `createGroup` + one `addMembers` of everyone makes:
 * every parent node of its ratchet tree is blank, so a commit's UpdatePath
 * encrypts to every other member (the worst case, right after creation).
 *
 * A *steady* group is what a group becomes once its members have updated
 * their keys (GROUP_SELF_UPDATE_AFTER_MS does it within a week): every
 * parent node holds a key, and an UpdatePath holds about log2 N
 * ciphertexts. It is built by a chain that needs no member to process other
 * members' commits: a holder adds the next two members (an add needs no
 * UpdatePath) and the second of them commits an empty commit at once,
 * filling its whole direct path. The newcomer's state is the holder's with
 * its own leaf keys in place of the holder's: exactly what joining from the
 * Welcome computes (the Welcome carries no path secret for an add without
 * UpdatePath), without validating a tree the benchmark has just built;
 * joining is measured on its own. The last members join this way too and
 * process the final holder's empty commit, so their states are complete;
 * they are the benchmark's members, the first an admin.
 */
import { createCommit, createGroup as createMlsGroup, defaultProposalTypes, processMessage, type ClientState } from 'ts-mls';
import type { Bytes } from '../../src/crypto/bytes.ts';
import type { CryptoContext } from '../../src/crypto/context.ts';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { adminsExtension } from '../../src/node/groups/admins.ts';
import { mlsContext, type GroupEnv } from '../../src/node/groups/context.ts';
import type { GroupCiphersuiteId } from '../../src/node/groups/ciphersuite.ts';
import { createKeyPackage, type GroupKeyPackageSecrets } from '../../src/node/groups/key-package.ts';
import type { GroupState } from '../../src/node/groups/group-state.ts';

/** Members a steady group hands to the benchmark: an admin who commits and two who process. */
export const STEADY_MEMBERS = 3;

/** One person: identity, a published key package and its secrets. */
export interface Person {
  readonly identity: IdentityKeyPair;
  readonly record: Bytes;
  readonly secrets: GroupKeyPackageSecrets;
}

/** `count` people with key packages for `suite`. */
export async function people(ctx: CryptoContext, suite: GroupCiphersuiteId, count: number): Promise<Person[]> {
  const out: Person[] = [];
  for (let i = 0; i < count; i++) {
    const identity = await generateIdentity(ctx);
    const { record, secrets } = await createKeyPackage({ ctx, suite }, identity);
    out.push({ identity, record, secrets });
  }
  return out;
}

function joinedAs(state: ClientState, person: Person, leaf: number): ClientState {
  return { ...state, privatePath: { leafIndex: leaf, privateKeys: { [leaf * 2]: person.secrets.privateKeys.hpkePrivateKey } }, signaturePrivateKey: person.secrets.privateKeys.signaturePrivateKey } as ClientState;
}

function asGroupState(env: GroupEnv, suite: GroupCiphersuiteId, person: Person, mls: ClientState): GroupState {
  const now = env.ctx.now();
  return { suite, identity: person.identity.public.signingKey, mls, epochStartedAt: now, pastEpochs: [], lastOwnCommitAt: now, updatedSinceJoin: true, messagesSinceOwnCommit: 0, leaving: false, history: [], branches: [], seen: [] };
}

/**
 * A steady group of `members.length` people (at least STEADY_MEMBERS + 1),
 * filled by the chain above. Returns the states of the last STEADY_MEMBERS
 * people; the first of them is an admin (with the creator).
 */
export async function steadyGroup(env: GroupEnv, suite: GroupCiphersuiteId, members: readonly Person[]): Promise<GroupState[]> {
  const context = mlsContext(env.ctx, suite);
  const chainEnd = members.length - STEADY_MEMBERS;
  const admin = members[chainEnd]!;
  let holder = await createMlsGroup({
    context,
    groupId: env.ctx.randomBytes(32),
    keyPackage: members[0]!.secrets.keyPackage,
    privateKeyPackage: members[0]!.secrets.privateKeys,
    extensions: [adminsExtension([members[0]!.identity.public.signingKey, admin.identity.public.signingKey])],
  });
  const add = (p: Person) => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: p.secrets.keyPackage } });
  for (let leaf = 1; leaf < chainEnd; leaf += leaf === 1 ? 1 : 2) {
    const batch = members.slice(leaf, Math.min(chainEnd, leaf === 1 ? 2 : leaf + 2));
    const added = await createCommit({ context, state: holder, extraProposals: batch.map(add) });
    const last = leaf + batch.length - 1;
    holder = (await createCommit({ context, state: joinedAs(added.newState, batch[batch.length - 1]!, last) })).newState;
  }
  const tail = members.slice(chainEnd);
  const added = await createCommit({ context, state: holder, extraProposals: tail.map(add) });
  const sealed = await createCommit({ context, state: added.newState });
  const states: GroupState[] = [];
  for (const [i, person] of tail.entries()) {
    const mine = joinedAs(added.newState, person, chainEnd + i);
    states.push(asGroupState(env, suite, person, (await processMessage({ context, state: mine, message: sealed.commit })).newState));
  }
  return states;
}

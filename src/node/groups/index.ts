/**
 * Group conversations (docs/GROUPS.md): MLS (RFC 9420) through ts-mls with
 * Sotto's ciphersuite implementation, Sotto identities as members, admins,
 * key packages, the fork choice for commits made concurrently, and the group
 * frames. Pure: clock, RNG and primitives come in a GroupEnv; nothing here
 * does I/O.
 */
export { GROUP_CIPHERSUITE, REFERENCE_CIPHERSUITE, groupCiphersuite, type GroupCiphersuiteId } from './ciphersuite.ts';
export type { GroupEnv } from './context.ts';
export { SOTTO_CREDENTIAL_TYPE, readGroupCredential, type GroupCredential } from './credential.ts';
export { ADMINS_EXTENSION_TYPE } from './admins.ts';
export {
  createKeyPackage,
  decodeKeyPackageSecrets,
  encodeKeyPackageSecrets,
  keyPackageRef,
  readKeyPackageRecord,
  type GroupKeyPackage,
  type GroupKeyPackageSecrets,
} from './key-package.ts';
export {
  decodeGroupState,
  encodeGroupState,
  epochAuthenticator,
  groupEpoch,
  groupId,
  groupMembers,
  isActiveMember,
  type GroupMember,
  type GroupState,
  type OwnIntent,
} from './group-state.ts';
export {
  addMembers,
  commitPending,
  createGroup,
  encryptGroupMessage,
  hasPendingProposals,
  joinGroup,
  proposeLeave,
  removeMember,
  selfUpdate,
  setAdmins,
  updateDue,
  type OwnOperation,
} from './group-ops.ts';
export { processGroupFrame, type GroupEvent } from './group-process.ts';
export { compareBranches, type OperationSummary } from './fork-choice.ts';
export { decodeGroupFrame, type GroupFrame } from './wire.ts';

/**
 * Typed errors of Sotto's node layer (store, messenger, protocols). Like the
 * crypto errors they extend SottoError: callers match on `err.name`, and no
 * message ever contains a key or a plaintext.
 */
import { SottoError } from '../crypto/errors.ts';

/** A stored value does not parse as the record it should be. */
export class StoreCorruptError extends SottoError {
  override readonly name = 'StoreCorruptError';
  constructor(readonly key: string, readonly reason: string) {
    super(`stored record ${key} is corrupt: ${reason}`);
  }
}

/** A write came after the store was closed (the node is stopping or stopped). */
export class StoreClosedError extends SottoError {
  override readonly name = 'StoreClosedError';
  constructor() {
    super('the store is closed: the node is stopping or has stopped');
  }
}

/** The database was written by a newer Sotto (or an unknown schema). */
export class SchemaVersionError extends SottoError {
  override readonly name = 'SchemaVersionError';
  constructor(readonly found: number, readonly supported: number) {
    super(`database schema version ${found} is not supported (this Sotto reads version ${supported})`);
  }
}

/** This home (the folder `home`, when known) has no identity yet. */
export class NotInitialisedError extends SottoError {
  override readonly name = 'NotInitialisedError';
  constructor(readonly home?: string) {
    super(home === undefined ? 'this home has no identity yet' : `the home ${home} has no identity yet`);
  }
}

/** This home already has an identity, and it is never overwritten. */
export class AlreadyInitialisedError extends SottoError {
  override readonly name = 'AlreadyInitialisedError';
  constructor(readonly peerId?: string) {
    super(peerId ? `this home already has an identity (${peerId})` : 'this home already has an identity');
  }
}

/** No contact has that name. */
export class UnknownContactError extends SottoError {
  override readonly name = 'UnknownContactError';
  constructor(readonly contact: string) {
    super(`no contact named "${contact}"`);
  }
}

/** Why a contact name is refused (docs/PROTOCOL.md §23, "Names"). */
export type ContactNameProblem = 'empty' | 'too-long' | 'malformed' | 'control' | 'bidi' | 'invisible' | 'spaces' | 'peer-id';

/**
 * A contact name breaks the rules of src/node/contacts/names.ts: `kind`
 * says which. The message never repeats the name (it may come from
 * another peer); `contact` holds it for the caller.
 */
export class InvalidContactNameError extends SottoError {
  override readonly name = 'InvalidContactNameError';
  constructor(readonly contact: string, readonly kind: ContactNameProblem, readonly reason: string) {
    super(`invalid contact name: ${reason}`);
  }
}

/**
 * A known contact now presents another identity key (another peer id). Never
 * accepted silently: the user must accept the new key explicitly.
 */
export class ContactIdentityChangedError extends SottoError {
  override readonly name = 'ContactIdentityChangedError';
  constructor(readonly contact: string, readonly knownPeerId: string, readonly newPeerId: string) {
    super(`the identity key of "${contact}" changed (was ${knownPeerId}, now ${newPeerId})`);
  }
}

/** The same peer id is already a contact under another name. */
export class DuplicatePeerError extends SottoError {
  override readonly name = 'DuplicatePeerError';
  constructor(readonly peerId: string, readonly existing: string) {
    super(`peer ${peerId} is already the contact "${existing}"`);
  }
}

/** A message text is empty or too long, or a file message's descriptor breaks a rule of docs/PROTOCOL.md §25 (`reason` says which). */
export class InvalidMessageError extends SottoError {
  override readonly name = 'InvalidMessageError';
  constructor(readonly reason: string) {
    super(`invalid message: ${reason}`);
  }
}

/** A peer's answer on a Sotto protocol is malformed or says it failed. */
export class ProtocolError extends SottoError {
  override readonly name = 'ProtocolError';
  constructor(readonly protocol: string, readonly reason: string) {
    super(`${protocol}: ${reason}`);
  }
}

// The libp2p node and framed streams.
/**
 * A frame is larger than the stream's limit. Inbound, the length prefix
 * alone is enough to refuse it: nothing of that size is ever allocated, and
 * the stream is aborted (it cannot be resynchronised). Outbound, nothing is
 * sent. `size` is undefined when even the length prefix is longer than any
 * allowed length.
 */
export class FrameTooLargeError extends SottoError {
  override readonly name = 'FrameTooLargeError';
  constructor(readonly size: number | undefined, readonly limit: number, readonly direction: 'inbound' | 'outbound') {
    super(`${direction} frame of ${size ?? 'more than ' + limit} bytes exceeds the limit of ${limit}`);
  }
}

/** No whole frame arrived (read), or the transport did not take one (write), in time. */
export class FrameTimeoutError extends SottoError {
  override readonly name = 'FrameTimeoutError';
  constructor(readonly operation: 'read' | 'write', readonly timeoutMs: number) {
    super(`frame ${operation} timed out after ${timeoutMs} ms`);
  }
}

/**
 * The stream cannot deliver or take another frame.
 * - `ended`: the remote closed its side cleanly, between two frames;
 * - `truncated`: the remote closed in the middle of a frame;
 * - `reset`: the stream or its connection was reset or aborted;
 * - `closed`: this side already closed the stream for writing.
 */
export class StreamClosedError extends SottoError {
  override readonly name = 'StreamClosedError';
  constructor(readonly reason: 'ended' | 'truncated' | 'reset' | 'closed', options?: { cause?: unknown }) {
    super(`stream ${reason}`, options);
  }
}

/** A string is not the canonical text form of an Ed25519 peer id. */
export class InvalidPeerIdError extends SottoError {
  override readonly name = 'InvalidPeerIdError';
  constructor(readonly peerId: string, readonly reason: 'malformed' | 'not-ed25519' | 'non-canonical') {
    super(`invalid peer id ${JSON.stringify(peerId.length > 80 ? peerId.slice(0, 80) + '…' : peerId)}: ${reason}`);
  }
}

/** A swarm key is not in the libp2p "/key/swarm/psk/1.0.0/" base16 format with a 32-byte key. */
export class InvalidSwarmKeyError extends SottoError {
  override readonly name = 'InvalidSwarmKeyError';
  constructor(readonly reason: string) {
    super(`invalid swarm key: ${reason}`);
  }
}

/**
 * The libp2p key derived from the identity's Ed25519 seed does not have the
 * identity's public key: the stored identity is corrupt, or two Ed25519
 * implementations disagree. The node refuses to start under a peer id that
 * does not name its identity.
 */
export class IdentityKeyMismatchError extends SottoError {
  override readonly name = 'IdentityKeyMismatchError';
  constructor() {
    super('the libp2p key derived from the identity seed does not match the identity public key');
  }
}

/** A DHT lookup did not find the peer (no answer with its addresses, or out of time). */
export class PeerNotFoundError extends SottoError {
  override readonly name = 'PeerNotFoundError';
  constructor(readonly peerId: string, readonly reason: 'not-found' | 'timeout', options?: { cause?: unknown }) {
    super(`peer ${peerId} not found (${reason})`, options);
  }
}

/**
 * No connection (or no stream on `protocol`) could be opened to the peer.
 * - `unreachable`: every attempt failed (see `cause` for the last failure);
 * - `timeout`: out of time;
 * - `protocol`: connected, but the peer does not speak the protocol;
 * - `self`: the peer id is this node's own.
 */
export class DialFailedError extends SottoError {
  override readonly name = 'DialFailedError';
  constructor(
    readonly target: string,
    readonly protocol: string | undefined,
    readonly reason: 'unreachable' | 'timeout' | 'protocol' | 'self',
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach ${target}${protocol === undefined ? '' : ' on ' + protocol} (${reason} after ${attempts} attempt${attempts === 1 ? '' : 's'})`, options);
  }
}

/** No message request from this peer. */
export class UnknownRequestError extends SottoError {
  override readonly name = 'UnknownRequestError';
  constructor(readonly peerId: string) {
    super(`no message request from ${peerId}`);
  }
}

/** Accepting a request needs a name: the request carries none that can be used. */
export class RequestNameRequiredError extends SottoError {
  override readonly name = 'RequestNameRequiredError';
  constructor(readonly peerId: string, readonly reason: string) {
    super(`the request from ${peerId} needs a name: ${reason}`);
  }
}

/** No message with this id in the conversation. */
export class UnknownMessageError extends SottoError {
  override readonly name = 'UnknownMessageError';
  constructor(readonly contact: string, readonly messageId: string) {
    super(`no message ${messageId} with ${contact}`);
  }
}

/**
 * A DHT node refused to let a record replace the one it holds under the same
 * key: its namespace's selector prefers the stored record (for bundle
 * records: the stored one is newer), and the stored one is still valid.
 * Raised by the node's DHT datastore, so a remote PUT_VALUE of an older
 * record fails and a local `put` of one rejects; nothing is written.
 */
export class OlderDhtRecordError extends SottoError {
  override readonly name = 'OlderDhtRecordError';
  constructor(readonly namespace: string) {
    super(`DHT record refused: this node holds a newer ${namespace} record under that key`);
  }
}

/**
 * The WebSocket listener's `ws` server is not where @libp2p/websockets
 * 10.1.21 keeps it, so the Origin check (src/node/transport/
 * websocket-listener.ts) cannot be installed; the node refuses to listen on
 * WebSockets without it.
 */
export class WebSocketOriginCheckUnavailableError extends SottoError {
  override readonly name = 'WebSocketOriginCheckUnavailableError';
  constructor() {
    super('cannot install the WebSocket Origin check: @libp2p/websockets changed how its listener holds its ws server');
  }
}

// Groups (docs/GROUPS.md).

/** A group frame, Welcome or key package is larger than its limit; nothing was decoded. */
export class GroupMessageTooLargeError extends SottoError {
  override readonly name = 'GroupMessageTooLargeError';
  constructor(readonly what: string, readonly size: number, readonly limit: number) {
    super(`group ${what} of ${size} bytes exceeds the limit of ${limit}`);
  }
}

/** A group frame belongs to another group. */
export class WrongGroupError extends SottoError {
  override readonly name = 'WrongGroupError';
  constructor() {
    super('the group message belongs to another group');
  }
}

/**
 * A group message is for an epoch this member cannot use: `ahead` (a later
 * epoch: process the commits before it first) or `expired` (an epoch whose
 * keys are gone, or beyond the fork-choice horizon).
 */
export class GroupEpochError extends SottoError {
  override readonly name = 'GroupEpochError';
  constructor(readonly kind: 'ahead' | 'expired', readonly epoch: bigint, readonly current: bigint) {
    super(`group message for epoch ${epoch} is ${kind === 'ahead' ? 'ahead of' : 'too old for'} the current epoch ${current}`);
  }
}

/** This exact group frame was processed before (a replay). */
export class DuplicateGroupMessageError extends SottoError {
  override readonly name = 'DuplicateGroupMessageError';
  constructor() {
    super('the group message was already processed');
  }
}

/** A group message does not authenticate: bad signature, MAC or AEAD tag, or a sender that is not who it claims. */
export class GroupAuthenticationError extends SottoError {
  override readonly name = 'GroupAuthenticationError';
  constructor(readonly reason: string) {
    super(`group message does not authenticate: ${reason}`);
  }
}

/** A commit breaks the group's rules (docs/GROUPS.md, "Membership and admins"): `reason` says which. */
export class GroupPolicyError extends SottoError {
  override readonly name = 'GroupPolicyError';
  constructor(readonly reason: 'not-admin' | 'unsealed-removal' | 'external-commit' | 'duplicate-keys' | 'too-many-members' | 'malformed-operation') {
    super(`group commit refused: ${reason}`);
  }
}

/** This member is not (or no longer) in the group, or the member named is not. */
export class NotGroupMemberError extends SottoError {
  override readonly name = 'NotGroupMemberError';
  constructor(readonly reason: 'removed' | 'unknown-member') {
    super(reason === 'removed' ? 'this member was removed from the group' : 'no such member in the group');
  }
}

/** Only an admin may change membership or admins. */
export class NotGroupAdminError extends SottoError {
  override readonly name = 'NotGroupAdminError';
  constructor() {
    super('only a group admin may change membership');
  }
}

/**
 * Adding these members now would give them a tree that ts-mls 2.0.0-rc.10
 * refuses to join (docs/GROUPS.md, "The library"): earlier members are still
 * waiting to come online. `pending` holds their identity keys; the add
 * succeeds once they have updated their keys, or after they are removed.
 */
export class GroupAddBlockedError extends SottoError {
  override readonly name = 'GroupAddBlockedError';
  constructor(readonly pending: readonly Uint8Array[]) {
    super(`adding now would make the Welcome unusable: ${pending.length} earlier member(s) have not come online yet`);
  }
}

/** A published key package is past its notAfter time. */
export class GroupKeyPackageExpiredError extends SottoError {
  override readonly name = 'GroupKeyPackageExpiredError';
  constructor(readonly notAfter: number) {
    super('the key package has expired');
  }
}

// Group delivery (src/node/groups/group-service.ts).

/** No group of this name on this home. */
export class UnknownGroupError extends SottoError {
  override readonly name = 'UnknownGroupError';
  constructor(readonly group: string) {
    super(`no group named "${group}"`);
  }
}

/** A group of this name exists already on this home. */
export class GroupNameTakenError extends SottoError {
  override readonly name = 'GroupNameTakenError';
  constructor(readonly group: string) {
    super(`a group named "${group}" exists already`);
  }
}

/** No usable key package of a contact: it gave none (its node has not been online since it was added) and it cannot be asked now. */
export class GroupKeyPackageMissingError extends SottoError {
  override readonly name = 'GroupKeyPackageMissingError';
  constructor(readonly contact: string) {
    super(`no key package of "${contact}": its node has not sent one and is not reachable now`);
  }
}

/** A group frame is larger than even chunks carry (MAX_GROUP_CHUNKED_FRAME_BYTES: docs/GROUPS.md, "Sizes"). */
export class GroupFrameTooLargeError extends SottoError {
  override readonly name = 'GroupFrameTooLargeError';
  constructor(readonly size: number, readonly limit: number) {
    super(`the group frame is ${size} bytes; chunks carry at most ${limit}`);
  }
}

/** A file's bytes do not match its descriptor (docs/PROTOCOL.md §25): the file is `failed` for `reason`. */
export class FileIntegrityError extends SottoError {
  override readonly name = 'FileIntegrityError';
  constructor(readonly reason: 'file id does not match' | 'chunk does not open' | 'digest does not match') {
    super(`the file does not verify: ${reason}`);
  }
}

// Files (docs/FILES.md).

/** No file with this id is held. */
export class UnknownFileError extends SottoError {
  override readonly name = 'UnknownFileError';
  constructor(readonly fileId: string) {
    super(`no file ${fileId} is held`);
  }
}

/** A file name the rules of docs/PROTOCOL.md §25 refuse (`reason` says which rule). */
export class FileNameError extends SottoError {
  override readonly name = 'FileNameError';
  /** `reason`: the whole sentence (encoding/file-descriptor.ts validateFileName), ending with what to do. */
  constructor(readonly fileName: string, readonly reason: string) {
    super(reason);
  }
}

/** A file changed while it was read (its size or modification time, or more or fewer bytes than its size). */
export class FileChangedError extends SottoError {
  override readonly name = 'FileChangedError';
  constructor(readonly path: string) {
    super(`${path} changed while it was read; send it again when it is no longer written to`);
  }
}

/** Receiving a file would put the received files over the quota. */
export class FileQuotaError extends SottoError {
  override readonly name = 'FileQuotaError';
  constructor(readonly quotaBytes: number, readonly usedBytes: number, readonly fileBytes: number) {
    super(`received files would exceed the quota of ${formatSize(quotaBytes)}; delete some or raise it: sotto config set files-quota SIZE`);
  }
}

/**
 * The disk is full (ENOSPC, EDQUOT, or a page's storage quota): a chunk of
 * file `file` (its id, or the name of a file being imported) was not kept
 * and nothing was recorded for it.
 */
export class FileDiskFullError extends SottoError {
  override readonly name = 'FileDiskFullError';
  constructor(
    readonly file: string,
    readonly during: 'fetch' | 'import' = 'fetch',
  ) {
    super(during === 'import' ? `the disk is full: ${file} could not be sealed for sending; free some space` : `the disk is full: file ${file} stays partial until there is room`);
  }
}

/** A file is not complete (still being fetched, or failed): it cannot be saved or read. */
export class FileNotCompleteError extends SottoError {
  override readonly name = 'FileNotCompleteError';
  constructor(readonly fileId: string, readonly state: string) {
    super(`file ${fileId} is ${state}, not complete`);
  }
}

/** The plaintext of a file does not match its SHA-256 (D): it is failed and never saved. */
export class FileDigestError extends SottoError {
  override readonly name = 'FileDigestError';
  constructor(readonly fileId: string) {
    super(`file ${fileId}: digest does not match`);
  }
}

/** The destination of a save exists already (pass overwrite to replace it). */
export class FileExistsError extends SottoError {
  override readonly name = 'FileExistsError';
  constructor(readonly path: string) {
    super(`${path} exists already`);
  }
}

/** Bytes as GiB (or MiB below 1 GiB) with at most two decimals. */
function formatSize(bytes: number): string {
  const [unit, scale] = bytes >= 2 ** 30 ? ['GiB', 2 ** 30] : ['MiB', 2 ** 20];
  return `${Math.round((bytes / scale) * 100) / 100} ${unit}`;
}

/** A file larger than FILE_MAX_BYTES. */
export class FileTooLargeError extends SottoError {
  override readonly name = 'FileTooLargeError';
  constructor(readonly size: number, readonly limit: number) {
    super(`the file is ${size} bytes; Sotto carries files of at most ${limit} bytes (4 GiB)`);
  }
}

/** A path to send names nothing. */
export class FileNotFoundError extends SottoError {
  override readonly name = 'FileNotFoundError';
  constructor(readonly path: string) {
    super(`${path} does not exist`);
  }
}

/** A path to send is not a regular file (a folder, a device …). */
export class NotRegularFileError extends SottoError {
  override readonly name = 'NotRegularFileError';
  constructor(readonly path: string) {
    super(`${path} is not a regular file`);
  }
}

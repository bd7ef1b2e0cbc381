/**
 * Group frames: the bytes a member sends to the group or to a joiner
 * (PROTOCOL.md §24, "Frames"). Every frame is one version byte, one kind
 * byte and MLS messages (RFC 9420 §6) whose lengths are checked before they
 * are decoded:
 *
 * - application: one MLS PrivateMessage carrying application data;
 * - proposal: one MLS PrivateMessage carrying a proposal (a member's leave);
 * - operation: one or two MLS PrivateMessage commits of one committer on
 *   consecutive epochs (a removal is sealed by an empty commit, docs/GROUPS.md);
 * - welcome: one MLS Welcome (for the members a commit added).
 *
 * Only PrivateMessage framing is accepted for group traffic, so a mailbox or
 * relay sees a group id, an epoch and a content type, never who sent what.
 * {@link decodeGroupFrame} refuses an oversized frame before reading it, and
 * anything malformed with a DecodeError.
 */
import { contentTypes, encode, mlsMessageDecoder, mlsMessageEncoder, wireformats, type MlsPrivateMessage, type MlsWelcomeMessage } from 'ts-mls';
import { equalBytes, Reader, Writer, type Bytes } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { GROUP_WIRE_VERSION, MAX_GROUP_MESSAGE_BYTES, MAX_GROUP_OPERATION_BYTES, MAX_GROUP_WELCOME_BYTES } from '../constants.ts';
import { GroupMessageTooLargeError } from '../errors.ts';
import { decodeExactly } from './key-package.ts';

/** Frame kinds. */
export const GROUP_FRAME_APPLICATION = 1;
export const GROUP_FRAME_PROPOSAL = 2;
export const GROUP_FRAME_OPERATION = 3;
export const GROUP_FRAME_WELCOME = 4;
/** Commits in one operation: a commit, and the empty commit that seals a removal. */
export const MAX_COMMITS_PER_OPERATION = 2;

/** A decoded group frame. */
export type GroupFrame =
  | { readonly kind: 'application' | 'proposal'; readonly message: MlsPrivateMessage; readonly groupId: Bytes; readonly epoch: bigint }
  | { readonly kind: 'operation'; readonly commits: readonly MlsPrivateMessage[]; readonly groupId: Bytes; readonly epoch: bigint }
  | { readonly kind: 'welcome'; readonly welcome: MlsWelcomeMessage };

const FRAME_HEADER_BYTES = 2;

/** The largest frame of each kind. */
export function groupFrameLimit(kind: number): number {
  if (kind === GROUP_FRAME_WELCOME) return MAX_GROUP_WELCOME_BYTES;
  if (kind === GROUP_FRAME_OPERATION) return MAX_GROUP_OPERATION_BYTES;
  return MAX_GROUP_MESSAGE_BYTES;
}

/** An application or proposal frame around one MLS PrivateMessage. */
export function encodeMessageFrame(kind: 'application' | 'proposal', message: MlsPrivateMessage): Bytes {
  const mls = encode(mlsMessageEncoder, message);
  return new Writer(mls.length + 6).u8(GROUP_WIRE_VERSION).u8(kind === 'application' ? GROUP_FRAME_APPLICATION : GROUP_FRAME_PROPOSAL).varBytes(mls).finish();
}

/** An operation frame: u8 count, then each commit as u32 length || MLSMessage. */
export function encodeOperationFrame(commits: readonly MlsPrivateMessage[]): Bytes {
  const parts = commits.map((c) => encode(mlsMessageEncoder, c));
  const w = new Writer(parts.reduce((n, p) => n + p.length + 4, 3)).u8(GROUP_WIRE_VERSION).u8(GROUP_FRAME_OPERATION).u8(parts.length);
  for (const part of parts) w.varBytes(part);
  return w.finish();
}

/** A welcome frame around one MLS Welcome. */
export function encodeWelcomeFrame(welcome: MlsWelcomeMessage): Bytes {
  const mls = encode(mlsMessageEncoder, welcome);
  return new Writer(mls.length + 6).u8(GROUP_WIRE_VERSION).u8(GROUP_FRAME_WELCOME).varBytes(mls).finish();
}

function privateMessage(bytes: Bytes, contentType: number, what: string): MlsPrivateMessage {
  const message = decodeExactly(mlsMessageDecoder, bytes, what);
  if (message.wireformat !== wireformats.mls_private_message) throw new DecodeError(what, 'not an MLS PrivateMessage');
  if (message.privateMessage.contentType !== contentType) throw new DecodeError(what, `content type ${message.privateMessage.contentType}, expected ${contentType}`);
  return message;
}

/**
 * Decodes a group frame. Throws GroupMessageTooLargeError (checked from the
 * kind byte, before anything else is read), VersionTooOld/New or DecodeError.
 */
export function decodeGroupFrame(bytes: Bytes): GroupFrame {
  if (bytes.length >= FRAME_HEADER_BYTES) {
    const limit = groupFrameLimit(bytes[1]!);
    if (bytes.length > limit) throw new GroupMessageTooLargeError('frame', bytes.length, limit);
  }
  const r = new Reader(bytes, 'group frame');
  readVersion(r, 'group frame', GROUP_WIRE_VERSION);
  const kind = r.u8('kind');
  const limit = groupFrameLimit(kind);
  switch (kind) {
    case GROUP_FRAME_APPLICATION:
    case GROUP_FRAME_PROPOSAL: {
      const isApplication = kind === GROUP_FRAME_APPLICATION;
      const message = privateMessage(r.varBytes('message', limit), isApplication ? contentTypes.application : contentTypes.proposal, 'group message');
      r.end();
      return { kind: isApplication ? 'application' : 'proposal', message, groupId: message.privateMessage.groupId, epoch: message.privateMessage.epoch };
    }
    case GROUP_FRAME_OPERATION: {
      const count = r.u8('commit count');
      if (count < 1 || count > MAX_COMMITS_PER_OPERATION) throw new DecodeError('group frame', `commit count ${count} outside 1..${MAX_COMMITS_PER_OPERATION}`);
      const commits: MlsPrivateMessage[] = [];
      for (let i = 0; i < count; i++) commits.push(privateMessage(r.varBytes('commit', limit), contentTypes.commit, 'group commit'));
      r.end();
      const first = commits[0]!.privateMessage;
      commits.forEach((c, i) => {
        if (!equalBytes(c.privateMessage.groupId, first.groupId)) throw new DecodeError('group frame', 'commits of two groups');
        if (c.privateMessage.epoch !== first.epoch + BigInt(i)) throw new DecodeError('group frame', 'commits not on consecutive epochs');
      });
      return { kind: 'operation', commits, groupId: first.groupId, epoch: first.epoch };
    }
    case GROUP_FRAME_WELCOME: {
      const welcome = decodeExactly(mlsMessageDecoder, r.varBytes('welcome', limit), 'group welcome');
      r.end();
      if (welcome.wireformat !== wireformats.mls_welcome) throw new DecodeError('group welcome', 'not an MLS Welcome');
      return { kind: 'welcome', welcome };
    }
    default:
      throw new DecodeError('group frame', `unknown kind ${kind}`);
  }
}

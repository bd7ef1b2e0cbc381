/**
 * Invitations whose Welcome was too large for one 1:1 message
 * (PROTOCOL.md §24b): the adder sends one invitation payload per chunk, the
 * receiver's inbox stores each as an invitation record of its own, and
 * this puts them together. Once every chunk of a Welcome from one sender is
 * stored, the records become one invitation (the Welcome whole, its id the
 * Welcome's SHA-256 as for one sent whole) in one transaction. At most
 * MAX_GROUP_PARTIAL_INVITATIONS_PER_PEER incomplete Welcomes are kept per
 * sender (the oldest go), each for GROUP_PARTIAL_INVITATION_TTL_MS after its
 * newest chunk came, and chunks that do not join into their digest are
 * deleted.
 */
import { toHex } from '../../crypto/bytes.ts';
import { GROUP_PARTIAL_INVITATION_TTL_MS, MAX_GROUP_PARTIAL_INVITATIONS_PER_PEER } from '../constants.ts';
import type { Core } from '../core/core.ts';
import { fromBase64, toBase64 } from '../encoding/base64.ts';
import type { GroupInvitationRecord } from '../store/group-records.ts';
import { Tx } from '../store/store.ts';
import { GroupChunkSets, isGroupChunk } from './chunks.ts';

/** True when the invitation holds one chunk of a Welcome, not the whole. */
export function isInvitationChunk(invitation: GroupInvitationRecord): boolean {
  return isGroupChunk(fromBase64(invitation.welcome));
}

/**
 * Joins the chunked invitations stored from `peerId` whose chunks are all
 * there; resolves to the whole invitations written (none while chunks are
 * missing).
 */
export async function assembleInvitations(core: Core, peerId: string): Promise<GroupInvitationRecord[]> {
  const sets = new GroupChunkSets<GroupInvitationRecord>();
  for (const invitation of await core.store.listGroupInvitations()) {
    if (invitation.peerId === peerId && isInvitationChunk(invitation)) sets.add(fromBase64(invitation.welcome), invitation);
  }
  const { frames, bad, incomplete } = sets.complete(core.ctx.primitives.sha256);
  const tx = new Tx();
  const whole: GroupInvitationRecord[] = [];
  for (const { frame, sources } of frames) {
    const first = sources[0]!;
    const invitation: GroupInvitationRecord = { id: toHex(core.ctx.primitives.sha256(frame)), peerId, name: first.name, token: first.token, welcome: toBase64(frame), at: Math.max(...sources.map((s) => s.at)) };
    tx.putGroupInvitation(invitation);
    for (const chunk of sources) tx.deleteGroupInvitation(chunk.id);
    whole.push(invitation);
  }
  const newest = (chunks: readonly GroupInvitationRecord[]): number => Math.max(...chunks.map((c) => c.at));
  const now = core.ctx.now();
  const kept = incomplete.filter((chunks) => now - newest(chunks) < GROUP_PARTIAL_INVITATION_TTL_MS).sort((a, b) => newest(b) - newest(a));
  const dropped = [...bad, ...incomplete.filter((chunks) => !kept.includes(chunks)), ...kept.slice(MAX_GROUP_PARTIAL_INVITATIONS_PER_PEER)];
  for (const chunks of dropped) for (const chunk of chunks) tx.deleteGroupInvitation(chunk.id);
  await core.store.commit(tx, { sync: true });
  return whole;
}

/**
 * The `sotto group` operations (docs/GROUPS.md): through the running
 * node's groups, or, when no node runs on the home, refused with
 * NodeNotRunningError (a group needs the node: its members are reached and
 * its mailboxes fetched while it runs).
 *
 * The chat and the page read their groups through the same API, with what
 * a list of conversations needs besides: unread counts (a read mark per
 * group, moved by reading its history, stored with the group) and the
 * invitations of strangers, which wait for the user like message requests.
 */
import type { GroupSendResult, GroupService } from '../node/groups/group-service.ts';
import type { GroupInvitationRecord } from '../node/store/group-records.ts';
import { SottoError } from '../crypto/errors.ts';
import { NodeNotRunningError } from './control/node-control.ts';
import type { HistoryPage } from './api.ts';
import { fileLine, type FileLine } from './file-line.ts';
import { inlineFileState, type FileStateLookup } from '../node/files/message-file-state.ts';

/** No invitation from a stranger with this id waits (it was joined, declined, or never came). */
export class UnknownGroupInvitationError extends SottoError {
  override readonly name = 'UnknownGroupInvitationError';
  constructor(readonly id: string) {
    super('no such group invitation waits');
  }
}

/** One line of `sotto group list --json`. */
export interface GroupLine {
  readonly name: string;
  readonly id: string;
  /** `name`: the contact's name (null for this home's own identity and for members who are not contacts). */
  readonly members: readonly { readonly name: string | null; readonly peerId: string }[];
  readonly admins: readonly string[];
}

/** One line of `sotto group history --json`. */
export interface GroupHistoryLine {
  readonly id: string;
  readonly seq: number;
  /** The sender's peer id. */
  readonly sender: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly timestamp: number;
  readonly status: string;
  /** For a file message: the file (`text` is its name). */
  readonly file?: FileLine;
}

/** One group in the chat's and the page's list: a GroupLine, whether this home is still in it, and its unread count. */
export interface GroupConversationLine extends GroupLine {
  /** False once this home left or was removed (its history stays). */
  readonly active: boolean;
  /** Received messages after the read mark (at most GROUP_UNREAD_SCAN). */
  readonly unread: number;
}

/** An invitation from someone who is not a contact: a request to join a group, until accepted or declined. */
export interface GroupInvitationLine {
  readonly id: string;
  /** Who sent it. */
  readonly peerId: string;
  /** The group's name as the inviter gave it (unverified). */
  readonly name: string;
  /** How many members the group has, read from the invitation (null when this node cannot open it). */
  readonly members: number | null;
  readonly at: number;
}

/** How many of a group's newest messages are looked at to count the unread ones (more reads as this many). */
export const GROUP_UNREAD_SCAN = 100;

/** The group operations of the `sotto` commands. */
export interface GroupApi {
  groupCreate(name: string, members: string[]): Promise<{ name: string; id: string }>;
  groupAdd(name: string, members: string[]): Promise<{ name: string }>;
  groupRemove(name: string, member: string): Promise<{ name: string }>;
  groupLeave(name: string): Promise<{ name: string }>;
  groupList(): Promise<GroupLine[]>;
  groupSend(name: string, text: string, waitMs: number): Promise<GroupSendResult>;
  /** A group's messages, oldest first (with `page`, as history); moves the group's read mark to the newest one read. */
  groupHistory(name: string, page?: HistoryPage | null): Promise<GroupHistoryLine[]>;
  /** Every group, left ones too, with unread counts. */
  groupConversations(): Promise<GroupConversationLine[]>;
  /** Invitations from strangers, oldest first. */
  groupInvitations(): Promise<GroupInvitationLine[]>;
  /** Joins the group of a stranger's invitation; resolves to the group's name here. */
  groupAcceptInvitation(id: string): Promise<{ name: string }>;
  /** Deletes a stranger's invitation unjoined. */
  groupDeclineInvitation(id: string): Promise<{ id: string }>;
}

/** The GroupApi over `groups` (undefined when no node runs: every method throws NodeNotRunningError); `fileState` as messengerApi's. */
export function groupMethods(groups: GroupService | undefined, fileState: FileStateLookup = inlineFileState): GroupApi {
  const need = (): GroupService => {
    if (!groups) throw new NodeNotRunningError();
    return groups;
  };
  const invitation = async (id: string): Promise<GroupInvitationRecord> => {
    const found = (await need().invitations()).find((i) => i.id === id);
    if (!found) throw new UnknownGroupInvitationError(id);
    return found;
  };
  return {
    groupCreate: async (name, members) => need().create(name, members),
    groupAdd: async (name, members) => (await need().add(name, members), { name }),
    groupRemove: async (name, member) => (await need().remove(name, member), { name }),
    groupLeave: async (name) => (await need().leave(name), { name }),
    groupList: async () => (await need().list()).filter((g) => g.active).map(({ name, id, members, admins }) => ({ name, id, members, admins })),
    groupSend: async (name, text, waitMs) => need().send(name, text, { waitMs }),
    groupHistory: async (name, page) => {
      const service = need();
      const messages = await service.history(name, page ?? {});
      if (messages.length > 0) await service.markRead(name, messages.reduce((max, m) => Math.max(max, m.seq), 0));
      return Promise.all(
        messages.map(async (m) => ({ id: m.id, seq: m.seq, sender: m.sender, direction: m.direction, text: m.text, timestamp: m.timestamp, status: m.status, ...(m.file ? { file: await fileLine(fileState, m.id, m.file) } : {}) })),
      );
    },
    groupConversations: async () =>
      Promise.all((await need().list()).map(async ({ name, id, members, admins, active }) => ({ name, id, members, admins, active, unread: await need().unreadCount(name, GROUP_UNREAD_SCAN) }))),
    groupInvitations: async () => {
      const service = need();
      return Promise.all((await service.invitations()).map(async (i) => ({ id: i.id, peerId: i.peerId, name: i.name, members: await service.invitationMembers(i), at: i.at })));
    },
    groupAcceptInvitation: async (id) => ({ name: (await need().join(await invitation(id))).name }),
    groupDeclineInvitation: async (id) => (await need().decline((await invitation(id)).id), { id }),
  };
}

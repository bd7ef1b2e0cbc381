/**
 * The `sotto group` operations (docs/GROUPS.md): through the running
 * node's groups, or, when no node runs on the home, refused with
 * NodeNotRunningError (a group needs the node: its members are reached and
 * its mailboxes fetched while it runs).
 */
import type { GroupSendResult, GroupService } from '../node/groups/group-service.ts';
import { NodeNotRunningError } from './control/node-control.ts';
import type { HistoryPage } from './api.ts';

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
}

/** The group operations of the `sotto` commands. */
export interface GroupApi {
  groupCreate(name: string, members: string[]): Promise<{ name: string; id: string }>;
  groupAdd(name: string, members: string[]): Promise<{ name: string }>;
  groupRemove(name: string, member: string): Promise<{ name: string }>;
  groupLeave(name: string): Promise<{ name: string }>;
  groupList(): Promise<GroupLine[]>;
  groupSend(name: string, text: string, waitMs: number): Promise<GroupSendResult>;
  groupHistory(name: string, page?: HistoryPage | null): Promise<GroupHistoryLine[]>;
}

/** The GroupApi over `groups` (undefined when no node runs: every method throws NodeNotRunningError). */
export function groupMethods(groups: GroupService | undefined): GroupApi {
  const need = (): GroupService => {
    if (!groups) throw new NodeNotRunningError();
    return groups;
  };
  return {
    groupCreate: async (name, members) => need().create(name, members),
    groupAdd: async (name, members) => (await need().add(name, members), { name }),
    groupRemove: async (name, member) => (await need().remove(name, member), { name }),
    groupLeave: async (name) => (await need().leave(name), { name }),
    groupList: async () => (await need().list()).filter((g) => g.active).map(({ name, id, members, admins }) => ({ name, id, members, admins })),
    groupSend: async (name, text, waitMs) => need().send(name, text, { waitMs }),
    groupHistory: async (name, page) =>
      (await need().history(name, page ?? {})).map((m) => ({ id: m.id, seq: m.seq, sender: m.sender, direction: m.direction, text: m.text, timestamp: m.timestamp, status: m.status })),
  };
}

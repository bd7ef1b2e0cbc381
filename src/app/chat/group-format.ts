/**
 * How groups read in the chat: a group in the list, who sent each line of a
 * group conversation (the contact's name, "you", or a member's short peer
 * id), the member list /members shows, and the title of an open group.
 * Every name and peer id goes through displayName or terminalLine: a
 * member's name or id never drives the terminal. Pure.
 */
import type { ContactLine, HistoryLine } from '../api.ts';
import type { GroupConversationLine, GroupHistoryLine } from '../group-api.ts';
import { displayName } from '../display-name.ts';
import { terminalLine } from '../terminal-text.ts';
import { shortPeerId } from './format.ts';
import { fitText, textWidth } from './width.ts';

/** A line of a conversation as the chat holds it: a group's lines say who sent them. */
export interface ChatLine extends HistoryLine {
  /** Who sent it, ready to show (groups only). */
  readonly from?: string;
}

/** The mark of a group in the list and in the box's prompt. */
export const GROUP_MARK = '#';

/** Who a member is, to show: "you", the contact's name, or the short peer id of a member who is not a contact. */
export function memberName(peerId: string, self: string, contacts: readonly ContactLine[]): string {
  if (peerId === self) return 'you';
  const contact = contacts.find((c) => c.peerId === peerId);
  return contact ? displayName(contact.name) : terminalLine(shortPeerId(peerId));
}

/** A group's messages as chat lines, each with its sender (and its file, for a file message). */
export function groupChatLines(lines: readonly GroupHistoryLine[], self: string, contacts: readonly ContactLine[]): ChatLine[] {
  return lines.map((m) => ({ id: m.id, seq: m.seq, direction: m.direction, text: m.text, timestamp: m.timestamp, status: m.status, ...(m.file ? { file: m.file } : {}), from: memberName(m.sender, self, contacts) }));
}

/** A group in the list: "#", its name, "(left)" once this home is out of it, the unread count; the name is cut to the column, never the marks. */
export function groupLabel(g: GroupConversationLine, width: number): string {
  const marks = `${g.active ? '' : ' (left)'}${g.unread > 0 ? ` (${g.unread})` : ''}`;
  return `${GROUP_MARK} ${fitText(displayName(g.name), width - 2 - textWidth(marks))}${marks}`;
}

/** What /members shows: the group, how many members, then one line each (admins marked). */
export function memberLines(g: GroupConversationLine, self: string, contacts: readonly ContactLine[]): string[] {
  const lines = [`Members of ${GROUP_MARK}${displayName(g.name)} (${g.members.length}):`];
  for (const m of g.members) {
    const known = m.peerId === self || contacts.some((c) => c.peerId === m.peerId);
    lines.push(`  ${memberName(m.peerId, self, contacts)}${g.admins.includes(m.peerId) ? ' (admin)' : ''}${known ? '' : ' · not a contact'}`);
  }
  return lines;
}

/** The title of an open group: its name, members, your role; what to type; a word when you are out of it. */
export function groupTitle(g: GroupConversationLine, self: string): { text: string; tone: 'bold' | 'dim' | 'warn' }[] {
  const role = g.admins.includes(self) ? 'admin' : 'member';
  const n = g.members.length;
  if (!g.active) return [{ text: `${GROUP_MARK}${displayName(g.name)} · group`, tone: 'bold' }, { text: 'You are no longer in this group: its history stays here, nothing new reaches you.', tone: 'warn' }];
  return [
    { text: `${GROUP_MARK}${displayName(g.name)} · group of ${n} member${n === 1 ? '' : 's'} · you are ${role === 'admin' ? 'an admin' : 'a member'}`, tone: 'bold' },
    { text: role === 'admin' ? '/members · /group add MEMBER · /group remove MEMBER · /group leave' : '/members · /group leave', tone: 'dim' },
  ];
}

/**
 * The open group's panel on the page, above its conversation: its members
 * (one `group-member` each: the contact's name, "you", or a short peer id
 * for a member who is not a contact; admins marked; a `group-remove-member`
 * button on each other member for an admin), a field and
 * `group-add-member` button to add a contact (an admin only), and Leave.
 * Updated in place (updateKeyed) from the group's line, so a name being
 * typed survives every refresh.
 */
import type { ContactLine, SottoApi } from '../api.ts';
import { shortPeerId } from '../chat/format.ts';
import type { GroupConversationLine } from '../group-api.ts';
import { h, nameNode, replaceChildren, updateKeyed } from './dom.ts';
import { groupErrorText } from './groups.ts';

/** What a change of membership asks of the group service. */
type MembershipApi = Pick<SottoApi, 'groupAdd' | 'groupRemove' | 'groupLeave'>;

/** The panel and how to show a group in it. */
export interface GroupPanel {
  readonly element: HTMLElement;
  /** Shows `group` (undefined: hides the panel) with its members named from `contacts`. */
  show(group: GroupConversationLine | undefined, contacts: readonly ContactLine[]): void;
}

/** What to do about the errors membership changes meet. */
const MEMBERSHIP_HINTS: Readonly<Record<string, string>> = {
  NotGroupAdminError: 'Ask an admin of the group.',
  GroupKeyPackageMissingError: 'Their node sends one when both are online; try again once they have been online.',
  UnknownContactError: 'Members are added by their contact name.',
};

interface MemberItem {
  readonly li: HTMLLIElement;
  drawn: string;
}

/** A member as the page names it: "you", the contact's name, or a short peer id. */
export function memberLabel(peerId: string, self: string, contacts: readonly ContactLine[]): string {
  if (peerId === self) return 'you';
  return contacts.find((c) => c.peerId === peerId)?.name ?? shortPeerId(peerId);
}

/** Builds the panel of the page whose peer id is `self`; `changed()` runs after a change of membership. */
export function groupPanel(api: MembershipApi, self: string, changed: () => void): GroupPanel {
  let current: GroupConversationLine | undefined;
  const items = new Map<string, MemberItem>();
  const members = h('ul', { class: 'members', 'data-testid': 'group-members', 'aria-label': 'members' });
  const addName = h('input', { 'data-testid': 'group-member-name', list: 'group-contacts', maxlength: 64, 'aria-label': 'contact to add', placeholder: 'Contact name' });
  const contactsList = h('datalist', { id: 'group-contacts' });
  const addButton = h('button', { type: 'submit', 'data-testid': 'group-add-member' }, 'Add');
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'group-error' });
  const leave = h('button', { type: 'button', class: 'secondary', 'data-testid': 'group-leave', onclick: () => void act(() => api.groupLeave(current!.name)) }, 'Leave group');
  const addForm = h(
    'form',
    {
      class: 'group-add',
      onsubmit: (event) => {
        event.preventDefault();
        const name = addName.value.trim();
        if (name === '' || !current) return;
        void act(() => api.groupAdd(current!.name, [name])).then((done) => {
          if (done) addName.value = '';
        });
      },
    },
    addName,
    contactsList,
    addButton,
  );
  const element = h('section', { class: 'group-panel', 'data-testid': 'group-panel', 'aria-label': 'group members', hidden: true }, members, addForm, leave, error);

  /** Runs a change of membership; resolves to whether it was made (else the error is shown). */
  async function act(change: () => Promise<unknown>): Promise<boolean> {
    if (!current) return false;
    replaceChildren(error);
    try {
      await change();
      changed();
      return true;
    } catch (err) {
      replaceChildren(error, groupErrorText(err, MEMBERSHIP_HINTS));
      return false;
    }
  }

  function show(group: GroupConversationLine | undefined, contacts: readonly ContactLine[]): void {
    if (group?.id !== current?.id) replaceChildren(error);
    current = group;
    element.hidden = group === undefined;
    if (!group) return;
    const admin = group.active && group.admins.includes(self);
    addForm.hidden = !admin;
    leave.hidden = !group.active;
    updateKeyed(
      members,
      items,
      group.members,
      (m) => m.peerId,
      () => ({ li: h('li', { 'data-testid': 'group-member' }), drawn: '' }),
      (m, item) => {
        const label = memberLabel(m.peerId, self, contacts);
        const isAdmin = group.admins.includes(m.peerId);
        const removable = admin && m.peerId !== self && label !== shortPeerId(m.peerId);
        const drawn = JSON.stringify([label, isAdmin, removable]);
        if (drawn === item.drawn) return;
        item.drawn = drawn;
        item.li.dataset['peerId'] = m.peerId;
        replaceChildren(
          item.li,
          nameNode(label),
          isAdmin ? h('span', { class: 'admin' }, ' admin') : null,
          removable ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'group-remove-member', 'aria-label': `remove ${label}`, onclick: () => void act(() => api.groupRemove(group.name, label)) }, 'Remove') : null,
        );
      },
    );
    const inGroup = new Set(group.members.map((m) => m.peerId));
    replaceChildren(contactsList, ...contacts.filter((c) => c.added && !inGroup.has(c.peerId)).map((c) => h('option', { value: c.name })));
  }

  return { element, show };
}

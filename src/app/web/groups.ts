/**
 * The page's groups in the side panel: the list (one button per group,
 * `data-testid="contact"` like a contact's and `data-kind="group"`, its
 * name after a "#" mark, "left" once this page is out of it, its unread
 * count) and the form that creates one (`group-name`, a box per contact to
 * invite, `group-create`). Both are made once and updated in place
 * (updateKeyed), so a refresh keeps the focus and what is being typed.
 */
import type { ContactLine, SottoApi } from '../api.ts';
import type { GroupConversationLine } from '../group-api.ts';
import { terminalLine } from '../terminal-text.ts';
import { h, nameNode, replaceChildren, updateKeyed } from './dom.ts';

/** The group list and how to bring it up to date. */
export interface GroupList {
  readonly element: HTMLUListElement;
  /** Shows `groups` in this order. */
  update(groups: readonly GroupConversationLine[]): void;
  /** Marks the group `name` as the open conversation (undefined: none). */
  select(name: string | undefined): void;
}

interface Item {
  readonly li: HTMLLIElement;
  readonly button: HTMLButtonElement;
  drawn: string;
}

/** Builds the group list; `choose(name)` runs when a group is clicked. */
export function groupList(choose: (name: string) => void): GroupList {
  const items = new Map<string, Item>();
  const element = h('ul', { class: 'contacts groups', 'data-testid': 'groups', 'aria-label': 'groups' });
  let selected: string | undefined;

  function make(g: GroupConversationLine): Item {
    const button = h('button', { type: 'button', class: 'contact group', 'data-testid': 'contact', 'data-kind': 'group', 'data-name': g.name, onclick: () => choose(g.name) });
    return { li: h('li', {}, button), button, drawn: '' };
  }

  function draw(g: GroupConversationLine, item: Item): void {
    const drawn = JSON.stringify([g.name, g.active, g.unread, g.members.length]);
    if (drawn === item.drawn) return;
    item.drawn = drawn;
    item.button.dataset['name'] = g.name;
    item.button.dataset['active'] = String(g.active);
    item.button.setAttribute('aria-label', `group ${g.name}, ${g.members.length} members${g.active ? '' : ', left'}${g.unread > 0 ? `, ${g.unread} unread` : ''}`);
    replaceChildren(
      item.button,
      h('span', { class: 'group-mark', 'aria-hidden': 'true' }, '#'),
      nameNode(g.name),
      g.active ? null : h('span', { class: 'left' }, 'left'),
      g.unread > 0 ? h('span', { class: 'unread', 'data-testid': 'unread', title: 'unread messages' }, String(g.unread)) : null,
    );
  }

  function select(name: string | undefined): void {
    selected = name;
    for (const item of items.values()) {
      const chosen = item.button.dataset['name'] === selected;
      item.button.classList.toggle('selected', chosen);
      if (chosen) item.button.setAttribute('aria-current', 'true');
      else item.button.removeAttribute('aria-current');
    }
  }

  function update(groups: readonly GroupConversationLine[]): void {
    updateKeyed(element, items, groups, (g) => g.id, make, draw);
    select(selected);
  }

  return { element, update, select };
}

/** The create form and how to keep its contact boxes current. */
export interface GroupCreateForm {
  readonly element: HTMLFormElement;
  /** The contacts one may invite (added ones), in order. */
  update(contacts: readonly ContactLine[]): void;
}

/** What to do about the errors a create can meet (by the error's name). */
const CREATE_HINTS: Readonly<Record<string, string>> = {
  GroupKeyPackageMissingError: 'Their node sends one when both are online; try again once they have been online.',
  GroupNameTakenError: 'Choose another name.',
  InvalidContactNameError: 'Use 1 to 64 characters, without invisible or control characters.',
};

/** An error as the page says it, with its hint. */
export function groupErrorText(err: unknown, hints: Readonly<Record<string, string>> = CREATE_HINTS): string {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof Error ? hints[err.name] : undefined;
  return `${terminalLine(message)}${hint === undefined ? '' : ` ${hint}`}`;
}

/** Builds the form that creates a group with the contacts ticked; `created(name)` runs once it exists. */
export function groupCreateForm(api: Pick<SottoApi, 'groupCreate'>, created: (name: string) => void): GroupCreateForm {
  const name = h('input', { 'data-testid': 'group-name', maxlength: 64, required: true, 'aria-label': 'group name', placeholder: 'Group name' });
  const boxes = h('ul', { class: 'group-invitees', 'aria-label': 'contacts to invite' });
  const items = new Map<string, { li: HTMLLIElement; box: HTMLInputElement }>();
  const submit = h('button', { type: 'submit', 'data-testid': 'group-create' }, 'Create group');
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'group-create-error' });
  const element = h(
    'form',
    {
      class: 'group-create',
      'aria-label': 'new group',
      onsubmit: (event) => {
        event.preventDefault();
        const members = [...items.entries()].filter(([, item]) => item.box.checked).map(([contact]) => contact);
        submit.disabled = true;
        replaceChildren(error);
        api
          .groupCreate(name.value.trim(), members)
          .then((group) => {
            name.value = '';
            for (const item of items.values()) item.box.checked = false;
            created(group.name);
          })
          .catch((err: unknown) => replaceChildren(error, groupErrorText(err)))
          .finally(() => (submit.disabled = false));
      },
    },
    h('label', {}, 'New group', name),
    boxes,
    submit,
    error,
  );

  function update(contacts: readonly ContactLine[]): void {
    updateKeyed(
      boxes,
      items,
      contacts.filter((c) => c.added),
      (c) => c.name,
      (c) => {
        const box = h('input', { type: 'checkbox', 'data-testid': 'group-create-member', value: c.name });
        return { li: h('li', {}, h('label', { class: 'check' }, box, nameNode(c.name))), box };
      },
      () => {},
    );
  }

  return { element, update };
}

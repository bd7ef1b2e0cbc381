/**
 * The page's contact list: one element per contact, made once and updated
 * in place, so a refresh never moves the focus, the selection or the
 * scroll position of the list. Each contact is a button (its name a
 * `<bdi>`, see ./dom.ts) with its online dot, verified, lookalike,
 * key-changed and unread marks.
 *
 * Keyboard: the list is one stop in the tab order (the chosen contact, or
 * the first); ArrowUp / ArrowDown move between contacts, Home / End to the
 * first and last, Enter or Space opens the conversation.
 */
import type { ContactLine } from '../api.ts';
import { lookalikeNote } from '../display-name.ts';
import { h, nameNode, replaceChildren, updateKeyed, type Child } from './dom.ts';
import type { ConnectionKind } from './status.ts';

/** A contact as the list shows it: its line, and how this page reaches it now. */
export interface ContactView extends ContactLine {
  /** How the page reaches it now (./status.ts). */
  readonly connection: ConnectionKind;
}

/** The list element and how to bring it up to date. */
export interface ContactList {
  readonly element: HTMLUListElement;
  /** Shows `contacts` in this order: new ones are added, gone ones removed, changed ones redrawn. */
  update(contacts: readonly ContactView[]): void;
  /** Marks `name` as the open conversation (undefined: none). */
  select(name: string | undefined): void;
  /** Moves the focus to the chosen contact (or the first); false when the list is empty. */
  focus(): boolean;
}

/** One contact's element and what it was drawn from. */
interface Item {
  readonly li: HTMLLIElement;
  readonly button: HTMLButtonElement;
  /** What the button was drawn from: redrawn when it changes. */
  drawn: string;
}

function badgesOf(c: ContactView): Child[] {
  return [
    h('span', { class: c.online ? 'dot online' : 'dot', title: c.online ? `online (${c.connection})` : 'offline' }),
    nameNode(c.name),
    c.verified ? h('span', { class: 'verified', title: 'verified' }, '✓') : null,
    c.confusableWith !== undefined ? h('span', { class: 'lookalike', title: lookalikeNote(c.confusableWith), 'data-testid': 'lookalike' }, '≈') : null,
    c.keyChangedAt !== undefined ? h('span', { class: 'changed', title: 'identity key changed' }, '!') : null,
    c.unread > 0 ? h('span', { class: 'unread', 'data-testid': 'unread', title: 'unread messages' }, String(c.unread)) : null,
  ];
}

/** Builds the contact list; `choose(name)` runs when a contact is clicked (or Enter / Space on it). */
export function contactList(choose: (name: string) => void): ContactList {
  const items = new Map<string, Item>();
  const element = h('ul', { class: 'contacts', 'data-testid': 'contacts', 'aria-label': 'contacts' });
  const empty = h('li', { class: 'empty' }, 'No contacts yet: add one with their invite.');
  let selected: string | undefined;

  /** The buttons in list order. */
  const buttons = (): HTMLButtonElement[] => [...element.querySelectorAll<HTMLButtonElement>('button.contact')];

  /** Keeps exactly one contact in the tab order: the chosen one, else the focused one, else the first. */
  function rove(): void {
    const all = buttons();
    const current = all.find((b) => b.dataset['name'] === selected) ?? all.find((b) => b === document.activeElement) ?? all[0];
    for (const b of all) b.tabIndex = b === current ? 0 : -1;
  }

  element.addEventListener('keydown', (event) => {
    const all = buttons();
    const at = all.findIndex((b) => b === document.activeElement);
    if (at < 0) return;
    const next = event.key === 'ArrowDown' ? at + 1 : event.key === 'ArrowUp' ? at - 1 : event.key === 'Home' ? 0 : event.key === 'End' ? all.length - 1 : undefined;
    if (next === undefined) return;
    event.preventDefault();
    const target = all[Math.max(0, Math.min(all.length - 1, next))];
    if (!target) return;
    for (const b of all) b.tabIndex = b === target ? 0 : -1;
    target.focus();
  });

  function makeItem(name: string): Item {
    const button = h('button', { type: 'button', class: 'contact', 'data-testid': 'contact', 'data-name': name, tabindex: -1, onclick: () => choose(name) });
    return { li: h('li', {}, button), button, drawn: '' };
  }

  function draw(c: ContactView, item: Item): void {
    const drawn = JSON.stringify([c.online, c.connection, c.verified, c.confusableWith, c.keyChangedAt, c.unread]);
    if (drawn === item.drawn) return;
    item.drawn = drawn;
    const { button } = item;
    button.dataset['online'] = String(c.online);
    button.dataset['connection'] = c.connection;
    button.dataset['verified'] = String(c.verified);
    button.dataset['lookalike'] = String(c.confusableWith !== undefined);
    button.setAttribute('aria-label', `${c.name}${c.online ? `, online (${c.connection})` : ''}${c.verified ? ', verified' : ''}${c.unread > 0 ? `, ${c.unread} unread` : ''}`);
    replaceChildren(button, ...badgesOf(c));
  }

  function update(contacts: readonly ContactView[]): void {
    if (contacts.length === 0) element.append(empty);
    else empty.remove();
    // Moved only when out of place, so a focused contact keeps its focus.
    updateKeyed(element, items, contacts, (c) => c.name, (c) => makeItem(c.name), draw);
    select(selected);
  }

  function select(name: string | undefined): void {
    selected = name;
    for (const [key, item] of items) {
      const chosen = key === name;
      item.button.classList.toggle('selected', chosen);
      if (chosen) item.button.setAttribute('aria-current', 'true');
      else item.button.removeAttribute('aria-current');
    }
    rove();
  }

  function focus(): boolean {
    const target = buttons().find((b) => b.tabIndex === 0);
    target?.focus();
    return target !== undefined;
  }

  update([]);
  return { element, update, select, focus };
}

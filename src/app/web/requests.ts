/**
 * The page's message requests: people who are not contacts and wrote. They
 * are listed in a section of their own under the contacts, each with the
 * name it claims (a `<bdi>`, marked unverified), a warning when that name is
 * a contact's or looks like one, and Accept (under a name the user can
 * change), Block and Delete. A request that invites to groups says so:
 * each group's name (the stranger's choice, unverified) and how many
 * members it has; accepting the request joins them. A request's messages
 * are read only when the user opens it; reading them sends nothing back.
 *
 * The list is updated in place: an item is made once per request, its
 * summary redrawn only when the request changed, and the name being typed,
 * an open request and a pending Block survive every refresh.
 */
import type { HistoryLine, RequestLine, SottoApi } from '../api.ts';
import type { GroupInvitationLine } from '../group-api.ts';
import { clockTime } from '../chat/format.ts';
import { terminalLine } from '../terminal-text.ts';
import { h, messageBody, nameNode, replaceChildren, updateKeyed } from './dom.ts';

/** What the section tells the rest of the page. */
export interface RequestSectionHooks {
  /** The request was accepted: `name` is a contact now, with the request's messages as its conversation. */
  accepted(name: string): void;
  /** A request was blocked or deleted: the lists should be read again. */
  changed(): void;
}

/** The section element and how to bring it up to date. */
export interface RequestSection {
  readonly element: HTMLElement;
  /** Shows `requests` (oldest first) with the group invitations they carry: new ones are added, gone ones removed, changed ones redrawn. */
  update(requests: readonly RequestLine[], invitations: readonly GroupInvitationLine[]): void;
}

/** One request's element and what it was drawn from. */
interface Item {
  readonly li: HTMLLIElement;
  readonly summary: HTMLButtonElement;
  readonly warning: HTMLElement;
  /** The groups it invites to. */
  readonly invitations: HTMLUListElement;
  readonly accept: HTMLButtonElement;
  /** What shows only while the request is open: who sent it, and its messages. */
  readonly body: HTMLElement;
  readonly messages: HTMLOListElement;
  /** What the summary was drawn from: redrawn when it changes. */
  drawn: string;
}

/** Errors a user can cause here, and what to do about each (by the error's name). */
const HINTS: Readonly<Record<string, string>> = {
  RequestNameRequiredError: 'Give them a name of your own and accept again.',
  InvalidContactNameError: 'Use 1 to 64 characters, without invisible or control characters.',
};

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof Error ? HINTS[err.name] : undefined;
  // The message may quote the claimed name: shown with its controls as markers.
  return `${terminalLine(message)}${hint === undefined ? '' : ` ${hint}`}`;
}

/** The warning for a request whose claimed name is a contact's, or looks like one; nothing otherwise. */
function warningOf(r: RequestLine): (Node | string)[] {
  if (r.looksLike === undefined || r.claimedName === null) return [];
  const claim = r.claimedName === r.looksLike ? ['You already have a contact named ', nameNode(r.looksLike)] : ['This name looks like your contact ', nameNode(r.looksLike)];
  return [...claim, ': this may be someone else using the name.'];
}

/** The summary line: who it says it is (unverified), how many messages. */
function summaryOf(r: RequestLine): (Node | string)[] {
  return [
    r.claimedName === null ? h('span', { class: 'name anonymous' }, 'no name given') : nameNode(r.claimedName),
    h('span', { class: 'unverified', 'data-testid': 'request-unverified' }, r.claimedName === null ? 'not a contact' : 'unverified · not a contact'),
    h('span', { class: 'count', title: 'messages' }, String(r.messages)),
  ];
}

/** One group a request invites to: its name (the stranger's choice) and how many members it has. */
function invitationItem(i: GroupInvitationLine): HTMLElement {
  return h(
    'li',
    { class: 'request-invitation', 'data-testid': 'request-invitation' },
    'Invites you to the group #',
    nameNode(i.name),
    i.members === null ? '' : h('span', { 'data-testid': 'request-invitation-members' }, ` · ${i.members} member${i.members === 1 ? '' : 's'}`),
    h('span', { class: 'unverified' }, ' · name unverified'),
  );
}

function messageItem(m: HistoryLine): HTMLElement {
  return h('li', { class: 'message in', 'data-testid': 'request-message' }, messageBody('span', { class: 'text', 'data-testid': 'request-message-text' }, m.text), h('span', { class: 'meta' }, h('time', {}, clockTime(m.timestamp))));
}

/** Builds the requests section over `api`. */
export function requestSection(api: SottoApi, hooks: RequestSectionHooks): RequestSection {
  const items = new Map<string, Item>();
  const count = h('span', { class: 'request-count', 'data-testid': 'request-count' });
  const list = h('ul', { class: 'requests', 'data-testid': 'requests' });
  const element = h('section', { class: 'request-section', hidden: true, 'aria-label': 'message requests' }, h('h2', { class: 'label' }, 'Requests ', count), list);

  async function showMessages(peerId: string, item: Item): Promise<void> {
    const history = await api.requestHistory(peerId);
    replaceChildren(item.messages, ...history.map(messageItem));
  }

  function makeItem(r: RequestLine): Item {
    const { peerId } = r;
    const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'request-error' });
    const fail = (err: unknown): void => void (error.textContent = errorText(err));
    /** Runs one of the request's actions, its error (if any) shown under the request. */
    const act = <T>(action: () => Promise<T>, done: (result: T) => void): void => {
      error.textContent = '';
      action().then(done, fail);
    };
    const messages = h('ol', { class: 'messages request-messages', 'data-testid': 'request-messages' });
    const body = h('div', { class: 'request-body', hidden: true }, h('p', { class: 'request-from' }, `Reading it sends nothing back. Peer id ${peerId}`), messages);
    const summary = h('button', {
      type: 'button',
      class: 'request-open',
      'data-testid': 'request-open',
      'aria-expanded': 'false',
      onclick: () => {
        const opening = body.hidden;
        body.hidden = !opening;
        summary.setAttribute('aria-expanded', String(opening));
        if (opening) act(() => showMessages(peerId, item), () => {});
      },
    });
    const warning = h('p', { class: 'warning', role: 'alert', 'data-testid': 'request-warning', hidden: true });
    const invitations = h('ul', { class: 'request-invitations', hidden: true });
    const accept = h('button', { type: 'submit', 'data-testid': 'request-accept' }, 'Accept');
    // Prefilled with the claimed name only when accepting under it can work.
    const name = h('input', { 'data-testid': 'request-accept-name', placeholder: 'their name', maxlength: 64, value: r.claimedName !== null && r.looksLike === undefined ? r.claimedName : undefined });
    const block = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'data-testid': 'request-block',
        onclick: () => {
          // Blocking cannot be undone here: the first click asks, the second blocks.
          if (block.dataset['armed'] !== 'true') {
            block.dataset['armed'] = 'true';
            block.textContent = 'Block for good?';
            return;
          }
          act(() => api.blockPeer(peerId), hooks.changed);
        },
      },
      'Block',
    );
    const remove = h('button', { type: 'button', class: 'secondary', 'data-testid': 'request-delete', onclick: () => act(() => api.deleteRequest(peerId), hooks.changed) }, 'Delete');
    const form = h(
      'form',
      {
        class: 'request-actions',
        onsubmit: (event) => {
          event.preventDefault();
          const chosen = name.value.trim();
          act(() => api.acceptRequest(peerId, chosen === '' ? null : chosen), (line) => hooks.accepted(line.name));
        },
      },
      h('label', {}, 'Their name, if you accept', name),
      accept,
      block,
      remove,
    );
    const li = h('li', { class: 'request', 'data-testid': 'request', 'data-peer-id': peerId }, summary, warning, invitations, body, form, error);
    const item: Item = { li, summary, warning, invitations, accept, body, messages, drawn: '' };
    return item;
  }

  /** The invitations of the requests, by sender: read by draw. */
  let invitesOf = new Map<string, GroupInvitationLine[]>();

  function draw(r: RequestLine, item: Item): void {
    const invites = invitesOf.get(r.peerId) ?? [];
    const drawn = JSON.stringify([r.claimedName, r.looksLike, r.messages, r.lastAt, invites]);
    if (drawn === item.drawn) return;
    item.drawn = drawn;
    replaceChildren(item.invitations, ...invites.map(invitationItem));
    item.invitations.hidden = invites.length === 0;
    item.accept.textContent = invites.length === 0 ? 'Accept' : 'Accept and join';
    replaceChildren(item.summary, ...summaryOf(r));
    const warning = warningOf(r);
    replaceChildren(item.warning, ...warning);
    item.warning.hidden = warning.length === 0;
    item.li.dataset['lookalike'] = String(r.looksLike !== undefined);
    if (!item.body.hidden) void showMessages(r.peerId, item).catch(() => {});
  }

  function update(requests: readonly RequestLine[], invitations: readonly GroupInvitationLine[]): void {
    invitesOf = new Map();
    for (const i of invitations) invitesOf.set(i.peerId, [...(invitesOf.get(i.peerId) ?? []), i]);
    // Moved only when out of place, so a field being typed in keeps its focus.
    updateKeyed(list, items, requests, (r) => r.peerId, makeItem, draw);
    count.textContent = `(${requests.length})`;
    element.hidden = requests.length === 0;
  }

  return { element, update };
}

/**
 * The page once the profile is unlocked: your identity (peer id, invite and
 * its QR code), contacts with online and verified state, message requests
 * in a section of their own (./requests.ts), one conversation
 * with each message's state, adding a contact by invite, and verification by
 * safety number. It redraws from the messenger's events; every element a
 * person uses carries a stable data-testid (docs/WEB.md lists them).
 *
 * Below 700 px wide the page shows the list or the conversation, not both.
 * Text from other peers never goes through innerHTML: names are nameNode
 * (`<bdi>`), message bodies messageBody (dir="auto"), see ./dom.ts.
 */
import QRCode from 'qrcode';
import type { ContactLine } from '../api.ts';
import type { MessageRecord } from '../../node/store/records.ts';
import { clockTime } from '../chat/format.ts';
import { h, messageBody, nameNode, replaceChildren, type Child } from './dom.ts';
import { lookalikeNote } from '../display-name.ts';
import type { BrowserPeer } from './peer.ts';
import { requestSection } from './requests.ts';

/** How often online dots and the peer count are refreshed without an event (ms). */
const PRESENCE_REFRESH_MS = 3_000;
/** Characters of a peer id shown in the header (the whole id is under "You"). */
const SHORT_ID_CHARS = 12;
/** How close to the bottom (px) the conversation must be scrolled to follow new messages. */
const SCROLL_STICK_PX = 8;

async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'L', margin: 1 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function describeState(m: MessageRecord): string {
  if (m.status === 'stored' && m.custody) return `stored (${m.custody.mailboxes} mailbox${m.custody.mailboxes === 1 ? '' : 'es'})`;
  return m.status;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Mounts the chat UI for `peer` into `root`; returns a function that stops its timers. */
export function mountChat(root: HTMLElement, peer: BrowserPeer, profileName: string): () => void {
  const { api, messenger, node } = peer;
  let contacts: ContactLine[] = [];
  let selected: string | undefined;
  /** The open conversation must be read again (a message came or changed, or another contact was chosen); the presence timer alone does not. */
  let historyStale = true;
  let warning: string | undefined;
  let lastInvite = '';

  const status = h('span', { class: 'status', 'data-testid': 'status' }, 'connecting…');
  const peerId = h('code', { class: 'peer-id', 'data-testid': 'peer-id' }, messenger.peerId);
  const invite = h('textarea', { class: 'invite', 'data-testid': 'invite', readonly: true, rows: 4, 'aria-label': 'your invite' });
  const inviteQr = h('img', { class: 'qr', 'data-testid': 'invite-qr', alt: 'QR code of your invite' });
  const copy = h('button', { type: 'button', class: 'secondary', onclick: () => void navigator.clipboard?.writeText(invite.value).catch(() => {}) }, 'Copy invite');

  const identity = h('details', { class: 'identity', open: true }, h('summary', {}, 'You: ', h('strong', {}, nameNode(profileName))), h('p', { class: 'label' }, 'Peer id'), peerId, h('p', { class: 'label' }, 'Invite: give it to a contact'), invite, h('div', { class: 'row' }, copy), inviteQr);
  // Open on a first visit (the invite is what a new person needs); folded once there are contacts.
  let identityFolded = false;

  const addInvite = h('textarea', { 'data-testid': 'add-contact-invite', rows: 3, placeholder: 'SOTTO:…', 'aria-label': 'their invite' });
  const addName = h('input', { 'data-testid': 'add-contact-name', placeholder: 'name (optional)', 'aria-label': 'name', maxlength: 64 });
  const addError = h('p', { class: 'error', 'data-testid': 'add-contact-error', role: 'alert' });
  const addForm = h(
    'form',
    {
      class: 'add',
      onsubmit: (event) => {
        event.preventDefault();
        addError.textContent = '';
        const name = addName.value.trim();
        api
          .addInvite(addInvite.value.trim(), name === '' ? null : name, false)
          .then((line) => {
            addInvite.value = '';
            addName.value = '';
            selected = line.name;
            historyStale = true;
            refresh();
          })
          .catch((err: unknown) => (addError.textContent = errorText(err)));
      },
    },
    h('label', {}, 'Add a contact by invite', addInvite),
    addName,
    h('button', { type: 'submit', 'data-testid': 'add-contact-submit' }, 'Add'),
    addError,
  );
  const contactList = h('ul', { class: 'contacts', 'data-testid': 'contacts' });
  const requests = requestSection(api, {
    accepted: (name) => {
      selected = name;
      historyStale = true;
      safety.hidden = true;
      layout.dataset['view'] = 'chat';
      refresh();
    },
    changed: () => refresh(),
  });

  const chatTitle = h('h2', { 'data-testid': 'chat-title' });
  const verifyButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'verify', onclick: () => void toggleSafety() }, 'Verify');
  const safety = h('section', { class: 'safety', hidden: true, 'data-testid': 'safety' });
  const warningBox = h('p', { class: 'warning', hidden: true, role: 'alert', 'data-testid': 'identity-warning' });
  const messages = h('ol', { class: 'messages', 'data-testid': 'messages', 'aria-live': 'polite' });
  const composer = h('textarea', { 'data-testid': 'composer', rows: 1, placeholder: 'Message', 'aria-label': 'message', disabled: true });
  const send = h('button', { type: 'submit', 'data-testid': 'send', disabled: true }, 'Send');
  const sendError = h('p', { class: 'error', 'data-testid': 'send-error', role: 'alert' });
  const back = h('button', { type: 'button', class: 'back secondary', 'data-testid': 'back', 'aria-label': 'back to contacts', onclick: () => showList() }, '←');

  const doSend = (): void => {
    const text = composer.value;
    if (!selected || text.trim() === '') return;
    sendError.textContent = '';
    const to = selected;
    api
      .send(to, text, 0)
      .then(() => {
        composer.value = '';
        historyStale = true;
        refresh();
      })
      .catch((err: unknown) => (sendError.textContent = errorText(err)));
  };
  composer.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      doSend();
    }
  });

  const layout = h(
    'main',
    { class: 'layout', 'data-view': 'list' },
    h(
      'aside',
      { class: 'side' },
      h('h2', { class: 'label' }, 'Contacts'),
      contactList,
      requests.element,
      addForm,
      identity,
    ),
    h(
      'section',
      { class: 'chat' },
      h('header', { class: 'chat-head' }, back, chatTitle, verifyButton),
      warningBox,
      safety,
      messages,
      h(
        'form',
        {
          class: 'composer',
          onsubmit: (event) => {
            event.preventDefault();
            doSend();
          },
        },
        composer,
        send,
      ),
      sendError,
    ),
  );
  replaceChildren(root, h('header', { class: 'bar' }, h('span', { class: 'brand' }, 'Sotto'), h('span', { class: 'me' }, nameNode(profileName), ` · ${messenger.peerId.slice(0, SHORT_ID_CHARS)}…`), status), layout);

  function showList(): void {
    layout.dataset['view'] = 'list';
  }

  async function toggleSafety(): Promise<void> {
    if (!selected) return;
    if (!safety.hidden) {
      safety.hidden = true;
      return;
    }
    const name = selected;
    const line = await api.safetyNumber(name);
    const groups = line.safetyNumber.split(/\s+/);
    const mark = h(
      'button',
      {
        type: 'button',
        'data-testid': 'mark-verified',
        onclick: () => {
          void api
            .setVerified(name, line.peerId, !line.verified)
            .then(() => {
              safety.hidden = true;
              refresh();
            })
            .catch((err: unknown) => (warning = errorText(err)));
        },
      },
      line.verified ? 'Mark as not verified' : 'Numbers match: mark verified',
    );
    replaceChildren(
      safety,
      h('p', {}, 'Compare this number with ', nameNode(name), ', in person or on a call. If it matches on both devices, nobody sits between you.'),
      h('code', { class: 'safety-number', 'data-testid': 'safety-number' }, ...groups.flatMap((g, i) => [g, i % 4 === 3 ? h('br') : ' '])),
      h('img', { class: 'qr', alt: 'QR code of the safety number', src: await qrDataUrl(line.qrPayload) }),
      mark,
    );
    safety.hidden = false;
  }

  /** How this page reaches a contact now: 'webrtc' (browser to browser), 'relayed', 'direct' (WebSockets to a desktop node) or 'none'. */
  function connectionOf(peerId: string): string {
    let best = 'none';
    for (const conn of node.libp2p.getConnections()) {
      if (conn.remotePeer.toString() !== peerId || conn.status !== 'open') continue;
      const address = conn.remoteAddr.toString();
      const kind = address.includes('/webrtc') ? 'webrtc' : address.includes('/p2p-circuit') ? 'relayed' : 'direct';
      if (best === 'none' || (best === 'relayed' && kind !== 'relayed')) best = kind;
    }
    return best;
  }

  function contactItem(c: ContactLine): HTMLElement {
    const connection = connectionOf(c.peerId);
    const badges: Child[] = [
      h('span', { class: c.online ? 'dot online' : 'dot', title: c.online ? `online (${connection})` : 'offline' }),
      nameNode(c.name),
      c.verified ? h('span', { class: 'verified', title: 'verified' }, '✓') : null,
      c.confusableWith !== undefined ? h('span', { class: 'lookalike', title: lookalikeNote(c.confusableWith), 'data-testid': 'lookalike' }, '≈') : null,
      c.keyChangedAt !== undefined ? h('span', { class: 'changed', title: 'identity key changed' }, '!') : null,
      c.unread > 0 ? h('span', { class: 'unread', 'data-testid': 'unread' }, String(c.unread)) : null,
    ];
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: c.name === selected ? 'contact selected' : 'contact',
          'data-testid': 'contact',
          'data-online': String(c.online),
          'data-connection': connection,
          'data-verified': String(c.verified),
          'data-lookalike': String(c.confusableWith !== undefined),
          onclick: () => {
            selected = c.name;
            historyStale = true;
            safety.hidden = true;
            layout.dataset['view'] = 'chat';
            refresh();
          },
        },
        ...badges,
      ),
    );
  }

  function messageItem(m: MessageRecord): HTMLElement {
    return h(
      'li',
      { class: `message ${m.direction}`, 'data-testid': 'message', 'data-direction': m.direction, 'data-state': m.status },
      messageBody('span', { class: 'text', 'data-testid': 'message-text' }, m.text),
      h('span', { class: 'meta' }, h('time', {}, clockTime(m.timestamp)), ' ', h('span', { class: 'state', 'data-testid': 'message-state' }, describeState(m))),
    );
  }

  async function redraw(): Promise<void> {
    // Requests never choose what opens: they are listed, and read when opened.
    const [listed, waiting] = await Promise.all([api.listContacts(), api.listRequests()]);
    contacts = listed;
    requests.update(waiting);
    if (selected && !contacts.some((c) => c.name === selected)) {
      selected = undefined;
      historyStale = true;
    }
    let now = contacts.find((c) => c.name === selected);
    if (now && now.unread > 0 && document.visibilityState === 'visible') {
      await messenger.markRead(now.name);
      const read = { ...now, unread: 0 };
      contacts = contacts.map((c) => (c === now ? read : c));
      now = read;
      historyStale = true;
    }
    if (!identityFolded && contacts.length > 0) {
      identityFolded = true;
      identity.open = false;
    }
    replaceChildren(contactList, ...(contacts.length === 0 ? [h('li', { class: 'empty' }, 'No contacts yet: add one with their invite.')] : contacts.map(contactItem)));
    replaceChildren(chatTitle, ...(now ? [nameNode(now.name), `${now.online ? ' · online' : ''}${now.verified ? ' · verified ✓' : ' · not verified'}`] : ['Choose a contact']));
    verifyButton.disabled = !now;
    composer.disabled = !now;
    send.disabled = !now;
    if (historyStale) {
      // Cleared before reading: an event during the read marks it stale again.
      historyStale = false;
      const history = now
        ? await messenger.history(now.name).catch((err: unknown) => {
            historyStale = true;
            throw err;
          })
        : [];
      const stick = messages.scrollTop + messages.clientHeight >= messages.scrollHeight - SCROLL_STICK_PX;
      replaceChildren(messages, ...history.map(messageItem));
      if (stick) messages.scrollTop = messages.scrollHeight;
    }
    const changed = now?.keyChangedAt !== undefined ? [nameNode(now.name), "'s identity key changed: compare safety numbers again."] : undefined;
    const lookalike = now?.confusableWith !== undefined ? ['This name looks like your contact ', nameNode(now.confusableWith), ': they may not be who the name suggests; compare safety numbers before you trust either.'] : undefined;
    const text = warning !== undefined ? [warning] : (changed ?? lookalike);
    warningBox.hidden = text === undefined;
    replaceChildren(warningBox, ...(text ?? []));
    const peers = node.libp2p.getConnections().length;
    status.textContent = peers > 0 ? `online · ${peers} peer${peers === 1 ? '' : 's'}` : 'connecting…';
    status.dataset['online'] = String(peers > 0);
  }

  async function redrawInvite(): Promise<void> {
    const line = await api.invite(null);
    if (line.invite === lastInvite) return;
    lastInvite = line.invite;
    invite.value = line.invite;
    invite.dataset['addresses'] = String(line.addresses.length);
    inviteQr.src = await qrDataUrl(line.invite);
  }

  // One redraw at a time; a request during one runs once it is done.
  let drawing: Promise<void> | undefined;
  let again = false;
  function refresh(): void {
    if (drawing) {
      again = true;
      return;
    }
    drawing = redraw()
      .catch(() => {})
      .finally(() => {
        drawing = undefined;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  const offs = [
    messenger.on('message', () => {
      historyStale = true;
      refresh();
    }),
    messenger.on('status', () => {
      historyStale = true;
      refresh();
    }),
    messenger.on('request', () => refresh()),
  ];
  const onSelf = (): void => void redrawInvite().catch(() => {});
  const onPeers = (): void => refresh();
  node.libp2p.addEventListener('self:peer:update', onSelf);
  node.libp2p.addEventListener('peer:connect', onPeers);
  node.libp2p.addEventListener('peer:disconnect', onPeers);
  document.addEventListener('visibilitychange', onPeers);
  const timer = setInterval(refresh, PRESENCE_REFRESH_MS);
  onSelf();
  refresh();

  return () => {
    clearInterval(timer);
    for (const off of offs) off();
    node.libp2p.removeEventListener('self:peer:update', onSelf);
    node.libp2p.removeEventListener('peer:connect', onPeers);
    node.libp2p.removeEventListener('peer:disconnect', onPeers);
    document.removeEventListener('visibilitychange', onPeers);
  };
}

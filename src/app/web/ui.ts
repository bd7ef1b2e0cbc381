/**
 * The page once the profile is unlocked: the contact list (./contacts.ts),
 * the groups and the form that creates one (./groups.ts), an open group's
 * members (./group-panel.ts), message requests (./requests.ts), adding a
 * contact (./add-contact.ts),
 * your identity and invite (./identity.ts), and the open conversation
 * (./conversation.ts) with its composer (./composer.ts) and safety number
 * (./safety.ts). Every element a person uses carries a stable data-testid
 * (docs/WEB.md lists them).
 *
 * Nothing is redrawn whole: each part is made once and updated in place from
 * the messenger's and the node's events, so the focus, a text selection and
 * scroll positions survive every update. A new incoming message is
 * announced alone, in a small live region; the conversation itself is not
 * live (announcing it would read the whole list again).
 *
 * Keyboard: Tab moves between the contact list (one stop; arrow keys,
 * Home and End inside it), the requests, the forms, and the conversation
 * (its messages scroll with the arrow keys once focused); opening a contact
 * moves the focus to the composer; Escape in the conversation returns to
 * the contact list.
 *
 * Below 700 px wide the page shows the list or the conversation, not both.
 * Text from other peers never goes through innerHTML: names are nameNode
 * (`<bdi>`), message bodies messageBody (dir="auto"), see ./dom.ts.
 */
import type { ContactLine } from '../api.ts';
import type { GroupConversationLine, GroupHistoryLine } from '../group-api.ts';
import type { FileSource } from '../../node/files/file-service.ts';
import { FILE_CHUNK_BYTES } from '../../node/constants.ts';
import type { StoredFile } from '../../node/store/file-record.ts';
import type { GroupMessageRecord } from '../../node/store/group-records.ts';
import type { MessageStatus } from '../../node/store/records.ts';
import { fileLine, type FileLine } from '../file-line.ts';
import { addContactForm } from './add-contact.ts';
import { composer } from './composer.ts';
import { contactList, type ContactView } from './contacts.ts';
import { conversationView, type ShownMessage } from './conversation.ts';
import { groupPanel, memberLabel } from './group-panel.ts';
import { groupCreateForm, groupList } from './groups.ts';
import { h, messageBody, nameNode, replaceChildren, type Child } from './dom.ts';
import { fileView } from './file-view.ts';
import { identityPanel } from './identity.ts';
import type { BrowserPeer } from './peer.ts';
import { requestSection } from './requests.ts';
import { safetyPanel } from './safety.ts';
import { connectionKind, drawStatus, openPeers } from './status.ts';

/** Characters of a peer id shown in the header (the whole id is under "You"). */
const SHORT_ID_CHARS = 12;
/** libp2p events after which who is online (and how) is drawn again. */
const PRESENCE_EVENTS = ['peer:connect', 'peer:disconnect', 'connection:open', 'connection:close'] as const;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** A group's conversation key (composer drafts, the conversation view): no contact's name or peer id starts so. */
const GROUP_KEY = '\u0000group:';
const groupKey = (name: string): string => `${GROUP_KEY}${name}`;

/**
 * Runs `job` once at a time: a call while it runs asks for one more run
 * after it (however many calls came), so every change is drawn and no two
 * runs overlap.
 */
function coalesced(job: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    job()
      .catch(() => {})
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}

/** A file chosen in the page, read a chunk at a time when it is sealed (never whole in memory). */
function fileSource(file: File): FileSource {
  return {
    name: file.name,
    size: file.size,
    read: async (index, length) => new Uint8Array(await file.slice(index * FILE_CHUNK_BYTES, index * FILE_CHUNK_BYTES + length).arrayBuffer()),
  };
}

/** A message whose stored file is replaced by its history line. */
type WithFileLine<M> = Omit<M, 'file'> & { readonly file?: FileLine };

/** Mounts the chat UI for `peer` into `root`; returns a function that stops listening to events. */
export function mountChat(root: HTMLElement, peer: BrowserPeer, profileName: string): () => void {
  const { api, messenger, node, link } = peer;
  let contacts: ContactLine[] = [];
  let selected: string | undefined;
  let warning: string | undefined;
  /** A contact to open once the list holds it (one just added or accepted). */
  let wanted: string | undefined;
  /** The contact lines are being read: a message counted meanwhile must be counted again from the store. */
  let contactsReading = false;
  /** Messages came into the open conversation while it was seen: they are to be marked read. */
  let readWanted = false;
  const contactNamed = (name: string | undefined): ContactLine | undefined => contacts.find((c) => c.name === name);
  let groups: GroupConversationLine[] = [];
  /** The name of the open group (then no contact is selected). */
  let openGroup: string | undefined;
  const groupNamed = (name: string | undefined): GroupConversationLine | undefined => groups.find((g) => g.name === name);
  const files = peer.files;
  /** `m` with its stored file (if any) as a history line: how far the file got. */
  const withFileLine = async <M extends { readonly id: string; readonly file?: StoredFile }>(m: M): Promise<WithFileLine<M>> => {
    const { file, ...rest } = m;
    return file ? { ...rest, file: await fileLine(files.service.fileState, m.id, file) } : rest;
  };
  /** A group's message as the conversation view shows it, with its sender. */
  const shown = (m: GroupHistoryLine | WithFileLine<GroupMessageRecord>, key: string): ShownMessage => ({
    id: m.id,
    peerId: key,
    seq: m.seq,
    direction: m.direction,
    text: m.text,
    timestamp: m.timestamp,
    status: m.status as MessageStatus,
    from: memberLabel(m.sender, messenger.peerId, contacts),
    ...(m.file ? { file: m.file } : {}),
  });

  const status = h('span', { class: 'status', 'data-testid': 'status', role: 'status' }, 'connecting…');
  const announcer = h('p', { class: 'visually-hidden', 'data-testid': 'announcer', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const identity = identityPanel(api, profileName, messenger.peerId);
  const list = contactList((name) => choose(name));
  const add = addContactForm(api, (line) => {
    refreshContacts();
    choose(line.name);
  });
  const requests = requestSection(api, {
    accepted: (name) => {
      refreshRequests();
      refreshContacts();
      // Accepting joined the groups the request invited to.
      refreshGroups();
      choose(name);
    },
    changed: () => refreshRequests(),
  });

  const chatTitle = h('h2', { 'data-testid': 'chat-title' }, 'Choose a contact');
  const showError = (err: unknown): void => {
    warning = errorText(err);
    drawHead();
  };
  const safety = safetyPanel(api, () => refreshContacts(), showError);
  const verifyButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'verify', disabled: true, onclick: () => void safety.toggle(selected ?? '').catch(showError) }, 'Verify');
  const warningBox = h('p', { class: 'warning', hidden: true, role: 'alert', 'data-testid': 'identity-warning' });
  const conversation = conversationView(
    {
      page: async (who, page) => (who.peerId.startsWith(GROUP_KEY) ? (await api.groupHistory(who.name, page)).map((m) => shown(m, who.peerId)) : Promise.all((await messenger.history(who.name, page)).map(withFileLine))),
    },
    showError,
    (messageId, file, own) => fileView(messageId, file, async (id) => files.store.read((await files.service.fileOf(id)).id), showError, own),
  );
  const write = composer({
    send: async (to, text) => {
      if (to.startsWith(GROUP_KEY)) await api.groupSend(to.slice(GROUP_KEY.length), text, 0);
      else await api.send(to, text, 0);
      if ((conversation.current?.peerId.startsWith(GROUP_KEY) ? conversation.current.peerId : conversation.current?.name) !== to) return;
      await conversation.catchUp();
      conversation.toBottom();
    },
    attach: async (to, file) => {
      if (to.startsWith(GROUP_KEY)) await files.service.sendGroupFile(to.slice(GROUP_KEY.length), fileSource(file), { waitMs: 0 });
      else await files.service.sendFile(to, fileSource(file), { waitMs: 0 });
      if ((conversation.current?.peerId.startsWith(GROUP_KEY) ? conversation.current.peerId : conversation.current?.name) !== to) return;
      await conversation.catchUp();
      conversation.toBottom();
    },
  });
  const back = h('button', { type: 'button', class: 'back secondary', 'data-testid': 'back', 'aria-label': 'back to contacts', onclick: () => showList() }, '←');

  const groupsList = groupList((name) => chooseGroup(name));
  const createGroup = groupCreateForm(api, (name) => {
    refreshGroups();
    chooseGroup(name);
  });
  const panel = groupPanel(api, messenger.peerId, () => refreshGroups());
  const chat = h('section', { class: 'chat', 'aria-label': 'conversation' }, h('header', { class: 'chat-head' }, back, chatTitle, verifyButton), warningBox, safety.element, panel.element, conversation.element, write.element, write.attaching, write.error);
  chat.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    if (!safety.element.hidden) safety.hide();
    else showList();
  });
  const layout = h('main', { class: 'layout', 'data-view': 'list' }, h('aside', { class: 'side', 'aria-label': 'contacts and requests' }, h('h2', { class: 'label' }, 'Contacts'), list.element, h('h2', { class: 'label' }, 'Groups'), groupsList.element, createGroup.element, requests.element, add.element, identity.element), chat);
  replaceChildren(root, h('header', { class: 'bar' }, h('span', { class: 'brand' }, 'Sotto'), h('span', { class: 'me' }, nameNode(profileName), ` · ${messenger.peerId.slice(0, SHORT_ID_CHARS)}…`), status), layout, announcer);

  function showList(): void {
    layout.dataset['view'] = 'list';
    list.focus();
  }

  /** Closes the open group, if one is open. */
  function closeGroup(): void {
    if (openGroup === undefined) return;
    openGroup = undefined;
    groupsList.select(undefined);
    panel.show(undefined, contacts);
  }

  /** Opens the group `name`'s conversation and members. */
  function chooseGroup(name: string): void {
    const group = groupNamed(name);
    if (!group) return refreshGroups();
    layout.dataset['view'] = 'chat';
    if (openGroup === name) return write.focus();
    selected = undefined;
    list.select(undefined);
    openGroup = name;
    groupsList.select(name);
    panel.show(group, contacts);
    write.open(groupKey(name), `#${name}`);
    safety.hide();
    warning = undefined;
    drawHead();
    // Reading its newest page moves the group's read mark: its unread count goes.
    void conversation.open({ name, peerId: groupKey(name) }).then(() => refreshGroups());
    write.focus();
  }

  /** Opens the conversation with `name` (undefined: none). */
  function choose(name: string | undefined): void {
    if (name !== undefined && !contactNamed(name)) {
      wanted = name;
      return refreshContacts();
    }
    if (name !== undefined) closeGroup();
    else if (openGroup !== undefined) return;
    layout.dataset['view'] = name === undefined ? 'list' : 'chat';
    if (name === selected) {
      if (name !== undefined) write.focus();
      return;
    }
    selected = name;
    list.select(name);
    write.open(name);
    safety.hide();
    warning = undefined;
    drawHead();
    const contact = contactNamed(name);
    // The newest page is drawn first; the read mark (which reads the whole conversation) comes after.
    void conversation.open(contact && { name: contact.name, peerId: contact.peerId }).then(markRead);
    if (name !== undefined) write.focus();
  }

  /** Draws the contact list (online state read now) and the header's link to the node and peer count. */
  function drawPresence(): void {
    const views: ContactView[] = contacts.map((c) => {
      const connection = connectionKind(node.libp2p.getConnections(), c.peerId);
      return { ...c, online: connection !== 'none', connection };
    });
    list.update(views);
    drawStatus(status, { link: link.state(), peers: openPeers(node.libp2p.getConnections()), webrtc: peer.webrtc });
    drawHead();
  }

  let drawnHead = '';
  function drawHead(): void {
    const group = groupNamed(openGroup);
    if (group) return drawGroupHead(group);
    const now = contactNamed(selected);
    const online = now !== undefined && connectionKind(node.libp2p.getConnections(), now.peerId) !== 'none';
    const changed: Child[] | undefined = now?.keyChangedAt !== undefined ? [nameNode(now.name), "'s identity key changed: compare safety numbers again."] : undefined;
    const lookalike: Child[] | undefined = now?.confusableWith !== undefined ? ['This name looks like your contact ', nameNode(now.confusableWith), ': they may not be who the name suggests; compare safety numbers before you trust either.'] : undefined;
    const key = JSON.stringify([now?.name, online, now?.verified, now?.keyChangedAt, now?.confusableWith, warning]);
    if (key === drawnHead) return;
    drawnHead = key;
    replaceChildren(chatTitle, ...(now ? [nameNode(now.name), `${online ? ' · online' : ''}${now.verified ? ' · verified ✓' : ' · not verified'}`] : ['Choose a contact']));
    verifyButton.disabled = !now;
    const text = warning !== undefined ? [warning] : (changed ?? lookalike);
    warningBox.hidden = text === undefined;
    replaceChildren(warningBox, ...(text ?? []));
  }

  function drawGroupHead(group: GroupConversationLine): void {
    const n = group.members.length;
    const key = JSON.stringify(['group', group.name, n, group.active, warning]);
    if (key === drawnHead) return;
    drawnHead = key;
    replaceChildren(chatTitle, '#', nameNode(group.name), group.active ? ` · ${n} member${n === 1 ? '' : 's'}` : ' · you are no longer in this group');
    verifyButton.disabled = true;
    warningBox.hidden = warning === undefined;
    replaceChildren(warningBox, ...(warning === undefined ? [] : [warning]));
  }

  const refreshGroups = coalesced(async () => {
    groups = (await api.groupConversations()).sort((a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name));
    if (openGroup !== undefined && !groupNamed(openGroup)) closeGroup();
    groups = groups.map((g) => (g.name === openGroup && document.visibilityState === 'visible' ? { ...g, unread: 0 } : g));
    groupsList.update(groups);
    panel.show(groupNamed(openGroup), contacts);
    drawHead();
  });

  const refreshContacts = coalesced(async () => {
    contactsReading = true;
    try {
      // By name: the store's order follows keyed hashes of the names, which mean nothing to a person.
      contacts = (await api.listContacts()).sort((a, b) => a.name.localeCompare(b.name));
    } finally {
      contactsReading = false;
    }
    if (contacts.length > 0) identity.fold();
    createGroup.update(contacts);
    panel.show(groupNamed(openGroup), contacts);
    const open = contactNamed(selected);
    if (selected !== undefined && !open) choose(undefined);
    // The open contact got another identity (replaced from an invite): its conversation is another one.
    else if (open && conversation.current && open.peerId !== conversation.current.peerId) void conversation.open({ name: open.name, peerId: open.peerId }).then(markRead);
    if (wanted !== undefined && contactNamed(wanted)) {
      const name = wanted;
      wanted = undefined;
      choose(name);
    }
    drawPresence();
    markRead();
  });
  // A request's group invitations: none when the groups cannot be read (no node runs the groups).
  const refreshRequests = coalesced(async () => requests.update(await api.listRequests(), await api.groupInvitations().catch(() => [])));

  /** Marks the open conversation read when it has unread messages and the page is seen. */
  const markRead = coalesced(async () => {
    const open = contactNamed(selected);
    if (!open || (open.unread === 0 && !readWanted) || document.visibilityState !== 'visible') return;
    readWanted = false;
    await messenger.markRead(open.name);
    contacts = contacts.map((c) => (c.name === open.name ? { ...c, unread: 0 } : c));
    if (conversation.current?.name === open.name) conversation.markedRead();
    drawPresence();
  });

  const offs = [
    messenger.on('message', (message) => {
      const from = contacts.find((c) => c.peerId === message.peerId);
      // A contact not listed yet, or a list being read that may not count this message: read it (again).
      if (!from || contactsReading) refreshContacts();
      if (!from) return;
      replaceChildren(announcer, nameNode(from.name), ': ', messageBody('span', {}, message.text));
      if (message.file) void withFileLine(message).then((m) => conversation.add(m), showError);
      // Without a file a MessageRecord is a ShownMessage: added now, before its read mark below.
      else conversation.add(message as ShownMessage);
      // Counted as unread only where it is not seen now; a seen one gets its read mark.
      if (conversation.current?.peerId === message.peerId && document.visibilityState === 'visible') readWanted = true;
      else contacts = contacts.map((c) => (c === from ? { ...c, unread: c.unread + 1 } : c));
      drawPresence();
      markRead();
    }),
    messenger.on('status', (change) => {
      if (conversation.current?.peerId === change.peerId) conversation.changed(change.id);
    }),
    messenger.on('request', () => refreshRequests()),
    // An invitation sent in chunks is whole only after its last chunk's request event.
    messenger.on('group-invitation', () => refreshRequests()),
    messenger.on('group-message', (message) => {
      const group = groups.find((g) => g.id === message.groupId);
      if (!group) return refreshGroups();
      const key = groupKey(group.name);
      replaceChildren(announcer, '#', nameNode(group.name), ' · ', nameNode(memberLabel(message.sender, messenger.peerId, contacts)), ': ', messageBody('span', {}, message.text));
      if (conversation.current?.peerId !== key || document.visibilityState !== 'visible') return refreshGroups();
      void withFileLine(message).then((m) => conversation.add(shown(m, key)), showError);
      // Seen as it came: the read mark moves past it.
      void api.groupHistory(group.name, { limit: 1 }).then(() => refreshGroups(), () => {});
    }),
    messenger.on('group-status', (change) => {
      const group = groups.find((g) => g.id === change.groupId);
      if (group && conversation.current?.peerId === groupKey(group.name)) conversation.changed(change.id);
    }),
    messenger.on('group-changed', () => refreshGroups()),
    files.service.onChange((change) => {
      for (const id of change.messages) conversation.fileChanged(id, change.state);
    }),
  ];
  let presenceQueued = false;
  const onPresence = (): void => {
    if (presenceQueued) return;
    presenceQueued = true;
    queueMicrotask(() => {
      presenceQueued = false;
      drawPresence();
    });
  };
  const onSelf = (): void => void identity.redrawInvite().catch(() => {});
  node.libp2p.addEventListener('self:peer:update', onSelf);
  for (const event of PRESENCE_EVENTS) node.libp2p.addEventListener(event, onPresence);
  // The node's relay slot (and with it the invite's addresses) comes and goes with the link.
  const offLink = link.onChange(() => {
    onPresence();
    onSelf();
  });
  document.addEventListener('visibilitychange', markRead);
  onSelf();
  refreshContacts();
  refreshGroups();
  refreshRequests();

  return () => {
    for (const off of offs) off();
    offLink();
    node.libp2p.removeEventListener('self:peer:update', onSelf);
    for (const event of PRESENCE_EVENTS) node.libp2p.removeEventListener(event, onPresence);
    document.removeEventListener('visibilitychange', markRead);
  };
}

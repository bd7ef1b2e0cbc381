/**
 * Files in the chat without a terminal: how a file line reads in each state
 * (a bar and a percentage while it arrives, why it failed), what
 * /send-file and /save parse to, where typed paths lead, the redraw
 * throttle, and the controller's file commands on a fake API (what it
 * calls, with which absolute paths, and what it refuses without calling).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToString } from 'ink';
import type { HistoryLine, SottoApi } from '../../src/app/api.ts';
import type { FileLine } from '../../src/app/file-line.ts';
import { CHAT_HELP, parseChatInput } from '../../src/app/chat/commands.ts';
import { ChatController, initialChatState, type ChatBackend, type ChatState } from '../../src/app/chat/controller.ts';
import { ChatScreen } from '../../src/app/chat/view.tsx';
import { fileBar, filePercent, fileText, nthNewestFile } from '../../src/app/chat/file-format.ts';
import { defaultSaveFolder, resolveTyped, type ChatPlaces, type PathKind } from '../../src/app/chat/file-places.ts';
import { messageLines } from '../../src/app/chat/format.ts';
import { groupChatLines } from '../../src/app/chat/group-format.ts';
import { EMPTY_WINDOW, withNewestPage } from '../../src/app/chat/history-window.ts';
import { CHAT_FILE_REDRAW_MS, throttle, watchFiles } from '../../src/app/chat/backends.ts';
import { testClock } from '../helpers/context.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

const MiB = 2 ** 20;
const file = (over: Partial<FileLine> = {}): FileLine => ({ name: 'holiday.jpg', size: 4 * MiB, sha256: 'ab'.repeat(32), type: 'image/jpeg', state: 'complete', ...over });

describe('file lines', () => {
  test('a percentage that reaches 100 only when every byte is there, and a bar of ten cells', () => {
    assert.equal(filePercent(0, 100), 0);
    assert.equal(filePercent(45, 100), 45);
    assert.equal(filePercent(999_999, 1_000_000), 99);
    assert.equal(filePercent(100, 100), 100);
    assert.equal(fileBar(0, 100), '[··········]');
    assert.equal(fileBar(45, 100), '[####······]');
    assert.equal(fileBar(100, 100), '[##########]');
  });

  test('each state in words: waiting, bar with percentage, received, failed with why', () => {
    assert.equal(fileText(file({ state: 'pending' }), 'in'), '[file] holiday.jpg · 4 MiB · waiting for the sender');
    assert.equal(fileText(file({ state: 'partial', received: MiB }), 'in'), '[file] holiday.jpg · 4 MiB · [##········] 25%');
    assert.equal(fileText(file(), 'in'), '[file] holiday.jpg · 4 MiB · received');
    assert.equal(fileText(file(), 'out'), '[file] holiday.jpg · 4 MiB');
    assert.equal(fileText(file(), 'out', 'delivered'), '[file] holiday.jpg · 4 MiB');
    assert.equal(fileText(file(), 'out', 'stored'), '[file] holiday.jpg · 4 MiB · fetched when both are online', 'a large file to a contact away waits for both');
    assert.equal(fileText(file({ size: 1000 }), 'out', 'stored'), '[file] holiday.jpg · 1000 bytes', 'a small one travels in its message');
    assert.equal(fileText(file({ state: 'failed', reason: 'the disk is full' }), 'in'), '[file] holiday.jpg · 4 MiB · failed: the disk is full');
  });

  test('a name or a reason cannot drive the terminal', () => {
    const text = fileText(file({ name: 'a\x1b[31mb.txt', state: 'failed', reason: 'x\x07y' }), 'in');
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text, /[\x00-\x1f\x7f]/);
  });

  test('a sent file message: the file line, then the message state right-aligned', () => {
    const m: HistoryLine = { id: 'm1', seq: 1, direction: 'out', text: 'holiday.jpg', timestamp: 0, status: 'delivered', file: file() };
    const [line] = messageLines(m, 60);
    assert.match(line!.text, /^\d\d:\d\d > \[file\] holiday\.jpg · 4 MiB +delivered$/);
    assert.equal([...line!.text].length, 60);
  });

  test('an 80×24 screen: a file arriving with its bar, a failed one with why, a sent one with its state', () => {
    const line = (id: string, direction: 'in' | 'out', status: string, over: Partial<FileLine>): HistoryLine => ({ id, seq: 1, direction, text: 'x', timestamp: 0, status, file: file(over) });
    const state: ChatState = {
      ...initialChatState({ name: 'ann', peerId: '12D3KooWann' }),
      contacts: [{ name: 'bob', peerId: '12D3KooWbob', verified: false, added: true, online: true, unread: 0 }],
      selected: 'bob',
      complete: true,
      messages: [
        line('a', 'out', 'delivered', { name: 'sent.pdf', size: 300_000 }),
        line('b', 'in', 'received', { name: 'film.mp4', size: 40 * MiB, state: 'partial', received: 30 * MiB }),
        line('c', 'in', 'received', { name: 'big.iso', size: MiB, state: 'failed', reason: 'digest does not match' }),
      ],
    };
    const screen = renderToString(createElement(ChatScreen, { state, columns: 80, rows: 24 }), { columns: 80 });
    assert.ok(screen.split('\n').every((r) => [...r].length <= 80), screen);
    assert.match(screen, /> \[file\] sent\.pdf · 293 KiB +delivered/);
    assert.match(screen, /< \[file\] film\.mp4 · 40 MiB · \[#######···\] 75%/);
    assert.match(screen, /< \[file\] big\.iso · 1 MiB · failed: digest does +│\n.* +not match/, "the reason wraps onto the next line");
  });

  test('a group\'s file line keeps its file and says who sent it', () => {
    const [line] = groupChatLines([{ id: 'g1', seq: 1, sender: '12D3KooWbob', direction: 'in', text: 'holiday.jpg', timestamp: 0, status: 'received', file: file({ state: 'pending' }) }], '12D3KooWann', [{ name: 'bob', peerId: '12D3KooWbob', verified: false, added: true, online: true, unread: 0 }]);
    assert.match(messageLines(line!, 70)[0]!.text, /< bob: \[file\] holiday\.jpg · 4 MiB · waiting for the sender$/);
  });

  test('a refresh takes a file line further even when its message\'s status is the same', () => {
    const at = (over: Partial<FileLine>): HistoryLine => ({ id: 'm1', seq: 1, direction: 'in', text: 'holiday.jpg', timestamp: 0, status: 'read', file: file(over) });
    let window = withNewestPage(EMPTY_WINDOW, [at({ state: 'partial', received: MiB })]);
    window = withNewestPage(window, [at({ state: 'partial', received: 4 * MiB })]);
    assert.equal(window.messages[0]!.file?.received, 4 * MiB);
    window = withNewestPage(window, [at({ state: 'complete' })]);
    assert.equal(window.messages[0]!.file?.state, 'complete');
    const kept = window.messages[0];
    assert.equal(withNewestPage(window, [at({ state: 'complete' })]).messages[0], kept, 'a line that did not change is the loaded copy');
  });

  test('the Nth newest file among the loaded lines, texts skipped', () => {
    const lines = [
      { id: 'a', file: file({ name: 'a' }) },
      { id: 't1' },
      { id: 'b', file: file({ name: 'b' }) },
      { id: 't2' },
    ];
    assert.equal(nthNewestFile(lines, 1)?.id, 'b');
    assert.equal(nthNewestFile(lines, 2)?.id, 'a');
    assert.equal(nthNewestFile(lines, 3), undefined);
  });
});

describe('file commands', () => {
  test('/send-file takes the rest of the line as the path, quotes and escaped spaces undone', () => {
    assert.deepEqual(parseChatInput('/send-file ~/Pictures/cat.png'), { kind: 'send-file', path: '~/Pictures/cat.png' });
    assert.deepEqual(parseChatInput('/send-file my photo.jpg'), { kind: 'send-file', path: 'my photo.jpg' });
    assert.deepEqual(parseChatInput("/send-file '/tmp/a b.jpg' "), { kind: 'send-file', path: '/tmp/a b.jpg' });
    assert.deepEqual(parseChatInput('/send-file /tmp/a\\ b.jpg'), { kind: 'send-file', path: '/tmp/a b.jpg' });
    assert.deepEqual(parseChatInput('/send-file'), { kind: 'error', message: 'usage: /send-file PATH' });
  });

  test('/save, /save DEST, /save N, /save N DEST; a folder named like a number is ./N', () => {
    assert.deepEqual(parseChatInput('/save'), { kind: 'save', nth: 1 });
    assert.deepEqual(parseChatInput('/save ~/Desktop'), { kind: 'save', nth: 1, dest: '~/Desktop' });
    assert.deepEqual(parseChatInput('/save 2'), { kind: 'save', nth: 2 });
    assert.deepEqual(parseChatInput('/save 2 old pictures/'), { kind: 'save', nth: 2, dest: 'old pictures/' });
    assert.deepEqual(parseChatInput('/save ./2'), { kind: 'save', nth: 1, dest: './2' });
    assert.equal(parseChatInput('/save 0').kind, 'error');
  });

  test('/help lists both, within 80 columns', () => {
    assert.ok(CHAT_HELP.some((l) => l.startsWith('/send-file PATH')));
    assert.ok(CHAT_HELP.some((l) => l.startsWith('/save [DEST]')));
    assert.ok(CHAT_HELP.some((l) => l.startsWith('/save N [DEST]')));
    for (const line of CHAT_HELP) assert.ok([...line].length <= 80, line);
  });
});

/** Places on a fake file system: `files` and `folders` exist, nothing else. */
function fakePlaces(files: readonly string[], folders: readonly string[]): ChatPlaces {
  return { cwd: '/work/here', home: '/home/ann', kind: async (path): Promise<PathKind> => (files.includes(path) ? 'file' : folders.includes(path) ? 'folder' : 'missing') };
}

describe('file places', () => {
  test('~ is the home, a relative path starts from the working folder, an absolute one stays', () => {
    const places = fakePlaces([], []);
    assert.equal(resolveTyped('~', places), '/home/ann');
    assert.equal(resolveTyped('~/Pictures/a.png', places), '/home/ann/Pictures/a.png');
    assert.equal(resolveTyped('a.png', places), '/work/here/a.png');
    assert.equal(resolveTyped('../x/a.png', places), '/work/x/a.png');
    assert.equal(resolveTyped('/tmp/a.png', places), '/tmp/a.png');
  });

  test('/save writes to ~/Downloads when it is a folder, else to the working folder', async () => {
    assert.equal(await defaultSaveFolder(fakePlaces([], ['/home/ann/Downloads'])), '/home/ann/Downloads');
    assert.equal(await defaultSaveFolder(fakePlaces([], [])), '/work/here');
    assert.equal(await defaultSaveFolder(fakePlaces(['/home/ann/Downloads'], [])), '/work/here');
  });
});

describe('file redraws', () => {
  test('a burst of changes redraws once at the end of the period; a later change redraws again', async () => {
    const scheduler = new ManualScheduler(testClock());
    let runs = 0;
    const redraw = throttle(() => runs++, 250, scheduler);
    for (let i = 0; i < 20; i++) redraw.call();
    assert.equal(runs, 0);
    await scheduler.advance(250);
    assert.equal(runs, 1);
    redraw.call();
    await scheduler.advance(250);
    assert.equal(runs, 2);
    redraw.call();
    redraw.cancel();
    await scheduler.advance(1000);
    assert.equal(runs, 2, 'a cancelled redraw does not run');
  });

  test('a file service\'s changes redraw the chat, throttled; nothing after it stops following', async () => {
    const scheduler = new ManualScheduler(testClock());
    const listeners = new Set<() => void>();
    const service = { onChange: (l: () => void) => (listeners.add(l), () => listeners.delete(l)) };
    let redraws = 0;
    const stop = watchFiles(service, () => redraws++, scheduler);
    for (let i = 0; i < 5; i++) for (const l of listeners) l();
    await scheduler.advance(CHAT_FILE_REDRAW_MS);
    assert.equal(redraws, 1);
    for (const l of listeners) l();
    stop();
    assert.equal(listeners.size, 0);
    await scheduler.advance(CHAT_FILE_REDRAW_MS);
    assert.equal(redraws, 1);
  });
});

describe('the controller\'s file commands', () => {
  const bob = { name: 'bob', peerId: '12D3KooWbob', verified: false, added: true, online: true, unread: 0 };

  /** A chat on a fake API whose conversation with bob holds `history`; what the file methods were called with. */
  async function chatWith(history: HistoryLine[], places: ChatPlaces, groups: { name: string }[] = []): Promise<{ chat: ChatController; sent: unknown[][]; saved: unknown[][] }> {
    const sent: unknown[][] = [];
    const saved: unknown[][] = [];
    const api = {
      listContacts: async () => [bob],
      listRequests: async () => [],
      groupConversations: async () => groups.map((g) => ({ name: g.name, id: 'g', active: true, unread: 0, members: [], admins: [] })),
      groupInvitations: async () => [],
      history: async () => history,
      groupHistory: async () => [],
      sendFile: async (...args: unknown[]) => {
        sent.push(['contact', ...args]);
        return { id: 'm9', status: 'delivered', size: 5 * MiB, inline: false };
      },
      groupSendFile: async (...args: unknown[]) => {
        sent.push(['group', ...args]);
        return { id: 'm9', status: 'sent', size: 1000, inline: true };
      },
      saveFile: async (id: string, dest: string, overwrite: boolean) => {
        saved.push([id, dest, overwrite]);
        if (dest === '/work/here/taken.jpg') throw Object.assign(new Error(`${dest} exists already`), { name: 'FileExistsError' });
        return { path: dest.endsWith('.jpg') ? dest : `${dest}/holiday.jpg`, size: 4 * MiB };
      },
    } as unknown as SottoApi;
    const backend: ChatBackend = { api, watch: () => () => {} };
    const chat = new ChatController(backend, { name: 'ann', peerId: '12D3KooWann' }, places);
    await chat.start();
    return { chat, sent, saved };
  }

  const received = (id: string, over: Partial<FileLine> = {}): HistoryLine => ({ id, seq: 1, direction: 'in', text: 'holiday.jpg', timestamp: 0, status: 'received', file: file(over) });

  test('/send-file sends the file at the resolved path to the open contact, says so while it seals, then how it travels', async () => {
    const { chat, sent } = await chatWith([], fakePlaces(['/work/here/report.pdf'], []));
    const notices: string[] = [];
    chat.subscribe(() => notices.push(chat.getState().notice.join(' ')));
    assert.equal(await chat.submit('/send-file report.pdf'), true);
    assert.ok(notices.includes('Sealing and sending report.pdf…'), notices.join('\n'));
    assert.deepEqual(sent, [['contact', 'bob', '/work/here/report.pdf', 0]]);
    assert.deepEqual(chat.getState().notice, ['Sent report.pdf (5 MiB) to bob: their node fetches it from yours while both are online.']);
  });

  test('/send-file in an open group goes to the group', async () => {
    const { chat, sent } = await chatWith([], fakePlaces(['/home/ann/a.txt'], []), [{ name: 'team' }]);
    chat.move(1);
    await chat.refresh();
    assert.equal(chat.getState().group, 'team');
    assert.equal(await chat.submit('/send-file ~/a.txt'), true);
    assert.deepEqual(sent, [['group', 'team', '/home/ann/a.txt', 0]]);
    assert.deepEqual(chat.getState().notice, ['Sent a.txt (1000 bytes) to #team.']);
  });

  test('a path with no file, or a folder, is an error and nothing is sent', async () => {
    const { chat, sent } = await chatWith([], fakePlaces([], ['/work/here/photos']));
    assert.equal(await chat.submit('/send-file nope.jpg'), false);
    assert.match(chat.getState().notice[0]!, /^No file at \/work\/here\/nope\.jpg: nothing sent\.$/);
    assert.equal(chat.getState().noticeIsError, true);
    assert.equal(await chat.submit('/send-file photos'), false);
    assert.match(chat.getState().notice[0]!, /is a folder: nothing sent/);
    assert.deepEqual(sent, []);
  });

  test('/save writes the newest file to ~/Downloads; /save 2 DEST the one before, to DEST', async () => {
    const { chat, saved } = await chatWith([received('old', { name: 'old.jpg' }), received('new')], fakePlaces([], ['/home/ann/Downloads']));
    assert.equal(await chat.submit('/save'), true);
    assert.deepEqual(chat.getState().notice, ['Saved holiday.jpg (4 MiB) to /home/ann/Downloads/holiday.jpg.']);
    assert.equal(await chat.submit('/save 2 ~/keep.jpg'), true);
    assert.deepEqual(saved, [['new', '/home/ann/Downloads', false], ['old', '/home/ann/keep.jpg', false]]);
  });

  test('/save refuses a file not complete, a failed one, one that is not there; an existing destination is kept, with a hint', async () => {
    const { chat, saved } = await chatWith([received('f', { state: 'failed', reason: 'digest does not match' }), received('p', { state: 'partial', received: 2 * MiB })], fakePlaces([], []));
    assert.equal(await chat.submit('/save'), false);
    assert.deepEqual(chat.getState().notice, ['holiday.jpg is not complete (50%): save it once it shows "received".']);
    assert.equal(await chat.submit('/save 2'), false);
    assert.deepEqual(chat.getState().notice, ['holiday.jpg failed (digest does not match): there is nothing to save.']);
    assert.equal(await chat.submit('/save 3'), false);
    assert.match(chat.getState().notice[0]!, /^No file 3 back in this conversation/);
    assert.deepEqual(saved, []);
    const done = await chatWith([received('c')], fakePlaces([], []));
    assert.equal(await done.chat.submit('/save taken.jpg'), false);
    assert.deepEqual(done.chat.getState().notice, ['/work/here/taken.jpg exists already', 'It is never replaced: give another DEST (/save ~/Downloads/NEW-NAME), or move that file away.']);
  });
});

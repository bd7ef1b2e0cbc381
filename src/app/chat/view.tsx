/**
 * The chat drawn with ink: a header, the contact list on the left (online
 * dot, verified mark, unread count) with the message requests under it, the
 * open conversation or request on the right with
 * each message's state, an information area, and the input line. Laid out
 * for any terminal from 80×24 up; the layout itself is ./format.ts. Every
 * string that may come from another peer (names, messages, notices that
 * quote an error, progress) reaches ink through displayName, terminalText
 * or terminalLine, so nothing in it can drive the terminal.
 */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ChatController, ChatState } from './controller.ts';
import { contactLabel, conversationLines, listStart, shortPeerId } from './format.ts';
import { RequestHeader, requestHeaderRows, RequestSection, splitListRows } from './request-view.tsx';
import { displayName, lookalikeNote } from '../display-name.ts';
import { terminalLine } from '../terminal-text.ts';
import { LineInput } from './line-input.tsx';

/** Width of the contact list, in columns (borders included). */
const CONTACTS_WIDTH = 24;
/** The smallest terminal the layout is made for. */
const MIN_COLUMNS = 80;
const MIN_ROWS = 24;
/** Rows used by everything but the panes: header, input, footer, pane borders, and one spare (ink redraws in place only while the output is shorter than the terminal). */
const FIXED_ROWS = 6;

/** Props of {@link ChatScreen}: a state and the terminal size. */
export interface ChatScreenProps {
  readonly state: ChatState;
  readonly columns: number;
  readonly rows: number;
  readonly input: React.ReactNode;
}

/** The whole screen for one state (pure: no hooks, so it renders to a string in tests). */
export function ChatScreen({ state, columns, rows, input }: ChatScreenProps): React.JSX.Element {
  const width = Math.max(columns, MIN_COLUMNS) - 1;
  const notice = state.notice;
  const paneRows = Math.max(3, Math.max(rows, MIN_ROWS) - FIXED_ROWS - notice.length);
  const convWidth = width - CONTACTS_WIDTH - 2;
  const open = state.contacts.find((c) => c.name === state.selected);
  const request = state.requests.find((r) => r.peerId === state.request);
  const warning = open?.keyChangedAt !== undefined ? `accepted a new identity key on ${new Date(open.keyChangedAt).toLocaleString()}` : undefined;
  const lookalike = open?.confusableWith !== undefined ? lookalikeNote(open.confusableWith) : undefined;
  const waiting = !open && !request && state.requests.length > 0;
  const titleRows = request ? requestHeaderRows(request) : 1 + (warning ? 1 : 0) + (lookalike ? 1 : 0) + (waiting ? 1 : 0);
  const lines = conversationLines(state.messages, convWidth, paneRows - titleRows);
  const online = state.contacts.filter((c) => c.online).length;
  const { contactRows, requestRows } = splitListRows(state.contacts.length, state.requests.length, paneRows);
  const firstContact = listStart(state.contacts.length, open ? state.contacts.indexOf(open) : -1, contactRows);
  return (
    <Box flexDirection="column" width={width}>
      <Text>
        <Text bold>Sotto</Text> · {state.self.name ? displayName(state.self.name) : 'you'} ({shortPeerId(state.self.peerId)}) · {online} contact{online === 1 ? '' : 's'} online
        {state.requests.length > 0 ? ` · ${state.requests.length} request${state.requests.length === 1 ? '' : 's'}` : ''}
      </Text>
      <Box>
        <Box flexDirection="column" width={CONTACTS_WIDTH} height={paneRows + 2} borderStyle="single" paddingX={0}>
          {state.contacts.length === 0 ? <Text dimColor>no contacts yet</Text> : null}
          {state.contacts.slice(firstContact, firstContact + contactRows).map((c) => (
            <Text key={c.peerId} inverse={c.name === state.selected} color={c.keyChangedAt !== undefined ? 'yellow' : undefined}>
              {contactLabel(c, CONTACTS_WIDTH - 2)}
            </Text>
          ))}
          <RequestSection requests={state.requests} open={state.request} rows={requestRows} width={CONTACTS_WIDTH - 2} />
        </Box>
        <Box flexDirection="column" width={convWidth + 2} height={paneRows + 2} borderStyle="single">
          {request ? (
            <RequestHeader request={request} />
          ) : open ? (
            <Text bold>
              {displayName(open.name)} · {open.online ? 'online' : 'offline'} · {open.verified ? 'verified ✓' : 'not verified (/verify)'}
              {open.added ? '' : ' · wrote to you first (/add their INVITE, or /add NAME PEERID)'}
            </Text>
          ) : (
            <Text dimColor>Add a contact: /add INVITE (your own: /invite)</Text>
          )}
          {waiting ? (
            <Text color="yellow" wrap="truncate-end">
              {state.requests.length} message request{state.requests.length === 1 ? '' : 's'} from people who are not contacts: /requests
            </Text>
          ) : null}
          {warning ? (
            <Text color="yellow" wrap="truncate-end">
              ⚠ {displayName(open?.name ?? '')}&apos;s identity key changed: {terminalLine(warning)}. Compare safety numbers: /verify
            </Text>
          ) : null}
          {lookalike ? (
            <Text color="yellow" wrap="truncate-end">
              ⚠ this name {lookalike}: another contact; compare safety numbers (/verify)
            </Text>
          ) : null}
          {lines.map((line, i) => (
            <Text key={i} color={line.direction === 'in' ? 'cyan' : undefined} wrap="truncate-end">
              {line.text}
            </Text>
          ))}
        </Box>
      </Box>
      {notice.map((line, i) => (
        <Text key={i} color={state.noticeIsError ? 'red' : 'green'} wrap="truncate-end">
          {terminalLine(line)}
        </Text>
      ))}
      <Box>
        <Text>{request ? 'request> ' : open ? `${displayName(open.name)}> ` : '> '}</Text>
        {input}
      </Box>
      {state.progress ? (
        <Text color="yellow" wrap="truncate-end">
          {terminalLine(state.progress)}
        </Text>
      ) : (
        <Text dimColor>Enter send · ↑/↓ contacts and requests · /help · Ctrl-C quit</Text>
      )}
    </Box>
  );
}

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = (): { columns: number; rows: number } => ({ columns: stdout.columns || MIN_COLUMNS, rows: stdout.rows || MIN_ROWS });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return size;
}

/** The interactive chat on `controller`; unmounts when the user quits. */
export function ChatApp({ controller }: { readonly controller: ChatController }): React.JSX.Element {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  useInput((_input, key) => {
    if (key.upArrow) controller.move(-1);
    if (key.downArrow) controller.move(1);
  });
  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);
  const input = <LineInput onSubmit={(line) => void controller.submit(line)} />;
  return <ChatScreen state={state} columns={columns} rows={rows} input={input} />;
}

/**
 * The chat drawn with ink: a header, the contact list on the left (online
 * dot, verified mark, unread count), the groups ("#", unread count) and the
 * message requests under it, the
 * open conversation or request on the right with each message's state, an
 * information area, the box with its draft, and the footer. Where each
 * thing goes and how it wraps is ./layout.ts; this file only draws it, and
 * turns the terminal's keys (./terminal-input.ts) into the controller's
 * actions. Every string that may come from another peer (names, messages,
 * notices that quote an error, progress) reaches ink through displayName,
 * terminalText or terminalLine, so nothing in it can drive the terminal.
 */
import { Box, Text, useApp, useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { MAX_TEXT_BYTES } from '../../node/constants.ts';
import type { ChatController, ChatState } from './controller.ts';
import type { TerminalInput } from './keys.ts';
import { chatLayout, CONTACTS_WIDTH, MIN_COLUMNS, MIN_ROWS, type ChatLayout, type Styled, type Tone } from './layout.ts';
import { RequestSection } from './request-view.tsx';
import { useTerminalInput } from './terminal-input.ts';
import { textWidth } from './width.ts';
import { clusterAt } from './composer.ts';

/** Props of {@link ChatScreen}: a state and the terminal size. */
export interface ChatScreenProps {
  readonly state: ChatState;
  readonly columns: number;
  readonly rows: number;
}

/** ink's Text props for a tone. */
function toneProps(tone: Tone): { bold?: boolean; dimColor?: boolean; color?: string } {
  switch (tone) {
    case 'bold':
      return { bold: true };
    case 'dim':
      return { dimColor: true };
    case 'warn':
      return { color: 'yellow' };
    case 'ok':
      return { color: 'green' };
    case 'error':
      return { color: 'red' };
    case 'in':
      return { color: 'cyan' };
    case 'plain':
      return {};
  }
}

/** Lines of text, each on its own row. */
function Lines({ lines }: { readonly lines: readonly Styled[] }): React.JSX.Element {
  return (
    <>
      {lines.map((line, i) => (
        <Text key={i} {...toneProps(line.tone)} wrap="truncate-end">
          {line.text}
        </Text>
      ))}
    </>
  );
}

/** The box: the prompt on its first row (an arrow when rows are hidden above), the draft's rows, the cursor as an inverse cell. */
function Composer({ layout }: { readonly layout: ChatLayout }): React.JSX.Element {
  const { prompt, composer } = layout;
  const indent = ' '.repeat(textWidth(prompt));
  return (
    <>
      {composer.rows.map((row, i) => {
        const lead = i > 0 ? indent : composer.above ? `${' '.repeat(Math.max(0, textWidth(prompt) - 2))}↑ ` : prompt;
        if (row.cursor === undefined) return <Text key={i}>{lead + row.text}</Text>;
        const at = clusterAt(row.text, row.cursor);
        return (
          <Text key={i}>
            {lead + row.text.slice(0, row.cursor)}
            <Text inverse>{at === '' ? ' ' : at}</Text>
            {row.text.slice(row.cursor + at.length)}
          </Text>
        );
      })}
    </>
  );
}

/** The whole screen for one state (pure: no hooks, so it renders to a string in tests). */
export function ChatScreen({ state, columns, rows }: ChatScreenProps): React.JSX.Element {
  const layout = chatLayout(state, columns, rows);
  const { width, paneRows, convWidth } = layout;
  return (
    <Box flexDirection="column" width={width}>
      {layout.header.map((line, i) =>
        i === 0 && line.startsWith('Sotto') ? (
          <Text key={i}>
            <Text bold>Sotto</Text>
            {line.slice('Sotto'.length)}
          </Text>
        ) : (
          <Text key={i}>{line}</Text>
        ),
      )}
      <Box>
        <Box flexDirection="column" width={CONTACTS_WIDTH} height={paneRows + 2} borderStyle="single" paddingX={0}>
          {state.contacts.length === 0 && state.groups.length === 0 ? <Text dimColor>no contacts yet</Text> : null}
          {layout.list.map((row) => (
            <Text key={row.key} inverse={row.open} color={row.tone === 'warn' ? 'yellow' : undefined} dimColor={row.tone === 'dim'}>
              {row.text}
            </Text>
          ))}
          <RequestSection requests={state.requests} open={state.request} rows={layout.requestRows} width={CONTACTS_WIDTH - 2} />
        </Box>
        <Box flexDirection="column" width={convWidth + 2} height={paneRows + 2} borderStyle="single">
          <Lines lines={layout.title} />
          <Lines lines={layout.conversation.lines.map((line) => ({ text: line.text, tone: line.direction === 'in' ? 'in' : 'plain' }))} />
        </Box>
      </Box>
      <Lines lines={layout.notice} />
      <Composer layout={layout} />
      <Lines lines={layout.footer} />
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

/** What a key, typed text or paste does in the chat. */
export function actOnInput(controller: ChatController, input: TerminalInput, pane: () => { width: number; height: number }): void {
  switch (input.kind) {
    case 'text':
      return controller.type(input.text);
    case 'paste':
      return controller.paste(input.text, input.bytes, input.whole);
    case 'ctrl':
      if (input.letter === 'c') return controller.quit();
      if (input.letter === 'a') return controller.edit('home');
      if (input.letter === 'e') return controller.edit('end');
      if (input.letter === 'u') return controller.edit('clear');
      return;
    case 'key':
      switch (input.name) {
        case 'return':
          return void controller.enter();
        case 'newline':
        case 'backspace':
        case 'delete':
        case 'left':
        case 'right':
        case 'home':
        case 'end':
          return controller.edit(input.name);
        case 'up':
        case 'down': {
          const direction = input.name === 'up' ? 1 : -1;
          if (input.shift) return void controller.scroll(direction, pane());
          return controller.move(-direction);
        }
        case 'pageup':
        case 'pagedown': {
          // A page less one row, which stays in view as a landmark.
          const size = pane();
          return void controller.scroll((input.name === 'pageup' ? 1 : -1) * Math.max(1, size.height - 1), size);
        }
        case 'tab':
        case 'escape':
          return;
      }
  }
}

/** The interactive chat on `controller`; unmounts when the user quits. */
export function ChatApp({ controller }: { readonly controller: ChatController }): React.JSX.Element {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  useTerminalInput((input) => actOnInput(controller, input, () => chatLayout(controller.getState(), columns, rows).pane), MAX_TEXT_BYTES);
  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);
  return <ChatScreen state={state} columns={columns} rows={rows} />;
}

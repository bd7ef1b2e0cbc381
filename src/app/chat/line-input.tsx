/**
 * The chat's input line. Keys can arrive faster than React re-renders (a
 * paste, a fast typist, a script driving the terminal), so the text being
 * edited lives in a ref that every key sees at once, not in render state.
 * Edits: typing inserts at the cursor, Left/Right/Home/End (Ctrl-A/Ctrl-E)
 * move, Backspace/Delete erase, Ctrl-U clears, Enter submits; a pasted chunk
 * with line breaks submits each full line.
 */
import { Text, useInput } from 'ink';
import { useRef, useState } from 'react';

/** Props of {@link LineInput}. */
export interface LineInputProps {
  /** Called with each submitted line (possibly empty). */
  readonly onSubmit: (line: string) => void;
}

interface Line {
  readonly text: string;
  readonly cursor: number;
}

/** A pure edit step: the line after `input` with `key` (exported for tests). */
export function editLine(line: Line, input: string, key: { return?: boolean; backspace?: boolean; delete?: boolean; leftArrow?: boolean; rightArrow?: boolean; home?: boolean; end?: boolean; ctrl?: boolean; meta?: boolean }): { line: Line; submitted: string[] } {
  const { text, cursor } = line;
  if (key.return) return { line: { text: '', cursor: 0 }, submitted: [text] };
  if (key.leftArrow) return { line: { text, cursor: Math.max(0, cursor - 1) }, submitted: [] };
  if (key.rightArrow) return { line: { text, cursor: Math.min(text.length, cursor + 1) }, submitted: [] };
  if (key.home || (key.ctrl && input === 'a')) return { line: { text, cursor: 0 }, submitted: [] };
  if (key.end || (key.ctrl && input === 'e')) return { line: { text, cursor: text.length }, submitted: [] };
  if (key.ctrl && input === 'u') return { line: { text: '', cursor: 0 }, submitted: [] };
  // Terminals send DEL (0x7f) for the Backspace key, which ink reports as `delete`.
  if (key.backspace || key.delete) return cursor === 0 ? { line, submitted: [] } : { line: { text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1 }, submitted: [] };
  if (key.ctrl || key.meta || input === '') return { line, submitted: [] };
  const typed = text.slice(0, cursor) + input + text.slice(cursor);
  const parts = typed.split(/\r\n?|\n/);
  if (parts.length === 1) return { line: { text: typed, cursor: cursor + input.length }, submitted: [] };
  const rest = parts.pop()!;
  return { line: { text: rest, cursor: rest.length }, submitted: parts };
}

/** The input line: the text with a block cursor. */
export function LineInput({ onSubmit }: LineInputProps): React.JSX.Element {
  const line = useRef<Line>({ text: '', cursor: 0 });
  const [shown, setShown] = useState<Line>(line.current);
  useInput((input, key) => {
    if (key.upArrow || key.downArrow || key.tab || key.escape || key.pageUp || key.pageDown) return;
    const next = editLine(line.current, input, key);
    line.current = next.line;
    setShown(next.line);
    for (const submitted of next.submitted) onSubmit(submitted);
  });
  const { text, cursor } = shown;
  return (
    <Text>
      {text.slice(0, cursor)}
      <Text inverse>{text[cursor] ?? ' '}</Text>
      {text.slice(cursor + 1)}
    </Text>
  );
}

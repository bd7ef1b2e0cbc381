/**
 * `npm run bench -- ui [--json] [--quick]`: how fast the user interfaces
 * answer on a home that has been used for a long time. Each interface is
 * a part of its own (the terminal chat: ./ui/chat.ts), run one after the
 * other; each reports its figures as cases of its part.
 *
 * React's production build is used, as in dist/sotto.mjs (its development
 * build checks every render).
 */
import { parseBenchFlags, type BenchFlags } from './flags.ts';
import { textTable } from './stats.ts';

/** One figure of a part. */
export interface UiFigure {
  readonly case: string;
  readonly ms: number;
  readonly detail: string;
}

/** One user interface measured. */
export interface UiPart {
  readonly name: string;
  readonly run: (flags: BenchFlags) => Promise<readonly UiFigure[]>;
}

/** The parts, in the order they run (each loaded when it runs). */
const PARTS: readonly UiPart[] = [{ name: 'chat', run: async (flags) => (await import('./ui/chat.ts')).runChatBench(flags) }];

/** Runs every part; resolves to the exit code. */
export async function runUiBench(args: readonly string[]): Promise<number> {
  const flags = parseBenchFlags('ui', args);
  if (!flags) return 1;
  process.env['NODE_ENV'] ??= 'production';
  const rows: string[][] = [];
  for (const part of PARTS) {
    flags.progress(`ui: ${part.name}`);
    for (const figure of await part.run(flags)) {
      if (flags.json) console.log(JSON.stringify({ part: part.name, ...figure }));
      else rows.push([part.name, figure.case, `${figure.ms} ms`, figure.detail]);
    }
  }
  if (!flags.json) console.log(textTable(['part', 'case', 'time', 'detail'], rows));
  return 0;
}

/**
 * Builds src/node/contacts/confusables.json, the table behind contact-name
 * skeletons (src/node/contacts/skeleton.ts), from Unicode's confusables.txt
 * (data/unicode/<version>/confusables.txt; data/unicode/README.md says where
 * the file comes from). Run after replacing the data file:
 *
 *   node --import tsx scripts/confusables.ts
 *
 * test/node/skeleton.test.ts rebuilds the table the same way and compares it
 * with the committed one, so the two cannot drift apart.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The Unicode version of the data file the table is built from. */
export const CONFUSABLES_VERSION = '17.0.0';
/** The data file, from the repository root. */
export const CONFUSABLES_SOURCE = `data/unicode/${CONFUSABLES_VERSION}/confusables.txt`;
/** The generated table, from the repository root. */
export const CONFUSABLES_TABLE = 'src/node/contacts/confusables.json';

/** The table as stored: each prototype with every code point that maps to it, concatenated. */
export interface ConfusablesTable {
  readonly version: string;
  readonly prototypes: Record<string, string>;
}

const hexToText = (field: string): string =>
  field
    .trim()
    .split(/\s+/)
    .map((hex) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .join('');

/**
 * Parses confusables.txt ("source ; prototype ; MA # comment" lines, source
 * one code point, prototype one or more) into the stored table, grouped by
 * prototype and sorted so the output is stable. Throws RangeError on a line
 * of another shape or a version other than `version`.
 */
export function buildConfusablesTable(text: string, version: string): ConfusablesTable {
  const declared = /^# Version: (\S+)$/m.exec(text)?.[1];
  if (declared !== version) throw new RangeError(`confusables.txt is version ${declared ?? 'unknown'}, expected ${version}`);
  const sources = new Map<string, string[]>();
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const fields = line.split(';');
    if (fields.length !== 3 || fields[2]!.trim() !== 'MA') throw new RangeError(`confusables.txt: unexpected line ${JSON.stringify(raw)}`);
    const source = hexToText(fields[0]!);
    if ([...source].length !== 1) throw new RangeError(`confusables.txt: a source of more than one code point: ${JSON.stringify(raw)}`);
    const prototype = hexToText(fields[1]!);
    sources.set(prototype, [...(sources.get(prototype) ?? []), source]);
  }
  const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
  const prototypes: Record<string, string> = {};
  for (const prototype of [...sources.keys()].sort()) prototypes[prototype] = sources.get(prototype)!.sort(byCodePoint).join('');
  return { version, prototypes };
}

/** The JSON text of the table, as committed. */
export function confusablesJson(table: ConfusablesTable): string {
  return `${JSON.stringify(table, null, 0)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('..', import.meta.url);
  const text = await readFile(new URL(CONFUSABLES_SOURCE, root), 'utf8');
  await writeFile(new URL(CONFUSABLES_TABLE, root), confusablesJson(buildConfusablesTable(text, CONFUSABLES_VERSION)));
  console.log(`wrote ${CONFUSABLES_TABLE} from ${CONFUSABLES_SOURCE}`);
}

// Applies patches/ts-mls+2.0.0-rc.10.patch to node_modules/ts-mls: upstream
// ts-mls's tree-hash and parent-hash caches (2.0.0-rc.11 and rc.12) backported
// onto the 2.0.0-rc.10 the registry serves, and key-uniqueness sets that compare
// keys without encoding each whole key (docs/GROUPS.md, "Patched ts-mls").
// Runs on `npm ci` (postinstall, before prepare builds the bundles that include
// ts-mls). Strict: every hunk must match exactly where the patch says, or
// nothing is written. Idempotent: a marker holding the patch's SHA-256 says it
// is applied. Remove this script and the patch when moving to ts-mls ≥ rc.12.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = '2.0.0-rc.10';
const PATCH = join(ROOT, 'patches', `ts-mls+${VERSION}.patch`);
const TARGET = join(ROOT, 'node_modules', 'ts-mls');
/** Written into the package once patched: the SHA-256 of the patch applied. */
const MARKER = join(TARGET, '.sotto-patch');

function fail(what, hint) {
  console.error(`sotto: ${what}\nhint: ${hint}`);
  process.exit(1);
}

/** The files of a unified diff (`diff -ruN a b`), each with its hunks. */
function parse(text) {
  const files = [];
  let hunk;
  for (const line of text.split('\n')) {
    const header = /^--- a\/(\S+)/.exec(line);
    const range = /^@@ -(\d+),\d+ \+\d+,\d+ @@/.exec(line);
    if (header) files.push({ path: header[1], hunks: [] });
    else if (range) files.at(-1).hunks.push((hunk = { start: Number(range[1]) - 1, lines: [] }));
    else if (hunk && /^[ +-]/.test(line) && !line.startsWith('+++')) hunk.lines.push({ op: line[0], text: line.slice(1) });
  }
  return files;
}

/** `content` with `hunks` applied; throws when a context or removed line is not what the patch expects. */
function apply(path, content, hunks) {
  const old = content.split('\n');
  const out = [];
  let at = 0;
  for (const hunk of hunks) {
    out.push(...old.slice(at, hunk.start));
    at = hunk.start;
    for (const { op, text } of hunk.lines) {
      if (op !== '+' && old[at++] !== text) throw new Error(`${path}: line ${at} is not as the patch expects`);
      if (op !== '-') out.push(text);
    }
  }
  return [...out, ...old.slice(at)].join('\n');
}

const patch = readFileSync(PATCH, 'utf8');
const digest = createHash('sha256').update(patch).digest('hex');
if (!existsSync(join(TARGET, 'package.json'))) fail('ts-mls is not installed', 'run npm ci');
const installed = JSON.parse(readFileSync(join(TARGET, 'package.json'), 'utf8')).version;
if (installed !== VERSION) fail(`ts-mls ${installed} is installed; ${PATCH} is for ${VERSION}`, 'a newer ts-mls has these caches: delete the patch, this script and the postinstall script');
const marker = existsSync(MARKER) ? readFileSync(MARKER, 'utf8').trim() : undefined;
if (marker === digest) process.exit(0);
if (marker !== undefined) fail('node_modules/ts-mls holds another version of the patch', 'reinstall it: rm -rf node_modules/ts-mls && npm ci');
let patched;
try {
  patched = parse(patch).map(({ path, hunks }) => [join(TARGET, path), apply(path, readFileSync(join(TARGET, path), 'utf8'), hunks)]);
} catch (error) {
  fail(`the ts-mls patch does not apply: ${error.message}`, 'reinstall it: rm -rf node_modules/ts-mls && npm ci');
}
for (const [file, text] of patched) writeFileSync(file, text);
writeFileSync(MARKER, `${digest}\n`);
console.log(`ts-mls ${VERSION}: patched (${patched.length} files)`);

/**
 * docs/PROTOCOL.md is the spec the code quotes: every limit in its tables and
 * every label in src/crypto/constants.ts (and the labels and invite prefix of
 * src/node/constants.ts) must appear there with the value the code uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as constants from '../../src/crypto/constants.ts';
import { MAX_ENVELOPE_BYTES } from '../../src/crypto/envelope.ts';
import * as nodeConstants from '../../src/node/constants.ts';

const doc = readFileSync(fileURLToPath(new URL('../../docs/PROTOCOL.md', import.meta.url)), 'utf8');
const DAY_MS = 24 * 60 * 60 * 1000;

function documentedValue(cell: string): number {
  const days = /^([\d,]+) days?$/.exec(cell);
  if (days) return Number(days[1]!.replaceAll(',', '')) * DAY_MS;
  return Number(cell.replaceAll(',', ''));
}

test('every limit in the PROTOCOL.md table has the value the code uses', () => {
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)];
  assert.ok(rows.length >= 10, 'the limits table was found');
  const code: Record<string, unknown> = { ...nodeConstants, ...constants, MAX_ENVELOPE_BYTES };
  for (const [, name, cell] of rows) {
    assert.ok(name! in code, `${name} is documented but not defined in code`);
    assert.equal(documentedValue(cell!.trim()), code[name!], `${name}`);
  }
});

test('every label of the protocol appears verbatim in PROTOCOL.md', () => {
  const decoder = new TextDecoder();
  const labels = Object.entries(constants)
    .filter(([name]) => name.startsWith('LABEL_') || name.endsWith('_PREFIX'))
    .map(([name, value]) => [name, typeof value === 'string' ? value : decoder.decode(value as Uint8Array)] as const)
    .filter(([name]) => name !== 'PQXDH_PREFIX');
  assert.ok(labels.length >= 8);
  for (const [name, label] of labels) assert.ok(doc.includes(label), `${name} = "${label}" missing from PROTOCOL.md`);
  const nodeLabels = Object.entries(nodeConstants).filter(([name]) => name.startsWith('LABEL_') || name === 'INVITE_PREFIX');
  assert.ok(nodeLabels.length >= 4);
  for (const [name, label] of nodeLabels) assert.ok(doc.includes(String(label)), `${name} = "${String(label)}" missing from PROTOCOL.md`);
});

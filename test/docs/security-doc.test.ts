/**
 * docs/SECURITY.md lists every limit a remote peer runs into: each constant in
 * its limits table must exist in code with the value the table states, and
 * every limit a remote peer controls in src/node/constants.ts must be listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as cryptoConstants from '../../src/crypto/constants.ts';
import { MAX_ENVELOPE_BYTES } from '../../src/crypto/envelope.ts';
import { MAX_SEALED_SENDER_BYTES } from '../../src/crypto/sealed.ts';
import * as backupConstants from '../../src/node/backup/constants.ts';
import * as nodeConstants from '../../src/node/constants.ts';
import { MAX_CONTROL_LINE_BYTES } from '../../src/app/control/protocol.ts';

const doc = readFileSync(fileURLToPath(new URL('../../docs/SECURITY.md', import.meta.url)), 'utf8');
const code: Record<string, unknown> = { ...nodeConstants, ...cryptoConstants, ...backupConstants, MAX_ENVELOPE_BYTES, MAX_SEALED_SENDER_BYTES, MAX_CONTROL_LINE_BYTES };

const UNITS: Record<string, number> = { bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, s: 1000, min: 60_000, days: 24 * 3600 * 1000, characters: 1 };

/** "68 KiB" → 69632, "30 days" → ms, "20,000 per hour" → 20000, "64, 1 GiB" → [64, 2^30]. */
function documentedValues(cell: string): number[] {
  return cell.split(', ').filter((part) => /^\d/.test(part)).map((part) => {
    const m = /^([\d,]+)(?: (bytes|KiB|MiB|GiB|s|min|days|characters))?(?: per (?:hour|second))?$/.exec(part.trim());
    assert.ok(m, `cannot read the value "${part}"`);
    return Number(m[1]!.replaceAll(',', '')) * (m[2] ? UNITS[m[2]]! : 1);
  });
}

const rows = [...doc.matchAll(/^\| (`[A-Z_0-9]+`(?:, `[A-Z_0-9]+`)*) \| ([^|]+) \|/gm)].map(([, names, cell]) => ({ names: [...names!.matchAll(/`([A-Z_0-9]+)`/g)].map((m) => m[1]!), values: documentedValues(cell!.trim()) }));

test('every limit in the SECURITY.md table has the value the code uses', () => {
  assert.ok(rows.length >= 30, 'the limits table was found');
  for (const { names, values } of rows) {
    assert.equal(names.length, values.length, names.join(', '));
    names.forEach((name, i) => {
      assert.ok(name in code, `${name} is documented but not defined in code`);
      assert.equal(values[i], code[name], name);
    });
  }
});

test('every size, count and quota of src/node/constants.ts a peer runs into is listed', () => {
  const listed = new Set(rows.flatMap((r) => r.names));
  const remote = Object.keys(nodeConstants).filter((name) => /^(MAX_|MAILBOX_MAX_)/.test(name) && !/^MAX_INVITE_BYTES$/.test(name));
  assert.ok(remote.length >= 10);
  for (const name of remote) assert.ok(listed.has(name), `${name} is missing from the SECURITY.md limits table`);
});

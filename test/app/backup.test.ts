/**
 * `sotto export` / `sotto import` end to end, from separate processes: an
 * archive of one home restores into a new home with the same identity,
 * contacts and history; the archive file is private and never silently
 * replaced; a wrong passphrase, a foreign file and an occupied home are
 * refused with nothing written. No node runs: nothing leaves this machine.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertCliError, sotto, tempHome } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup) await c();
});

const BOB = '12D3KooWRbAKRwQFYg1bsa3bHezyVLoczdGTgzjrFsHUGUBGaPR2';
const ARCHIVE_ENV = { SOTTO_BACKUP_PASSPHRASE: 'the archive passphrase' };

test('export, then import into a new home: the same identity, contacts and history', { timeout: 120_000 }, async () => {
  const homeA = await tempHome('bak-a', cleanup);
  const peerA = (await sotto(homeA, ['init', '--name', 'alice'])).stdout.trim();
  assert.equal((await sotto(homeA, ['contacts', 'add', 'bob', BOB])).code, 0);
  assert.match((await sotto(homeA, ['send', 'bob', 'written before the move', '--wait', '0'])).stdout, /^queued: /);
  const contactsA = (await sotto(homeA, ['contacts', 'list', '--json'])).stdout;
  const historyA = (await sotto(homeA, ['history', 'bob', '--json'])).stdout;

  const file = join(dirname(homeA), 'alice.sottobak');
  const exported = await sotto(homeA, ['export', file, '--json'], ARCHIVE_ENV);
  assert.equal(exported.code, 0, exported.stderr);
  assert.deepEqual(JSON.parse(exported.stdout), { file, bytes: (await stat(file)).size, contacts: 1, sessions: 0, messages: 1 });
  assert.match(exported.stderr, /ONE machine only/);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual((await readdir(dirname(file))).filter((n) => n.endsWith('.tmp')), []);
  // Never replaced without --force.
  assertCliError(await sotto(homeA, ['export', file], ARCHIVE_ENV), /already exists/);
  const forced = await sotto(homeA, ['export', file, '--force'], ARCHIVE_ENV);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /^exported 1 contact, 0 sessions, 1 message to /);

  // Restored into a new home with its own passphrase.
  const homeB = await tempHome('bak-b', cleanup);
  const homeEnv = { SOTTO_PASSPHRASE: 'the new home passphrase' };
  const imported = await sotto(homeB, ['import', file], { ...ARCHIVE_ENV, ...homeEnv });
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stdout.trim(), peerA);
  assert.match(imported.stderr, /restored 1 contact, 0 sessions, 1 message/);
  assert.match(imported.stderr, /ONE machine only/);
  const idB = JSON.parse((await sotto(homeB, ['id', '--json'], homeEnv)).stdout) as { peerId: string; name: string };
  assert.equal(idB.peerId, peerA);
  assert.equal(idB.name, 'alice');
  assert.equal((await sotto(homeB, ['contacts', 'list', '--json'], homeEnv)).stdout, contactsA);
  assert.equal((await sotto(homeB, ['history', 'bob', '--json'], homeEnv)).stdout, historyA);
  // The new home is encrypted with the new passphrase, not the old one.
  assertCliError(await sotto(homeB, ['id']), /wrong passphrase/);

  // A home that has an identity is never overwritten.
  assertCliError(await sotto(homeB, ['import', file], { ...ARCHIVE_ENV, ...homeEnv }), /already has an identity/);
  assertCliError(await sotto(homeA, ['import', file], ARCHIVE_ENV), /already has an identity/);

  // Refused archives write nothing: the new home is not even created.
  const homeC = await tempHome('bak-c', cleanup);
  assertCliError(await sotto(homeC, ['import', file], { SOTTO_BACKUP_PASSPHRASE: 'not the archive passphrase' }), /wrong passphrase for this backup archive/);
  const foreign = join(dirname(homeC), 'notes.txt');
  await writeFile(foreign, 'just some notes\n');
  assertCliError(await sotto(homeC, ['import', foreign], ARCHIVE_ENV), /not a Sotto backup archive/);
  assert.equal(existsSync(homeC), false);

  // A home in clear, by choice.
  const plain = await sotto(homeC, ['import', file, '--no-passphrase'], ARCHIVE_ENV);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /NOT encrypted at rest/);
  assert.equal((await sotto(homeC, ['id', '--json'], { SOTTO_PASSPHRASE: 'ignored for a home in clear' })).code, 0);
});

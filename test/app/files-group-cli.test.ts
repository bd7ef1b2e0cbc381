/**
 * A file in a group of three `sotto start` processes (docs/FILES.md,
 * "Pulled, not pushed"): alice sends it with `sotto group send --file`, bob
 * fetches it whole; carol, whose node was stopped meanwhile, starts later
 * and fetches chunks from both alice and bob (what each served her, from
 * `sotto status --json` "files"); all hold the sender's SHA-256.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GROUP_CATCH_UP_ATTEMPTS, GROUP_CATCH_UP_DELAY_MS } from '../../src/node/constants.ts';
import { sotto } from '../helpers/cli.ts';
import { FileTestRun, servedBy, waitForComplete } from '../helpers/file-homes.ts';
import { GroupTestRun, groupWhenReady, waitForGroup, type GroupHome } from '../helpers/group-homes.ts';

const groups = new GroupTestRun();
const files = new FileTestRun();
after(async () => {
  await groups.close();
  await files.close();
});

/** How long a returning member may take to read a group message (see groups-cli.test.ts), with a margin. */
const READ_TIMEOUT_MS = GROUP_CATCH_UP_DELAY_MS * (2 ** GROUP_CATCH_UP_ATTEMPTS - 1) + 20_000;
const READY_TIMEOUT_MS = 90_000;
const MIB = 1024 * 1024;

test('a group file: bob fetches it from alice, carol starts later and fetches from both alice and bob', { timeout: 400_000 }, async (t) => {
  await groups.startMailbox();
  const [alice, bob, carol] = (await groups.homes('alice', 'bob', 'carol')) as [GroupHome, GroupHome, GroupHome];
  for (const h of [alice, bob, carol]) await groups.start(h);
  await groupWhenReady(alice, ['create', 'team', 'bob', 'carol'], READY_TIMEOUT_MS);
  await waitForGroup(bob, 'team', READY_TIMEOUT_MS);
  await waitForGroup(carol, 'team', READY_TIMEOUT_MS);
  await groups.stop(carol);

  const file = await files.randomFile('album.bin', 128 * MIB);
  const sent = await sotto(alice.home, ['group', 'send', 'team', '--file', file.path, '--json']);
  assert.equal(sent.code, 0, sent.stderr);
  const expected = { size: 128 * MIB, sha256: file.sha256 };
  await waitForComplete(bob, 'team', 'album.bin', expected, READ_TIMEOUT_MS + 120_000, true);

  await groups.start(carol);
  await waitForComplete(carol, 'team', 'album.bin', expected, READ_TIMEOUT_MS + 120_000, true);
  const fromAlice = Object.values((await servedBy(alice)).files).reduce((n, f) => n + (f.peers[carol.peerId] ?? 0), 0);
  const fromBob = Object.values((await servedBy(bob)).files).reduce((n, f) => n + (f.peers[carol.peerId] ?? 0), 0);
  t.diagnostic(`carol's 512 chunks: ${fromAlice} from alice, ${fromBob} from bob`);
  assert.ok(fromAlice > 0, 'alice served carol chunks');
  assert.ok(fromBob > 0, 'bob served carol chunks');
  assert.ok(fromAlice + fromBob >= 512, 'every chunk came from one of them');
});

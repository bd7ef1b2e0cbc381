/**
 * Settings kept in the home (src/app/settings.ts, `sotto config`): flags
 * are remembered once a node has started, so a later start needs none;
 * `--bootstrap` adds to the kept list, other flags replace; listen ports
 * and a web port the node picked are kept; a corrupt file is refused with
 * a typed error and never rewritten; the file is private.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveHome } from '../../src/app/home.ts';
import { optionsOf } from '../../src/app/node-settings.ts';
import { afterStart, describeSetting, readSettings, setSetting, SETTINGS_MAX_ADDRESSES, SettingsFileError, unsetSetting, withFlags, writeSettings, InvalidSettingError } from '../../src/app/settings.ts';
import { WEB_DEFAULT_PORT } from '../../src/node/constants.ts';
import { assertCliError, detachedPid, sotto, startNode, tempHome, type RunningNode } from '../helpers/cli.ts';

const PEER_A = '12D3KooWRnMt4rn8mF2JsGEq4Wpdcmhu96KF1wPm6jz2L52aMPiP';
const PEER_B = '12D3KooWGRUVh5UyNZs3KLr6xCnbd9jAaS5tXdzqbFKgn1kM8jhG';
const boot = (port: number, peer = PEER_A): string => `/ip4/192.0.2.1/tcp/${port}/p2p/${peer}`;

const cleanup: (() => Promise<void>)[] = [];
const nodes: RunningNode[] = [];
const pids: number[] = [];
after(async () => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const node of nodes) await node.stop().catch(() => {});
  for (const step of cleanup.reverse()) await step();
});

test('flags: --bootstrap joins the front of the kept list (bounded), the others replace their setting', () => {
  let settings = withFlags({}, { bootstrap: [boot(1)], mailbox: true, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'] });
  settings = withFlags(settings, { bootstrap: [boot(2)], mailbox: false, listen: [] });
  assert.deepEqual(settings.bootstrap, [boot(2), boot(1)]);
  assert.equal(settings.mailbox, false);
  assert.equal(settings.mdns, false, 'a flag not given leaves its setting');
  assert.deepEqual(settings.listen, ['/ip4/127.0.0.1/tcp/0'], 'no --listen keeps the list');
  for (let i = 0; i < SETTINGS_MAX_ADDRESSES + 5; i++) settings = withFlags(settings, { bootstrap: [boot(100 + i)] });
  assert.equal(settings.bootstrap?.length, SETTINGS_MAX_ADDRESSES);
  assert.equal(settings.bootstrap?.[0], boot(100 + SETTINGS_MAX_ADDRESSES + 4), 'the newest first; the oldest dropped');
  assert.throws(() => withFlags({}, { bootstrap: ['/ip4/192.0.2.1/tcp/1'] }), (err: Error) => err instanceof InvalidSettingError && /\/p2p\//.test(err.message));
  // --web alone: the port the home keeps, else the default.
  assert.equal(withFlags({}, { web: true }).web, WEB_DEFAULT_PORT);
  assert.equal(withFlags({ web: 7500 }, { web: true }).web, 7500);
  assert.equal(withFlags({ web: 7500 }, { web: false }).web, false);
});

test('after a start: listen ports the node picked and a picked web port are kept; chosen ones are not touched', () => {
  const bound = [`/ip4/127.0.0.1/tcp/41000/p2p/${PEER_A}`, `/ip4/10.0.0.5/tcp/41000/p2p/${PEER_A}`, `/ip4/127.0.0.1/tcp/41001/ws/p2p/${PEER_A}`];
  const picked = afterStart({ web: 0 }, bound, 41500);
  assert.deepEqual(picked, { listen: ['/ip4/0.0.0.0/tcp/41000', '/ip4/0.0.0.0/tcp/41001/ws'], listenPicked: true, web: 41500 });
  const chosen = afterStart({ listen: ['/ip4/127.0.0.1/tcp/0'], web: 7420 }, bound, 7420);
  assert.deepEqual(chosen, { listen: ['/ip4/127.0.0.1/tcp/0'], web: 7420 });
  assert.deepEqual(afterStart(picked, [`/ip4/127.0.0.1/tcp/42000/p2p/${PEER_A}`], undefined).listen, ['/ip4/0.0.0.0/tcp/42000'], 'picked again when they changed');
});

test('config values: lists replace, on/off, a port or off, and unset brings the default back', () => {
  let settings = setSetting({}, 'bootstrap', [boot(1), boot(2, PEER_B)]);
  assert.deepEqual(settings.bootstrap, [boot(1), boot(2, PEER_B)]);
  settings = setSetting(settings, 'mdns', ['off']);
  settings = setSetting(settings, 'web', ['7421']);
  assert.deepEqual({ mdns: settings.mdns, web: settings.web }, { mdns: false, web: 7421 });
  assert.equal(setSetting(settings, 'web', ['off']).web, false);
  assert.throws(() => setSetting(settings, 'web', ['70000']), InvalidSettingError);
  assert.throws(() => setSetting(settings, 'mailbox', ['maybe']), InvalidSettingError);
  assert.throws(() => setSetting(settings, 'relay', ['on', 'off']), InvalidSettingError);
  assert.equal(unsetSetting(settings, 'mdns').mdns, undefined);
});

test('files-quota takes a size in binary or decimal units, is kept in bytes and given to the node', () => {
  assert.equal(setSetting({}, 'files-quota', ['20GiB']).filesQuota, 20 * 2 ** 30);
  assert.equal(setSetting({}, 'files-quota', ['1.5 MiB']).filesQuota, 1.5 * 2 ** 20);
  assert.equal(setSetting({}, 'files-quota', ['500MB']).filesQuota, 500e6);
  assert.equal(setSetting({}, 'files-quota', ['2G']).filesQuota, 2 * 2 ** 30);
  assert.equal(setSetting({}, 'files-quota', ['4096']).filesQuota, 4096);
  assert.equal(setSetting({}, 'files-quota', ['0']).filesQuota, 0);
  for (const bad of ['lots', '-1GiB', '12 parsecs', '1e400', '']) assert.throws(() => setSetting({}, 'files-quota', [bad]), InvalidSettingError, bad);
  const settings = setSetting({}, 'files-quota', ['1KiB']);
  assert.equal(describeSetting(settings, 'files-quota'), '1 KiB (1024 bytes)');
  assert.match(describeSetting({}, 'files-quota'), /^10 GiB \(the default\)$/);
  assert.equal(optionsOf(settings).filesQuota, 1024);
  assert.equal('filesQuota' in optionsOf({}), false);
  assert.equal(unsetSetting(settings, 'files-quota').filesQuota, undefined);
});

test('the settings file is private and written whole; a corrupt one is refused and left as it is', async () => {
  const root = await tempHome('settings-file', cleanup);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const home = resolveHome(root);
  await writeSettings(home, { bootstrap: [boot(1)], mailbox: true });
  assert.equal((await stat(join(root, 'settings.json'))).mode & 0o777, 0o600);
  assert.deepEqual(await readSettings(home), { bootstrap: [boot(1)], mailbox: true });
  const broken = '{"version": 1, "mdns": "sometimes"}';
  await writeFile(join(root, 'settings.json'), broken);
  await assert.rejects(readSettings(home), (err: Error) => err instanceof SettingsFileError && /mdns: on or off/.test(err.message));
  await writeFile(join(root, 'settings.json'), '{"version": 2}');
  await assert.rejects(readSettings(home), SettingsFileError);
  const refused = await sotto(root, ['config', 'set', 'relay', 'on']);
  assertCliError(refused, /cannot use the settings in .*settings\.json: version 2/);
  assert.equal(await readFile(join(root, 'settings.json'), 'utf8'), '{"version": 2}');
});

test('flags given once are kept: a later `sotto start --detach` with no flags joins the same network with the same roles', { timeout: 120_000 }, async () => {
  const aliceHome = await tempHome('set-alice', cleanup);
  const bobHome = await tempHome('set-bob', cleanup);
  for (const [home, name] of [[aliceHome, 'alice'], [bobHome, 'bob']] as const) assert.equal((await sotto(home, ['init', '--name', name])).code, 0);
  const alice = await startNode(aliceHome, ['--listen', '/ip4/127.0.0.1/tcp/0']);
  nodes.push(alice);

  const first = await sotto(bobHome, ['start', '--detach', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--bootstrap', alice.addresses[0]!, '--mailbox', '--web', '0']);
  const firstPid = detachedPid(first);
  if (firstPid !== undefined) pids.push(firstPid);
  assert.equal(first.code, 0, first.stderr);
  const web = /^web (\S+)$/m.exec(first.stdout)?.[1];
  assert.ok(web, first.stdout);
  assert.equal((await sotto(bobHome, ['stop'])).code, 0);

  const listed = JSON.parse((await sotto(bobHome, ['config', 'list', '--json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(listed, { bootstrap: [alice.addresses[0]], listen: ['/ip4/127.0.0.1/tcp/0/ws'], mdns: null, mailbox: true, relay: null, upnp: null, web: Number(new URL(web).port), 'swarm-key': null, 'files-quota': null });

  const again = await sotto(bobHome, ['start', '--detach']);
  const againPid = detachedPid(again);
  if (againPid !== undefined) pids.push(againPid);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^web ${web.replaceAll('.', '\\.')}$`, 'm'), 'the page keeps its origin');
  assert.doesNotMatch(again.stderr, /warning/, 'it reached its bootstrap peer');
  const status = JSON.parse((await sotto(bobHome, ['status', '--json'])).stdout) as { peers: number; mailbox: unknown; addresses: string[]; network: { state: string } };
  assert.equal(status.network.state, 'connected');
  assert.ok(status.peers >= 1);
  assert.notEqual(status.mailbox, null, 'still a mailbox');
  assert.ok(status.addresses.every((a) => a.startsWith('/ip4/127.0.0.1/') && a.includes('/ws/')), status.addresses.join(' '));
  assert.equal((await sotto(bobHome, ['stop'])).code, 0);

  // A flag given now wins, and is kept.
  const set = await sotto(bobHome, ['config', 'set', 'mailbox', 'off']);
  assert.equal(set.stdout.trim(), 'mailbox: off');
  assert.equal((await sotto(bobHome, ['config', 'get', 'mailbox', '--json'])).stdout.trim(), 'false');
  assert.ok(existsSync(join(bobHome, 'settings.json')));
});

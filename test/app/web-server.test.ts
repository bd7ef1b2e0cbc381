/**
 * The server of `sotto start --web`: what it serves, to whom, with which
 * headers, and how it refuses bad input, on a built app of its own (a
 * temporary folder) on 127.0.0.1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WEB_DEFAULT_PORT, WEB_MAX_RELAYS } from '../../src/node/constants.ts';
import { sotto, tempHome } from '../helpers/cli.ts';
import { webSocketUpgradeStatus } from '../helpers/ws-upgrade.ts';
import {
  builtAppDir,
  InvalidWebPortError,
  NoWebSocketAddressError,
  pageConfig,
  parseWebPort,
  relayAddressesForPage,
  startWebServer,
  WebAppNotBuiltError,
  WebPortUnavailableError,
  type WebServer,
} from '../../src/app/web-server.ts';

const ID = '12D3KooWD2gMK9nBeTC3C1WdoL6u2xFzvUCk8pcFfV3616Eii3k4';
const ADDRESSES = [`/ip4/192.0.2.7/tcp/4002/ws/p2p/${ID}`, `/ip4/127.0.0.1/tcp/4001/p2p/${ID}`, `/ip4/127.0.0.1/tcp/4002/ws/p2p/${ID}`];

let dir: string;
let server: WebServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-web-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="./assets/app-1.js"></script>');
  await writeFile(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
  await writeFile(join(dir, 'assets', 'app-1.css'), 'body{}');
  server = await startWebServer({ port: 0, addresses: () => ADDRESSES, root: dir });
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function get(path: string, options: { host?: string; method?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `127.0.0.1:${server.port}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the app at / on 127.0.0.1 with a strict content security policy', async () => {
  assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.match(page.body, /app-1\.js/);
});

test('serves hashed assets with their type, cached for good', async () => {
  const js = await get('/assets/app-1.js');
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal((await get('/assets/app-1.css')).headers['content-type'], 'text/css; charset=utf-8');
});

test('/config.json names the node WebSocket addresses, loopback first, never cached', async () => {
  const config = await get('/config.json');
  assert.equal(config.status, 200);
  assert.equal(config.headers['cache-control'], 'no-store');
  assert.deepEqual(JSON.parse(config.body), { version: 1, relays: [`/ip4/127.0.0.1/tcp/4002/ws/p2p/${ID}`], stun: [] });
});

test('nothing outside the built app is served', async () => {
  for (const path of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/src/app/web/main.ts', '/assets/', '/nope']) {
    assert.equal((await get(path)).status, 404, path);
  }
});

test('a request for another host name (DNS rebinding) is refused', async () => {
  const rebound = await get('/config.json', { host: `attacker.example:${server.port}` });
  assert.equal(rebound.status, 421);
  assert.doesNotMatch(rebound.body, /p2p/);
});

test('only Host 127.0.0.1:PORT is served: localhost (which [::1]:PORT may answer) and other spellings get 421', async () => {
  for (const host of [`localhost:${server.port}`, `[::1]:${server.port}`, `LOCALHOST:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `127.1:${server.port}`, `0.0.0.0:${server.port}`]) {
    const answer = await get('/', { host });
    assert.equal(answer.status, 421, host);
    assert.doesNotMatch(answer.body, /<script/, host);
    assert.equal(answer.body, `misdirected request: the page is at ${server.url}\n`, host);
  }
  assert.equal((await get('/config.json', { host: `127.0.0.1:${server.port}` })).status, 200);
});

test('only GET and HEAD', async () => {
  const post = await get('/config.json', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers['allow'], 'GET, HEAD');
  const head = await get('/', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('relayAddressesForPage keeps WebSocket addresses, loopback ones when there are, at most WEB_MAX_RELAYS', () => {
  assert.deepEqual(relayAddressesForPage(ADDRESSES), [`/ip4/127.0.0.1/tcp/4002/ws/p2p/${ID}`]);
  assert.deepEqual(relayAddressesForPage([ADDRESSES[0]!, ADDRESSES[1]!]), [ADDRESSES[0]]);
  assert.deepEqual(relayAddressesForPage(['not a multiaddr', `/ip4/127.0.0.1/tcp/1/p2p/${ID}`]), []);
  const many = Array.from({ length: WEB_MAX_RELAYS + 3 }, (_, i) => `/ip4/127.0.0.1/tcp/${5000 + i}/ws/p2p/${ID}`);
  assert.equal(relayAddressesForPage(many).length, WEB_MAX_RELAYS);
});

test('the page\'s STUN servers are its node\'s relays\' responders, by IP address, never a public one', () => {
  const RELAY = '12D3KooWQi7TshN4fwfwLsLwdXL287qNp7Aa5nrZxJsCxSADyywP';
  const held = [...ADDRESSES, `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${ID}`, `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${ID}`, 'not a multiaddr'];
  assert.deepEqual(pageConfig(held).stun, ['stun:11.77.0.1:4001']);
  assert.deepEqual(pageConfig(ADDRESSES).stun, [], 'no relay slot: no STUN server at all');
});

test('parseWebPort: --web alone is the default port; a port must be 0-65535', () => {
  assert.equal(parseWebPort(true), WEB_DEFAULT_PORT);
  assert.equal(parseWebPort('0'), 0);
  assert.equal(parseWebPort('65535'), 65535);
  for (const bad of ['65536', '-1', 'abc', '80.5', '']) assert.throws(() => parseWebPort(bad), InvalidWebPortError, bad);
});

test('refuses to start without a WebSocket address, without a built app, or on a taken port', async () => {
  await assert.rejects(startWebServer({ port: 0, addresses: () => [ADDRESSES[1]!], root: dir }), NoWebSocketAddressError);
  assert.throws(() => builtAppDir([join(dir, 'assets')]), WebAppNotBuiltError);
  assert.equal(builtAppDir([join(dir, 'assets'), dir]), dir);
  await assert.rejects(startWebServer({ port: server.port, addresses: () => ADDRESSES, root: dir }), WebPortUnavailableError);
});

test('sotto start --web refuses a private network (--swarm-key): a page could not join it', async () => {
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const home = await tempHome('web-pnet', cleanup);
    await sotto(home, ['init', '--name', 'desk', '--no-passphrase']);
    const started = await sotto(home, ['start', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--web', '0', '--swarm-key', join(dir, 'swarm.key')]);
    assert.equal(started.code, 1);
    assert.match(started.stderr, /^sotto: --web cannot be used with --swarm-key/m);
    assert.match(started.stderr, /^hint: .*docs\/WEB\.md/m);
  } finally {
    for (const c of cleanup) await c();
  }
});

test('sotto start --detach --web prints the web line too, and the detached node serves the page', async () => {
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const home = await tempHome('web-detach', cleanup);
    await sotto(home, ['init', '--name', 'desk', '--no-passphrase']);
    const started = await sotto(home, ['start', '--detach', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--web', '0']);
    cleanup.unshift(async () => void (await sotto(home, ['stop'])));
    assert.equal(started.code, 0, started.stderr);
    const lines = started.stdout.trim().split('\n');
    assert.match(lines.at(-2)!, /^web http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(lines.at(-1), 'ready');
    const url = lines.at(-2)!.slice('web '.length);
    const config = (await (await fetch(new URL('/config.json', url))).json()) as { relays: string[] };
    const listening = lines.filter((l) => l.startsWith('listening ')).map((l) => l.slice('listening '.length));
    assert.deepEqual(config.relays, listening);
    // The node lets the page it serves open WebSockets to it, and no other page.
    const ws = listening.find((a) => a.includes('/ws/'))!;
    assert.equal(await webSocketUpgradeStatus(ws, new URL(url).origin), 101);
    assert.equal(await webSocketUpgradeStatus(ws, 'http://evil.example'), 403);
  } finally {
    for (const c of cleanup) await c();
  }
});

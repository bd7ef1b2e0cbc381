/**
 * The parts of the browser peer that do not need a browser: reading and
 * checking /config.json, the page's random bytes, profile database names.
 * (The peer itself runs in Chromium in test/web.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ICE_MAX_STUN_SERVERS, WEB_MAX_RELAYS } from '../../src/node/constants.ts';
import { browserRandomBytes, databaseName, fetchPageConfig, WebConfigError } from '../../src/app/web/peer.ts';

const RELAY = '/ip4/127.0.0.1/tcp/4002/ws/p2p/12D3KooWD2gMK9nBeTC3C1WdoL6u2xFzvUCk8pcFfV3616Eii3k4';

function serving(status: number, body: unknown): typeof fetch {
  return (async (input: string | URL | Request) => {
    assert.equal(String(input), '/config.json');
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  }) as typeof fetch;
}

test('fetchPageConfig reads the relays and STUN servers of a version 1 config (none from a node that names none)', async () => {
  assert.deepEqual(await fetchPageConfig(serving(200, { version: 1, relays: [RELAY] })), { relays: [RELAY], stun: [] });
  assert.deepEqual(await fetchPageConfig(serving(200, { version: 1, relays: [RELAY], stun: ['stun:11.77.0.1:4001'] })), { relays: [RELAY], stun: ['stun:11.77.0.1:4001'] });
});

test('fetchPageConfig refuses a missing, malformed or unknown config with WebConfigError', async () => {
  const bad: [number, unknown, RegExp][] = [
    [404, 'not found', /HTTP 404/],
    [200, '{not json', /JSON/],
    [200, { version: 2, relays: [RELAY] }, /version 2/],
    [200, { version: 1 }, /bad relays/],
    [200, { version: 1, relays: [RELAY, 7] }, /bad relays/],
    [200, { version: 1, relays: Array.from({ length: WEB_MAX_RELAYS + 1 }, () => RELAY) }, /bad relays/],
    [200, { version: 1, relays: [RELAY], stun: ['stun:stun.l.google.com:19302'] }, /bad stun/],
    [200, { version: 1, relays: [RELAY], stun: ['turn:11.77.0.1:3478'] }, /bad stun/],
    [200, { version: 1, relays: [RELAY], stun: 'stun:11.77.0.1:4001' }, /bad stun/],
    [200, { version: 1, relays: [RELAY], stun: Array.from({ length: ICE_MAX_STUN_SERVERS + 1 }, (_, i) => `stun:11.77.0.${i + 1}:4001`) }, /bad stun/],
  ];
  for (const [status, body, message] of bad) {
    await assert.rejects(fetchPageConfig(serving(status, body)), (err: unknown) => err instanceof WebConfigError && message.test(err.message), JSON.stringify(body));
  }
  const unreachable = (async () => {
    throw new TypeError('Failed to fetch');
  }) as typeof fetch;
  await assert.rejects(fetchPageConfig(unreachable), (err: unknown) => err instanceof WebConfigError && err.reason === 'Failed to fetch');
});

test('browserRandomBytes fills lengths beyond the 65,536-byte Web Crypto limit', () => {
  const bytes = browserRandomBytes(200_000);
  assert.equal(bytes.length, 200_000);
  // Every 64 KiB chunk was filled (an unfilled one would stay all zero).
  for (let start = 0; start < bytes.length; start += 65_536) assert.ok(bytes.subarray(start, start + 65_536).some((b) => b !== 0), `chunk at ${start}`);
  assert.equal(browserRandomBytes(0).length, 0);
});

test('each profile has its own database', () => {
  assert.equal(databaseName('default'), 'sotto-default');
  assert.notEqual(databaseName('alice'), databaseName('bob'));
});

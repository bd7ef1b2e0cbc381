/**
 * The control socket's request parsing: anything but a JSON object naming a
 * known method with a params array is answered with ControlProtocolError,
 * and the node keeps serving (a bare `null` used to throw a TypeError in the
 * server, outside any handler).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { ControlProtocolError, parseControlRequest, type ControlApi } from '../../src/app/control/protocol.ts';
import { startControlServer, stopControlServer } from '../../src/app/control/server.ts';

function exchange(path: string, line: string): Promise<{ result?: unknown; error?: { name: string } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(line + '\n'));
    socket.on('data', (chunk: string) => (buffer += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(JSON.parse(buffer) as { result?: unknown; error?: { name: string } }));
  });
}

describe('control requests', () => {
  const malformed = ['null', '42', '"id"', '[]', 'true', '{}', '{"method":"id"}', '{"method":"id","params":{}}', '{"method":"toString","params":[]}', '{"method":"__proto__","params":[]}', '{"method":["id"],"params":[]}', '{', ''];

  for (const line of malformed) {
    test(`${JSON.stringify(line)} is a ControlProtocolError`, () => {
      assert.throws(() => parseControlRequest(line), ControlProtocolError);
    });
  }

  test('a well-formed request parses to its method and params', () => {
    assert.deepEqual(parseControlRequest('{"method":"send","params":["Bob","hi",5]}'), { method: 'send', params: ['Bob', 'hi', 5] });
  });

  test('the server answers malformed requests with ControlProtocolError and keeps serving', async () => {
    const dir = await mkdtemp(join(os.tmpdir(), 'sotto-control-'));
    const path = join(dir, 'control.sock');
    const api = { id: async () => ({ peerId: 'me' }) } as unknown as ControlApi;
    const server = await startControlServer(path, api);
    try {
      for (const line of ['null', '[]', '7', '{"method":"id","params":null}']) {
        assert.equal((await exchange(path, line)).error?.name, 'ControlProtocolError', line);
      }
      assert.deepEqual(await exchange(path, '{"method":"id","params":[]}'), { result: { peerId: 'me' } });
    } finally {
      await stopControlServer(server, path);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

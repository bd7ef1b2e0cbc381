/**
 * The node's side of the control socket (see ./protocol.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import { MAX_CONTROL_LINE_BYTES, parseControlRequest, toWireError, type ControlApi, type ControlRequest } from './protocol.ts';

/** Socket permissions: only the owner may connect. */
const SOCKET_MODE = 0o600;

function answer(socket: Socket, value: object): void {
  socket.end(JSON.stringify(value) + '\n');
}

async function handle(api: ControlApi, socket: Socket, line: string): Promise<void> {
  let request: ControlRequest;
  try {
    request = parseControlRequest(line);
  } catch (err) {
    return answer(socket, { error: toWireError(err) });
  }
  try {
    const result = await (api[request.method] as (...args: unknown[]) => Promise<unknown>)(...request.params);
    answer(socket, { result });
  } catch (err) {
    answer(socket, { error: toWireError(err) });
  }
}

/** Listens on `path` (replacing a stale socket file) and serves `api`. */
export async function startControlServer(path: string, api: ControlApi): Promise<Server> {
  await unlink(path).catch(() => {});
  const server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_CONTROL_LINE_BYTES) return socket.destroy();
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      socket.removeAllListeners('data');
      void handle(api, socket, buffer.slice(0, end));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, SOCKET_MODE);
  return server;
}

/** Stops listening and removes the socket file. */
export async function stopControlServer(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await unlink(path).catch(() => {});
}

/**
 * A bare WebSocket handshake (an HTTP/1.1 upgrade request with or without an
 * Origin header, as a browser page or another program would send it), for
 * tests of who may open a WebSocket to a node. Resolves with the status the
 * server answered: 101 when it switched protocols, else its refusal.
 */
import { request } from 'node:http';
import { multiaddr } from '@multiformats/multiaddr';

/** The status a WebSocket upgrade to the `/ip4/…/tcp/PORT/ws` multiaddr gets, sent with `origin` (none when undefined). */
export function webSocketUpgradeStatus(address: string, origin: string | undefined): Promise<number> {
  const components = multiaddr(address).getComponents();
  const host = components.find((c) => c.name === 'ip4')!.value!;
  const port = Number(components.find((c) => c.name === 'tcp')!.value);
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      port,
      path: '/',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...(origin === undefined ? {} : { Origin: origin }),
      },
      signal: AbortSignal.timeout(10_000),
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

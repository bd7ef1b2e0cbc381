/**
 * Sotto's WebSocket transport: @libp2p/websockets 10.1.21 with two things
 * its listener lacks, both applied to the `ws` WebSocketServer it hands
 * every HTTP upgrade to (`listener.wsServer`, a field rather than public API;
 * versions are pinned and the tests fail if it moves):
 *
 * - **An Origin check.** Any web page the user opens can ask the browser
 *   for `new WebSocket("ws://127.0.0.1:PORT")`, and the browser then speaks
 *   libp2p to this node from inside the machine. Browsers always send an
 *   `Origin` header on a WebSocket handshake, other programs (Sotto nodes
 *   included: Node's WebSocket sends none) do not. So an upgrade without
 *   `Origin` is accepted, and one with an `Origin` only when that origin is
 *   in the node's allowed list (the page `sotto start --web` serves, and
 *   nothing for a node without it); anything else gets `403 Forbidden`
 *   before a libp2p byte is exchanged. The check is `ws`'s own
 *   `verifyClient` hook, set on the listener's server.
 * - **An 'error' listener on every inbound socket.** The transport attaches
 *   none to the `ws` WebSocket of an inbound connection, so one malformed
 *   frame from any peer (e.g. RSV bits set: RangeError
 *   WS_ERR_UNEXPECTED_RSV_2_3) is an 'error' event nobody handles, which
 *   Node turns into an uncaught exception that ends the process. `ws` has
 *   already closed the socket when it emits the error, so logging it is all
 *   that is left to do.
 *
 * In a browser the transport only dials; it never creates a listener.
 */
import type { Transport } from '@libp2p/interface';
import { logger } from '@libp2p/logger';
import { webSockets, type WebSocketsComponents } from '@libp2p/websockets';
import { LOG_PREFIX } from '../constants.ts';
import { WebSocketOriginCheckUnavailableError } from '../errors.ts';

const log = logger(`${LOG_PREFIX}:websockets`);

/** HTTP status of a refused WebSocket upgrade. */
const FORBIDDEN = 403;

/** The bits of a `ws` WebSocket and WebSocketServer used below. */
interface WsSocket {
  on(event: 'error', listener: (err: Error) => void): unknown;
}
type UpgradeCallback = (socket: WsSocket, ...rest: unknown[]) => void;
interface VerifyInfo {
  readonly origin?: string;
}
type VerifyClient = (info: VerifyInfo, done: (verified: boolean, code?: number) => void) => void;
interface WsServer {
  handleUpgrade(req: unknown, socket: unknown, head: unknown, callback: UpgradeCallback): void;
  options?: { verifyClient?: VerifyClient | null };
}

/**
 * The serialized origin (`scheme://host[:port]`, as a browser sends it) of
 * `origin`, or undefined when it is not an http(s) origin (e.g. the opaque
 * `null` of a sandboxed frame or a file).
 */
export function normaliseOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether a WebSocket upgrade whose `Origin` header is `origin` (undefined:
 * no header) may proceed: always without the header, otherwise only when it
 * names one of `allowed` exactly (after normalising both).
 */
export function webSocketOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const asked = normaliseOrigin(origin);
  return asked !== undefined && allowed.some((a) => normaliseOrigin(a) === asked);
}

/**
 * @libp2p/websockets with the Origin check and the socket error listener
 * described above. `allowedOrigins` is asked at each upgrade, so a page
 * server that starts after the node can still add its origin. Creating a
 * listener throws {@link WebSocketOriginCheckUnavailableError} when the
 * check cannot be installed: a node never listens without it.
 */
export function sottoWebSockets(allowedOrigins: () => readonly string[]): (components: WebSocketsComponents) => Transport {
  const factory = webSockets();
  return (components) => {
    const transport = factory(components);
    const createListener = transport.createListener.bind(transport);
    transport.createListener = (options) => {
      const listener = createListener(options);
      const server = (listener as unknown as { wsServer?: WsServer }).wsServer;
      if (server === undefined || typeof server.handleUpgrade !== 'function' || typeof server.options !== 'object' || server.options === null || !('verifyClient' in server.options)) {
        throw new WebSocketOriginCheckUnavailableError();
      }
      server.options.verifyClient = (info, done) => {
        const allowed = webSocketOriginAllowed(info.origin, allowedOrigins());
        if (!allowed) log('refused a WebSocket upgrade from a page of another origin');
        done(allowed, FORBIDDEN);
      };
      const handleUpgrade = server.handleUpgrade.bind(server);
      server.handleUpgrade = (req, socket, head, callback) => {
        handleUpgrade(req, socket, head, (ws, ...rest) => {
          ws.on('error', (err) => log('inbound WebSocket refused: %s: %s', err.name, err.message));
          callback(ws, ...rest);
        });
      };
      return listener;
    };
    return transport;
  };
}

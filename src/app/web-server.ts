/**
 * `sotto start --web`: serves the built browser app (dist/web, `npm run
 * build:web`) on 127.0.0.1 and, at /config.json, where the page finds this
 * node: its WebSocket addresses, which the page dials and reserves a relay
 * slot on, and the STUN servers the page's WebRTC may ask (this node's
 * relays' responders: never a public one). Only this machine can load the
 * page; only the files of the built app and the config are served, read
 * once at start.
 *
 * Requests must name this server as Host exactly `127.0.0.1:PORT`, the only
 * address it binds; anything else gets 421:
 * - a page of another site that rebinds its DNS name to 127.0.0.1 cannot
 *   read the config from its own origin;
 * - `localhost:PORT` is refused too. The server binds 127.0.0.1 only, so
 *   another user of this machine can serve [::1]:PORT, where browsers may
 *   send `http://localhost:PORT`: had the page ever run under that origin,
 *   that server would reach its IndexedDB. The page lives under one origin,
 *   `http://127.0.0.1:PORT`, which nobody else can serve while the node does.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { multiaddr } from '@multiformats/multiaddr';
import { SottoError } from '../crypto/errors.ts';
import { relayStunUrls } from '../node/transport/ice-servers.ts';
import { WEB_CONFIG_VERSION, WEB_DEFAULT_PORT, WEB_HOST, WEB_MAX_FILE_BYTES, WEB_MAX_RELAYS } from '../node/constants.ts';

/** Highest TCP port number. */
const MAX_PORT = 65_535;

/** What the page reads at /config.json. */
export interface WebConfig {
  readonly version: typeof WEB_CONFIG_VERSION;
  /** WebSocket multiaddrs of the node (with /p2p/<id>): the page's bootstrap peers and relays. */
  readonly relays: readonly string[];
  /**
   * `stun:IP:PORT` URLs of the relays this node holds a slot on (their STUN
   * responders), at most ICE_MAX_STUN_SERVERS: the only STUN servers the
   * page's WebRTC asks. Empty when the node holds none.
   */
  readonly stun: readonly string[];
}

/** The browser app has not been built (dist/web/index.html is missing). */
export class WebAppNotBuiltError extends SottoError {
  override readonly name = 'WebAppNotBuiltError';
  constructor(readonly searched: readonly string[]) {
    super(`the browser app is not built (looked in ${searched.join(', ')})`);
  }
}

/** The node has no WebSocket address, so a page could not reach it. */
export class NoWebSocketAddressError extends SottoError {
  override readonly name = 'NoWebSocketAddressError';
  constructor() {
    super('--web needs the node to listen on a WebSocket address (…/tcp/PORT/ws), which browsers dial');
  }
}

/**
 * `--web` with `--swarm-key`: the page has no way to hold the network's
 * pre-shared key, so it could not connect to this node (docs/WEB.md).
 */
export class WebPrivateNetworkError extends SottoError {
  override readonly name = 'WebPrivateNetworkError';
  constructor() {
    super('--web cannot be used with --swarm-key: browser peers cannot join a private (pnet) network');
  }
}

/** `--web PORT` is not a port number. */
export class InvalidWebPortError extends SottoError {
  override readonly name = 'InvalidWebPortError';
  constructor(readonly value: string) {
    super(`--web takes a port number from 0 to 65535, not ${JSON.stringify(value)}`);
  }
}

/** The port of `--web` (true: WEB_DEFAULT_PORT). Throws InvalidWebPortError. */
export function parseWebPort(value: boolean | string): number {
  if (value === true) return WEB_DEFAULT_PORT;
  const text = String(value);
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= MAX_PORT)) throw new InvalidWebPortError(text);
  return port;
}

/** The web port is taken or not allowed. */
export class WebPortUnavailableError extends SottoError {
  override readonly name = 'WebPortUnavailableError';
  constructor(readonly port: number, readonly code: string) {
    super(`cannot serve the browser app on ${WEB_HOST}:${port} (${code})`);
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/**
 * No inline script, no third-party anything. `ws:` is for the node's
 * WebSocket (another port, so not 'self'); WebRTC is not governed by CSP.
 * The QR code is an SVG data: image; a received picture's preview a blob:
 * URL made by the page from bytes it checked (./web/file-kinds.ts); 'wasm-unsafe-eval' lets libp2p's
 * Noise compile its WebAssembly (no string is ever evaluated as script).
 */
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** Where the built app may be: beside the bundled CLI (dist/web) or two levels up from src/app. */
function appCandidates(): string[] {
  return [fileURLToPath(new URL('./web/', import.meta.url)), fileURLToPath(new URL('../../dist/web/', import.meta.url))];
}

/**
 * The folder of the built app: an index.html beside an assets/ folder (the
 * sources in src/app/web have the one but not the other). Throws
 * WebAppNotBuiltError.
 */
export function builtAppDir(candidates: readonly string[] = appCandidates()): string {
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets')));
  if (!found) throw new WebAppNotBuiltError(candidates);
  return found;
}

/** The node's WebSocket addresses a page on this machine should dial, loopback first. */
export function relayAddressesForPage(addresses: readonly string[]): string[] {
  const ws = addresses.filter((a) => {
    try {
      return multiaddr(a).getComponents().some((c) => c.name === 'ws');
    } catch {
      return false;
    }
  });
  const loopback = ws.filter((a) => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/'));
  return (loopback.length > 0 ? loopback : ws).slice(0, WEB_MAX_RELAYS);
}

/** What /config.json says for a node with `addresses`. */
export function pageConfig(addresses: readonly string[]): WebConfig {
  const parsed = addresses.flatMap((a) => {
    try {
      return [multiaddr(a)];
    } catch {
      return [];
    }
  });
  return { version: WEB_CONFIG_VERSION, relays: relayAddressesForPage(addresses), stun: relayStunUrls(parsed) };
}

async function loadFiles(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await stat(path)).size > WEB_MAX_FILE_BYTES) continue;
    files.set(`/${relative(root, path).split(sep).join('/')}`, await readFile(path));
  }
  return files;
}

/** A running app server. */
export interface WebServer {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The page's origin, `http://127.0.0.1:PORT`: the one web origin the node lets open a WebSocket to it. */
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Options of {@link startWebServer}. */
export interface WebServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** The node's current addresses (the config is computed per request: relay reservations change them). */
  readonly addresses: () => readonly string[];
  /** The built app (default: {@link builtAppDir}). */
  readonly root?: string;
}

/**
 * Serves the app and its config on 127.0.0.1:`port`. Throws
 * WebAppNotBuiltError, NoWebSocketAddressError, WebPortUnavailableError.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  if (relayAddressesForPage(options.addresses()).length === 0) throw new NoWebSocketAddressError();
  const files = await loadFiles(options.root ?? builtAppDir());
  let allowedHost = '';
  let url = '';
  const server: Server = createServer((req, res) => serve(req, res));
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const headers: Record<string, string> = {
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    if (req.headers.host !== allowedHost) {
      res.writeHead(421, { ...headers, 'Content-Type': 'text/plain' }).end(`misdirected request: the page is at ${url}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/config.json') {
      const config = pageConfig(options.addresses());
      res.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES['.json']!, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : JSON.stringify(config));
      return;
    }
    const name = path === '/' ? '/index.html' : path;
    const body = files.get(name);
    if (!body) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    // Vite names assets by content hash: they never change under one name.
    const cache = name.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream', 'Cache-Control': cache, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new WebPortUnavailableError(options.port, err.code ?? 'error')));
    server.listen(options.port, WEB_HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  allowedHost = `${WEB_HOST}:${port}`;
  url = `http://${allowedHost}/`;
  return {
    url,
    origin: `http://${allowedHost}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

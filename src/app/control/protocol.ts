/**
 * The local control protocol between `sotto` commands and the node running
 * on the same home: one JSON request per connection over a Unix socket in the
 * home folder (mode 0600 in a 0700 folder: only this user can open it), one
 * JSON response, each a single line.
 *
 *   request  {"method": "send", "params": [...]}
 *   response {"result": ...} | {"error": {"name": ..., "message": ..., "data": {...}}}
 */
import { SottoError } from '../../crypto/errors.ts';
import type { SottoApi } from '../api.ts';
import type { NodeControlApi } from './node-control.ts';

/** What the node serves: the commands' SottoApi and its own NodeControlApi (status, shutdown). */
export type ControlApi = SottoApi & NodeControlApi;

/** The methods a client may call: those of ControlApi. */
export const CONTROL_METHODS = [
  'id',
  'addContact',
  'listContacts',
  'send',
  'history',
  'invite',
  'addInvite',
  'safetyNumber',
  'setVerified',
  'listRequests',
  'requestHistory',
  'acceptRequest',
  'blockPeer',
  'deleteRequest',
  'deleteMessages',
  'groupCreate',
  'groupAdd',
  'groupRemove',
  'groupLeave',
  'groupList',
  'groupSend',
  'groupHistory',
  'groupConversations',
  'groupInvitations',
  'groupAcceptInvitation',
  'groupDeclineInvitation',
  'sendFile',
  'groupSendFile',
  'saveFile',
  'status',
  'shutdown',
] as const satisfies readonly (keyof ControlApi)[];
export type ControlMethod = (typeof CONTROL_METHODS)[number];

/** Largest request or response line, in bytes. A history can be long; messages are at most 60 KiB each. */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024 * 1024;
/** How long a client waits for the node to answer (a send may wait for delivery first). */
export const CONTROL_TIMEOUT_MS = 60_000;

/** An error as it crosses the socket: its name, message and data fields. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** An error raised in the node, re-thrown in the client under the same name. */
export class RemoteError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The wire form of any thrown value. */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) if (['string', 'number', 'boolean'].includes(typeof value)) data[key] = value;
  return { name: err.name, message: err.message, data };
}

/** A request line that is not a JSON object naming a known method with a params array. */
export class ControlProtocolError extends SottoError {
  override readonly name = 'ControlProtocolError';
  constructor(readonly reason: 'not-json' | 'not-object' | 'unknown-method' | 'params') {
    super(reason === 'not-json' ? 'the request is not JSON' : reason === 'not-object' ? 'the request is not a JSON object' : reason === 'unknown-method' ? 'unknown method' : 'params must be an array');
  }
}

/** A parsed request: a method of CONTROL_METHODS and its arguments. */
export interface ControlRequest {
  readonly method: ControlMethod;
  readonly params: readonly unknown[];
}

/**
 * Parses one request line. Throws ControlProtocolError (and nothing else)
 * for anything but {"method": <a CONTROL_METHODS name>, "params": [...]}.
 */
export function parseControlRequest(line: string): ControlRequest {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    throw new ControlProtocolError('not-json');
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new ControlProtocolError('not-object');
  const { method, params } = request as { method?: unknown; params?: unknown };
  if (typeof method !== 'string' || !(CONTROL_METHODS as readonly string[]).includes(method)) throw new ControlProtocolError('unknown-method');
  if (!Array.isArray(params)) throw new ControlProtocolError('params');
  return { method: method as ControlMethod, params };
}

/**
 * The commands' side of the control socket (see ./protocol.ts): a SottoApi
 * whose every call is one request to the node running on the home.
 */
import { connect } from 'node:net';
import type { SottoApi } from '../api.ts';
import { CONTROL_TIMEOUT_MS, MAX_CONTROL_LINE_BYTES, RemoteError, type ControlMethod, type WireError } from './protocol.ts';

function call(path: string, method: ControlMethod, params: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    const timer = setTimeout(() => socket.destroy(new Error('the node did not answer in time')), CONTROL_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify({ method, params }) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_CONTROL_LINE_BYTES) socket.destroy(new Error('the node sent too much'));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const response = JSON.parse(buffer) as { result?: unknown; error?: WireError };
        if (response.error) reject(new RemoteError(response.error.name, response.error.message, response.error.data));
        else resolve(response.result);
      } catch {
        reject(new Error('the node sent a malformed answer'));
      }
    });
  });
}

/**
 * One request to the node at the control socket `path`: resolves to its
 * result; rejects with the node's error (a RemoteError of the same name), or
 * a socket error when no node answers.
 */
export const callNode = call;

/** True when a node answers on the control socket at `path`. */
export async function nodeIsRunning(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    // No socket file, or one left by a node that is gone: nothing answers.
    socket.on('error', () => resolve(false));
  });
}

/** The API of the node running at `path`: each method is one request with its arguments as params. */
export function controlClient(path: string): SottoApi {
  const remote = <K extends keyof SottoApi>(method: K): SottoApi[K] => ((...params: unknown[]) => call(path, method, params)) as SottoApi[K];
  return {
    id: remote('id'),
    addContact: remote('addContact'),
    listContacts: remote('listContacts'),
    send: remote('send'),
    history: remote('history'),
    invite: remote('invite'),
    addInvite: remote('addInvite'),
    safetyNumber: remote('safetyNumber'),
    setVerified: remote('setVerified'),
    listRequests: remote('listRequests'),
    requestHistory: remote('requestHistory'),
    acceptRequest: remote('acceptRequest'),
    blockPeer: remote('blockPeer'),
    deleteRequest: remote('deleteRequest'),
    deleteMessages: remote('deleteMessages'),
    groupCreate: remote('groupCreate'),
    groupAdd: remote('groupAdd'),
    groupRemove: remote('groupRemove'),
    groupLeave: remote('groupLeave'),
    groupList: remote('groupList'),
    groupSend: remote('groupSend'),
    sendFile: remote('sendFile'),
    groupSendFile: remote('groupSendFile'),
    saveFile: remote('saveFile'),
    groupHistory: remote('groupHistory'),
    groupConversations: remote('groupConversations'),
    groupInvitations: remote('groupInvitations'),
    groupAcceptInvitation: remote('groupAcceptInvitation'),
    groupDeclineInvitation: remote('groupDeclineInvitation'),
  };
}

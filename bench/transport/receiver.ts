/**
 * The receiving process of the transport benchmark, spawned by it with an
 * IPC channel: `node --import tsx bench/transport/receiver.ts <dir> [store mode]`
 * (the mode, for analysis only, is one of STORE_MODES; default 'level').
 * It opens a Sotto home in <dir> (node, messenger, level store) that also
 * serves the baseline's echo protocols, reports "ready" with its peer id and
 * addresses, then answers the benchmark's requests (./ipc.ts) until "stop".
 */
import { textsDigest } from './digest.ts';
import { openParty, STORE_MODES, type Party, type StoreMode } from './party.ts';
import { sendToParent, serveRequests } from '../rpc.ts';
import type { ReadyMessage, ReceivedCount, RequestMessage, Requests } from './ipc.ts';

const dir = process.argv[2];
const mode = (process.argv[3] ?? 'level') as StoreMode;
if (!dir || !process.send || !STORE_MODES.includes(mode)) {
  console.error(`usage: node --import tsx bench/transport/receiver.ts <dir> [${STORE_MODES.join('|')}] (spawned by the transport benchmark, with an IPC channel)`);
  process.exit(2);
}
const party = await openParty(dir, 'receiver', { serveEcho: true, store: mode });

async function received(p: Party, name: string, prefix: string): Promise<ReceivedCount> {
  const at = p.received.at.filter((_, i) => p.received.texts[i]!.startsWith(prefix));
  const stored = (await p.messenger.history(name)).filter((m) => m.direction === 'in' && m.text.startsWith(prefix)).map((m) => m.text);
  return { events: at.length, stored: stored.length, distinct: new Set(stored).size, digest: textsDigest(stored), firstAt: at[0] ?? 0, lastAt: at.at(-1) ?? 0 };
}

async function answer(request: RequestMessage): Promise<unknown> {
  switch (request.name) {
    case 'add-contact': {
      const { name, peerId } = request.args as Requests['add-contact']['args'];
      await party.messenger.addContact(name, peerId);
      return null;
    }
    case 'send': {
      const { name, text, waitMs } = request.args as Requests['send']['args'];
      return { status: (await party.messenger.send(name, text, { waitMs })).status };
    }
    case 'received': {
      const { name, prefix } = request.args as Requests['received']['args'];
      return received(party, name, prefix);
    }
    case 'store-writes': {
      const stats = party.writes?.stats() ?? null;
      if ((request.args as Requests['store-writes']['args']).reset) party.writes?.reset();
      return stats;
    }
    case 'stop':
      await party.close();
      return null;
  }
}

serveRequests(answer);
// The benchmark went away without "stop": do not linger.
process.on('disconnect', () => {
  void party.close().finally(() => process.exit(0));
});

sendToParent<ReadyMessage>({ ready: true, peerId: party.node.peerId, addresses: party.node.addresses(), pid: process.pid });

/**
 * Who may open a WebSocket to a node (src/node/transport/websocket-listener.ts):
 * real nodes on loopback and bare upgrade requests. No Origin header (another
 * node, any program) is accepted; a browser page's Origin only when the node
 * allows that origin.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { createNode, type NodeConfig, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { normaliseOrigin, webSocketOriginAllowed } from '../../src/node/transport/websocket-listener.ts';
import { testContext } from '../helpers/context.ts';
import { webSocketUpgradeStatus } from '../helpers/ws-upgrade.ts';

const PAGE = 'http://127.0.0.1:7420';
const nodes: SottoNode[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
});

async function node(label: string, config: Partial<NodeConfig> = {}): Promise<SottoNode> {
  const n = await createNode({ identity: await generateIdentity(testContext(label)), listen: ['/ip4/127.0.0.1/tcp/0/ws'], bootstrap: [], ...config });
  nodes.push(n);
  return n;
}

test('a WebSocket upgrade from another origin is refused with 403; the page origin and no origin get through', async () => {
  const n = await node('ws-origin-page', { webSocketOrigins: () => [PAGE] });
  const address = n.addresses()[0]!;
  assert.equal(await webSocketUpgradeStatus(address, 'http://evil.example'), 403);
  assert.equal(await webSocketUpgradeStatus(address, 'http://localhost:7420'), 403, 'the same port under another host name is another origin');
  assert.equal(await webSocketUpgradeStatus(address, 'http://127.0.0.1:7421'), 403);
  assert.equal(await webSocketUpgradeStatus(address, 'null'), 403, 'a sandboxed frame or a file');
  assert.equal(await webSocketUpgradeStatus(address, PAGE), 101);
  assert.equal(await webSocketUpgradeStatus(address, undefined), 101);
});

test('a node without allowed origins refuses every page; another node still connects over WebSockets', async () => {
  const n = await node('ws-origin-none');
  const address = n.addresses()[0]!;
  assert.equal(await webSocketUpgradeStatus(address, PAGE), 403);
  assert.equal(await webSocketUpgradeStatus(address, undefined), 101);
  const other = await node('ws-origin-dialler', { listen: [] });
  assert.equal(await other.connect(address), n.peerId);
});

test('the allowed list is asked at each upgrade: an origin added after start is accepted from then on', async () => {
  const allowed: string[] = [];
  const n = await node('ws-origin-late', { webSocketOrigins: () => allowed });
  const address = n.addresses()[0]!;
  assert.equal(await webSocketUpgradeStatus(address, PAGE), 403);
  allowed.push(PAGE);
  assert.equal(await webSocketUpgradeStatus(address, PAGE), 101);
});

test('webSocketOriginAllowed compares serialized origins exactly', () => {
  assert.equal(normaliseOrigin('HTTP://127.0.0.1:7420'), PAGE);
  assert.equal(normaliseOrigin('http://127.0.0.1:80'), 'http://127.0.0.1');
  assert.equal(normaliseOrigin('null'), undefined);
  assert.equal(normaliseOrigin('file:///tmp/x.html'), undefined);
  assert.equal(webSocketOriginAllowed(undefined, []), true);
  assert.equal(webSocketOriginAllowed(PAGE, [PAGE]), true);
  assert.equal(webSocketOriginAllowed(`${PAGE}/`, [PAGE]), true);
  assert.equal(webSocketOriginAllowed('https://127.0.0.1:7420', [PAGE]), false);
  assert.equal(webSocketOriginAllowed('', [PAGE]), false);
  assert.equal(webSocketOriginAllowed(PAGE, []), false);
});

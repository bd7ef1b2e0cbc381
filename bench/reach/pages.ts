/**
 * The pages' part of `npm run bench -- reach`: browser pages (the built
 * page, dist/web, in headless Chromium) and the peers they talk to, inside
 * network namespaces of the benchmark's own (nothing leaves the machine),
 * side by side:
 *
 * - page↔page: two pages of one node (`sotto start --relay --mailbox
 *   --web`), in a namespace with a default route, where WebRTC works;
 * - page↔desktop: a page and a second desktop node (`sotto start
 *   --bootstrap` the page's node), not the one that served the page;
 * - page↔page, no route: two pages in a namespace without a default route,
 *   where Chromium gathers no ICE candidates: through the node's relay.
 *
 * Each trial starts from fresh peers: new page profiles (and, for
 * page↔desktop, the same desktop node adding the new page). The second
 * peer adds the first one's invite; then, timed in the first page, it adds
 * the second's invite and at once sends the first message: the first
 * connection is timed from the click on "Add", each delivery from the Enter
 * to the message showing "delivered" (it arrived, and its receipt came
 * back). Every state each message showed is watched: a message that
 * showed "stored" went through a mailbox. The trial is direct when the
 * contact's connection in the first page is WebRTC or direct once settled
 * (bench/reach.ts, REACH_SETTLE_MS). For page↔desktop both sides dial a
 * relayed connection (the desktop node when it adds the page, the page
 * when it sends) and both may try WebRTC; at load averages of 12–18 the
 * pair was still relayed at the last delivery of a quick trial and went
 * direct 5.0 and 5.6 s later (the page's attempt; the desktop node's
 * timed out), which a read at the last delivery counted as relayed.
 *
 * The namespaces, the nodes and the pages are made with the browser tests'
 * helpers (test/helpers/browser.ts), so the benchmark measures what the
 * tests check. Needs root (namespaces) and Chromium; without them the part
 * says so and measures nothing.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { sotto, tempHome } from '../../test/helpers/cli.ts';
import {
  addContact,
  canRunBrowsers,
  createRoutedNamespace,
  ensureWebAppBuilt,
  inviteWhere,
  launchChromium,
  openProfile,
  reachableInvite,
  startNodeIn,
  type NamespacedNode,
} from '../../test/helpers/browser.ts';
import { createNamespace } from '../../test/helpers/terminal.ts';
import type { BenchFlags } from '../flags.ts';
import { REACH_SETTLE_MS, type ReachCase } from '../reach.ts';

/** How much to do. */
export interface PagesPlan {
  /** Trials per pair, each on fresh peers. */
  readonly trials: number;
  /** Messages per trial, the first sent right after adding the contact. */
  readonly messages: number;
}

/** The benchmark's case. */
export const FULL_PLAN: PagesPlan = { trials: 5, messages: 20 };
/** The smoke run (`--quick`): every pair, one trial, a few messages. */
export const QUICK_PLAN: PagesPlan = { trials: 1, messages: 3 };

/** Longest wait for one delivery or first connection before the trial fails (ms): past a page's mail fetch (a minute). */
const STEP_TIMEOUT_MS = 90_000;
const DESK_ARGS = ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--relay', '--mailbox', '--web'];
const VIEWPORT = { width: 1000, height: 700 };
/** Connection kinds (the contact's data-connection) that do not go through a relay. */
const DIRECT_KINDS = new Set(['webrtc', 'direct']);

/** What one timed message reported from the page. */
interface Sent {
  /** From the send (or, with an invite, the click on "Add") to "delivered". */
  readonly deliveredMs: number;
  /** From the click on "Add" to the first connection (with an invite). */
  readonly connectedMs: number | null;
  readonly stored: boolean;
}

/**
 * Page script: optionally adds the contact `name` from `invite` (the "Add"
 * click starts the clock), then sends `text` to `name` with Enter and
 * resolves once it shows "delivered", with what it saw on the way.
 */
function sendScript(name: string, text: string, invite?: string): string {
  return `(() => new Promise((resolve, reject) => {
    const name = ${JSON.stringify(name)};
    const text = ${JSON.stringify(text)};
    const invite = ${JSON.stringify(invite ?? null)};
    const byId = (id) => document.querySelector('[data-testid="' + id + '"]');
    const contact = () => document.querySelector('[data-testid="contact"][data-name=' + JSON.stringify(name) + ']');
    let t0 = performance.now();
    let connectedAt = null;
    let sent = false;
    let stored = false;
    const check = () => {
      const c = contact();
      if (connectedAt === null && c && c.dataset.connection !== 'none') connectedAt = performance.now();
      if (!sent && c && byId('chat-title').textContent.startsWith(name) && !byId('composer').disabled) {
        sent = true;
        const composer = byId('composer');
        composer.value = text;
        composer.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      }
      for (const m of document.querySelectorAll('[data-testid="message"]')) {
        if (m.querySelector('[data-testid="message-text"]')?.textContent !== text) continue;
        const state = m.querySelector('[data-testid="message-state"]')?.textContent ?? '';
        if (/stored/.test(state)) stored = true;
        if (!/delivered|read/.test(state)) continue;
        observer.disconnect();
        clearTimeout(timer);
        resolve({ deliveredMs: performance.now() - t0, connectedMs: invite === null || connectedAt === null ? null : connectedAt - t0, stored });
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error('not delivered in time: ' + text)); }, ${STEP_TIMEOUT_MS});
    if (invite !== null) {
      byId('add-contact-invite').value = invite;
      byId('add-contact-name').value = name;
      t0 = performance.now();
      byId('add-contact-submit').click();
    }
    check();
  }))()`;
}

/**
 * Page script: resolves with the contact `name`'s connection kind once it
 * is one of `direct` (as soon as it is), or REACH_SETTLE_MS from now.
 */
function settledScript(name: string, direct: readonly string[]): string {
  return `(() => new Promise((resolve) => {
    const name = ${JSON.stringify(name)};
    const direct = ${JSON.stringify(direct)};
    const kind = () => document.querySelector('[data-testid="contact"][data-name=' + JSON.stringify(name) + ']')?.dataset.connection ?? 'none';
    const done = () => { observer.disconnect(); clearTimeout(timer); resolve(kind()); };
    const observer = new MutationObserver(() => { if (direct.includes(kind())) done(); });
    const timer = setTimeout(done, ${REACH_SETTLE_MS});
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    if (direct.includes(kind())) done();
  }))()`;
}

/** A namespace with the page's node in it and Chromium; `bee`, a second desktop node, when asked for. */
interface World {
  readonly web: string;
  readonly newContext: () => Promise<BrowserContext>;
  readonly bee?: { readonly home: string; readonly invite: string };
}

async function makeWorld(label: string, routed: boolean, withBee: boolean, cleanup: (() => Promise<void>)[]): Promise<World> {
  const name = `sotto-bench-${label}-${process.pid}`;
  const ns = routed ? await createRoutedNamespace(name) : await createNamespace(name);
  cleanup.unshift(() => ns.remove());
  const deskHome = await tempHome(`bench-${label}-desk`, cleanup);
  await sotto(deskHome, ['init', '--name', 'desk', '--no-passphrase']);
  const desk = await startNodeIn(ns.name, deskHome, DESK_ARGS);
  cleanup.unshift(async () => void (await desk.stop()));
  let bee: World['bee'];
  if (withBee) {
    const beeHome = await tempHome(`bench-${label}-bee`, cleanup);
    await sotto(beeHome, ['init', '--name', 'bee', '--no-passphrase']);
    const node: NamespacedNode = await startNodeIn(ns.name, beeHome, ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--bootstrap', desk.addresses.find((a) => !a.includes('/ws/'))!]);
    cleanup.unshift(async () => void (await node.stop()));
    bee = { home: beeHome, invite: await beeInvite(beeHome) };
  }
  const chromium = await launchChromium(ns.name);
  cleanup.unshift(chromium.close);
  return { web: desk.web!, newContext: () => chromium.browser.newContext({ viewport: VIEWPORT }), ...(bee ? { bee } : {}) };
}

/** The second desktop node's invite once it carries its WebRTC address through the page's node. */
async function beeInvite(home: string): Promise<string> {
  const end = performance.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const status = JSON.parse((await sotto(home, ['status', '--json'])).stdout) as { addresses: string[] };
    if (status.addresses.some((a) => a.includes('/p2p-circuit/webrtc'))) return (JSON.parse((await sotto(home, ['invite', '--json'])).stdout) as { invite: string }).invite;
    if (performance.now() > end) throw new Error(`the second desktop node has no WebRTC address: ${status.addresses.join(' ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The page's invite once it can be dialled: a relayed WebRTC address, or (without WebRTC) any. */
function dialableInvite(page: Page, routed: boolean): Promise<string> {
  return routed ? reachableInvite(page) : inviteWhere(page, (addresses) => addresses.length > 0, 'an address');
}

/** Sends `plan.messages` from `page` to `name` (adding it from `invite` first) and adds what it saw to `into`. */
async function timedTrial(page: Page, name: string, invite: string, trial: number, plan: PagesPlan, into: Samples): Promise<void> {
  for (let i = 0; i < plan.messages; i++) {
    const sent = (await page.evaluate(sendScript(name, `trial ${trial} message ${i}`, i === 0 ? invite : undefined))) as Sent;
    if (i === 0 && sent.connectedMs !== null) into.firstConnectionMs.push(sent.connectedMs);
    // A message that went through a mailbox is counted as such, not timed among the direct deliveries.
    if (sent.stored) into.viaMailbox++;
    else (i === 0 ? into.firstMessageMs : into.deliveryMs).push(sent.deliveredMs);
  }
  if (DIRECT_KINDS.has((await page.evaluate(settledScript(name, [...DIRECT_KINDS]))) as string)) into.direct++;
}

interface Samples {
  direct: number;
  viaMailbox: number;
  readonly firstConnectionMs: number[];
  readonly firstMessageMs: number[];
  readonly deliveryMs: number[];
}

const samples = (): Samples => ({ direct: 0, viaMailbox: 0, firstConnectionMs: [], firstMessageMs: [], deliveryMs: [] });

async function pagePair(world: World, routed: boolean, plan: PagesPlan, progress: (line: string) => void): Promise<Samples> {
  const into = samples();
  const [ctxA, ctxB] = [await world.newContext(), await world.newContext()];
  for (let trial = 0; trial < plan.trials; trial++) {
    progress(`  page↔page${routed ? '' : ', no route'}: trial ${trial + 1}/${plan.trials}`);
    const a = await openProfile(ctxA, world.web, `a${trial}`, { name: `a${trial}` });
    const b = await openProfile(ctxB, world.web, `b${trial}`, { name: `b${trial}` });
    const [aInvite, bInvite] = [await dialableInvite(a, routed), await dialableInvite(b, routed)];
    await addContact(b, aInvite, 'a');
    await timedTrial(a, 'b', bInvite, trial, plan, into);
    await a.close();
    await b.close();
  }
  return into;
}

async function pageDesk(world: World, plan: PagesPlan, progress: (line: string) => void): Promise<Samples> {
  const into = samples();
  const bee = world.bee!;
  const context = await world.newContext();
  for (let trial = 0; trial < plan.trials; trial++) {
    progress(`  page↔desktop: trial ${trial + 1}/${plan.trials}`);
    const page = await openProfile(context, world.web, `p${trial}`, { name: `p${trial}` });
    const added = await sotto(bee.home, ['contacts', 'add', '--invite', await reachableInvite(page)]);
    if (added.code !== 0) throw new Error(`the desktop node could not add the page: ${added.stderr}`);
    await timedTrial(page, 'bee', bee.invite, trial, plan, into);
    await page.close();
  }
  return into;
}

/** A case of the benchmark; a message that showed "stored" went through a mailbox and counts as not delivered while both were online. */
function reachCase(pair: string, directPossible: boolean, plan: PagesPlan, s: Samples): ReachCase {
  return {
    part: 'pages',
    pair,
    directPossible,
    trials: plan.trials,
    direct: s.direct,
    firstConnectionMs: s.firstConnectionMs,
    firstMessageMs: s.firstMessageMs,
    deliveryMs: s.deliveryMs,
    notDelivered: s.viaMailbox,
    note: 'delivery = from Enter on the page to "delivered" there (the message and its receipt); first connection from the click on Add',
  };
}

/** Measures the three pairs (see the file's comment). */
export async function measurePages(flags: BenchFlags): Promise<ReachCase[]> {
  if (!canRunBrowsers()) {
    flags.progress('reach pages: skipped (needs root for network namespaces, and /usr/bin/chromium)');
    return [];
  }
  await ensureWebAppBuilt();
  const plan = flags.quick ? QUICK_PLAN : FULL_PLAN;
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const routed = await makeWorld('reach', true, true, cleanup);
    const pages = await pagePair(routed, true, plan, flags.progress);
    const desk = await pageDesk(routed, plan, flags.progress);
    const unrouted = await makeWorld('noroute', false, false, cleanup);
    const relayed = await pagePair(unrouted, false, plan, flags.progress);
    // Without a default route the browser gathers no ICE candidates: no direct connection is possible.
    return [reachCase('page↔page', true, plan, pages), reachCase('page↔desktop', true, plan, desk), reachCase('page↔page, no route', false, plan, relayed)];
  } finally {
    for (const c of cleanup) await c().catch(() => {});
  }
}

/**
 * Progress feedback: the pure renderers (bars, durations, lines), the status
 * line that only shows up for work slower than a second (terminal redraws vs
 * plain log lines), and the connecting and mail watchers, on a test clock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailProgress } from '../../src/node/core/core.ts';
import { BAR_WIDTH, connectedLine, connectingLine, connectTimeoutLine, formatDuration, mailDoneLine, mailProgressLine, progressBar } from '../../src/app/progress.ts';
import { PROGRESS_DELAY_MS, PROGRESS_LOG_INTERVAL_MS, PROGRESS_REDRAW_MS, StatusLine } from '../../src/app/status-line.ts';
import { CONNECT_FEEDBACK_TIMEOUT_MS, watchConnecting, watchMail, type PeerCounts } from '../../src/app/startup-feedback.ts';
import { testClock } from '../helpers/context.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

const REDRAW = '\r\x1b[2K';

function output(tty: boolean): { write: (t: string) => void; tty: boolean; text: () => string } {
  let text = '';
  return { write: (t) => (text += t), tty, text: () => text };
}

function deps() {
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  return { clock, scheduler, now: () => clock.now() };
}

describe('progress renderers', () => {
  test('a bar fills in proportion, full only when done', () => {
    assert.equal(progressBar(0, 40), `▕${'░'.repeat(BAR_WIDTH)}▏`);
    assert.equal(progressBar(12, 40), `▕${'█'.repeat(6)}${'░'.repeat(14)}▏`);
    assert.equal(progressBar(39, 40), `▕${'█'.repeat(19)}░▏`);
    assert.equal(progressBar(40, 40), `▕${'█'.repeat(20)}▏`);
    assert.equal(progressBar(50, 40), `▕${'█'.repeat(20)}▏`, 'never overflows');
    assert.equal(progressBar(0, 0), `▕${'░'.repeat(20)}▏`, 'nothing known yet: empty');
    assert.equal(progressBar(1, 2, 4), '▕██░░▏');
    assert.throws(() => progressBar(-1, 4), RangeError);
    assert.throws(() => progressBar(1, Number.NaN), RangeError);
    assert.throws(() => progressBar(1, 2, 0), RangeError);
  });

  test('durations are short and human', () => {
    assert.equal(formatDuration(0), '0.0s');
    assert.equal(formatDuration(1_449), '1.4s');
    assert.equal(formatDuration(9_999), '9.9s');
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(185_000), '3m 05s');
    assert.equal(formatDuration(2 * 3_600_000 + 7 * 60_000), '2h 07m');
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3d 04h');
    assert.equal(formatDuration(-5), '0s');
  });

  test('the lines', () => {
    assert.equal(mailProgressLine({ fetched: 12, total: 40, more: false }), `fetching mail ▕${'█'.repeat(6)}${'░'.repeat(14)}▏ 12/40`);
    assert.equal(mailProgressLine({ fetched: 3, total: 1000, more: true }), `fetching mail ${progressBar(3, 1000)} 3/1000+`);
    assert.equal(mailDoneLine({ fetched: 40, total: 40, more: false }, 2_300), 'fetched 40 items of mail in 2.3s');
    assert.equal(mailDoneLine({ fetched: 1, total: 1, more: false }, 1_000), 'fetched 1 item of mail in 1.0s');
    assert.equal(connectingLine({ found: 2, connected: 0, elapsedMs: 3_000 }), 'connecting to the network… 2 peers found, 0 connected (3.0s)');
    assert.equal(connectedLine({ found: 2, connected: 1, elapsedMs: 1_400 }), 'connected to the network: 1 peer (1.4s)');
    assert.equal(connectTimeoutLine({ found: 1, connected: 0, elapsedMs: 30_000 }), 'no peer reached in 30s (1 peer found); still trying in the background');
  });
});

describe('status line', () => {
  test('work quicker than the delay prints nothing', async () => {
    const d = deps();
    const out = output(true);
    const line = new StatusLine(out, d);
    line.update('working');
    await d.scheduler.advance(PROGRESS_DELAY_MS - 1);
    assert.equal(line.finish('done'), false);
    assert.equal(out.text(), '');
    assert.equal(d.scheduler.pending, 0, 'no timer left behind');
  });

  test('on a terminal: drawn in place after the delay, redraws throttled, replaced by the final line', async () => {
    const d = deps();
    const out = output(true);
    const line = new StatusLine(out, d);
    line.update('a');
    await d.scheduler.advance(PROGRESS_DELAY_MS);
    assert.equal(out.text(), `${REDRAW}a`);
    line.update('b');
    line.update('c');
    assert.equal(out.text(), `${REDRAW}a`, 'too soon to redraw');
    await d.scheduler.advance(PROGRESS_REDRAW_MS);
    assert.equal(out.text(), `${REDRAW}a${REDRAW}c`, 'the latest text, once the interval is over');
    line.update('d');
    assert.equal(line.finish('done'), true);
    assert.equal(out.text(), `${REDRAW}a${REDRAW}c${REDRAW}done\n`);
    assert.equal(d.scheduler.pending, 0);
  });

  test('on a terminal, finishing without a final line erases it; the line can be used again', async () => {
    const d = deps();
    const out = output(true);
    const line = new StatusLine(out, d);
    line.update(() => `at ${d.now()}`);
    await d.scheduler.advance(PROGRESS_DELAY_MS);
    line.finish();
    const start = d.now() - PROGRESS_DELAY_MS;
    assert.equal(out.text(), `${REDRAW}at ${start + PROGRESS_DELAY_MS}${REDRAW}`, 'text computed when drawn');
    line.update('again');
    assert.equal(line.finish('quick'), false);
    assert.equal(out.text(), `${REDRAW}at ${start + PROGRESS_DELAY_MS}${REDRAW}`);
  });

  test('without a terminal: plain lines, at most one per interval, then the final line', async () => {
    const d = deps();
    const out = output(false);
    const line = new StatusLine(out, d);
    line.update('1');
    await d.scheduler.advance(PROGRESS_DELAY_MS);
    line.update('2');
    await d.scheduler.advance(PROGRESS_LOG_INTERVAL_MS);
    assert.equal(out.text(), '1\n2\n');
    line.update('3');
    line.update('4');
    line.finish('done');
    assert.equal(out.text(), '1\n2\ndone\n');
  });
});

/** Fake peer counts: `connect()` connects a peer. */
function fakePeers(found: number): PeerCounts & { connect(): void } {
  let connected = 0;
  const listeners = new Set<() => void>();
  return {
    connected: () => connected,
    known: async () => found,
    onConnect: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connect: () => {
      connected++;
      for (const l of listeners) l();
    },
  };
}

describe('watchers', () => {
  test('connecting: counts and elapsed time until the first peer, then one line saying so', async () => {
    const d = deps();
    const out = output(false);
    const peers = fakePeers(2);
    watchConnecting(peers, new StatusLine(out, d), d);
    await d.scheduler.advance(1_500);
    assert.equal(out.text(), 'connecting to the network… 2 peers found, 0 connected (1.0s)\n');
    peers.connect();
    assert.equal(out.text(), 'connecting to the network… 2 peers found, 0 connected (1.0s)\nconnected to the network: 1 peer (1.5s)\n');
    assert.equal(d.scheduler.pending, 0);
  });

  test('connecting: quick means silent; already connected means nothing to watch', async () => {
    const d = deps();
    const out = output(true);
    const peers = fakePeers(1);
    watchConnecting(peers, new StatusLine(out, d), d);
    await d.scheduler.advance(300);
    peers.connect();
    await d.scheduler.advance(5_000);
    watchConnecting(peers, new StatusLine(out, d), d);
    assert.equal(out.text(), '');
    assert.equal(d.scheduler.pending, 0);
  });

  test('connecting: gives up the line after the timeout (the node keeps trying)', async () => {
    const d = deps();
    const out = output(false);
    watchConnecting(fakePeers(0), new StatusLine(out, d), d);
    await d.scheduler.advance(CONNECT_FEEDBACK_TIMEOUT_MS);
    const lines = out.text().trim().split('\n');
    assert.equal(lines.at(-1), 'no peer reached in 30s (0 peers found); still trying in the background');
    assert.equal(lines.length, 1 + Math.ceil((CONNECT_FEEDBACK_TIMEOUT_MS - PROGRESS_DELAY_MS) / PROGRESS_LOG_INTERVAL_MS));
    assert.equal(d.scheduler.pending, 0);
  });

  test('mail: a bar while a slow fetch drains the mailboxes, then the total', async () => {
    const d = deps();
    const out = output(true);
    const listeners = new Set<(p: MailProgress) => void>();
    const source = {
      on: (_event: 'mail-progress', listener: (p: MailProgress) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const emit = (p: MailProgress): void => listeners.forEach((l) => l(p));
    const stop = watchMail(source, new StatusLine(out, d), d);
    emit({ fetched: 0, total: 40, more: true, finished: false });
    await d.scheduler.advance(PROGRESS_DELAY_MS);
    emit({ fetched: 12, total: 40, more: false, finished: false });
    await d.scheduler.advance(1_300);
    emit({ fetched: 40, total: 40, more: false, finished: true });
    assert.equal(out.text(), `${REDRAW}${mailProgressLine({ fetched: 0, total: 40, more: true })}${REDRAW}${mailProgressLine({ fetched: 12, total: 40, more: false })}${REDRAW}fetched 40 items of mail in 2.3s\n`);
    // A quick fetch later: silent.
    emit({ fetched: 0, total: 2, more: false, finished: false });
    emit({ fetched: 2, total: 2, more: false, finished: true });
    stop();
    assert.equal(listeners.size, 0);
    assert.ok(out.text().endsWith('2.3s\n'));
  });
});

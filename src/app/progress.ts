/**
 * The words and bars of Sotto's progress feedback, as pure functions from
 * counts to one line of text (no terminal codes: ./status-line.ts draws them).
 * Only counts and durations appear, never a peer's message or key.
 *
 *   fetching mail ▕████████░░░░░░░░░░░░▏ 16/40
 *   connecting to the network… 2 peers found, 0 connected (3s)
 */
import { count } from './plural.ts';

/** Cells of a progress bar. */
export const BAR_WIDTH = 20;
const FULL = '█';
const EMPTY = '░';
const LEFT = '▕';
const RIGHT = '▏';
const MS_PER_SECOND = 1000;
const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 60 * SECONDS_PER_MINUTE;
const SECONDS_PER_DAY = 24 * SECONDS_PER_HOUR;
/** Below this, durations show tenths of a second. */
const TENTHS_BELOW_MS = 10 * MS_PER_SECOND;

/**
 * A bar of `width` cells filled in proportion to `done / total` (rounded
 * down, so it is full only when done). Throws RangeError for negative
 * counts or a width below 1.
 */
export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  if (!(done >= 0) || !(total >= 0)) throw new RangeError('progressBar: counts must be non-negative numbers');
  if (!Number.isInteger(width) || width < 1) throw new RangeError('progressBar: width must be a positive integer');
  const filled = total === 0 ? 0 : Math.min(width, Math.floor((Math.min(done, total) / total) * width));
  return LEFT + FULL.repeat(filled) + EMPTY.repeat(width - filled) + RIGHT;
}

/** "1.4s", "42s", "3m 05s", "2h 07m", "3d 04h": a short human duration. */
export function formatDuration(ms: number): string {
  if (!(ms >= 0)) return '0s';
  if (ms < TENTHS_BELOW_MS) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(ms / MS_PER_SECOND);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < SECONDS_PER_MINUTE) return `${s}s`;
  if (s < SECONDS_PER_HOUR) return `${Math.floor(s / SECONDS_PER_MINUTE)}m ${pad(s % SECONDS_PER_MINUTE)}s`;
  if (s < SECONDS_PER_DAY) return `${Math.floor(s / SECONDS_PER_HOUR)}h ${pad(Math.floor((s % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE))}m`;
  return `${Math.floor(s / SECONDS_PER_DAY)}d ${pad(Math.floor((s % SECONDS_PER_DAY) / SECONDS_PER_HOUR))}h`;
}

/** Counts of a mail fetch (MailProgress without `finished`). */
export interface MailCounts {
  readonly fetched: number;
  readonly total: number;
  readonly more: boolean;
}

/** "fetching mail ▕███░░░▏ 12/40" ("40+" while a mailbox has more to send). */
export function mailProgressLine(counts: MailCounts): string {
  return `fetching mail ${progressBar(counts.fetched, counts.total)} ${counts.fetched}/${counts.total}${counts.more ? '+' : ''}`;
}

/** "fetched 40 items of mail in 2.3s". */
export function mailDoneLine(counts: MailCounts, elapsedMs: number): string {
  return `fetched ${count(counts.fetched, 'item')} of mail in ${formatDuration(elapsedMs)}`;
}

/** Counts while a node looks for its first peer. */
export interface ConnectCounts {
  /** Peers known (bootstrap peers, discovered or remembered). */
  readonly found: number;
  readonly connected: number;
  readonly elapsedMs: number;
}

/** "connecting to the network… 2 peers found, 0 connected (3.0s)". */
export function connectingLine(counts: ConnectCounts): string {
  return `connecting to the network… ${count(counts.found, 'peer')} found, ${counts.connected} connected (${formatDuration(counts.elapsedMs)})`;
}

/** "connected to the network: 1 peer (1.4s)". */
export function connectedLine(counts: ConnectCounts): string {
  return `connected to the network: ${count(counts.connected, 'peer')} (${formatDuration(counts.elapsedMs)})`;
}

/** "no peer reached in 30s (2 peers found); still trying in the background". */
export function connectTimeoutLine(counts: ConnectCounts): string {
  return `no peer reached in ${formatDuration(counts.elapsedMs)} (${count(counts.found, 'peer')} found); still trying in the background`;
}

/** "starting the node in the background… (1.2s)". */
export function startingLine(elapsedMs: number): string {
  return `starting the node in the background… (${formatDuration(elapsedMs)})`;
}

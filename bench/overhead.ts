/**
 * The `overhead` case of the crypto benchmark: wire bytes per 100-byte
 * plaintext over one long conversation, every contender driven by the same
 * script (who sends when, and which plaintexts). A message's wire bytes are
 * what the public API hands the transport: for Sotto the envelope
 * `encryptMessage` returns, for libsignal `message.serialize()`. Nothing here
 * reads an envelope's layout, so the same code measures any protocol version.
 *
 * The script ({@link overheadScript}), 2,000 messages from a fresh session
 * (Alice has just processed Bob's bundle; her first messages are PREKEY ones
 * and count like any other), in 10 cycles of 200 messages, each cycle:
 * 1. runs (100 messages): Alice sends k messages, then Bob sends k', then
 *    Alice again, …; each run length is the next draw of the run generator,
 *    1 + (byte mod 4), so 1 to 4; the run that would pass the 100th message is
 *    cut there;
 * 2. ping-pong (40 messages): strict alternation, Alice first;
 * 3. bursts (60 messages): Alice sends 20, Bob 20, Alice 20.
 * Every message is delivered at once, decrypted and checked before the next
 * is encrypted. The generators are the one of PROTOCOL §12a (ChaCha20 keyed
 * by SHA-256 of a UTF-8 label, zero nonce, one continuous stream): run lengths
 * are the bytes of `"overhead:runs"`, one per run in order; message `i`'s
 * plaintext is bytes `[100·i .. 100·i + 100)` of `"overhead:plaintexts"`.
 * The conversation takes about a second, so a rule on time ("every day") never
 * fires in it; one on message counts does.
 */
import { equalBytes } from '../src/crypto/index.ts';
import { seededRandom } from '../test/helpers/context.ts';
import type { Contender, Plaintext } from './crypto.ts';

/** Messages in the whole conversation. */
export const OVERHEAD_MESSAGES = 2_000;
/** Plaintext bytes of every message (as in the other crypto cases). */
export const OVERHEAD_PLAINTEXT_BYTES = 100;
/** The steady-state average leaves out this many first messages (the session agreement and its answer). */
export const STEADY_AFTER = 10;
/** Messages of one cycle's runs stretch. */
const RUNS_MESSAGES = 100;
/** Longest run of one side in the runs stretch (runs are 1..MAX_RUN). */
const MAX_RUN = 4;
/** Messages of one cycle's ping-pong stretch. */
const PINGPONG_MESSAGES = 40;
/** Messages in one one-sided burst. */
const BURST_MESSAGES = 20;
/** Who sends the bursts of one cycle, in order. */
const BURST_SENDERS: readonly Side[] = ['alice', 'bob', 'alice'];
const RUNS_LABEL = 'overhead:runs';
const PLAINTEXTS_LABEL = 'overhead:plaintexts';

/** A party of the conversation: Alice started it from Bob's bundle. */
export type Side = 'alice' | 'bob';
/** The kind of stretch a message belongs to. */
export type StretchKind = 'runs' | 'pingpong' | 'bursts';
/** The stretch kinds in the order of a cycle. */
export const STRETCH_KINDS: readonly StretchKind[] = ['runs', 'pingpong', 'bursts'];

/** One message of the script. */
export interface ScriptedMessage {
  readonly from: Side;
  readonly stretch: StretchKind;
  readonly plaintext: Plaintext;
}

function other(side: Side): Side {
  return side === 'alice' ? 'bob' : 'alice';
}

/** Senders of one cycle's stretches, drawing run lengths from `nextByte`. */
function cycleSenders(nextByte: () => number): { from: Side; stretch: StretchKind }[] {
  const out: { from: Side; stretch: StretchKind }[] = [];
  let side: Side = 'alice';
  while (out.length < RUNS_MESSAGES) {
    const run = Math.min(1 + (nextByte() % MAX_RUN), RUNS_MESSAGES - out.length);
    for (let i = 0; i < run; i++) out.push({ from: side, stretch: 'runs' });
    side = other(side);
  }
  for (let i = 0; i < PINGPONG_MESSAGES; i++) out.push({ from: i % 2 === 0 ? 'alice' : 'bob', stretch: 'pingpong' });
  for (const from of BURST_SENDERS) for (let i = 0; i < BURST_MESSAGES; i++) out.push({ from, stretch: 'bursts' });
  return out;
}

/**
 * The conversation script described in this file's header: `messages`
 * messages (the cycles repeat and the last one is cut there). Deterministic:
 * every call returns the same script. Throws RangeError unless `messages` is
 * a positive integer.
 */
export function overheadScript(messages: number = OVERHEAD_MESSAGES): ScriptedMessage[] {
  if (!Number.isInteger(messages) || messages < 1) throw new RangeError('overheadScript: messages must be a positive integer');
  // PROTOCOL §12a's generator: the ChaCha20 keystream keyed by SHA-256 of the label.
  const runs = seededRandom(RUNS_LABEL);
  const plaintexts = seededRandom(PLAINTEXTS_LABEL);
  const nextByte = (): number => runs(1)[0]!;
  const script: ScriptedMessage[] = [];
  while (script.length < messages) {
    for (const { from, stretch } of cycleSenders(nextByte)) {
      if (script.length === messages) break;
      script.push({ from, stretch, plaintext: new Uint8Array(plaintexts(OVERHEAD_PLAINTEXT_BYTES)) });
    }
  }
  return script;
}

/** What one contender's wire messages measured over the script. */
export interface OverheadFigures {
  /** Messages sent (the script's length). */
  readonly messages: number;
  /** Messages whose decrypted plaintext matched the one sent. */
  readonly decrypted: number;
  /** Average wire bytes per message, over every message. */
  readonly average: number;
  /** Average wire bytes per message after the first {@link STEADY_AFTER}. */
  readonly steady: number;
  readonly min: number;
  readonly max: number;
  /** Wire bytes of the first message (the session agreement). */
  readonly first: number;
  /** Messages that still carried the session-agreement header (PREKEY / PreKeySignalMessage). */
  readonly prekeyMessages: number;
  /** Average wire bytes per message in each kind of stretch the steady part holds. */
  readonly byStretch: Readonly<Partial<Record<StretchKind, number>>>;
}

function average(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * Runs `script` on a fresh conversation of `contender`, checking every
 * decrypted plaintext, and returns the sizes of its wire messages. Throws when
 * a message decrypts to anything but what was sent (the figures would mean
 * nothing), or when the script is not longer than {@link STEADY_AFTER}.
 */
export async function measureOverhead(contender: Contender, script: readonly ScriptedMessage[]): Promise<OverheadFigures> {
  if (script.length <= STEADY_AFTER) throw new RangeError(`measureOverhead: the script needs more than ${STEADY_AFTER} messages`);
  const conversation = await contender.startConversation();
  const sizes: number[] = [];
  let decrypted = 0;
  let prekeyMessages = 0;
  for (const [i, message] of script.entries()) {
    const send = message.from === 'alice' ? conversation.aToB : conversation.bToA;
    const received = await send(message.plaintext);
    if (!equalBytes(received, message.plaintext)) throw new Error(`${contender.label} overhead: message ${i} decrypted to something else`);
    decrypted++;
    const last = conversation.lastMessage();
    sizes.push(last.bytes);
    if (last.prekey) prekeyMessages++;
  }
  const byStretch: Partial<Record<StretchKind, number>> = {};
  for (const kind of STRETCH_KINDS) {
    const steady = sizes.filter((_, i) => i >= STEADY_AFTER && script[i]!.stretch === kind);
    if (steady.length > 0) byStretch[kind] = average(steady);
  }
  return {
    messages: script.length,
    decrypted,
    average: average(sizes),
    steady: average(sizes.slice(STEADY_AFTER)),
    min: Math.min(...sizes),
    max: Math.max(...sizes),
    first: sizes[0]!,
    prekeyMessages,
    byStretch,
  };
}

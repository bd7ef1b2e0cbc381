/**
 * `npm run bench -- crypto [--json] [--quick]`: Sotto's crypto core against
 * @signalapp/libsignal-client doing the same work, side by side, on one
 * thread. Each message is one encrypt plus one decrypt of a random 100-byte
 * plaintext, checked against what was sent. Both sides keep their session
 * records (and, for setup, prekeys) only as bytes and decode / encode them
 * around every call, as libsignal's store interface forces it to.
 *
 * Cases: burst (A→B only, after one round trip), ping-pong (strict
 * alternation: a DH ratchet step per message), setup (fresh prekeys, bundle,
 * first message). A second Sotto contender with the pure-JS noblePrimitives
 * (the browser path) is reported for ping-pong and setup, for information.
 *
 * overhead (bytes/msg, not timed): the average wire bytes per 100-byte
 * message over one scripted 2,000-message conversation, PREKEY messages
 * included (the script is in ./overhead.ts). Its JSON line adds `ratio`
 * (Sotto / libsignal; the target is met when ratio ≤ `target`, i.e. Sotto's
 * messages are no larger), `sottoSteady` / `libsignalSteady` (the average
 * after the first 10 messages), the min and max message size of each side,
 * `messages` and how many each side decrypted. `--quick` runs the whole
 * script too: its figures do not depend on timing, and it takes about a
 * second.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import {
  createPrekeyState,
  decodeEnvelope,
  decodePrekeyState,
  decodeSessionRecord,
  decryptMessage,
  encodePrekeyState,
  encodeSessionRecord,
  encryptMessage,
  equalBytes,
  generateIdentity,
  issueBundle,
  noblePrimitives,
  startSession,
  type Bytes,
  type CryptoContext,
  type IdentityKeyPair,
  type PrekeyBundle,
  type PrekeyState,
  type Primitives,
  type SessionRecord,
} from '../src/crypto/index.ts';
import { nodeRandomBytes } from '../src/crypto/primitives/node.ts';
import { loadNodePrimitives } from '../src/crypto/primitives/node-best.ts';
import { parseBenchFlags } from './flags.ts';
import { createLibsignalContender } from './libsignal.ts';
import { measureOverhead, OVERHEAD_MESSAGES, overheadScript, STEADY_AFTER, STRETCH_KINDS, type OverheadFigures } from './overhead.ts';
import { DEFAULT_PLAN, measureInterleaved, msPerOp, QUICK_PLAN, roundTo, textTable, type Measurement, type Operation, type TimingPlan } from './stats.ts';

/** Plaintext bytes as libsignal's API wants them (backed by an ArrayBuffer). */
export type Plaintext = Uint8Array<ArrayBuffer>;

/** The last message of a conversation as it went over the wire. */
export interface LastMessage {
  readonly bytes: number;
  /** True for a message that still carries the session-agreement header (PREKEY / PreKeySignalMessage). */
  readonly prekey: boolean;
}

/** An established two-party session, driven the same way for every implementation. */
export interface Conversation {
  /** A encrypts for B, B decrypts; resolves to what B decrypted. */
  aToB(plaintext: Plaintext): Promise<Uint8Array>;
  /** B encrypts for A, A decrypts; resolves to what A decrypted. */
  bToA(plaintext: Plaintext): Promise<Uint8Array>;
  lastMessage(): LastMessage;
  /** Bytes of A's stored session record with B. */
  recordBytes(): number;
}

/** One implementation under test. Identity keys are made once, when it is created. */
export interface Contender {
  readonly label: string;
  /** Alice has processed a fresh bundle of Bob's; nothing has been sent yet. */
  startConversation(): Promise<Conversation>;
  /**
   * One whole session setup: Bob creates fresh prekeys (signed, ML-KEM, one
   * one-time; Sotto also one one-time ML-KEM) and publishes them, Alice starts a session from the bundle and
   * encrypts `plaintext`, Bob decrypts it. Resolves to what Bob decrypted.
   */
  setup(plaintext: Plaintext): Promise<Uint8Array>;
}

const PLAINTEXT_BYTES = 100;
/** Distinct random plaintexts, used in turn (both contenders see the same ones). */
const PLAINTEXT_POOL_SIZE = 256;
/** Bob publishes one one-time prekey per setup, like the libsignal side. */
const ONE_TIME_PREKEYS = 1;
/** And one one-time ML-KEM prekey, which the bundle carries as its KEM prekey (a live bundle does). */
const ONE_TIME_KEM_PREKEYS = 1;
const BURST_TARGET = 3;
const PINGPONG_TARGET = 1;
const SETUP_TARGET = 1;
const RATE_DECIMALS = 1;
const MS_DECIMALS = 3;
const SPEEDUP_DECIMALS = 2;
/** Decimals of a bytes-per-message average. */
const BYTES_DECIMALS = 1;
/** The overhead case is met when Sotto's bytes / libsignal's bytes is at most this. */
const OVERHEAD_TARGET = 1;
const PERCENT = 100;

function isPrekeyEnvelope(envelope: Bytes): boolean {
  return decodeEnvelope(envelope).type === 'prekey';
}

/** One Sotto device. Session records and prekeys live only as bytes, like libsignal's stores. */
class SottoDevice {
  readonly #records = new Map<string, Bytes>();
  #prekeys: Bytes | undefined;

  constructor(
    readonly name: string,
    readonly ctx: CryptoContext,
    readonly identity: IdentityKeyPair,
  ) {}

  /** Forgets every session and prekey (a fresh start with the same identity). */
  reset(): void {
    this.#records.clear();
    this.#prekeys = undefined;
  }

  #load(remote: string): SessionRecord | undefined {
    const bytes = this.#records.get(remote);
    return bytes ? decodeSessionRecord(bytes) : undefined;
  }

  #save(remote: string, record: SessionRecord): void {
    this.#records.set(remote, encodeSessionRecord(record));
  }

  /** Creates fresh prekeys with one one-time prekey and one one-time ML-KEM prekey, issues a bundle from them and stores the state. */
  async publishBundle(): Promise<PrekeyBundle> {
    const issued = issueBundle(this.ctx, this.identity, await createPrekeyState(this.ctx, this.identity, { oneTimePrekeys: ONE_TIME_PREKEYS, oneTimeKemPrekeys: ONE_TIME_KEM_PREKEYS }));
    this.#prekeys = encodePrekeyState(issued.state);
    return issued.bundle;
  }

  /** Starts a session with `remote` from its bundle. */
  async startSession(remote: string, bundle: PrekeyBundle): Promise<void> {
    this.#save(remote, await startSession(this.ctx, this.identity, bundle, this.#load(remote)));
  }

  /** Encrypts for `remote` on the stored session. */
  encrypt(remote: string, plaintext: Bytes): Bytes {
    const out = encryptMessage(this.ctx, this.#load(remote), plaintext);
    this.#save(remote, out.record);
    return out.envelope;
  }

  /** Decrypts from `remote`; the prekey state is loaded only when a PREKEY envelope opens a session, as libsignal does. */
  async decrypt(remote: string, envelope: Bytes): Promise<Bytes> {
    const loadPrekeys = (): PrekeyState => {
      if (!this.#prekeys) throw new Error(`${this.name} has published no prekeys`);
      return decodePrekeyState(this.#prekeys);
    };
    const out = await decryptMessage(this.ctx, { identity: this.identity, prekeys: loadPrekeys, record: this.#load(remote) }, envelope);
    this.#save(remote, out.record);
    if (out.prekeys) this.#prekeys = encodePrekeyState(out.prekeys);
    return out.plaintext;
  }

  /** Size of the stored record for `remote` (0 when none). */
  recordBytes(remote: string): number {
    return this.#records.get(remote)?.length ?? 0;
  }
}

function sottoConversation(alice: SottoDevice, bob: SottoDevice): Conversation {
  let last: Bytes = new Uint8Array(0);
  const deliver = (from: SottoDevice, to: SottoDevice, plaintext: Plaintext): Promise<Bytes> => {
    last = from.encrypt(to.name, plaintext);
    return to.decrypt(from.name, last);
  };
  return {
    aToB: (plaintext) => deliver(alice, bob, plaintext),
    bToA: (plaintext) => deliver(bob, alice, plaintext),
    lastMessage: () => ({ bytes: last.length, prekey: isPrekeyEnvelope(last) }),
    recordBytes: () => alice.recordBytes(bob.name),
  };
}

/** Sotto with the given primitives, a real CSPRNG and the wall clock. */
export async function createSottoContender(label: string, primitives: Primitives): Promise<Contender> {
  const ctx: CryptoContext = { primitives, randomBytes: nodeRandomBytes, now: Date.now };
  const aliceIdentity = await generateIdentity(ctx);
  const bobIdentity = await generateIdentity(ctx);
  const setupAlice = new SottoDevice('alice', ctx, aliceIdentity);
  const setupBob = new SottoDevice('bob', ctx, bobIdentity);
  return {
    label,
    async startConversation() {
      const alice = new SottoDevice('alice', ctx, aliceIdentity);
      const bob = new SottoDevice('bob', ctx, bobIdentity);
      await alice.startSession(bob.name, await bob.publishBundle());
      return sottoConversation(alice, bob);
    },
    async setup(plaintext) {
      setupAlice.reset();
      setupBob.reset();
      await setupAlice.startSession(setupBob.name, await setupBob.publishBundle());
      return setupBob.decrypt(setupAlice.name, setupAlice.encrypt(setupBob.name, plaintext));
    },
  };
}

/** The random plaintexts, handed out in turn. */
class PlaintextPool {
  readonly #pool: Plaintext[] = Array.from({ length: PLAINTEXT_POOL_SIZE }, () => new Uint8Array(randomBytes(PLAINTEXT_BYTES)));
  #next = 0;

  next(): Plaintext {
    const plaintext = this.#pool[this.#next]!;
    this.#next = (this.#next + 1) % this.#pool.length;
    return plaintext;
  }
}

/** Throws unless the receiver got exactly what was sent. */
function check(label: string, sent: Uint8Array, received: Uint8Array): void {
  if (!equalBytes(sent, received)) throw new Error(`${label}: decrypted plaintext differs from the one sent`);
}

/** A conversation after one round trip, so that no more prekey messages are sent. */
async function establish(contender: Contender, pool: PlaintextPool): Promise<Conversation> {
  const conversation = await contender.startConversation();
  for (const send of [conversation.aToB, conversation.bToA]) {
    const plaintext = pool.next();
    check(`${contender.label} round trip`, plaintext, await send(plaintext));
  }
  return conversation;
}

/** Message and record size at the end of a run. */
interface Sizes {
  readonly envelopeBytes: number;
  readonly recordBytes: number;
}

/** What a case measures for one contender, and how to read the sizes afterwards. */
interface Workload {
  readonly run: Operation;
  readonly sizes?: () => Sizes;
}

function sizesOf(conversation: Conversation): () => Sizes {
  return () => ({ envelopeBytes: conversation.lastMessage().bytes, recordBytes: conversation.recordBytes() });
}

async function burstWorkload(contender: Contender, pool: PlaintextPool): Promise<Workload> {
  const conversation = await establish(contender, pool);
  const run = async (): Promise<void> => {
    const plaintext = pool.next();
    check(`${contender.label} burst`, plaintext, await conversation.aToB(plaintext));
    if (conversation.lastMessage().prekey) throw new Error(`${contender.label} burst: still sending prekey messages after a round trip`);
  };
  return { run, sizes: sizesOf(conversation) };
}

async function pingPongWorkload(contender: Contender, pool: PlaintextPool): Promise<Workload> {
  const conversation = await establish(contender, pool);
  let aliceTurn = true;
  const run = async (): Promise<void> => {
    const plaintext = pool.next();
    const send = aliceTurn ? conversation.aToB : conversation.bToA;
    aliceTurn = !aliceTurn;
    check(`${contender.label} ping-pong`, plaintext, await send(plaintext));
  };
  return { run, sizes: sizesOf(conversation) };
}

async function setupWorkload(contender: Contender, pool: PlaintextPool): Promise<Workload> {
  const run = async (): Promise<void> => {
    const plaintext = pool.next();
    check(`${contender.label} setup`, plaintext, await contender.setup(plaintext));
  };
  return { run };
}

type CaseName = 'burst' | 'pingpong' | 'setup';
type Unit = 'msg/s' | 'ms';

interface CaseSpec {
  readonly name: CaseName;
  readonly unit: Unit;
  /** Required Sotto / libsignal speedup. */
  readonly target: number;
  /** Also measure Sotto with noblePrimitives (for information). */
  readonly withNoble: boolean;
  readonly workload: (contender: Contender, pool: PlaintextPool) => Promise<Workload>;
}

const CASES: readonly CaseSpec[] = [
  { name: 'burst', unit: 'msg/s', target: BURST_TARGET, withNoble: false, workload: burstWorkload },
  { name: 'pingpong', unit: 'msg/s', target: PINGPONG_TARGET, withNoble: true, workload: pingPongWorkload },
  { name: 'setup', unit: 'ms', target: SETUP_TARGET, withNoble: true, workload: setupWorkload },
];

/** One line of the report. `target` and `met` are absent on the informational noble rows. */
interface ResultRow {
  readonly case: string;
  readonly unit: Unit;
  readonly sotto: number;
  readonly libsignal: number;
  /** Sotto faster by this factor (msg/s: sotto / libsignal; ms: libsignal / sotto). */
  readonly speedup: number;
  readonly target?: number;
  readonly met?: boolean;
  /** Round-to-round spread (max / min - 1) of the Sotto and of the libsignal rounds. */
  readonly spread: { readonly sotto: number; readonly libsignal: number };
}

function spreadOf(m: Measurement): number {
  return m.max / m.min - 1;
}

function resultRow(name: string, unit: Unit, sotto: Measurement, libsignal: Measurement, target?: number): ResultRow {
  const value = (rate: number): number => (unit === 'ms' ? roundTo(msPerOp(rate), MS_DECIMALS) : roundTo(rate, RATE_DECIMALS));
  // Both units give the same factor: libsignal_ms / sotto_ms = sotto_rate / libsignal_rate.
  const speedup = roundTo(sotto.median / libsignal.median, SPEEDUP_DECIMALS);
  const row = {
    case: name,
    unit,
    sotto: value(sotto.median),
    libsignal: value(libsignal.median),
    speedup,
    spread: { sotto: spreadOf(sotto), libsignal: spreadOf(libsignal) },
  };
  return target === undefined ? row : { ...row, target, met: speedup >= target };
}

/** Sizes seen at the end of a case, keyed like "burst sotto". */
type SizeLog = Map<string, Sizes>;

/** The overhead case: both contenders over the same script. */
interface Overhead {
  readonly sotto: OverheadFigures;
  readonly libsignal: OverheadFigures;
  /** Sotto's average bytes per message / libsignal's. */
  readonly ratio: number;
  readonly met: boolean;
}

interface Results {
  /** Name of the primitives behind the Sotto rows (e.g. "sodium+liboqs"). */
  readonly primitives: string;
  readonly rows: ResultRow[];
  readonly noble: ResultRow[];
  readonly sizes: SizeLog;
  readonly overhead: Overhead;
}

/** Runs the overhead script on a fresh conversation of each contender, one after the other. */
async function measureOverheadCase(sotto: Contender, libsignal: Contender): Promise<Overhead> {
  const script = overheadScript(OVERHEAD_MESSAGES);
  const sottoFigures = await measureOverhead(sotto, script);
  const libsignalFigures = await measureOverhead(libsignal, script);
  const ratio = sottoFigures.average / libsignalFigures.average;
  return { sotto: sottoFigures, libsignal: libsignalFigures, ratio, met: ratio <= OVERHEAD_TARGET };
}

/** Measures every case, the contenders of a case in interleaved rounds. */
async function measureAll(plan: TimingPlan, progress: (line: string) => void): Promise<Results> {
  const pool = new PlaintextPool();
  const primitives = await loadNodePrimitives();
  const sotto = await createSottoContender('sotto', primitives);
  const sottoNoble = await createSottoContender('sotto-noble', noblePrimitives);
  const libsignal = createLibsignalContender();
  const rows: ResultRow[] = [];
  const noble: ResultRow[] = [];
  const sizes: SizeLog = new Map();
  for (const spec of CASES) {
    progress(`measuring ${spec.name}...`);
    const contenders = spec.withNoble ? [sotto, libsignal, sottoNoble] : [sotto, libsignal];
    const workloads: Workload[] = [];
    for (const contender of contenders) workloads.push(await spec.workload(contender, pool));
    const [sottoRate, libRate, nobleRate] = await measureInterleaved(
      workloads.map((w) => w.run),
      plan,
    );
    rows.push(resultRow(spec.name, spec.unit, sottoRate!, libRate!, spec.target));
    if (nobleRate) noble.push(resultRow(`${spec.name}-noble`, spec.unit, nobleRate, libRate!));
    workloads.forEach((w, i) => {
      if (w.sizes) sizes.set(`${spec.name} ${contenders[i]!.label}`, w.sizes());
    });
  }
  progress('measuring overhead...');
  return { primitives: primitives.name, rows, noble, sizes, overhead: await measureOverheadCase(sotto, libsignal) };
}

function libsignalVersion(): string {
  const entry = import.meta.resolve('@signalapp/libsignal-client');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function formatValue(value: number, unit: Unit): string {
  const decimals = unit === 'ms' ? MS_DECIMALS : RATE_DECIMALS;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function percent(fraction: number): string {
  return `${(fraction * PERCENT).toFixed(0)}%`;
}

function formatBytes(value: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: BYTES_DECIMALS, maximumFractionDigits: BYTES_DECIMALS });
}

const TABLE_HEADER = ['case', 'unit', 'Sotto', 'libsignal', 'factor', 'target', 'verdict'];
const TABLE_LEGEND =
  "factor: how many times faster Sotto is (a verdict is met at >= target); overhead: Sotto's bytes per message / libsignal's (met at <= target)";

function tableCells(r: ResultRow): string[] {
  return [
    r.case,
    r.unit,
    formatValue(r.sotto, r.unit),
    formatValue(r.libsignal, r.unit),
    `${r.speedup.toFixed(SPEEDUP_DECIMALS)}x`,
    r.target === undefined ? '-' : `>= ${r.target}x`,
    r.met === undefined ? 'info only' : r.met ? 'met' : 'NOT MET',
  ];
}

function overheadCells(o: Overhead): string[] {
  return [
    'overhead',
    'bytes/msg',
    formatBytes(o.sotto.average),
    formatBytes(o.libsignal.average),
    `${o.ratio.toFixed(SPEEDUP_DECIMALS)}x`,
    `<= ${OVERHEAD_TARGET}x`,
    o.met ? 'met' : 'NOT MET',
  ];
}

const STRETCH_NAMES = { runs: 'runs', pingpong: 'ping-pong', bursts: 'bursts' } as const;

function overheadLine(label: string, f: OverheadFigures): string {
  const stretches = STRETCH_KINDS.flatMap((kind) => {
    const value = f.byStretch[kind];
    return value === undefined ? [] : [`${STRETCH_NAMES[kind]} ${formatBytes(value)}`];
  });
  return (
    `  ${label}: average ${formatBytes(f.average)} B, after the first ${STEADY_AFTER} ${formatBytes(f.steady)} B (${stretches.join(', ')}); ` +
    `min ${f.min} B, max ${f.max} B; first message ${f.first} B, ${f.prekeyMessages} with the agreement header; decrypted ${f.decrypted}/${f.messages}`
  );
}

function overheadReport(o: Overhead): string[] {
  return [
    `overhead: wire bytes of one ${o.sotto.messages.toLocaleString('en-US')}-message conversation of ${PLAINTEXT_BYTES}-byte plaintexts from a fresh session, the same`,
    '          seeded script for both (cycles of runs of 1-4 messages a side, ping-pong, bursts of 20; bench/overhead.ts):',
    overheadLine('Sotto', o.sotto),
    overheadLine('libsignal', o.libsignal),
  ];
}

function humanReport(plan: TimingPlan, { primitives, rows, noble, sizes, overhead }: Results): string {
  const cpus = os.cpus();
  const spread = [...rows, ...noble].map((r) => `${r.case} ${percent(r.spread.sotto)} / ${percent(r.spread.libsignal)}`);
  const sizeLines = [...sizes].map(([key, s]) => `  ${key}: last message ${s.envelopeBytes} B, A's session record ${s.recordBytes} B`);
  return [
    `Sotto crypto core vs @signalapp/libsignal-client ${libsignalVersion()}`,
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores; node ${process.version} (${process.platform}-${process.arch}); one thread`,
    `Sotto primitives: ${primitives} (what a Node process loads: loadNodePrimitives)`,
    `method: ${PLAINTEXT_BYTES}-byte random plaintexts; a message = encrypt + decrypt, checked against what was sent;`,
    '        both sides keep session records (and prekeys in setup) as bytes and decode/encode them on every call;',
    `        warm-up ${plan.warmupMs} ms, then the median of ${plan.rounds} interleaved rounds of >= ${plan.roundMs} ms per side`,
    '',
    textTable(TABLE_HEADER, [...rows.map(tableCells), overheadCells(overhead)]),
    TABLE_LEGEND,
    '',
    'Sotto with noblePrimitives (pure JS, the browser path; for information, not part of the verdict):',
    textTable(TABLE_HEADER, noble.map(tableCells)),
    '',
    `round-to-round spread (max/min - 1), Sotto / libsignal: ${spread.join('; ')}`,
    'sizes at the end of each run:',
    ...sizeLines,
    '',
    ...overheadReport(overhead),
  ].join('\n');
}

function overheadJson({ sotto, libsignal, ratio, met }: Overhead): string {
  const bytes = (value: number): number => roundTo(value, BYTES_DECIMALS);
  return JSON.stringify({
    bench: 'crypto',
    case: 'overhead',
    unit: 'bytes/msg',
    sotto: bytes(sotto.average),
    libsignal: bytes(libsignal.average),
    ratio: roundTo(ratio, SPEEDUP_DECIMALS),
    target: OVERHEAD_TARGET,
    met,
    sottoSteady: bytes(sotto.steady),
    libsignalSteady: bytes(libsignal.steady),
    sottoMin: sotto.min,
    sottoMax: sotto.max,
    libsignalMin: libsignal.min,
    libsignalMax: libsignal.max,
    messages: sotto.messages,
    sottoDecrypted: sotto.decrypted,
    libsignalDecrypted: libsignal.decrypted,
  });
}

function jsonLines({ primitives, rows, noble, overhead }: Results): string {
  return [
    ...[...rows, ...noble].map((r) => {
      const extra = r.target === undefined ? { primitives: 'noble' } : { target: r.target, met: r.met, primitives };
      return JSON.stringify({ bench: 'crypto', case: r.case, unit: r.unit, sotto: r.sotto, libsignal: r.libsignal, speedup: r.speedup, ...extra });
    }),
    overheadJson(overhead),
  ].join('\n');
}

/** Runs the crypto benchmark with its command-line `args`; resolves to the process exit code. */
export async function runCryptoBench(args: readonly string[]): Promise<number> {
  const flags = parseBenchFlags('crypto', args);
  if (!flags) return 1;
  const plan = flags.quick ? QUICK_PLAN : DEFAULT_PLAN;
  const results = await measureAll(plan, flags.progress);
  console.log(flags.json ? jsonLines(results) : humanReport(plan, results));
  return 0;
}

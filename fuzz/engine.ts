/**
 * The fuzzing engine: a seeded RNG, byte mutators, and a loop that feeds a
 * target's decoder random and mutated inputs and records every outcome that
 * breaks the decoder's contract:
 *
 * - an error that is not one the decoder documents (a TypeError, RangeError or
 *   SyntaxError escaping is a bug);
 * - a state change after a rejected input (for targets with state);
 * - a case that takes longer than the target's time budget (a hang or an
 *   allocation a peer controls).
 *
 * Everything is deterministic from the seed: a failure is reported with the
 * seed, the target, the case number and the input in hex, and `npm run fuzz --
 * --seed S --only TARGET` replays it.
 */
import { seededRandom } from '../test/helpers/context.ts';

/** A deterministic source of numbers and bytes (ChaCha20 keyed by the seed). */
export class FuzzRng {
  private readonly random: (length: number) => Uint8Array;
  constructor(readonly seed: string) {
    this.random = seededRandom(`sotto-fuzz:${seed}`);
  }

  bytes(length: number): Uint8Array {
    return length === 0 ? new Uint8Array(0) : this.random(length);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (n <= 1) return 0;
    const b = this.random(6);
    const v = ((b[0]! << 16) | (b[1]! << 8) | b[2]!) * 2 ** 24 + ((b[3]! << 16) | (b[4]! << 8) | b[5]!);
    return v % n;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick: no items');
    return items[this.int(items.length)]!;
  }
}

/** Values that often sit on a boundary when written into a length or count field. */
const INTERESTING_U32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];

function writeBe(out: Uint8Array, at: number, value: number, width: number): void {
  for (let i = width - 1; i >= 0 && at + i < out.length; i--, value = Math.floor(value / 256)) {
    if (at + i >= 0) out[at + i] = value & 0xff;
  }
}

/** The names of the mutations {@link mutate} applies, for reports. */
export const MUTATIONS = ['bit-flip', 'byte-set', 'truncate', 'extend', 'insert', 'delete', 'length-field', 'length-delta', 'duplicate', 'splice'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/**
 * One to three mutations of `input` (never modified): bit flips, a byte set to
 * a boundary value, truncation, extension with random bytes, insertion and
 * deletion of a run, a u8/u16/u32 field overwritten with a boundary value or
 * nudged by ±1, a duplicated run, or a splice with `other`.
 */
export function mutate(rng: FuzzRng, input: Uint8Array, other?: Uint8Array): Uint8Array {
  let out: Uint8Array = new Uint8Array(input);
  const rounds = 1 + rng.int(3);
  for (let round = 0; round < rounds; round++) out = mutateOnce(rng, out, rng.pick(MUTATIONS), other);
  return out;
}

function mutateOnce(rng: FuzzRng, input: Uint8Array, kind: Mutation, other?: Uint8Array): Uint8Array {
  const n = input.length;
  const at = rng.int(n + 1);
  const run = 1 + rng.int(rng.chance(0.8) ? 8 : 256);
  switch (kind) {
    case 'bit-flip': {
      if (n === 0) return rng.bytes(1);
      const out = new Uint8Array(input);
      const i = rng.int(n);
      out[i] = out[i]! ^ (1 << rng.int(8));
      return out;
    }
    case 'byte-set': {
      if (n === 0) return Uint8Array.of(rng.pick([0, 1, 0x7f, 0x80, 0xff]));
      const out = new Uint8Array(input);
      out[rng.int(n)] = rng.pick([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]);
      return out;
    }
    case 'truncate':
      return input.slice(0, rng.chance(0.5) ? rng.int(n + 1) : Math.max(0, n - 1 - rng.int(8)));
    case 'extend': {
      const out = new Uint8Array(n + run);
      out.set(input);
      out.set(rng.chance(0.5) ? rng.bytes(run) : new Uint8Array(run), n);
      return out;
    }
    case 'insert': {
      const out = new Uint8Array(n + run);
      out.set(input.subarray(0, at));
      out.set(rng.bytes(run), at);
      out.set(input.subarray(at), at + run);
      return out;
    }
    case 'delete': {
      const end = Math.min(n, at + run);
      const out = new Uint8Array(n - (end - at));
      out.set(input.subarray(0, at));
      out.set(input.subarray(end), at);
      return out;
    }
    case 'length-field': {
      const out = new Uint8Array(input);
      const width = rng.pick([1, 2, 4, 8]);
      const value = rng.chance(0.3) ? n + rng.int(5) - 2 : rng.pick(INTERESTING_U32);
      writeBe(out, rng.int(Math.max(1, n)), Math.max(0, value), width);
      return out;
    }
    case 'length-delta': {
      // Nudge a big-endian u8/u16/u32 field by ±1..4: lengths just off by a little.
      if (n === 0) return input;
      const out = new Uint8Array(input);
      const width = rng.pick([1, 2, 4]);
      const i = rng.int(n);
      let value = 0;
      for (let k = 0; k < width && i + k < n; k++) value = value * 256 + out[i + k]!;
      const delta = (1 + rng.int(4)) * (rng.chance(0.5) ? 1 : -1);
      writeBe(out, i, Math.max(0, value + delta), Math.min(width, n - i));
      return out;
    }
    case 'duplicate': {
      const end = Math.min(n, at + run);
      const chunk = input.slice(at, end);
      const out = new Uint8Array(n + chunk.length);
      out.set(input.subarray(0, end));
      out.set(chunk, end);
      out.set(input.subarray(end), end + chunk.length);
      return out;
    }
    case 'splice': {
      const source = other ?? rng.bytes(run);
      const from = rng.int(source.length + 1);
      const chunk = source.slice(from, from + run);
      const out = new Uint8Array(input);
      out.set(chunk.subarray(0, Math.max(0, n - at)), Math.min(at, n));
      return out;
    }
  }
}

/** Lower-case hex, cut to `max` bytes with the full length noted. */
export function hexOf(bytes: Uint8Array, max = 4096): string {
  const hex = Buffer.from(bytes.subarray(0, max)).toString('hex');
  return bytes.length > max ? `${hex}… (${bytes.length} bytes)` : hex;
}

/**
 * One decoder under test. `setup` builds whatever the decoder needs (keys,
 * sessions, a store) and VALID encodings made by the real encoders; `decode`
 * feeds one input; `accepts` says whether a thrown value is a documented
 * typed error; `state`, when present, fingerprints the state the decoder
 * must leave untouched on a rejected input.
 */
export interface FuzzTarget<Fixture = unknown> {
  readonly name: string;
  /** Relative weight of this target's share of the cases (default 1). Slow decoders get less. */
  readonly weight?: number;
  /** Longest one case may take before it counts as a hang (default 2,000 ms). */
  readonly budgetMs?: number;
  /** Largest purely random input (default 2,048 bytes). */
  readonly maxRandomBytes?: number;
  setup(): Promise<Fixture>;
  /** Valid encodings to mutate. */
  valid(fixture: Fixture): readonly Uint8Array[];
  /** A target-specific mutation (e.g. JSON-aware), used for a third of the mutated cases. */
  generate?(rng: FuzzRng, fixture: Fixture): Uint8Array;
  decode(fixture: Fixture, input: Uint8Array): unknown;
  accepts(err: unknown): boolean;
  state?(fixture: Fixture): string | Promise<string>;
  /** Puts the state back after a case that was (rightly) accepted and changed it. */
  reset?(fixture: Fixture): void | Promise<void>;
  teardown?(fixture: Fixture): void | Promise<void>;
}

/** A broken contract: what happened, and everything needed to replay it. */
export interface FuzzFailure {
  readonly target: string;
  readonly seed: string;
  readonly index: number;
  readonly kind: 'untyped-error' | 'state-changed' | 'hang';
  readonly detail: string;
  readonly inputHex: string;
}

/** Outcome counts of one target's run. */
export interface TargetReport {
  readonly target: string;
  readonly seed: string;
  readonly cases: number;
  readonly randomCases: number;
  readonly mutatedCases: number;
  /** Inputs the decoder accepted (mutations that still parse, e.g. a changed field value). */
  readonly accepted: number;
  /** Rejected inputs by error name. */
  readonly rejections: Readonly<Record<string, number>>;
  readonly failures: readonly FuzzFailure[];
  readonly ms: number;
  readonly slowestMs: number;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}${err.stack ? '\n' + err.stack.split('\n').slice(1, 6).join('\n') : ''}`;
  return `non-error thrown: ${String(err)}`;
}

const HANG = Symbol('hang');

async function withBudget(run: () => unknown, budgetMs: number): Promise<{ error?: unknown; hung: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = run();
    if (!(result instanceof Promise)) return { hung: false };
    const timeout = new Promise<typeof HANG>((resolve) => {
      timer = setTimeout(() => resolve(HANG), budgetMs);
    });
    const outcome = await Promise.race([result.then(() => undefined), timeout]);
    return { hung: outcome === HANG };
  } catch (error) {
    return { error, hung: false };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Options of one target's run. */
export interface RunOptions {
  readonly cases: number;
  readonly seed: string;
  /** Share of purely random inputs (default 0.25); the rest mutate valid encodings. */
  readonly randomShare?: number;
  /** Stop after this many failures (default 10). */
  readonly maxFailures?: number;
}

/** Runs `cases` inputs through `target` and reports what happened. */
export async function runTarget<F>(target: FuzzTarget<F>, options: RunOptions): Promise<TargetReport> {
  const seed = `${options.seed}/${target.name}`;
  const rng = new FuzzRng(seed);
  const fixture = await target.setup();
  const valid = target.valid(fixture);
  const budgetMs = target.budgetMs ?? 2_000;
  const maxRandom = target.maxRandomBytes ?? 2_048;
  const randomShare = options.randomShare ?? 0.25;
  const maxFailures = options.maxFailures ?? 10;
  const failures: FuzzFailure[] = [];
  const rejections: Record<string, number> = {};
  let accepted = 0;
  let randomCases = 0;
  let slowestMs = 0;
  const before = target.state ? await target.state(fixture) : undefined;
  const started = performance.now();
  let index = 0;
  try {
    for (; index < options.cases && failures.length < maxFailures; index++) {
      let input: Uint8Array;
      if (valid.length === 0 || rng.chance(randomShare)) {
        randomCases++;
        input = rng.bytes(rng.chance(0.5) ? rng.int(64) : rng.int(maxRandom + 1));
      } else if (target.generate && rng.chance(1 / 3)) {
        input = target.generate(rng, fixture);
      } else {
        input = mutate(rng, rng.pick(valid), valid.length > 1 ? rng.pick(valid) : undefined);
      }
      const fail = (kind: FuzzFailure['kind'], detail: string): void => {
        failures.push({ target: target.name, seed: options.seed, index, kind, detail, inputHex: hexOf(input) });
      };
      const t0 = performance.now();
      const { error, hung } = await withBudget(() => target.decode(fixture, input), budgetMs);
      const took = performance.now() - t0;
      slowestMs = Math.max(slowestMs, took);
      if (hung || took > budgetMs) {
        fail('hang', `took ${Math.round(took)} ms (budget ${budgetMs} ms)`);
        continue;
      }
      if (error === undefined) {
        accepted++;
        if (target.reset) await target.reset(fixture);
        continue;
      }
      const name = error instanceof Error ? error.name : typeof error;
      rejections[name] = (rejections[name] ?? 0) + 1;
      if (!target.accepts(error)) {
        fail('untyped-error', describeError(error));
        continue;
      }
      if (target.state) {
        const after = await target.state(fixture);
        if (after !== before) fail('state-changed', `state after a rejected input differs (${name})`);
      }
    }
  } finally {
    await target.teardown?.(fixture);
  }
  return {
    target: target.name,
    seed: options.seed,
    cases: index,
    randomCases,
    mutatedCases: index - randomCases,
    accepted,
    rejections,
    failures,
    ms: performance.now() - started,
    slowestMs,
  };
}

/** A failure as printed: the replay command, the error, the input hex. */
export function formatFailure(f: FuzzFailure): string {
  return [`FAIL ${f.target} case ${f.index} (${f.kind}) — replay: npm run fuzz -- --seed ${f.seed} --only ${f.target}`, `  ${f.detail.split('\n').join('\n  ')}`, `  input: ${f.inputHex}`].join('\n');
}

/**
 * The options the benchmarks share: `--json` (one JSON object per case on
 * stdout, nothing on stderr) and `--quick` (a much smaller run for the smoke
 * tests).
 */

/** What the shared options asked for, and where progress lines go (stderr, or nowhere with --json). */
export interface BenchFlags {
  readonly json: boolean;
  readonly quick: boolean;
  readonly progress: (line: string) => void;
}

const FLAGS = new Set(['--json', '--quick']);

/**
 * Reads `args` of the benchmark `name`, which takes only the shared options;
 * for anything else prints the usage on stderr and returns undefined (the
 * caller exits with status 1).
 */
export function parseBenchFlags(name: string, args: readonly string[]): BenchFlags | undefined {
  const unknown = args.filter((a) => !FLAGS.has(a));
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown.join(' ')}\nusage: npm run bench -- ${name} [--json] [--quick]`);
    return undefined;
  }
  const json = args.includes('--json');
  return { json, quick: args.includes('--quick'), progress: json ? () => {} : (line) => console.error(line) };
}

/**
 * Sizes typed by a person (`sotto config set files-quota 20GiB`): a whole
 * or decimal number with an optional unit. KiB, MiB, GiB, TiB (and K, M, G,
 * T, as `split` and `du` read them) are powers of 1,024; kB, MB, GB, TB are
 * powers of 1,000; B or no unit is bytes. (./plural.ts sizeText writes
 * sizes for people.)
 */

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tib: 2 ** 40,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/** The bytes `text` says, a whole number (rounded down); undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const scale = match[2] === '' ? 1 : UNITS[match[2]!.toLowerCase()];
  if (scale === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * scale);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Counts in human output: "1 contact", "2 contacts", "1 mailbox",
 * "3 mailboxes". English only; the forms are given where `s` does not make
 * the plural.
 */

/** `n` and the noun in the form that goes with it: `one` for exactly 1, else `many` (by default `one` + "s"). */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Binary units, largest first. */
const SIZE_UNITS: readonly (readonly [string, number])[] = [
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
];

/** A size for people: "1 byte", "812 bytes", "33 KiB", "2.4 MiB", "1 GiB" (at most one decimal, none when whole). */
export function sizeText(bytes: number): string {
  for (const [unit, scale] of SIZE_UNITS) {
    if (bytes >= scale) return `${Math.round((bytes / scale) * 10) / 10} ${unit}`;
  }
  return count(bytes, 'byte');
}

/**
 * Counts in human output: "1 contact", "2 contacts", "1 mailbox",
 * "3 mailboxes". English only; the forms are given where `s` does not make
 * the plural.
 */

/** `n` and the noun in the form that goes with it: `one` for exactly 1, else `many` (by default `one` + "s"). */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

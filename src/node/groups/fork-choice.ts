/**
 * The fork choice: which of two branches of operations that start from the
 * same epoch every member keeps (docs/GROUPS.md, "Ordering without a
 * server"; PROTOCOL.md §24). Deterministic and computed from authenticated
 * data only, so every member that holds both branches picks the same one,
 * whatever order it saw them in:
 *
 * 1. the branch with more operations;
 * 2. then the one whose last operation changes membership or admins
 *    (privileged) over one that only updates keys;
 * 3. then the lower identity key of the last operation's committer;
 * 4. then the lower SHA-256 of the last operation's frame.
 *
 * Marmot's convergence rules (parres-hq/marmot, protocol-core/convergence.md)
 * without its application-message witnesses: Sotto's rule reads commits only,
 * so two members never disagree because one of them saw more messages.
 */
import { compareBytes, type Bytes } from '../../crypto/bytes.ts';

/** What the fork choice reads of one operation. */
export interface OperationSummary {
  /** Identity key of the committer (from its leaf credential, authenticated by the commit's signature). */
  readonly committer: Bytes;
  /** True when the operation adds or removes someone else, or changes the group context (an admin's operation). */
  readonly privileged: boolean;
  /** SHA-256 of the operation frame. */
  readonly digest: Bytes;
}

/** Operations from a fork epoch, oldest first (never empty). */
export type BranchOperations = readonly OperationSummary[];

/** Negative when branch `a` wins over `b`, positive when `b` wins, 0 only for the same branch. */
export function compareBranches(a: BranchOperations, b: BranchOperations): number {
  if (a.length !== b.length) return b.length - a.length;
  const tipA = a[a.length - 1]!;
  const tipB = b[b.length - 1]!;
  if (tipA.privileged !== tipB.privileged) return tipA.privileged ? -1 : 1;
  const byCommitter = compareBytes(tipA.committer, tipB.committer);
  if (byCommitter !== 0) return byCommitter;
  return compareBytes(tipA.digest, tipB.digest);
}

/**
 * Whether a new member could join a ratchet tree with ts-mls 2.0.0-rc.10.
 *
 * That version refuses a valid tree (RFC 9420 §7.9) when an unmerged leaf
 * (a member added under a parent node that already had a key, and who has
 * not committed since) has non-blank ancestors whose unmerged_leaves lists
 * differ: its check compares the lists of every ancestor for equality
 * instead of asking each to include the leaf (fixed upstream in
 * 2.0.0-rc.12, "Use updated tree for encryption for updatePath"). A member
 * added into such a tree cannot use its Welcome, so Sotto checks before it
 * adds (GroupAddBlockedError) rather than sending a Welcome that fails. The
 * check mirrors the library's exactly; test/node/groups-join-guard.test.ts
 * shows both agree. Remove this file with the move to a fixed ts-mls.
 */
import type { RatchetTree } from 'ts-mls';

function level(x: number): number {
  let k = 0;
  while (((x >> k) & 1) === 1) k++;
  return k;
}

/** Node indices of the direct path of node `x` (its ancestors up to the root) in a tree of `nodeWidth` nodes. */
function directPath(x: number, nodeWidth: number): number[] {
  const root = (1 << Math.floor(Math.log2(nodeWidth))) - 1;
  const path: number[] = [];
  for (let node = x; node !== root; ) {
    node = parentOf(node, nodeWidth);
    path.push(node);
  }
  return path;
}

/** The parent of node `x` in a full tree of `nodeWidth` nodes (RFC 9420 Appendix C). */
function parentOf(x: number, nodeWidth: number): number {
  const k = level(x);
  const b = (x >> (k + 1)) & 1;
  let p = (x | (1 << k)) ^ (b << (k + 1));
  while (p >= nodeWidth) {
    const kp = level(p);
    const bp = (p >> (kp + 1)) & 1;
    p = (p | (1 << kp)) ^ (bp << (kp + 1));
  }
  return p;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The unmerged leaves that make `tree` unjoinable for ts-mls 2.0.0-rc.10
 * (empty when a joiner's tree check passes).
 */
export function leavesBlockingJoin(tree: RatchetTree): number[] {
  const blocking = new Set<number>();
  tree.forEach((node) => {
    if (node === undefined || !('parent' in node)) return;
    for (const leaf of node.parent.unmergedLeaves) {
      for (const ancestor of directPath(leaf * 2, tree.length)) {
        const other = tree[ancestor];
        if (other !== undefined && 'parent' in other && !sameList(other.parent.unmergedLeaves, node.parent.unmergedLeaves)) blocking.add(leaf);
      }
    }
  });
  return [...blocking].sort((a, b) => a - b);
}

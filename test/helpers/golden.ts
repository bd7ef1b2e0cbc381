/**
 * Frozen vector files: generate with every primitive implementation and
 * compare with the file; SOTTO_UPDATE_GOLDEN=1 (npm run golden:update)
 * rewrites the file from the Node implementation first.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { ALL_PRIMITIVES } from './implementations.ts';

/** Asserts that `generate` gives the contents of `file` with every implementation; returns them. */
export async function assertFrozenVectors<T>(file: string, generate: (p: Primitives) => Promise<T>): Promise<T> {
  const fromNode = await generate(nodePrimitives);
  if (process.env.SOTTO_UPDATE_GOLDEN === '1') writeFileSync(file, JSON.stringify(fromNode, null, 2) + '\n');
  const frozen = JSON.parse(readFileSync(file, 'utf8')) as T;
  assert.deepEqual(fromNode, frozen);
  for (const p of ALL_PRIMITIVES) assert.deepEqual(await generate(p), frozen, p.name);
  return frozen;
}

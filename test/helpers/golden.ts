/**
 * Frozen vector files: generate with every primitive implementation and
 * compare with the file; SOTTO_UPDATE_GOLDEN=1 (npm run golden:update)
 * rewrites the file from the Node implementation first.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Bytes } from '../../src/crypto/bytes.ts';
import { BUNDLE_VERSION } from '../../src/crypto/constants.ts';
import { nodePrimitives } from '../../src/crypto/primitives/node.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { ALL_PRIMITIVES } from './implementations.ts';

/** The version byte of the prekey bundles in the frozen v1 vector files. */
const V1_BUNDLE_VERSION = 1;

/**
 * A bundle as the v1 vector files hold it. Bundle version 2 kept version 1's
 * layout and changed only the version byte (docs/PROTOCOL.md §5), so the v1
 * files still check the bundle bytes through this explicit v1 form.
 */
export function asV1Bundle(bytes: Bytes): Bytes {
  assert.equal(bytes[0], BUNDLE_VERSION);
  return Uint8Array.of(V1_BUNDLE_VERSION, ...bytes.subarray(1));
}

/** The bundle of today's version for a v1 file's bundle (see {@link asV1Bundle}). */
export function fromV1Bundle(bytes: Bytes): Bytes {
  assert.equal(bytes[0], V1_BUNDLE_VERSION);
  return Uint8Array.of(BUNDLE_VERSION, ...bytes.subarray(1));
}

/** Asserts that `generate` gives the contents of `file` with every implementation; returns them. */
export async function assertFrozenVectors<T>(file: string, generate: (p: Primitives) => Promise<T>): Promise<T> {
  const fromNode = await generate(nodePrimitives);
  if (process.env.SOTTO_UPDATE_GOLDEN === '1') writeFileSync(file, JSON.stringify(fromNode, null, 2) + '\n');
  const frozen = JSON.parse(readFileSync(file, 'utf8')) as T;
  assert.deepEqual(fromNode, frozen);
  for (const p of ALL_PRIMITIVES) assert.deepEqual(await generate(p), frozen, p.name);
  return frozen;
}

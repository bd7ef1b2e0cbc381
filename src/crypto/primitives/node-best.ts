/**
 * The primitives a Node process should use: libsodium (./sodium.ts) when its
 * binding loads, else node:crypto (./node.ts); ML-KEM-768 from liboqs
 * (./kem-liboqs.ts) when it loads and passes its known-answer check, else
 * @noble. Node only. Every combination gives byte-identical results (tested).
 */
import { loadLiboqsKem, type KemPrimitives } from './kem-liboqs.ts';
import { nodePrimitives } from './node.ts';
import { loadSodiumPrimitives } from './sodium.ts';
import type { Primitives } from './types.ts';

/** `base` with its ML-KEM operations replaced by `kem`. */
export function withKem(base: Primitives, kem: KemPrimitives | undefined, kemName = 'liboqs'): Primitives {
  return kem ? { ...base, ...kem, name: `${base.name}+${kemName}` } : base;
}

let best: Promise<Primitives> | undefined;

/** Loads (once) the fastest correct primitives this Node process has. */
export function loadNodePrimitives(): Promise<Primitives> {
  best ??= (async () => withKem((await loadSodiumPrimitives()) ?? nodePrimitives, await loadLiboqsKem()))();
  return best;
}

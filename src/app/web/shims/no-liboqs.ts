/**
 * Stands in for @oqs/liboqs-js in the browser build. Its loader imports its
 * WebAssembly module by a computed path that a bundler cannot follow, so the
 * page uses @noble/post-quantum's ML-KEM-768 instead: loadLiboqsKem sees
 * this rejection and reports liboqs as unavailable (docs/WEB.md).
 */
export function createMLKEM768(): Promise<never> {
  return Promise.reject(new Error('liboqs is not part of the browser build'));
}

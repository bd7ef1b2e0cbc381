/**
 * Small proxies for fixing a libp2p service from outside: the service gets
 * one of its components with one method answered differently, and
 * everything else as it is. Used where a pinned libp2p module misbehaves
 * in one call (./autonat-dial-back.ts, ./dcutr-direct-only.ts) and the fix
 * belongs beside it rather than in a fork.
 */

/** `target` with `method` answered by `replacement`; every other member as it is (methods bound to `target`). */
export function overriding<T extends object, K extends keyof T>(target: T, method: K, replacement: T[K]): T {
  return new Proxy(target, {
    get(object, property) {
      if (property === method) return replacement;
      const value: unknown = Reflect.get(object, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/** The service `factory` makes, given its components with `name` replaced by `replace(original)`. */
export function withComponent<C extends object, K extends keyof C, S>(factory: (components: C) => S, name: K, replace: (original: C[K]) => C[K]): (components: C) => S {
  return (components) => {
    const replaced = replace(components[name]);
    return factory(new Proxy(components, { get: (target, property) => (property === name ? replaced : Reflect.get(target, property)) }));
  };
}

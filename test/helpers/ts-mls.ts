/**
 * ts-mls's modules that its package does not export (its `exports` names
 * only the index), loaded from the installed copy: the mlswg vectors and the
 * tree-hash cache tests call its internals directly.
 */

/** The module `module` (a path under ts-mls's dist/src, without `.js`) of the installed ts-mls. */
export async function tsMlsInternal<T>(module: string): Promise<T> {
  return (await import(new URL(`./${module}.js`, import.meta.resolve('ts-mls')).href)) as T;
}

/** A file of the installed ts-mls package, by its path from the package's root. */
export function tsMlsPackageFile(path: string): URL {
  return new URL(`../../${path}`, import.meta.resolve('ts-mls'));
}

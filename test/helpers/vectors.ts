/**
 * Loads the test-vector files under test/vectors/ (see test/vectors/README.md
 * for their sources). Wycheproof files are flattened into one list of cases,
 * each carrying its group, and the loader checks the list against the file's
 * own `numberOfTests`, so a file that parses into fewer cases fails loudly
 * instead of letting a suite pass over nothing.
 */
import { readFileSync } from 'node:fs';

const VECTORS_DIR = new URL('../vectors/', import.meta.url);

/** Fields every Wycheproof test case has. */
export interface WycheproofTest {
  readonly tcId: number;
  readonly comment?: string;
  readonly flags: readonly string[];
  readonly result: 'valid' | 'invalid' | 'acceptable';
}

/** A Wycheproof file: `testGroups[].tests[]` plus a declared case count. */
export interface WycheproofFile<G, T extends WycheproofTest> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly notes?: Readonly<Record<string, { readonly description?: string }>>;
  readonly testGroups: readonly (G & { readonly tests: readonly T[] })[];
}

/** One case together with the group it belongs to. */
export interface WycheproofCase<G, T> {
  readonly group: G;
  readonly test: T;
}

/** X25519 key agreement (schema xdh_comp_schema_v1). */
export interface XdhTest extends WycheproofTest {
  readonly public: string;
  readonly private: string;
  readonly shared: string;
}

/** EdDSA verification (schema eddsa_verify_schema_v1); the key is per group. */
export interface EddsaGroup {
  readonly publicKey: { readonly pk: string };
}
export interface EddsaTest extends WycheproofTest {
  readonly msg: string;
  readonly sig: string;
}

/** AEAD (schema aead_test_schema_v1); sizes in the group are in bits. */
export interface AeadGroup {
  readonly ivSize: number;
  readonly keySize: number;
  readonly tagSize: number;
}
export interface AeadTest extends WycheproofTest {
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly msg: string;
  readonly ct: string;
  readonly tag: string;
}

/** HKDF (schema hkdf_test_schema_v1); `size` is the output length in bytes. */
export interface HkdfTest extends WycheproofTest {
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly size: number;
  readonly okm: string;
}

/** ML-KEM decapsulation: keygen from `seed`, then decaps `c`. `ek` is absent when the seed is malformed. */
export interface MlkemGroup {
  readonly parameterSet: string;
}
export interface MlkemTest extends WycheproofTest {
  readonly seed: string;
  readonly ek?: string;
  readonly c: string;
  readonly K: string;
}

function readJson(relativePath: string): unknown {
  return JSON.parse(readFileSync(new URL(relativePath, VECTORS_DIR), 'utf8'));
}

/**
 * Reads test/vectors/wycheproof/<name> and returns every case with its
 * group. Throws if the flattened count differs from `numberOfTests` or is 0.
 */
export function wycheproofCases<G, T extends WycheproofTest>(name: string): WycheproofCase<G, T>[] {
  const file = readJson(`wycheproof/${name}`) as WycheproofFile<G, T>;
  const cases: WycheproofCase<G, T>[] = [];
  for (const group of file.testGroups) {
    for (const test of group.tests) cases.push({ group, test });
  }
  if (cases.length === 0 || cases.length !== file.numberOfTests) {
    throw new Error(`${name}: loaded ${cases.length} cases, the file declares ${file.numberOfTests}`);
  }
  return cases;
}

/** Reads test/vectors/libsignal/<name> (a flat object of hex strings and notes). */
export function libsignalVector<T>(name: string): T {
  return readJson(`libsignal/${name}`) as T;
}

/** Lower-case hex of 32 zero bytes, the all-zero X25519 output. */
export const ZERO_32_HEX = '00'.repeat(32);

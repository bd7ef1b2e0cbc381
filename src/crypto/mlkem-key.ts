/**
 * The ML-KEM-768 encapsulation-key check of FIPS 203 §7.2 ("modulus check"):
 * the first 384·k bytes of `ek` (k = 3) hold 256·k coefficients of 12 bits,
 * little-endian, two in every three bytes; each must be below q = 3329. The
 * last 32 bytes (the seed ρ) are not checked. Pure; no allocation.
 */
import type { Bytes } from './bytes.ts';
import { MLKEM768_PUBLIC_KEY_BYTES } from './constants.ts';

/** ML-KEM's modulus q (FIPS 203 §2.4). */
const MLKEM_Q = 3329;
/** Bytes of the encoded polynomial vector t̂ in an ML-KEM-768 encapsulation key (384·k, k = 3). */
const MLKEM768_T_BYTES = 1152;

/**
 * True when `ek` has ML-KEM-768's length and every 12-bit coefficient of its
 * polynomial part is below q, i.e. ByteEncode12(ByteDecode12(ek)) = ek.
 */
export function isValidMlKem768EncapsulationKey(ek: Bytes): boolean {
  if (ek.length !== MLKEM768_PUBLIC_KEY_BYTES) return false;
  for (let i = 0; i < MLKEM768_T_BYTES; i += 3) {
    const b0 = ek[i]!;
    const b1 = ek[i + 1]!;
    const b2 = ek[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= MLKEM_Q) return false;
    if (((b1 >> 4) | (b2 << 4)) >= MLKEM_Q) return false;
  }
  return true;
}

/**
 * ts-mls's errors as Sotto's typed errors. The library throws its own
 * classes (CryptoVerificationError, CryptoError, ValidationError,
 * CodecError, …) for anything a remote member can cause; group code turns
 * them into GroupAuthenticationError with the library's reason (it never
 * holds key material) and lets Sotto's own errors and programming errors
 * (TypeError, RangeError) through unchanged.
 */
import { MlsError } from 'ts-mls';
import { SottoError } from '../../crypto/errors.ts';
import { GroupAuthenticationError } from '../errors.ts';

/** `error` as a Sotto error when it came from ts-mls; otherwise `error` itself. */
export function mlsFailure(error: unknown): unknown {
  if (error instanceof SottoError) return error;
  if (error instanceof MlsError) return new GroupAuthenticationError(error.message);
  return error;
}

/** Runs `f`, rethrowing ts-mls errors as Sotto errors. */
export async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    throw mlsFailure(error);
  }
}

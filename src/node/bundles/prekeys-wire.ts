/**
 * Frames of /sotto/prekeys/1.0.0 (docs/PROTOCOL.md, "/sotto/prekeys"). Each
 * starts with the frame version and a type; the decoder checks lengths and
 * throws only DecodeError and version errors.
 *
 *   REQUEST  u8 version || u8 1
 *   BUNDLE   u8 version || u8 2 || bundle
 *   NONE     u8 version || u8 3            (no bundle available)
 */
import { Reader, Writer } from '../../crypto/bytes.ts';
import { DecodeError } from '../../crypto/errors.ts';
import { readVersion } from '../../crypto/version.ts';
import { FRAME_VERSION } from '../constants.ts';

const PREKEYS_REQUEST = 1;
const PREKEYS_BUNDLE = 2;
const PREKEYS_NONE = 3;

/** A decoded /sotto/prekeys frame. */
export type PrekeysFrame = { readonly type: 'request' } | { readonly type: 'bundle'; readonly bundle: Uint8Array } | { readonly type: 'none' };

export function encodePrekeysRequest(): Uint8Array {
  return Uint8Array.of(FRAME_VERSION, PREKEYS_REQUEST);
}

export function encodePrekeysBundle(bundle: Uint8Array): Uint8Array {
  return new Writer(2 + bundle.length).u8(FRAME_VERSION).u8(PREKEYS_BUNDLE).fixed(bundle, bundle.length).finish();
}

export function encodePrekeysNone(): Uint8Array {
  return Uint8Array.of(FRAME_VERSION, PREKEYS_NONE);
}

export function decodePrekeysFrame(bytes: Uint8Array): PrekeysFrame {
  const what = 'prekeys frame';
  const r = new Reader(bytes, what);
  readVersion(r, what, FRAME_VERSION);
  const type = r.u8('type');
  if (type === PREKEYS_REQUEST || type === PREKEYS_NONE) {
    r.end();
    return { type: type === PREKEYS_REQUEST ? 'request' : 'none' };
  }
  if (type === PREKEYS_BUNDLE) {
    if (r.remaining === 0) throw new DecodeError(what, 'empty bundle');
    return { type: 'bundle', bundle: r.rest() };
  }
  throw new DecodeError(what, `unknown type ${type}`);
}

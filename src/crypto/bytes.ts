/**
 * Byte helpers and a bounds-checked binary reader/writer used by every Sotto
 * codec (wire envelopes, prekey bundles, stored records).
 *
 * The {@link Reader} never reads past its input and never allocates more than
 * the bytes it was given: every length is checked against the remaining input
 * and against the caller's maximum before anything is copied. Failures are
 * {@link DecodeError}s naming the structure being decoded, so decoders built on
 * it throw only typed errors.
 */
import { DecodeError } from './errors.ts';

/** A read-only view of bytes; Sotto never mutates inputs it is given. */
export type Bytes = Uint8Array;

const encoder = new TextEncoder();

/** UTF-8 encodes a label or other ASCII constant. */
export function utf8(text: string): Bytes {
  return encoder.encode(text);
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(...parts: readonly Bytes[]): Bytes {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths.
 * Used wherever secret-derived values are compared.
 */
export function equalBytes(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lexicographic comparison of two byte arrays (not constant time: public data only). */
export function compareBytes(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Lower-case hex encoding. */
export function toHex(bytes: Bytes): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]!]!;
  return out;
}

/** Strict hex decoding: even length, hex digits only. Throws TypeError otherwise. */
export function fromHex(hex: string): Bytes {
  if (hex.length % 2 !== 0) throw new TypeError('fromHex: expected an even-length hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = hexDigit(hex.charCodeAt(2 * i));
    const low = hexDigit(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) throw new TypeError('fromHex: expected an even-length hex string');
    out[i] = (high << 4) | low;
  }
  return out;
}

/** The two lowercase hex digits of each byte value (hex conversion is on the path of every fetched item). */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** The value of one hex digit's char code, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** Big-endian 4-byte encoding of an unsigned 32-bit integer. */
export function u32be(value: number): Bytes {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`u32be: ${value} is not an unsigned 32-bit integer`);
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/**
 * Appends fields to a growing buffer. Writers are used only on data Sotto
 * produced itself; arguments out of range are programming errors (RangeError).
 */
/** Initial size of the scratch buffer Writers share (grown when a record needs more). */
const WRITER_SCRATCH_BYTES = 16 * 1024;
/**
 * One buffer lent to one Writer at a time (encoding is synchronous): typed
 * arrays above 64 bytes are costly to allocate in V8, and every message
 * encodes a record and an envelope. `finish()` copies the result out and
 * returns the buffer; a Writer that finds it lent allocates its own.
 */
let scratch: Uint8Array | undefined = new Uint8Array(WRITER_SCRATCH_BYTES);

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;
  private borrowed: boolean;

  constructor(initialCapacity = 256) {
    if (scratch && scratch.length >= initialCapacity) {
      this.buf = scratch;
      scratch = undefined;
      this.borrowed = true;
    } else {
      this.buf = new Uint8Array(initialCapacity);
      this.borrowed = false;
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.release();
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Hands the shared scratch buffer back (wiped), if this Writer holds it. */
  private release(): void {
    if (!this.borrowed) return;
    this.buf.fill(0, 0, this.len);
    scratch = this.buf;
    this.borrowed = false;
  }

  u8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`Writer.u8: ${value} out of range`);
    this.reserve(1);
    this.buf[this.len++] = value;
    return this;
  }

  u16(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`Writer.u16: ${value} out of range`);
    this.reserve(2);
    this.view.setUint16(this.len, value);
    this.len += 2;
    return this;
  }

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`Writer.u32: ${value} out of range`);
    this.reserve(4);
    this.view.setUint32(this.len, value);
    this.len += 4;
    return this;
  }

  /** Unsigned integer up to 2^53 - 1 (timestamps in ms), as 8 bytes big-endian. */
  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Writer.u64: ${value} out of range`);
    this.reserve(8);
    this.view.setUint32(this.len, Math.floor(value / 2 ** 32));
    this.view.setUint32(this.len + 4, value >>> 0);
    this.len += 8;
    return this;
  }

  /** Raw bytes of a length the format fixes; `length` is asserted. */
  fixed(bytes: Bytes, length: number): this {
    if (bytes.length !== length) throw new RangeError(`Writer.fixed: expected ${length} bytes, got ${bytes.length}`);
    this.reserve(length);
    this.buf.set(bytes, this.len);
    this.len += length;
    return this;
  }

  /** Bytes preceded by a u32 length. */
  varBytes(bytes: Bytes): this {
    this.u32(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** Everything written so far, as a new array. The Writer must not be used afterwards. */
  finish(): Bytes {
    const out = this.buf.slice(0, this.len);
    this.release();
    return out;
  }
}

/**
 * Reads fields from untrusted input. Every method checks the remaining length
 * first and throws {@link DecodeError} (never RangeError) on short input.
 */
export class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly input: Bytes, private readonly what: string) {
    if (!(input instanceof Uint8Array)) throw new DecodeError(what, 'input is not a byte array');
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.input.length - this.offset;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw new DecodeError(this.what, `truncated: ${field} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.input[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  u64(field: string): number {
    this.need(8, field);
    const hi = this.view.getUint32(this.offset);
    const lo = this.view.getUint32(this.offset + 4);
    if (hi >= 2 ** 21) throw new DecodeError(this.what, `${field} exceeds 2^53 - 1`);
    this.offset += 8;
    return hi * 2 ** 32 + lo;
  }

  /** A copy of the next `length` bytes (a plain Uint8Array even when the input is a Node Buffer). */
  fixed(length: number, field: string): Bytes {
    this.need(length, field);
    const out = new Uint8Array(this.input.subarray(this.offset, this.offset + length));
    this.offset += length;
    return out;
  }

  /** u32 length then bytes; the length must be within [min, max] before anything is copied. */
  varBytes(field: string, max: number, min = 0): Bytes {
    const length = this.u32(`${field} length`);
    if (length > max || length < min) {
      throw new DecodeError(this.what, `${field} length ${length} outside ${min}..${max}`);
    }
    return this.fixed(length, field);
  }

  /** A copy of everything left. */
  rest(): Bytes {
    const out = new Uint8Array(this.input.subarray(this.offset));
    this.offset = this.input.length;
    return out;
  }

  /** Asserts the input was consumed exactly. */
  end(): void {
    if (this.remaining !== 0) {
      throw new DecodeError(this.what, `${this.remaining} trailing bytes`);
    }
  }
}

/**
 * RFC 4648 base32 (alphabet A-Z 2-7, upper case, no padding) for text that
 * people copy and QR codes carry: invites. Decoding is strict, so every byte
 * string has exactly one spelling: only upper-case alphabet characters, no
 * padding, no length that no byte count produces, and zero unused bits.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BITS_PER_CHAR = 5;
const BITS_PER_BYTE = 8;
const CHAR_MASK = 0b11111;
const BYTE_MASK = 0xff;

const VALUES = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** Unpadded upper-case base32 of `bytes`. */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << BITS_PER_BYTE) | byte) & 0xffff;
    bits += BITS_PER_BYTE;
    while (bits >= BITS_PER_CHAR) {
      bits -= BITS_PER_CHAR;
      out += ALPHABET[(buffer >> bits) & CHAR_MASK];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (BITS_PER_CHAR - bits)) & CHAR_MASK];
  return out;
}

/**
 * The bytes of unpadded upper-case base32 `text`. Throws TypeError for any
 * other character, an impossible length, or non-zero unused trailing bits.
 */
export function fromBase32(text: string): Uint8Array {
  const length = Math.floor((text.length * BITS_PER_CHAR) / BITS_PER_BYTE);
  // A length whose last character would carry no whole byte is never produced.
  if (Math.ceil((length * BITS_PER_BYTE) / BITS_PER_CHAR) !== text.length) throw new TypeError('base32: impossible length');
  const out = new Uint8Array(length);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of text) {
    const value = VALUES.get(char);
    if (value === undefined) throw new TypeError('base32: character outside the alphabet');
    buffer = ((buffer << BITS_PER_CHAR) | value) & 0xffff;
    bits += BITS_PER_CHAR;
    if (bits >= BITS_PER_BYTE) {
      bits -= BITS_PER_BYTE;
      out[index++] = (buffer >> bits) & BYTE_MASK;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new TypeError('base32: non-zero unused bits');
  return out;
}

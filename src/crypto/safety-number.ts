/**
 * Safety numbers: a fingerprint of two identities that both people compute
 * alike, compare out of band (read aloud or scan as a QR code) and so detect
 * a man in the middle.
 *
 * Each party's fingerprint is SHA-512 iterated 5,200 times over its Ed25519
 * identity key (as in Signal; the iteration makes a targeted collision
 * costlier). The displayed number is both parties' 30-digit numbers sorted
 * and concatenated, so it does not depend on who computes it. Only the
 * Ed25519 key enters: it names the peer (PeerId) and certifies the X25519 key.
 */
import { concatBytes, equalBytes, toHex, type Bytes } from './bytes.ts';
import {
  LABEL_SAFETY_NUMBER,
  SAFETY_NUMBER_DIGITS_PER_PARTY,
  SAFETY_NUMBER_ITERATIONS,
  SAFETY_NUMBER_QR_FINGERPRINT_BYTES,
  SAFETY_NUMBER_QR_PREFIX,
} from './constants.ts';
import type { Primitives } from './primitives/types.ts';

/** A safety number in both of its forms. */
export interface SafetyNumber {
  /** 60 decimal digits (display them in groups of five). */
  readonly digits: string;
  /** The string to put in a QR code: "sotto-sn:1:<hex>:<hex>". */
  readonly qrPayload: string;
}

const CHUNK_BYTES = 5;
const CHUNK_DIGITS = 5;
const CHUNK_MODULUS = 100_000;

/** The iterated SHA-512 fingerprint of one identity key (64 bytes). */
export function identityFingerprint(primitives: Primitives, signingKey: Bytes): Bytes {
  let hash = concatBytes(LABEL_SAFETY_NUMBER, signingKey);
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) hash = primitives.sha512(concatBytes(hash, signingKey));
  return hash;
}

/** The 30 digits of one fingerprint: six 5-byte big-endian chunks, each mod 100000. */
function fingerprintDigits(fingerprint: Bytes): string {
  let digits = '';
  for (let offset = 0; offset < (SAFETY_NUMBER_DIGITS_PER_PARTY / CHUNK_DIGITS) * CHUNK_BYTES; offset += CHUNK_BYTES) {
    let chunk = 0;
    for (let i = 0; i < CHUNK_BYTES; i++) chunk = chunk * 256 + fingerprint[offset + i]!;
    digits += String(chunk % CHUNK_MODULUS).padStart(CHUNK_DIGITS, '0');
  }
  return digits;
}

/** One identity's 30 digits: its half of every safety number it is part of. */
export function identityDigits(primitives: Primitives, signingKey: Bytes): string {
  return fingerprintDigits(identityFingerprint(primitives, signingKey));
}

/**
 * Computes the safety number of two identity keys; the result is the same
 * whichever key is passed first.
 */
export function safetyNumber(primitives: Primitives, ourSigningKey: Bytes, theirSigningKey: Bytes): SafetyNumber {
  const parties = [ourSigningKey, theirSigningKey]
    .map((key) => identityFingerprint(primitives, key))
    .map((fp) => ({ fp, digits: fingerprintDigits(fp) }))
    .sort((a, b) => (a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0));
  const digits = parties.map((p) => p.digits).join('');
  const qrPayload = SAFETY_NUMBER_QR_PREFIX + parties.map((p) => toHex(p.fp.subarray(0, SAFETY_NUMBER_QR_FINGERPRINT_BYTES))).join(':');
  return { digits, qrPayload };
}

/** Formats 60 digits as twelve groups of five separated by spaces. */
export function formatSafetyNumber(digits: string): string {
  return digits.replace(/(\d{5})(?=\d)/g, '$1 ');
}

/** Compares a scanned QR payload with ours in constant time over equal-length input. */
export function matchesSafetyNumberQr(ours: SafetyNumber, scanned: string): boolean {
  const enc = new TextEncoder();
  return equalBytes(enc.encode(ours.qrPayload), enc.encode(scanned.trim()));
}

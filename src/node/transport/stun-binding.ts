/**
 * The STUN Binding exchange (RFC 8489), as much of it as a relay needs to
 * tell a peer which public address and port its UDP socket is seen from:
 * a Binding request in, a Binding success response with one
 * XOR-MAPPED-ADDRESS out. Nothing else of STUN (no authentication, no
 * error responses, no other method). Pure: bytes in, bytes out, for the
 * responder (./stun-responder.ts) and its tests.
 *
 * A request is answered only when it is well formed: at least the 20-byte
 * header and at most STUN_MAX_REQUEST_BYTES, the two top bits zero, the
 * Binding request type, the magic cookie, a length that is a multiple of 4
 * and matches the datagram, and attributes that walk exactly to the end
 * (each a type, a length and a value padded to 4 bytes). Attributes are
 * otherwise ignored. The answer is 32 bytes for an IPv4 sender and 44 for
 * an IPv6 one (never more), sent only to the sender's address.
 */
import { STUN_MAX_REQUEST_BYTES } from '../constants.ts';

/** The magic cookie every STUN message carries (RFC 8489 §5). */
const MAGIC_COOKIE = 0x2112a442;
/** Type, length, magic cookie, 96-bit transaction id. */
export const STUN_HEADER_BYTES = 20;
const TRANSACTION_ID_OFFSET = 8;
const ATTRIBUTE_HEADER_BYTES = 4;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
/** Address families of XOR-MAPPED-ADDRESS (RFC 8489 §14.1). */
const FAMILY_IPV4 = 0x01;
const FAMILY_IPV6 = 0x02;
const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
/** Reserved byte, family byte, port: before the address in XOR-MAPPED-ADDRESS. */
const ADDRESS_PREFIX_BYTES = 4;

/** The largest answer: an IPv6 XOR-MAPPED-ADDRESS (20 + 4 + 20 bytes). */
export const STUN_MAX_RESPONSE_BYTES = STUN_HEADER_BYTES + ATTRIBUTE_HEADER_BYTES + ADDRESS_PREFIX_BYTES + IPV6_BYTES;

/** Where a datagram came from, as node:dgram reports it. */
export interface StunSender {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

/** Why a datagram gets no answer (for tests and the log; never sent). */
export type StunRefusal = 'size' | 'not-stun' | 'not-binding-request' | 'length' | 'attributes' | 'sender';

/** The transaction id of a well-formed Binding request, or why it is none. */
export function parseBindingRequest(datagram: Uint8Array): { readonly transactionId: Uint8Array } | { readonly refused: StunRefusal } {
  if (datagram.length < STUN_HEADER_BYTES || datagram.length > STUN_MAX_REQUEST_BYTES) return { refused: 'size' };
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const type = view.getUint16(0);
  // The two top bits of every STUN message are zero; the cookie tells STUN from other UDP traffic.
  if ((type & 0xc000) !== 0 || view.getUint32(4) !== MAGIC_COOKIE) return { refused: 'not-stun' };
  if (type !== BINDING_REQUEST) return { refused: 'not-binding-request' };
  const length = view.getUint16(2);
  if (length % 4 !== 0 || STUN_HEADER_BYTES + length !== datagram.length) return { refused: 'length' };
  for (let offset = STUN_HEADER_BYTES; offset < datagram.length;) {
    if (offset + ATTRIBUTE_HEADER_BYTES > datagram.length) return { refused: 'attributes' };
    const valueBytes = view.getUint16(offset + 2);
    offset += ATTRIBUTE_HEADER_BYTES + Math.ceil(valueBytes / 4) * 4;
    if (offset > datagram.length) return { refused: 'attributes' };
  }
  return { transactionId: datagram.slice(TRANSACTION_ID_OFFSET, STUN_HEADER_BYTES) };
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address in text, or undefined when it is not one. */
export function addressBytes(address: string, family: StunSender['family']): Uint8Array | undefined {
  if (family === 'IPv4') {
    const parts = address.split('.');
    if (parts.length !== IPV4_BYTES || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
    return Uint8Array.from(parts.map(Number));
  }
  // node:dgram reports a scope as `fe80::1%eth0`; the scope is not part of the address.
  const [text] = address.split('%');
  const halves = text!.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = IPV6_BYTES / 2 - head.length - tail.length;
  if ((halves.length === 2 ? missing < 1 : missing !== 0) || ![...head, ...tail].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const bytes = new Uint8Array(IPV6_BYTES);
  all.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

/**
 * The Binding success response to `datagram` from `sender`, or why there is
 * none (the datagram is no well-formed Binding request, or the sender's
 * address cannot be written). Never throws.
 */
export function bindingResponse(datagram: Uint8Array, sender: StunSender): { readonly response: Uint8Array } | { readonly refused: StunRefusal } {
  const request = parseBindingRequest(datagram);
  if ('refused' in request) return request;
  const ip = addressBytes(sender.address, sender.family);
  if (ip === undefined || !Number.isInteger(sender.port) || sender.port < 0 || sender.port > 0xffff) return { refused: 'sender' };
  const valueBytes = ADDRESS_PREFIX_BYTES + ip.length;
  const response = new Uint8Array(STUN_HEADER_BYTES + ATTRIBUTE_HEADER_BYTES + valueBytes);
  const out = new DataView(response.buffer);
  out.setUint16(0, BINDING_SUCCESS);
  out.setUint16(2, ATTRIBUTE_HEADER_BYTES + valueBytes);
  out.setUint32(4, MAGIC_COOKIE);
  response.set(request.transactionId, TRANSACTION_ID_OFFSET);
  const attribute = STUN_HEADER_BYTES;
  out.setUint16(attribute, XOR_MAPPED_ADDRESS);
  out.setUint16(attribute + 2, valueBytes);
  out.setUint8(attribute + 5, ip.length === IPV4_BYTES ? FAMILY_IPV4 : FAMILY_IPV6);
  out.setUint16(attribute + 6, sender.port ^ (MAGIC_COOKIE >>> 16));
  // X-Address: the address XORed with the cookie, then (IPv6) the transaction id (RFC 8489 §14.2).
  const mask = response.subarray(4, STUN_HEADER_BYTES);
  const start = attribute + ATTRIBUTE_HEADER_BYTES + ADDRESS_PREFIX_BYTES;
  ip.forEach((byte, i) => (response[start + i] = byte ^ mask[i]!));
  return { response };
}

/**
 * The STUN Binding codec a relay answers with (src/node/transport/stun-binding.ts):
 * RFC 5769's sample request answered with RFC 5769's XOR-MAPPED-ADDRESS for
 * an IPv4 and an IPv6 sender; each kind of malformed, oversized or foreign
 * datagram refused by name; and fuzz-style runs (random datagrams, every
 * truncation and byte flip of the sample) in which nothing throws and no
 * answer is ever larger than STUN_MAX_RESPONSE_BYTES or sent for anything
 * but a well-formed Binding request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { STUN_MAX_REQUEST_BYTES } from '../../src/node/constants.ts';
import { addressBytes, bindingResponse, parseBindingRequest, STUN_HEADER_BYTES, STUN_MAX_RESPONSE_BYTES, type StunRefusal, type StunSender } from '../../src/node/transport/stun-binding.ts';

interface Rfc5769 {
  readonly request: string;
  readonly transactionId: string;
  readonly responses: readonly { readonly section: string; readonly address: string; readonly family: 'IPv4' | 'IPv6'; readonly port: number; readonly xorMappedAddress: string }[];
}
const VECTORS = JSON.parse(readFileSync(new URL('../vectors/stun/rfc5769.json', import.meta.url), 'utf8')) as Rfc5769;
const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const REQUEST = fromHex(VECTORS.request);
const SENDER: StunSender = { address: '192.0.2.1', family: 'IPv4', port: 32853 };

/** A minimal Binding request (header only) with transaction id 1…12. */
function bareRequest(): Uint8Array {
  const bytes = new Uint8Array(STUN_HEADER_BYTES);
  bytes.set([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
  for (let i = 8; i < STUN_HEADER_BYTES; i++) bytes[i] = i - 7;
  return bytes;
}

/** `bytes` with the header's length field set to `length`. */
function withLength(bytes: Uint8Array, length: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint16(2, length);
  return copy;
}

function refusal(datagram: Uint8Array, sender: StunSender = SENDER): StunRefusal | undefined {
  const answer = bindingResponse(datagram, sender);
  return 'refused' in answer ? answer.refused : undefined;
}

test('RFC 5769: the sample request is answered with the sample XOR-MAPPED-ADDRESS, for an IPv4 and an IPv6 sender', () => {
  for (const vector of VECTORS.responses) {
    const answer = bindingResponse(REQUEST, { address: vector.address, family: vector.family, port: vector.port });
    assert.ok('response' in answer, `section ${vector.section}`);
    const { response } = answer;
    const view = new DataView(response.buffer, response.byteOffset, response.byteLength);
    assert.equal(view.getUint16(0), 0x0101, 'Binding success response');
    assert.equal(view.getUint16(2), response.length - STUN_HEADER_BYTES, 'length field');
    assert.equal(toHex(response.subarray(4, 8)), '2112a442', 'magic cookie');
    assert.equal(toHex(response.subarray(8, STUN_HEADER_BYTES)), VECTORS.transactionId, 'the request\'s transaction id');
    assert.equal(toHex(response.subarray(STUN_HEADER_BYTES)), vector.xorMappedAddress, `section ${vector.section}: XOR-MAPPED-ADDRESS, the only attribute`);
  }
});

test('a header-only Binding request is answered, 32 bytes for IPv4 and 44 for IPv6, never more than STUN_MAX_RESPONSE_BYTES', () => {
  const v4 = bindingResponse(bareRequest(), SENDER);
  const v6 = bindingResponse(bareRequest(), { address: 'fe80::1%eth0', family: 'IPv6', port: 1 });
  assert.ok('response' in v4 && 'response' in v6);
  assert.equal(v4.response.length, 32);
  assert.equal(v6.response.length, 44);
  assert.equal(STUN_MAX_RESPONSE_BYTES, 44);
  assert.equal(toHex(v6.response.subarray(28, 30)), (0xfe ^ 0x21).toString(16) + (0x80 ^ 0x12).toString(16), 'the scope is not part of the address');
});

test('every malformed datagram is refused, by name', () => {
  const request = bareRequest();
  const cases: [string, Uint8Array, StunRefusal][] = [
    ['empty', new Uint8Array(0), 'size'],
    ['shorter than a header', request.subarray(0, STUN_HEADER_BYTES - 1), 'size'],
    ['larger than STUN_MAX_REQUEST_BYTES', withLength(new Uint8Array(STUN_MAX_REQUEST_BYTES + 4).fill(0), STUN_MAX_REQUEST_BYTES + 4 - STUN_HEADER_BYTES), 'size'],
    ['top bits set (not STUN: RTP, DTLS)', Uint8Array.from([0x80, ...request.subarray(1)]), 'not-stun'],
    ['another magic cookie (classic RFC 3489 STUN)', Uint8Array.from([...request.subarray(0, 4), 0, 0, 0, 0, ...request.subarray(8)]), 'not-stun'],
    ['a Binding success response', Uint8Array.from([0x01, 0x01, ...request.subarray(2)]), 'not-binding-request'],
    ['a Binding indication', Uint8Array.from([0x00, 0x11, ...request.subarray(2)]), 'not-binding-request'],
    ['an Allocate request (TURN)', Uint8Array.from([0x00, 0x03, ...request.subarray(2)]), 'not-binding-request'],
    ['length not a multiple of 4', withLength(Uint8Array.from([...request, 0, 0]), 2), 'length'],
    ['length longer than the datagram', withLength(request, 8), 'length'],
    ['bytes after what the length says', Uint8Array.from([...request, 0, 0, 0, 0]), 'length'],
    ['an attribute longer than the message', withLength(Uint8Array.from([...request, 0x80, 0x22, 0x00, 0x10, 1, 2, 3, 4]), 8), 'attributes'],
    ['an attribute whose padding runs past the end', withLength(Uint8Array.from([...request, 0x80, 0x22, 0x00, 0x05, 1, 2, 3, 4]), 8), 'attributes'],
  ];
  for (const [what, datagram, expected] of cases) assert.equal(refusal(datagram), expected, what);
  assert.ok('transactionId' in parseBindingRequest(REQUEST), 'the RFC sample passes the same checks');
});

test('senders whose address cannot be written are refused: IPv4-mapped text, malformed addresses, bad ports', () => {
  const request = bareRequest();
  assert.equal(refusal(request, { address: '::ffff:192.0.2.1', family: 'IPv6', port: 1 }), 'sender');
  assert.equal(refusal(request, { address: '192.0.2', family: 'IPv4', port: 1 }), 'sender');
  assert.equal(refusal(request, { address: '192.0.2.256', family: 'IPv4', port: 1 }), 'sender');
  assert.equal(refusal(request, { address: '1:2:3:4:5:6:7:8:9', family: 'IPv6', port: 1 }), 'sender');
  assert.equal(refusal(request, { address: '1::2::3', family: 'IPv6', port: 1 }), 'sender');
  assert.equal(refusal(request, { address: '192.0.2.1', family: 'IPv4', port: 65_536 }), 'sender');
  assert.equal(refusal(request, { address: '192.0.2.1', family: 'IPv4', port: -1 }), 'sender');
  assert.deepEqual(addressBytes('::', 'IPv6'), new Uint8Array(16));
  assert.deepEqual(addressBytes('1::', 'IPv6'), Uint8Array.from([0, 1, ...new Uint8Array(14)]));
  assert.deepEqual(addressBytes('2001:db8::7', 'IPv6'), Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Uint8Array(11), 7]));
});

/** xorshift32: the same datagrams every run. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Checks one datagram: never throws, and answers only a well-formed request, with its id, within the size bound. */
function checkAnswer(datagram: Uint8Array): boolean {
  const parsed = parseBindingRequest(datagram);
  const answer = bindingResponse(datagram, SENDER);
  if (!('response' in answer)) {
    assert.ok('refused' in parsed || answer.refused === 'sender');
    return false;
  }
  assert.ok('transactionId' in parsed, 'answered only a well-formed Binding request');
  assert.ok(answer.response.length <= STUN_MAX_RESPONSE_BYTES);
  assert.ok(datagram.length >= STUN_HEADER_BYTES && datagram.length <= STUN_MAX_REQUEST_BYTES);
  assert.deepEqual(answer.response.subarray(8, STUN_HEADER_BYTES), datagram.subarray(8, STUN_HEADER_BYTES), 'the transaction id echoed');
  return true;
}

test('fuzz: 20,000 random datagrams (random bytes, and random bytes under a valid header) never throw and are answered only when well formed', () => {
  const next = random(0x5747_0001);
  let answered = 0;
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(next() * (STUN_MAX_REQUEST_BYTES + 64));
    const datagram = Uint8Array.from({ length }, () => Math.floor(next() * 256));
    // Half of them carry a valid header, so the attribute walk is what decides.
    if (i % 2 === 0 && length >= STUN_HEADER_BYTES) datagram.set(withLength(bareRequest(), (length - STUN_HEADER_BYTES) & ~3).subarray(0, 8));
    if (checkAnswer(datagram)) answered++;
  }
  assert.ok(answered > 0, 'some random attribute lists do walk to the end');
});

test('fuzz: every truncation and every single-byte change of the RFC 5769 request never throws; none of the truncations is answered', () => {
  for (let length = 0; length < REQUEST.length; length++) assert.equal(checkAnswer(REQUEST.subarray(0, length)), false, `truncated to ${length} bytes`);
  for (let i = 0; i < REQUEST.length; i++) {
    for (const flip of [0x01, 0x80, 0xff]) {
      const datagram = REQUEST.slice();
      datagram[i]! ^= flip;
      checkAnswer(datagram);
    }
  }
});

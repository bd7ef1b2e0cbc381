/**
 * The addresses a peer gives its contacts: in its invite (docs/PROTOCOL.md
 * §23) and, later, in an addresses payload inside the encrypted channel
 * (§14). Both carry the same list:
 *
 *   u8 count (≤ MAX_INVITE_ADDRESSES) || count × (u8 m (1..MAX_INVITE_ADDRESS_BYTES) || multiaddr (m bytes, binary))
 *
 * each a canonical multiaddr without the trailing /p2p/<peer id> (the
 * sender's own id is implied), none twice.
 */
import { equalBytes, type Bytes, type Reader, type Writer } from '../../crypto/bytes.ts';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { MAX_INVITE_ADDRESS_BYTES, MAX_INVITE_ADDRESSES } from '../constants.ts';

/** The multiaddr protocol that names a peer. */
const P2P = 'p2p';

/** Why an address list does not decode: cut short, or an address that breaks a rule. */
export type AddressListProblem = 'truncated' | 'address';

/**
 * The binary form of an address of `peerId`, without a trailing
 * /p2p/<peerId>. Throws RangeError for anything else that is not a
 * multiaddr, ends with another peer id, or is longer than
 * MAX_INVITE_ADDRESS_BYTES.
 */
export function inviteAddressBytes(address: string, peerId: string): Bytes {
  let ma: Multiaddr;
  try {
    ma = multiaddr(address);
  } catch {
    throw new RangeError(`invite address ${JSON.stringify(address)} is not a multiaddr`);
  }
  const components = ma.getComponents();
  const last = components.at(-1);
  if (last?.name === P2P) {
    if (last.value !== peerId) throw new RangeError(`invite address ${JSON.stringify(address)} names another peer`);
    ma = multiaddr(components.slice(0, -1));
  }
  if (ma.getComponents().length === 0) throw new RangeError(`invite address ${JSON.stringify(address)} is empty`);
  if (ma.bytes.length > MAX_INVITE_ADDRESS_BYTES) throw new RangeError(`invite address ${JSON.stringify(address)} is longer than ${MAX_INVITE_ADDRESS_BYTES} bytes`);
  return ma.bytes;
}

function isLoopback(address: string): boolean {
  const first = multiaddr(address).getComponents()[0];
  if (!first) return false;
  if (first.name === 'ip4') return first.value?.startsWith('127.') ?? false;
  if (first.name === 'ip6') return first.value === '::1';
  return first.value === 'localhost';
}

/**
 * The addresses to give contacts from a node's listening addresses: those
 * that fit an invite, without /p2p/<peer id>, without repeats; loopback
 * ones only when there is nothing else (they reach only this machine); at
 * most MAX_INVITE_ADDRESSES, in the node's order.
 */
export function selectInviteAddresses(listening: readonly string[], peerId: string): string[] {
  const usable = new Set<string>();
  for (const address of listening) {
    try {
      usable.add(multiaddr(inviteAddressBytes(address, peerId)).toString());
    } catch {
      // Not one this node can give (too long, another peer's): left out.
    }
  }
  const all = [...usable];
  const reachable = all.filter((a) => !isLoopback(a));
  return (reachable.length > 0 ? reachable : all).slice(0, MAX_INVITE_ADDRESSES);
}

/**
 * Writes the address list of `peerId` (repeats dropped). Throws RangeError
 * for more than MAX_INVITE_ADDRESSES addresses, and as
 * {@link inviteAddressBytes}.
 */
export function writeAddressList(w: Writer, addresses: readonly string[], peerId: string): void {
  const unique = new Map<string, Bytes>();
  for (const address of addresses) {
    const bytes = inviteAddressBytes(address, peerId);
    unique.set(multiaddr(bytes).toString(), bytes);
  }
  if (unique.size > MAX_INVITE_ADDRESSES) throw new RangeError(`an address list holds at most ${MAX_INVITE_ADDRESSES} addresses`);
  w.u8(unique.size);
  for (const bytes of unique.values()) w.u8(bytes.length).fixed(bytes, bytes.length);
}

/**
 * Reads an address list, checking every length before it is read; each
 * problem becomes the caller's error through `fail`.
 */
export function readAddressList(r: Reader, fail: (problem: AddressListProblem, detail: string) => Error): string[] {
  const need = (n: number, field: string): void => {
    if (r.remaining < n) throw fail('truncated', `it is cut short (in the ${field})`);
  };
  need(1, 'address count');
  const count = r.u8('address count');
  if (count > MAX_INVITE_ADDRESSES) throw fail('address', `it lists ${count} addresses (at most ${MAX_INVITE_ADDRESSES})`);
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    need(1, `address ${i + 1} length`);
    const length = r.u8('address length');
    if (length === 0 || length > MAX_INVITE_ADDRESS_BYTES) throw fail('address', `address ${i + 1} is ${length} bytes long (1 to ${MAX_INVITE_ADDRESS_BYTES})`);
    need(length, `address ${i + 1}`);
    const bytes = r.fixed(length, 'address');
    let ma: Multiaddr;
    try {
      ma = multiaddr(bytes);
    } catch {
      throw fail('address', `address ${i + 1} is not a multiaddr`);
    }
    const components = ma.getComponents();
    if (components.length === 0 || !equalBytes(ma.bytes, bytes)) throw fail('address', `address ${i + 1} is not a canonical multiaddr`);
    if (components.at(-1)!.name === P2P) throw fail('address', `address ${i + 1} ends with a peer id`);
    const text = ma.toString();
    if (addresses.includes(text)) throw fail('address', `address ${i + 1} is listed twice`);
    addresses.push(text);
  }
  return addresses;
}

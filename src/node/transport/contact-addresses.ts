/**
 * Addresses kept with a contact: where its node listened when it made the
 * invite the contact was added from. The messenger hands them to the network
 * (the libp2p peer store) when it starts and when the contact is added, so
 * the first dial needs no DHT lookup and two nodes that share no bootstrap
 * peer still find each other; the network dials only those the contact dial
 * policy admits (./contact-dial-policy.ts). They are hints: libp2p also
 * learns fresher addresses from the DHT and from identify.
 */
import { multiaddr } from '@multiformats/multiaddr';
import { MAX_INVITE_ADDRESSES } from '../constants.ts';

/** Longest address string kept with a contact (a binary multiaddr of MAX_INVITE_ADDRESS_BYTES prints shorter than this). */
const MAX_CONTACT_ADDRESS_LENGTH = 1024;

/**
 * The canonical text of each address, checked: at most MAX_INVITE_ADDRESSES
 * multiaddrs, none repeated. Throws RangeError otherwise.
 */
export function checkContactAddresses(addresses: readonly string[]): string[] {
  if (!Array.isArray(addresses)) throw new RangeError('contact addresses must be an array of multiaddr strings');
  if (addresses.length > MAX_INVITE_ADDRESSES) throw new RangeError(`a contact keeps at most ${MAX_INVITE_ADDRESSES} addresses`);
  const out: string[] = [];
  for (const address of addresses) {
    if (typeof address !== 'string' || address.length > MAX_CONTACT_ADDRESS_LENGTH) throw new RangeError('a contact address must be a multiaddr string');
    let text: string;
    try {
      text = multiaddr(address).toString();
    } catch {
      throw new RangeError(`contact address ${JSON.stringify(address)} is not a multiaddr`);
    }
    if (out.includes(text)) throw new RangeError(`contact address ${text} is listed twice`);
    out.push(text);
  }
  return out;
}

/** True when both lists hold the same addresses in the same order. */
export function sameAddresses(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((address, i) => address === y[i]);
}

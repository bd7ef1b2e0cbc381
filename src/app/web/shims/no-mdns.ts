/**
 * Stands in for @libp2p/mdns in the browser build: a page cannot send
 * multicast (mDNS needs Node's dgram). createNode loads mDNS only when asked,
 * and the page never asks.
 */
export function mdns(): never {
  throw new Error('mDNS is not available in a browser');
}

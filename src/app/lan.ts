/**
 * `sotto start --lan`: the settings of a node on a local network with no
 * internet. It finds peers by mDNS (no bootstrap address needed), runs the
 * DHT over LAN addresses (Sotto's DHT keeps private addresses anyway), and
 * holds mail for its LAN peers unless `--no-mailbox` says otherwise.
 */

/** The options --lan sets defaults for. */
export interface LanFlags {
  readonly lan?: boolean;
  readonly mdns?: boolean;
  readonly mailbox?: boolean;
}

/** `flags` with --lan's defaults filled in; an explicit --mailbox / --no-mailbox wins. */
export function withLanDefaults<T extends LanFlags>(flags: T): T {
  if (flags.lan !== true) return flags;
  return { ...flags, mdns: true, mailbox: flags.mailbox ?? true };
}

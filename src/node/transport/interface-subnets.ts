/**
 * The subnets of this machine's network interfaces (Node only: a browser
 * cannot list them), for the contact dial policy (./contact-dial-policy.ts):
 * a private invite address is dialled only inside one of them.
 */
import { networkInterfaces } from 'node:os';

/**
 * The CIDR of every address of every non-loopback interface, read now (a
 * laptop changes networks), e.g. `192.168.1.20/24`, `fe80::1/64`.
 */
export function interfaceSubnets(): string[] {
  return Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).filter((a) => !a.internal && a.cidr !== null).map((a) => a.cidr!));
}

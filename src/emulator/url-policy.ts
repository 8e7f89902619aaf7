/**
 * Blue refuses webhook URLs that are not valid http(s) or that resolve to anything but a public
 * address (loopback, private, link-local, cloud metadata). The emulator applies the same rule unless
 * told not to, and applies it twice: when a URL is saved, and at every connection (a name that
 * resolved to a public address then may resolve to 127.0.0.1 now: DNS rebinding).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether an address is a public unicast one. IPv4-mapped IPv6 is judged by its IPv4; every other
 * special range is refused: private, loopback, link-local, carrier-grade NAT, multicast, broadcast,
 * reserved, unspecified, the IPv6 forms that embed an IPv4 (NAT64, 6to4, Teredo), and the whole of
 * `::/96` (unspecified, loopback, and the deprecated IPv4-compatible form `::a.b.c.d`, which some
 * stacks still route to the IPv4 inside).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(canonical(address));
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.parts.slice(0, 6).every((part) => part === 0)) return false;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/**
 * An IPv6 literal as the URL parser writes it (`::127.0.0.1` is `::7f00:1`): ipaddr.js reads a
 * dotted tail as the mapped form `::ffff:…`, which would judge `::127.0.0.1` by a different rule
 * than the `[::7f00:1]` a URL carries.
 */
function canonical(address: string): string {
  if (isIP(address) !== 6) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

export const isPrivateAddress = (address: string): boolean => !isPublicAddress(address);

export type UrlVerdict = 'ok' | 'invalid' | 'private' | 'unresolvable';

/** `localhost`, its subdomains, and the same with the root's trailing dot (`localhost.`). */
const isLocalhostName = (host: string) => /(^|\.)localhost\.?$/i.test(host);

export async function checkWebhookUrl(url: string, allowPrivate: boolean): Promise<UrlVerdict> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'invalid';
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname)
    return 'invalid';
  if (allowPrivate) return 'ok';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isLocalhostName(host)) return 'private';
  if (isIP(host)) return isPublicAddress(host) ? 'ok' : 'private';
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    return 'unresolvable';
  }
  return addresses.every((a) => isPublicAddress(a.address)) ? 'ok' : 'private';
}

/**
 * A `lookup` for the delivery client's connections that refuses non-public addresses: the check at
 * connection time, on the address actually connected to.
 */
export const publicOnlyLookup: typeof dnsLookup = ((
  hostname: string,
  options: object,
  callback: (
    error: NodeJS.ErrnoException | null,
    address: string | LookupAddress[],
    family?: number,
  ) => void,
) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '');
    const list = addresses as LookupAddress[];
    const refused = list.find((a) => !isPublicAddress(a.address));
    if (refused) {
      const e: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to a private/internal address (${refused.address}); not connecting`,
      );
      e.code = 'EPRIVATEADDRESS';
      return callback(e, '');
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}) as unknown as typeof dnsLookup;

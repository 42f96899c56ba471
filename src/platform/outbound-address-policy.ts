import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where RAIA may send requests a user chose the address of (webhooks): only public unicast
 * addresses, unless an operator allow-lists a host, an address or a CIDR range. Private, loopback,
 * link-local (169.254.169.254, the cloud metadata service, is one), unique-local, carrier-grade NAT,
 * multicast and reserved ranges are refused, judged on every address the name resolves to, and the
 * connection is made to the address that was checked (no second lookup a DNS rebinding could change).
 */
export class OutboundAddressPolicy {
  private readonly hosts = new Set<string>();
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  constructor(allowed: readonly string[]) {
    for (const entry of allowed) {
      if (entry.includes('/')) this.ranges.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) this.ranges.push([ipaddr.parse(entry), ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128]);
      else this.hosts.add(entry.toLowerCase());
    }
  }

  /** Why a URL may not be called (null when it may): scheme, credentials in it, and each resolved address. */
  async refusal(url: string): Promise<string | null> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not a URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http or https URL';
    if (parsed.username || parsed.password) return 'must not carry credentials; authenticate the delivery by its signature';
    try {
      await this.resolve(hostOf(parsed));
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** The checked addresses of a host; throws naming the first refused one. */
  async resolve(host: string): Promise<{ address: string; family: 4 | 6 }[]> {
    const literal = ipaddr.isValid(host);
    const found = literal ? [{ address: host, family: ipaddr.parse(host).kind() === 'ipv4' ? 4 : 6 }] : await lookup(host, { all: true, verbatim: true }).catch(() => {
      throw new Error(`host ${host} does not resolve`);
    });
    if (found.length === 0) throw new Error(`host ${host} does not resolve`);
    if (this.hosts.has(host.toLowerCase())) return found as { address: string; family: 4 | 6 }[];
    for (const { address } of found) {
      let ip = ipaddr.parse(address);
      // ::ffff:10.0.0.1 is 10.0.0.1.
      if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
      const range = ip.range();
      if (range !== 'unicast' && !this.allowsAddress(ip)) throw new Error(`resolves to ${address} (${range}), which webhooks may not reach unless RAIA_WEBHOOK_ALLOWED_HOSTS allows it`);
    }
    return found as { address: string; family: 4 | 6 }[];
  }

  /** A `lookup` for node:http(s) requests that connects only to addresses this policy accepts. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        const first = addresses[0]!;
        if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: Error) => callback(Object.assign(error, { code: 'EREFUSEDADDRESS' }), '', 0),
    );
  };

  private allowsAddress(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.ranges.some(([base, bits]) => base.kind() === ip.kind() && ip.match(base, bits));
  }
}

/** The host of a URL without IPv6 brackets. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

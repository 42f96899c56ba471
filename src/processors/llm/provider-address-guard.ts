import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Provider base URLs are user input, so a request to one must not reach this machine, the private
 * network or a cloud metadata service (SSRF). Every resolved address must be public unicast unless
 * it lies in the operator's allow-list (RAIA_LLM_ALLOWED_ADDRESSES). The check runs when a
 * configuration is saved and again at every connection (the resolver hook below), so a name that
 * later resolves elsewhere (DNS rebinding) is refused at connect time too.
 */
export class AddressGuard {
  private readonly allowed: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  constructor(allowedCidrs: readonly string[]) {
    this.allowed = allowedCidrs.map((c) => ipaddr.parseCIDR(c));
  }

  /** Why `address` may not be reached, or null when it may. */
  refusal(address: string): string | null {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
    // ::ffff:10.0.0.1 is 10.0.0.1.
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    if (this.allowed.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) return null;
    const range = parsed.range();
    // ipaddr.js names every special-purpose range (RFC 6890): private, loopback, linkLocal (169.254/16, where
    // cloud metadata services answer), carrierGradeNat (100.64/10, Alibaba's metadata), uniqueLocal (fd00::/8, AWS's IPv6 metadata), reserved…
    if (range === 'unicast') return null;
    return `${address} is a ${range} address; only public addresses are allowed (an operator may allow others with RAIA_LLM_ALLOWED_ADDRESSES)`;
  }

  /** Resolves `hostname` (or takes it as an address) and refuses it if any of its addresses is refused. */
  async check(hostname: string): Promise<string | null> {
    const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const addresses = isIP(bare) ? [bare] : await resolveAll(bare);
    if (addresses.length === 0) return `${bare} does not resolve`;
    for (const a of addresses) {
      const why = this.refusal(a);
      if (why) return isIP(bare) ? why : `${bare} resolves to ${why}`;
    }
    return null;
  }

  /** A `lookup` for net/tls connections that fails on any refused address (used by the HTTP agent). */
  readonly lookup = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const why = this.refusal(a.address);
        if (why) return callback(Object.assign(new Error(`refused address: ${hostname} resolves to ${why}`), { code: 'ERAIA_REFUSED_ADDRESS' }), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

function resolveAll(hostname: string): Promise<string[]> {
  return new Promise((resolve) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => resolve(err ? [] : addresses.map((a) => a.address)));
  });
}

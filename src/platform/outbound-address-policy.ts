import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where RAIA may send requests whose address a user chose (webhook URLs, LLM provider base URLs):
 * only public unicast addresses (SSRF), unless the operator's allow-list (a setting, named in the
 * refusals) lists the host, the address or a CIDR range. ipaddr.js names every special-purpose range
 * (RFC 6890): private, loopback, linkLocal (169.254/16, where cloud metadata services answer),
 * carrierGradeNat (100.64/10, Alibaba's metadata), uniqueLocal (fd00::/8, AWS's IPv6 metadata),
 * multicast, reserved… A name is judged on every address it resolves to, and connections resolve
 * through `lookup`, which refuses again at connect time: a name re-pointed at a private address
 * after it was checked (DNS rebinding) is refused when connecting.
 */
export class OutboundAddressPolicy {
  private readonly hosts = new Set<string>();
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  /** `allowed`: host names, addresses or CIDR ranges; `setting` names where the operator lists them. */
  constructor(
    allowed: readonly string[],
    private readonly setting = 'the allow-list',
  ) {
    for (const entry of allowed) {
      if (entry.includes('/')) this.ranges.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) this.ranges.push([ipaddr.parse(entry), ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128]);
      else this.hosts.add(entry.toLowerCase());
    }
  }

  /** Why `address` may not be reached, or null when it may. */
  addressRefusal(address: string): string | null {
    let ip: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
    // ::ffff:10.0.0.1 is 10.0.0.1.
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
    if (this.ranges.some(([base, bits]) => base.kind() === ip.kind() && ip.match(base, bits))) return null;
    const range = ip.range();
    if (range === 'unicast') return null;
    return `${address} is a ${range} address; only public addresses may be reached unless ${this.setting} allows it`;
  }

  /** Why `hostname` (a name, an address, or a bracketed IPv6 address) may not be reached, or null: every address it resolves to is judged. */
  async hostRefusal(hostname: string): Promise<string | null> {
    const host = hostname.replace(/^\[(.*)\]$/, '$1');
    if (this.hosts.has(host.toLowerCase())) return null;
    const addresses = isIP(host) ? [host] : await resolveAll(host);
    if (addresses.length === 0) return `${host} does not resolve`;
    for (const address of addresses) {
      const why = this.addressRefusal(address);
      if (why) return isIP(host) ? why : `${host} resolves to ${why}`;
    }
    return null;
  }

  /** Why a URL may not be called, or null: http(s) only, no credentials in it, and its host as `hostRefusal` judges it. */
  async refusal(url: string): Promise<string | null> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not a URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http or https URL';
    if (parsed.username || parsed.password) return 'must not carry credentials';
    return this.hostRefusal(parsed.hostname);
  }

  /** A `lookup` for net/tls connections that fails on any refused address. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!this.hosts.has(hostname.toLowerCase())) {
        for (const a of addresses) {
          const why = this.addressRefusal(a.address);
          if (why) return callback(Object.assign(new Error(`refused address: ${hostname} resolves to ${why}`), { code: 'ERAIA_REFUSED_ADDRESS' }), []);
        }
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
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => resolve(err ? [] : addresses.map((a) => a.address)));
  });
}

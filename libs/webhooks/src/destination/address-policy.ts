import { isIP } from 'node:net';

/**
 * Which IP addresses a webhook may be sent to: public unicast only (SSRF guard, api.md "Webhooks").
 *
 * Why: the URL is chosen by a tenant administrator, and the request leaves from inside our network.
 * Without this a tenant could make Charlotte POST to the cloud metadata service (169.254.169.254),
 * the database, the metrics port, or anything else only reachable from inside, and read its
 * answer's status code in the delivery log. Every range that is not globally routable unicast is
 * refused, including the forms that embed an IPv4 address in IPv6 (mapped, compatible, NAT64, 6to4,
 * Teredo), which would otherwise let `::ffff:127.0.0.1` through an IPv4-only list.
 */

/** [first address as an int, prefix length] of the IPv4 ranges that are never a webhook receiver. */
const V4_REFUSED: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved and broadcast'],
];

function v4ToInt(a: string): number {
  return a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

const V4_RANGES = V4_REFUSED.map(([base, bits, why]) => {
  const size = 2 ** (32 - bits);
  const start = v4ToInt(base);
  return { start, end: start + size - 1, why };
});

/** Why an IPv4 address is refused, or null when it is public. */
function v4Refusal(a: string): string | null {
  const n = v4ToInt(a);
  return V4_RANGES.find((r) => n >= r.start && n <= r.end)?.why ?? null;
}

/** The 16 bytes of an IPv6 address (with or without an embedded dotted IPv4 tail and a zone). */
export function ipv6Bytes(address: string): Uint8Array {
  let a = address.toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const words: number[] = [];
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const n = v4ToInt(g);
        out.push(Math.floor(n / 65536), n % 65536);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const dbl = a.indexOf('::');
  if (dbl >= 0) {
    const head = parse(a.slice(0, dbl));
    const tail = parse(a.slice(dbl + 2));
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else words.push(...parse(a));
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

const dotted = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const zeros = (b: Uint8Array, from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);

/** Why an IPv6 address is refused, or null when it is public. */
function v6Refusal(address: string): string | null {
  const b = ipv6Bytes(address);
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated): the IPv4 address decides.
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return v4Refusal(dotted(b, 12));
  if (zeros(b, 0, 12)) {
    if (zeros(b, 12, 15) && (b[15] === 0 || b[15] === 1)) return b[15] === 1 ? 'loopback' : 'unspecified';
    return v4Refusal(dotted(b, 12));
  }
  // 64:ff9b::/96 (NAT64) carries an IPv4 address too.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(b, 4, 12)) return v4Refusal(dotted(b, 12));
  // 2002::/16 (6to4): the IPv4 address of the relay follows.
  if (b[0] === 0x20 && b[1] === 0x02) return v4Refusal(dotted(b, 2)) ?? null;
  // 2001:0::/32 Teredo (tunnels to arbitrary IPv4 hosts) and 2001:db8::/32 (documentation).
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) return 'Teredo';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'documentation';
  // Only global unicast (2000::/3) is public; fc00::/7 (ULA), fe80::/10 (link-local), ff00::/8 (multicast), … are not.
  if ((b[0] & 0xe0) !== 0x20) {
    if ((b[0] & 0xfe) === 0xfc) return 'unique local';
    if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'link-local';
    if (b[0] === 0xff) return 'multicast';
    return 'not global unicast';
  }
  return null;
}

/** Why `address` (an IP literal) may not receive webhooks, or null when it is a public unicast address. */
export function addressRefusal(address: string): string | null {
  const family = isIP(address.split('%')[0]);
  if (family === 4) return v4Refusal(address);
  if (family === 6) return v6Refusal(address);
  return 'not an IP address';
}

export const isPublicAddress = (address: string): boolean => addressRefusal(address) === null;

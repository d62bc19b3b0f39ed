import { BlockList, isIPv4, isIPv6, SocketAddress } from 'node:net';

/**
 * CIDR parsing and matching for the IP allow-list. Matching is Node's `net.BlockList`
 * (a maintained built-in: IPv4, IPv6, and IPv4-mapped IPv6 such as `::ffff:203.0.113.5`,
 * which is how Node reports IPv4 clients of a dual-stack listener, match IPv4 rules and
 * the other way round). Only canonicalisation is done here: the address part is
 * parsed by Node (`SocketAddress`), the host bits are cleared so that the stored
 * list says which network is allowed (`203.0.113.7/24` is stored as `203.0.113.0/24`).
 */

export type CidrFamily = 'ipv4' | 'ipv6';

export interface Cidr {
  /** The canonical text: network address (host bits cleared, IPv6 compressed lowercase) and prefix. */
  text: string;
  family: CidrFamily;
  network: string;
  prefix: number;
}

/** Why a CIDR was refused (the field error code is `invalid_cidr` for each of them). */
export type CidrProblem = 'not_an_address' | 'bad_prefix';

const PREFIX = /^(0|[1-9]\d{0,2})$/;

/** The 16 bytes of an IPv6 address Node accepted (its compressed form, maybe with a dotted IPv4 tail). */
function ipv6Bytes(address: string): number[] {
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) becomes its two 16-bit groups.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    [((Number(a) << 8) | Number(b)).toString(16), ((Number(c) << 8) | Number(d)).toString(16)].join(':'),
  );
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Clears the bits after `prefix` of big-endian bytes. */
function mask(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/**
 * One entry of the list: `a.b.c.d/n`, an IPv6 network `x::/n`, or a single address
 * (taken as /32 or /128). Zone ids (`fe80::1%eth0`) are refused: they mean nothing
 * for a remote client.
 */
export function parseCidr(input: string): Cidr | CidrProblem {
  const raw = input.trim();
  const slash = raw.indexOf('/');
  const addr = slash < 0 ? raw : raw.slice(0, slash);
  const family: CidrFamily | undefined = isIPv4(addr) ? 'ipv4' : isIPv6(addr) && !addr.includes('%') ? 'ipv6' : undefined;
  if (!family) return 'not_an_address';
  const max = family === 'ipv4' ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = raw.slice(slash + 1);
    if (!PREFIX.test(p) || Number(p) > max) return 'bad_prefix';
    prefix = Number(p);
  }
  let network: string;
  if (family === 'ipv4') {
    network = mask(addr.split('.').map(Number), prefix).join('.');
  } else {
    const bytes = mask(ipv6Bytes(new SocketAddress({ address: addr, family: 'ipv6' }).address), prefix);
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
    // Node writes the canonical (RFC 5952) form: compressed, lowercase.
    network = new SocketAddress({ address: words.join(':'), family: 'ipv6' }).address;
  }
  return { text: `${network}/${prefix}`, family, network, prefix };
}

/** A matcher over canonical CIDRs (what is stored). */
export function allowListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const parsed = parseCidr(c);
    if (typeof parsed === 'string') continue; // stored lists are canonical; a bad row allows nothing
    list.addSubnet(parsed.network, parsed.prefix, parsed.family);
  }
  return list;
}

/** Whether a client address (as Express reports it: IPv4, IPv6 or IPv4-mapped IPv6) is inside the list. */
export function addressAllowed(list: BlockList, ip: string | undefined): boolean {
  if (!ip) return false;
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return false;
  return list.check(ip.replace(/%.*$/, ''), family);
}

/**
 * Which IP addresses a tuning input URL may not reach: loopback, private, link-local, unspecified
 * and the cloud metadata endpoints, as Kaito's webhook refuses them for literal hosts. The
 * webhook sees only the URL; the pre-flight applies the same rule to what a host *name* resolves
 * to, so `data.example.com → 10.0.0.5` is caught before a GPU node is paid for.
 *
 * Built on Node's `net.BlockList` (CIDR matching for v4, v6 and v4-mapped v6), not hand-written.
 */
import { BlockList, isIP } from 'node:net';

export type RestrictedKind = 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified';

function list(ranges: readonly [string, number, 'ipv4' | 'ipv6'][], addresses: readonly [string, 'ipv4' | 'ipv6'][] = []): BlockList {
  const b = new BlockList();
  for (const [net, prefix, family] of ranges) b.addSubnet(net, prefix, family);
  for (const [address, family] of addresses) b.addAddress(address, family);
  return b;
}

/** Checked in this order: the metadata endpoints sit inside link-local and private ranges. */
const KINDS: readonly (readonly [RestrictedKind, BlockList])[] = [
  // Azure/AWS/GCP (169.254.169.254), Alibaba (100.100.100.200), AWS IPv6 (fd00:ec2::254).
  ['metadata', list([], [['169.254.169.254', 'ipv4'], ['100.100.100.200', 'ipv4'], ['fd00:ec2::254', 'ipv6']])],
  ['loopback', list([['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']])],
  ['unspecified', list([['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']])],
  ['link-local', list([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']])],
  ['private', list([['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['fc00::', 7, 'ipv6']])],
];

/** What kind of restricted address `ip` is, or undefined when a download may reach it. */
export function restrictedAddress(ip: string): RestrictedKind | undefined {
  const family = isIP(ip);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // A v4-mapped v6 address (::ffff:10.0.0.1) is the v4 address: BlockList matches v4 rules only on the v4 form.
  const mapped = type === 'ipv6' ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] : undefined;
  for (const [kind, blocks] of KINDS) {
    if (mapped !== undefined ? blocks.check(mapped, 'ipv4') : blocks.check(ip, type)) return kind;
  }
  return undefined;
}

// IPv4 addresses and networks as the config writes them, through ipaddr.js: the schemas and the
// checks across sections ask every IPv4 question here.
import ipaddr from "ipaddr.js";

/** A dotted-quad IPv4 address: four decimal parts 0–255, no leading zeros. */
export function isIpv4(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value);
}

/** An address in 127.0.0.0/8: it reaches only the machine it is used on. */
export function isLoopbackIpv4(value: string): boolean {
  return isIpv4(value) && ipaddr.IPv4.parse(value).range() === "loopback";
}

/** The address ranges no host answers at: 0.0.0.0/8, multicast and the broadcast address. */
const NO_HOST_RANGES = ["unspecified", "multicast", "broadcast"];

/** An IPv4 address a host can have: not 0.0.0.0/8, multicast or broadcast. */
export function isHostIpv4(value: string): boolean {
  return isIpv4(value) && !NO_HOST_RANGES.includes(ipaddr.IPv4.parse(value).range());
}

/** Whether two CIDRs that `isNetworkCidr` accepted share an address. */
export function overlaps(a: string, b: string): boolean {
  const [first, second] = [ipaddr.IPv4.parseCIDR(a), ipaddr.IPv4.parseCIDR(b)];
  const shorter = Math.min(first[1], second[1]);
  return first[0].match(second[0], shorter);
}

/**
 * An IPv4 CIDR written as its network address and prefix length (`10.244.0.0/16`): the address
 * must be the network address itself, since 10.0.0.1/8 is almost always a typo.
 */
export function isNetworkCidr(value: string): boolean {
  if (!ipaddr.IPv4.isValidCIDR(value)) return false;
  const [, prefixLength] = ipaddr.IPv4.parseCIDR(value);
  return `${ipaddr.IPv4.networkAddressFromCIDR(value)}/${prefixLength}` === value;
}

/** The prefix length of a CIDR that `isNetworkCidr` accepted. */
export function prefixLength(cidr: string): number {
  return ipaddr.IPv4.parseCIDR(cidr)[1];
}

/** Whether an IPv4 address lies inside a network (a CIDR that `isNetworkCidr` accepted). */
export function inNetwork(address: string, cidr: string): boolean {
  return isIpv4(address) && ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR(cidr));
}

/**
 * `*` patterns covering a network exactly, for programs without CIDR syntax (the JVM's non-proxy
 * list): the prefix rounded up to an octet boundary, one `a.b.*` per block (10.96.0.0/12 is 10.96.*
 * to 10.111.*, at most 128 patterns).
 */
export function octetWildcards(cidr: string): string[] {
  const [network, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  if (prefix === 32) return [network.toString()];
  const octets = Math.ceil(prefix / 8);
  if (octets === 0) return ["*"];
  const head = network.toByteArray().slice(0, octets);
  return Array.from({ length: 2 ** (octets * 8 - prefix) }, (_, i) => [...head.slice(0, -1), head[octets - 1] + i, "*"].join("."));
}

/**
 * The networks holding exactly the given hosts: their subnet when one is given, else each address as
 * a /32; undefined when there is none, or a host is known only by name.
 */
export function hostNetworks(subnet: string | undefined, addresses: readonly string[]): string[] | undefined {
  if (subnet !== undefined) return [subnet];
  if (addresses.length === 0 || !addresses.every(isIpv4)) return undefined;
  return [...new Set(addresses)].map((address) => `${address}/32`);
}

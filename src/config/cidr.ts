// IPv4 CIDR arithmetic for subnet planning, on top of the `ip-address` library (no hand-written bit math).
import { Address4 } from 'ip-address';

/** A parsed IPv4 network, e.g. `10.0.0.0/16`. */
export interface Cidr {
  readonly text: string;
  readonly prefix: number;
  readonly first: bigint;
  readonly last: bigint;
}

/** Parses `a.b.c.d/n`; undefined when it is not a CIDR at all. */
export function parseCidr(text: string): Cidr | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text) || !Address4.isValid(text)) return undefined;
  const address = new Address4(text);
  return {
    text,
    prefix: address.subnetMask,
    first: address.startAddress().bigInt(),
    last: address.endAddress().bigInt(),
  };
}

/** True when the address part has no host bits set (`10.0.0.0/16`, not `10.0.0.1/16`). */
export function isNetworkAddress(text: string): boolean {
  const address = new Address4(text);
  return address.bigInt() === address.startAddress().bigInt();
}

/** RFC 1918 private ranges: VPCs in this project never use public address space. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((r) => parseCidr(r)!);

export function isPrivate(cidr: Cidr): boolean {
  return PRIVATE_RANGES.some((range) => contains(range, cidr));
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function addressCount(cidr: Cidr): bigint {
  return cidr.last - cidr.first + 1n;
}

/**
 * The `index`-th subnet of size `/newPrefix` inside `parent`: the same as Terraform's
 * `cidrsubnet(parent, newPrefix - parent.prefix, index)`, computed at synth time so the
 * synthesized JSON shows literal CIDRs to the reviewer.
 */
export function subnetAt(parent: Cidr, newPrefix: number, index: number): string {
  if (newPrefix < parent.prefix || newPrefix > 32) {
    throw new RangeError(`cannot cut a /${newPrefix} out of ${parent.text}`);
  }
  const size = 1n << BigInt(32 - newPrefix);
  const start = parent.first + size * BigInt(index);
  if (start + size - 1n > parent.last) {
    throw new RangeError(`subnet ${index} of /${newPrefix} does not fit in ${parent.text}`);
  }
  return `${Address4.fromBigInt(start).correctForm()}/${newPrefix}`;
}

// Subnet planning: the network's tiers, the CIDRs a VPC is cut into when the config lists none, and
// the checks on subnets a config does list. Pure arithmetic on CIDRs; no zod.
import { addressCount, contains, overlaps, parseCidr, subnetAt, type Cidr } from './cidr';
import { show } from './validators';

/** Tiers of the network: public (ALB, NAT), app (ECS tasks and hosts), data (RDS). */
export const TIERS = ['public', 'app', 'data'] as const;
export type Tier = (typeof TIERS)[number];

/** The smallest subnet each tier accepts: an ALB needs a /27, tasks in awsvpc mode use one address each. */
export const MIN_TIER_PREFIX: Record<Tier, number> = { public: 27, app: 24, data: 27 };

/** How much of the VPC a computed layout gives each tier: app /(vpc+3), public and data /(vpc+6). */
const TIER_LAYOUT: Record<Tier, { extraBits: number; firstIndex: number }> = {
  app: { extraBits: 3, firstIndex: 0 }, // first half of the VPC, one slot per AZ
  public: { extraBits: 6, firstIndex: 32 }, // from the middle of the VPC
  data: { extraBits: 6, firstIndex: 36 },
};
/** Slots are fixed per AZ index, so adding an AZ never moves an existing subnet. */
export const MAX_AZS = 4;

/**
 * The subnet CIDRs of a VPC laid out by the rules above: same VPC and AZ count, same answer.
 * Callers check first that the VPC is large enough (`vpc.prefix <= smallestComputableVpcPrefix`).
 */
export function planSubnets(vpc: Cidr, azCount: number): Record<Tier, string[]> {
  const plan = {} as Record<Tier, string[]>;
  for (const tier of TIERS) {
    const { extraBits, firstIndex } = TIER_LAYOUT[tier];
    plan[tier] = Array.from({ length: azCount }, (_, az) => subnetAt(vpc, vpc.prefix + extraBits, firstIndex + az));
  }
  return plan;
}
export const SMALLEST_COMPUTABLE_VPC_PREFIX = Math.min(...TIERS.map((t) => MIN_TIER_PREFIX[t] - TIER_LAYOUT[t].extraBits));

/** Explicit subnets: inside the VPC, big enough for their tier, no two overlapping. */
export function subnetIssues(vpc: Cidr, subnets: Record<Tier, string[]>): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const seen: Array<{ path: string; cidr: Cidr }> = [];
  for (const tier of TIERS) {
    subnets[tier].forEach((text, i) => {
      const path = `network.subnets.${tier}.${i}`;
      const cidr = parseCidr(text)!;
      if (!contains(vpc, cidr)) issues.push({ path, message: `${show(text)} is outside the VPC ${vpc.text}` });
      if (cidr.prefix > MIN_TIER_PREFIX[tier]) {
        issues.push({ path, message: `${show(text)} has ${addressCount(cidr)} addresses; the ${tier} tier needs /${MIN_TIER_PREFIX[tier]} or larger` });
      }
      const clash = seen.find((other) => overlaps(other.cidr, cidr));
      if (clash) issues.push({ path, message: `${show(text)} overlaps ${clash.path} (${clash.cidr.text})` });
      seen.push({ path, cidr });
    });
  }
  return issues;
}

// Field schema of `network`: VPC, subnets, NAT, endpoints, flow logs.
import { z } from 'zod';
import { int, ipv4Cidr } from '../validators';

const subnetList = z.array(ipv4Cidr).min(2);

export const networkSchema = z.strictObject({
  /** @default "10.0.0.0/16" */
  vpcCidr: ipv4Cidr.default('10.0.0.0/16'),
  /** Explicit subnet CIDRs, one per AZ in AZ order; computed from `vpcCidr` when left out. */
  subnets: z.strictObject({ public: subnetList, app: subnetList, data: subnetList }).optional(),
  /** NAT for private egress: none, one shared gateway, or one per AZ (survives an AZ outage). @default "single" */
  natGateways: z.enum(['none', 'single', 'perAz']).default('single'),
  /** Interface endpoints (ECR, Logs, Secrets Manager, SSM) so private tasks work without NAT. @default true */
  interfaceEndpoints: z.boolean().default(true),
  /** Give the VPC and public subnets IPv6 (dual-stack ALB). @default true */
  ipv6: z.boolean().default(true),
  /** @default 30 */
  flowLogRetentionDays: int(1, 3653).default(30),
});

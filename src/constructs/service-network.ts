// Where a service's tasks run, as a type: their own ENI and security group (`awsvpc`, on Fargate or
// EC2), or the EC2 host's network (`bridge`, EC2 only, with a host port). Impossible combinations
// (bridge on Fargate, a host port in awsvpc, an awsvpc service without subnets) do not type-check.
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { Construct } from 'constructs';
import { movedFromSibling } from '../lib/moved';
import { Connections, Peers } from './connections';
import type { TaskNetworking } from './task-definition';

/**
 * Where the tasks' own group lets them open connections (besides the groups they join, e.g. the
 * database clients', which carry their own egress):
 * - `internet`: HTTPS anywhere (AWS APIs through the endpoints, everything else through the NAT
 *   gateways, so partners see the environment's NAT addresses);
 * - `vpcOnly`: HTTPS to the VPC's own range (the interface endpoints) and to the region's S3 prefix
 *   list (the gateway endpoint: ECR image layers), nothing else.
 */
export type ServiceEgress =
  | { readonly kind: 'internet' }
  | {
      readonly kind: 'vpcOnly';
      /** The VPC's IPv4 range (interface endpoints live in it). */
      readonly vpcCidr: string;
      /** The region's S3 managed prefix list (`com.amazonaws.<region>.s3`). */
      readonly s3PrefixListId: string;
    };

/** Fargate, Fargate Spot, or an EC2 capacity provider, for awsvpc tasks. */
export type AwsvpcCapacity = { readonly kind: 'fargate'; readonly spot: boolean } | { readonly kind: 'ec2'; readonly capacityProviderName: string };

export type ServiceNetwork =
  | {
      readonly kind: 'awsvpc';
      /** What the tasks run on. */
      readonly capacity: AwsvpcCapacity;
      /** VPC of the tasks' own group. */
      readonly vpcId: string;
      /** Private app subnets (no public IP is ever assigned). */
      readonly subnetIds: string[];
      /** Groups the tasks join besides their own (database clients, cache clients). @default [] */
      readonly extraSecurityGroupIds?: string[];
      /** Egress of the tasks' own group. */
      readonly egress: ServiceEgress;
    }
  | {
      readonly kind: 'bridge';
      /** VPC of the instances (target groups). */
      readonly vpcId: string;
      /** The EC2 capacity provider the tasks are placed by. */
      readonly capacityProviderName: string;
      /** Rules of the EC2 instances' group (owned by the capacity): tasks use the host's network. */
      readonly instanceConnections: Connections;
      /** Host port of the container port; 0 = Docker's dynamic ports (32768-65535). */
      readonly hostPort: number;
    };

/** Docker's dynamic host ports (bridge mode with hostPort 0) fall in this range. */
export const EPHEMERAL_PORTS = { from: 32768, to: 65535 };

/** The task definition's networking for a service network. */
export function taskNetworking(network: ServiceNetwork): TaskNetworking {
  return network.kind === 'bridge'
    ? { kind: 'bridge', hostPort: network.hostPort }
    : { kind: 'awsvpc', compatibility: network.capacity.kind === 'ec2' ? 'EC2' : 'FARGATE' };
}

/** The capacity provider of the service's strategy. */
export function capacityProviderName(network: ServiceNetwork): string {
  if (network.kind === 'bridge') return network.capacityProviderName;
  return network.capacity.kind === 'ec2' ? network.capacity.capacityProviderName : network.capacity.spot ? 'FARGATE_SPOT' : 'FARGATE';
}

/**
 * The ECS service's placement: its capacity provider strategy and, in awsvpc mode, the network
 * configuration (private subnets, the tasks' own group plus the extra ones, never a public IP).
 */
export function servicePlacement(network: ServiceNetwork, taskSecurityGroupId: string) {
  return {
    capacityProviderStrategy: [{ capacityProvider: capacityProviderName(network), weight: 1 }],
    networkConfiguration:
      network.kind === 'awsvpc'
        ? { subnets: network.subnetIds, securityGroups: [taskSecurityGroupId, ...(network.extraSecurityGroupIds ?? [])], assignPublicIp: false }
        : undefined,
  };
}

/** On EC2 the scheduler must be told to spread over AZs (Fargate spreads by itself). */
export function runsOnEc2(network: ServiceNetwork): boolean {
  return network.kind === 'bridge' || network.capacity.kind === 'ec2';
}

/**
 * The tasks' own security group (awsvpc), created under `owner` with ID `sg`, and its egress.
 * `key` names the group in rule IDs (the service's name).
 */
export function taskSecurityGroup(
  owner: Construct,
  options: { name: string; key: string; description: string; vpcId: string; egress: ServiceEgress },
): Connections {
  const sg = new SecurityGroup(owner, 'sg', { name: options.name, description: options.description, vpcId: options.vpcId, tags: { Name: options.name } });
  const connections = new Connections(owner, { securityGroupId: sg.id, key: options.key });
  const egress = options.egress;
  if (egress.kind === 'internet') {
    const rule = connections.allowTo(Peers.cidr('0.0.0.0/0'), 443, 'HTTPS to AWS APIs and the internet (via endpoints or NAT)');
    movedFromSibling(rule, 'egress-https');
  } else {
    connections.allowTo(Peers.cidr(egress.vpcCidr, 'vpc'), 443, 'HTTPS to the VPC interface endpoints only (egress vpcOnly)');
    connections.allowTo(Peers.prefixList(egress.s3PrefixListId, 's3'), 443, 'HTTPS to S3 through the gateway endpoint (ECR image layers)');
  }
  return connections;
}

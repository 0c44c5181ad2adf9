// The validated config of one service mapped onto the constructs' Props: the one place where config
// field names meet construct prop names. Environment-level decisions with a production-dependent
// default (ECS Exec, egress) are resolved here, once.
import type { EnvironmentConfig } from '../config/load';
import type { Connections } from '../constructs/connections';
import type { ServiceEgress, ServiceNetwork } from '../constructs/service-network';
import type { IDatabase } from '../constructs/database-reference';
import type { ServiceTaskDefinitionProps } from '../constructs/task-definition';
import { serviceNames } from '../naming';

export type ServiceSettings = EnvironmentConfig['services'][number];

/** What the app stack provides every service: shared infrastructure, as references. */
export interface ServiceContext {
  readonly config: EnvironmentConfig;
  readonly accountId: string;
  /** ECR repository of each service. */
  readonly repositories: Record<string, { readonly arn: string; readonly url: string }>;
  /** The database (IAM auth for the app, master secret for migrate). */
  readonly database: IDatabase;
  /** The app stack's key (log groups, ECS Exec). */
  readonly kmsKeyArn: string;
  /** The cluster's exec audit log group. */
  readonly execAuditLogGroupArn: string;
  /** VPC, its range and the private app subnets. */
  readonly network: { readonly vpcId: string; readonly vpcCidr: string; readonly appSubnetIds: string[] };
  /** The region's S3 managed prefix list (vpcOnly egress). */
  readonly s3PrefixListId: string;
  /** The EC2 capacity, when the environment has one. @default none */
  readonly ec2?: { readonly capacityProviderName: string; readonly connections: Connections };
  /** Extra environment variables per service (e.g. the cache's connection settings). @default {} */
  readonly extraEnvironment?: (svc: ServiceSettings) => Record<string, string>;
}

/** ECS Exec: `ecsExec` in config, on unless the environment is production. */
export function ecsExecEnabled(config: EnvironmentConfig): boolean {
  return config.ecsExec ?? !config.production;
}

/** A service's egress: `egress` in config, `vpcOnly` where the environment has interface endpoints. */
export function egressOf(config: EnvironmentConfig, svc: ServiceSettings): 'internet' | 'vpcOnly' {
  return svc.egress ?? (config.network.interfaceEndpoints ? 'vpcOnly' : 'internet');
}

/** The task definition of a service (networking comes from its `ServiceNetwork`). */
export function taskDefinitionProps(ctx: ServiceContext, svc: ServiceSettings): Omit<ServiceTaskDefinitionProps, 'networking'> {
  const { config } = ctx;
  const container = svc.container;
  return {
    names: serviceNames(config.project.service, config.name, svc.name),
    region: config.region,
    accountId: ctx.accountId,
    partition: config.partition,
    // The first deploy's image: push this tag before the first apply of the app stack.
    image: `${ctx.repositories[svc.name].url}:${config.imageTag}`,
    repositoryArn: ctx.repositories[svc.name].arn,
    cpu: svc.cpu,
    memory: svc.memory,
    container: {
      port: container.port,
      user: container.user,
      memory: container.memory,
      memoryReservation: container.memoryReservation,
      command: container.command,
      environment: { ...container.environment, ...(ctx.extraEnvironment?.(svc) ?? {}) },
      secrets: container.secrets,
      healthCheck: container.healthCheck,
    },
    logRetentionDays: svc.logRetentionDays,
    logsKmsKeyArn: ctx.kmsKeyArn,
    database: { instance: ctx.database, user: svc.databaseUser },
    ecsExec: ecsExecEnabled(config) ? { auditLogGroupArn: ctx.execAuditLogGroupArn, kmsKeyArn: ctx.kmsKeyArn } : undefined,
    retainLogs: config.production,
  };
}

/**
 * Where a service's tasks run. `extraSecurityGroupIds`: groups they join besides their own (database
 * and cache clients'). The config rules guarantee bridge ⇒ EC2 capacity exists.
 */
export function serviceNetwork(ctx: ServiceContext, svc: ServiceSettings, extraSecurityGroupIds: string[]): ServiceNetwork {
  const ec2 = ctx.ec2;
  if (svc.networkMode === 'bridge') {
    if (!ec2) throw new Error(`${ctx.config.name}.services.${svc.name}.networkMode: "bridge" needs capacity.ec2`);
    return { kind: 'bridge', vpcId: ctx.network.vpcId, capacityProviderName: ec2.capacityProviderName, instanceConnections: ec2.connections, hostPort: svc.container.hostPort };
  }
  let capacity: Extract<ServiceNetwork, { kind: 'awsvpc' }>['capacity'];
  if (svc.capacity === 'ec2') {
    if (!ec2) throw new Error(`${ctx.config.name}.services.${svc.name}.capacity: "ec2" needs capacity.ec2`);
    capacity = { kind: 'ec2', capacityProviderName: ec2.capacityProviderName };
  } else {
    capacity = { kind: 'fargate', spot: svc.capacity === 'fargateSpot' };
  }
  const egress: ServiceEgress =
    egressOf(ctx.config, svc) === 'vpcOnly' ? { kind: 'vpcOnly', vpcCidr: ctx.network.vpcCidr, s3PrefixListId: ctx.s3PrefixListId } : { kind: 'internet' };
  return { kind: 'awsvpc', capacity, vpcId: ctx.network.vpcId, subnetIds: ctx.network.appSubnetIds, extraSecurityGroupIds, egress };
}

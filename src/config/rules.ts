// Rules that span several fields (cross-field rules): run by load.ts after every field passed its own
// schema, so each rule sees parsed values with defaults applied.
import { defaultListenerPriority, environmentPrefix } from '../naming';
import { isPrivate, parseCidr } from './cidr';
import { documentationRangeOf } from './examples';
import { WAF_WEB_ACL_ARN } from './fields/edge';
import { FARGATE_SIZES, serviceSchema } from './fields/services';
import { previousInChain } from './promotion-chain';
import { isKnownRegion, partitionOf } from './regions';
import type { ParsedEnvironment } from './schema';
import { MAX_AZS, SMALLEST_COMPUTABLE_VPC_PREFIX, subnetIssues, TIERS } from './subnets';
import { show } from './validators';
import { workloadIssues } from './workloads';

/** Rules that span several fields: run after the field-level ones pass. */
export function crossFieldIssues(env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  if (!isKnownRegion(env.region) && !env.allowUnknownRegion) {
    add('region', `${show(env.region)} is not an AWS region known to provider 6.25 (src/config/regions.ts); for a newer region set allowUnknownRegion: true`);
  }
  const azs = env.availabilityZones;
  if (azs.length < 2) add('availabilityZones', `${azs.length} given; at least 2 are required for high availability`);
  if (azs.length > MAX_AZS) add('availabilityZones', `${azs.length} given; at most ${MAX_AZS} are supported`);
  azs.forEach((az, i) => {
    if (!new RegExp(`^${env.region}[a-z]$`).test(az)) add(`availabilityZones.${i}`, `${show(az)} is not an availability zone of ${env.region}`);
    if (azs.indexOf(az) !== i) add(`availabilityZones.${i}`, `${show(az)} is listed twice`);
  });

  const vpc = parseCidr(env.network.vpcCidr)!;
  if (!isPrivate(vpc)) add('network.vpcCidr', `${show(vpc.text)} is not in a private range (10/8, 172.16/12, 192.168/16)`);
  if (vpc.prefix < 16 || vpc.prefix > 28) add('network.vpcCidr', `${show(vpc.text)}: AWS allows VPC sizes /16 to /28`);
  if (env.network.subnets) {
    for (const tier of TIERS) {
      const list = env.network.subnets[tier];
      if (list.length !== azs.length) add(`network.subnets.${tier}`, `${list.length} CIDRs for ${azs.length} availability zones`);
    }
    issues.push(...subnetIssues(vpc, env.network.subnets));
  } else if (vpc.prefix > SMALLEST_COMPUTABLE_VPC_PREFIX) {
    add('network.vpcCidr', `${show(vpc.text)} is too small for 3 tiers x ${azs.length} AZs; use /${SMALLEST_COMPUTABLE_VPC_PREFIX} or larger, or list network.subnets`);
  }

  const db = env.database;
  if (db.maxAllocatedStorageGiB < db.allocatedStorageGiB) {
    add('database.maxAllocatedStorageGiB', `${db.maxAllocatedStorageGiB} is below allocatedStorageGiB (${db.allocatedStorageGiB})`);
  }
  if (env.production) {
    if (!db.deletionProtection && !db.allowProductionWithoutDeletionProtection) {
      add('database.deletionProtection', 'must be true in production (or set allowProductionWithoutDeletionProtection: true)');
    }
    if (db.skipFinalSnapshot) add('database.skipFinalSnapshot', 'must be false in production: deleting the database must leave a snapshot');
    if (db.backupRetentionDays < 7) add('database.backupRetentionDays', `${db.backupRetentionDays} is below the production minimum of 7 days`);
    issues.push(...productionAccessIssues(env));
  }
  if (db.readReplicas && db.backupRetentionDays === 0) {
    add('database.backupRetentionDays', 'must be at least 1 when read replicas are configured');
  }

  const edge = env.edge;
  const zone = edge.domain?.zone;
  const inZone = (host: string) => zone !== undefined && (host === zone || host.endsWith(`.${zone}`));
  if (!edge.domain && !edge.httpOnly) {
    add('edge.domain', 'is required unless edge.httpOnly is true (an HTTP-only environment must be chosen explicitly)');
  }
  if (edge.domain && edge.httpOnly) add('edge.httpOnly', 'cannot be true when edge.domain is set');
  if (edge.domain) {
    if (!inZone(edge.domain.name)) add('edge.domain.name', `${show(edge.domain.name)} is outside the zone ${show(zone)}`);
    edge.domain.alternativeNames.forEach((n, i) => {
      if (!inZone(n)) add(`edge.domain.alternativeNames.${i}`, `${show(n)} is outside the zone ${show(zone)}`);
    });
  }
  if (env.production && edge.httpOnly) add('edge.httpOnly', 'is not allowed in production');
  if (env.production && !edge.deletionProtection) add('edge.deletionProtection', 'must be true in production');
  if (env.production && env.ci.githubEnvironment === undefined) {
    add('ci.githubEnvironment', 'is required in production: the protected GitHub environment (deployment branches: main, required reviewers) whose jobs may apply and release');
  }
  if (env.production && env.state.adminRoleArns.length === 0) {
    add('state.adminRoleArns', 'needs at least one role in production: the bucket policy denies everyone else, and the state must stay reachable by your administrators');
  }
  env.state.adminRoleArns.forEach((arn, i) => {
    const account = arn.split(':')[4];
    if (env.allowedAccountIds?.length && !env.allowedAccountIds.includes(account)) {
      add(`state.adminRoleArns.${i}`, `${show(arn)} is in account ${account}, not in allowedAccountIds`);
    }
  });
  issues.push(...wafIssues(env));
  issues.push(...workloadIssues(env, serviceSchema.shape.loadBalancer.parse(undefined)));

  const ec2 = env.capacity.ec2;
  if (ec2 && ec2.minSize > ec2.maxSize) add('capacity.ec2.minSize', `${ec2.minSize} is above maxSize (${ec2.maxSize})`);

  const names = env.services.map((svc) => svc.name);
  const priorities = new Map<number, string>();
  const testPriorities = new Map<number, string>();
  env.services.forEach((svc, i) => {
    const at = `services.${i}`;
    if (names.indexOf(svc.name) !== i) add(`${at}.name`, `${show(svc.name)} is used by another service`);
    if (svc.networkMode === 'bridge' && svc.capacity !== 'ec2') add(`${at}.networkMode`, '"bridge" needs capacity "ec2" (Fargate supports awsvpc only)');
    if (svc.capacity === 'ec2' && !ec2) add(`${at}.capacity`, '"ec2" needs capacity.ec2 with an instanceType');
    if (svc.capacity === 'fargateSpot' && env.production) add(`${at}.capacity`, '"fargateSpot" can be interrupted at any time: not allowed in production');
    if (svc.capacity !== 'ec2') {
      const allowed = FARGATE_SIZES[svc.cpu];
      if (!allowed) add(`${at}.cpu`, `${svc.cpu} is not a Fargate CPU size (${Object.keys(FARGATE_SIZES).join(', ')})`);
      else if (!allowed.includes(svc.memory)) {
        add(`${at}.memory`, `${svc.memory} MiB is not valid with cpu ${svc.cpu} on Fargate (${allowed[0]}-${allowed[allowed.length - 1]} in steps of ${allowed[1] - allowed[0]})`);
      }
    }
    const hard = svc.container.memory ?? svc.memory;
    if (hard > svc.memory) add(`${at}.container.memory`, `${hard} exceeds the task memory (${svc.memory})`);
    const soft = svc.container.memoryReservation;
    if (soft !== undefined && soft > hard) add(`${at}.container.memoryReservation`, `${soft} exceeds the hard limit container.memory (${hard})`);
    if (svc.container.hostPort !== 0 && svc.networkMode !== 'bridge') add(`${at}.container.hostPort`, 'only applies with networkMode "bridge"');
    if (svc.egress === 'vpcOnly' && !env.network.interfaceEndpoints) {
      add(`${at}.egress`, '"vpcOnly" needs network.interfaceEndpoints: without them the tasks cannot reach ECR, CloudWatch Logs or Secrets Manager');
    }
    if (svc.egress !== undefined && svc.networkMode === 'bridge') add(`${at}.egress`, 'only applies with networkMode "awsvpc" (bridge-mode tasks use the EC2 hosts\' group)');
    if (svc.databaseUser === env.database.masterUsername) add(`${at}.databaseUser`, `${show(svc.databaseUser)} is the master user: the application needs its own role`);

    const scale = svc.autoscaling;
    if (scale.minCount > scale.maxCount) add(`${at}.autoscaling.minCount`, `${scale.minCount} is above maxCount (${scale.maxCount})`);
    else if (svc.desiredCount < scale.minCount || svc.desiredCount > scale.maxCount) {
      add(`${at}.desiredCount`, `${svc.desiredCount} is outside autoscaling [${scale.minCount}, ${scale.maxCount}]`);
    }

    // Workers have no load balancer: the rules below are about listener rules.
    if (svc.kind === 'worker') return;
    const lb = svc.loadBalancer;
    if (env.services.filter((other) => other.kind !== 'worker').length > 1 && !lb.hosts && !lb.paths) add(`${at}.loadBalancer`, 'several services share the load balancer: give each hosts or paths');
    lb.hosts?.forEach((host, h) => {
      if (edge.domain && !inZone(host)) add(`${at}.loadBalancer.hosts.${h}`, `${show(host)} is outside the zone ${show(zone)}`);
    });
    const priority = lb.priority ?? defaultListenerPriority(i);
    if (priorities.has(priority)) add(`${at}.loadBalancer.priority`, `${priority} is also the priority of ${priorities.get(priority)}`);
    priorities.set(priority, `services.${names.indexOf(svc.name)}`);

    if (svc.deployment.strategy === 'blueGreen') {
      const bg = svc.deployment.blueGreen;
      if (edge.httpOnly) add(`${at}.deployment.strategy`, '"blueGreen" needs HTTPS (edge.domain): test traffic is never sent over plain HTTP');
      if (svc.autoscaling.requestsPerTarget !== undefined) {
        add(`${at}.autoscaling.requestsPerTarget`, 'is not supported with blueGreen (ECS alternates the target group the metric is tied to)');
      }
      // The test rule sits just before the production rule and repeats its conditions; ALB allows
      // 5 condition values per rule.
      if (priority <= 1) add(`${at}.loadBalancer.priority`, `${priority} leaves no room for the blue/green test rule (priority ${priority - 1}); use 2 or more`);
      else testPriorities.set(priority - 1, at);
      const values = (lb.hosts?.length ?? 0) + (lb.paths?.length ?? (lb.hosts ? 0 : 1)) + 1 + bg.testListenerCidrs.length;
      if (values > 5) {
        add(`${at}.deployment.blueGreen.testListenerCidrs`, `the test rule would have ${values} condition values (hosts, paths, header, CIDRs); ALB allows 5`);
      }
    }
  });
  for (const [testPriority, at] of testPriorities) {
    const owner = priorities.get(testPriority);
    if (owner) add(`${at}.loadBalancer.priority`, `its blue/green test rule needs priority ${testPriority}, which is the priority of ${owner}`);
  }
  return issues;
}

/**
 * Production guards against the wrong account and open access: pinned account ids, a WAF web ACL
 * (or an explicit opt-out), and no documentation address range in any allowed-CIDR list (a field
 * whose name ends in `Cidrs`), since such a placeholder would be replaced in a hurry at apply time.
 */
function productionAccessIssues(env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (!env.allowedAccountIds?.length) {
    add('allowedAccountIds', 'is required in production: Terraform must refuse credentials of any other account');
  }
  const edge = env.edge;
  if (!edge.wafWebAclArn && !edge.allowProductionWithoutWaf) {
    add('edge.wafWebAclArn', 'is required in production (a web ACL from your security tooling; README "WAF"), or set edge.allowProductionWithoutWaf: true');
  }
  if (edge.wafWebAclArn && edge.allowProductionWithoutWaf) add('edge.allowProductionWithoutWaf', 'cannot be true when edge.wafWebAclArn is set');
  const visit = (value: unknown, path: string, inCidrList: boolean): void => {
    if (typeof value === 'string') {
      const range = inCidrList ? documentationRangeOf(value) : undefined;
      if (range) add(path, `${show(value)} is inside the documentation range ${range}: not allowed in production (use your real range, e.g. your VPN's)`);
    } else if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${path}.${i}`, inCidrList));
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) visit(item, path ? `${path}.${key}` : key, /Cidrs$/.test(key));
    }
  };
  visit(env, '', false);
  return issues;
}

/** A web ACL must be in the ALB's partition, region and (when pinned) account. */
function wafIssues(env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const arn = env.edge.wafWebAclArn ? WAF_WEB_ACL_ARN.exec(env.edge.wafWebAclArn) : null;
  if (!arn) return [];
  const [, partition, region, account] = arn;
  const problems: string[] = [];
  if (region !== env.region || partition !== partitionOf(env.region)) problems.push(`is in ${partition}:${region}, not in the environment's region ${partitionOf(env.region)}:${env.region}`);
  if (env.allowedAccountIds?.length && !env.allowedAccountIds.includes(account)) problems.push(`is in account ${account}, not in allowedAccountIds`);
  return problems.map((message) => ({ path: 'edge.wafWebAclArn', message: `${show(env.edge.wafWebAclArn)} ${message}` }));
}

/** Whether two environments may share an AWS account: unless both pin accounts and none is common. */
export function mayShareAccount(a: { readonly allowedAccountIds?: readonly string[] }, b: { readonly allowedAccountIds?: readonly string[] }): boolean {
  if (!a.allowedAccountIds?.length || !b.allowedAccountIds?.length) return true;
  return a.allowedAccountIds.some((id) => b.allowedAccountIds!.includes(id));
}

/** One parsed environment by name, in declaration order (src/config/environments.ts). */
export interface NamedEnvironment {
  readonly name: string;
  readonly env: Pick<ParsedEnvironment, 'allowedAccountIds' | 'services'>;
}

/**
 * Rules across environments (load.ts runs them once every environment parsed), as full problem lines
 * `<env>.<field>: <what>`:
 * - an environment's IAM name prefix `<service>-<env>-` must not begin another environment's in a
 *   possibly shared account (both without accounts, or a common one): the apply role of `dev` manages
 *   `role/drf-api-dev-*`, which is also every role of `dev-eu`;
 * - a next environment of the promotion chain that pins its accounts needs the previous one (of each of
 *   its services) to pin them too: a previous environment without accounts is looked for in the next
 *   one's own account, which is then surely wrong.
 */
export function environmentSetIssues(projectService: string, environments: readonly NamedEnvironment[]): string[] {
  const problems: string[] = [];
  const accounts = (e: NamedEnvironment) => e.env.allowedAccountIds ?? [];
  for (const a of environments) {
    const prefix = `${environmentPrefix(projectService, a.name)}-`;
    for (const b of environments) {
      const other = `${environmentPrefix(projectService, b.name)}-`;
      if (a === b || !other.startsWith(prefix) || !mayShareAccount(a.env, b.env)) continue;
      problems.push(
        `${a.name}.allowedAccountIds: ${show(prefix)} (the IAM name prefix ${a.name}'s pipeline roles manage) also begins every name of ${b.name} (${show(other)}), which may be in the same account: rename one environment, or pin both to different accounts`,
      );
    }
  }
  const chain = environments.map((entry) => ({ name: entry.name, services: entry.env.services, entry }));
  environments.forEach((next) => {
    if (accounts(next).length === 0) return;
    const reported = new Set<string>();
    for (const svc of next.env.services) {
      const previous = previousInChain(chain, next.name, svc.name)?.entry;
      if (!previous || accounts(previous).length > 0 || reported.has(previous.name)) continue;
      reported.add(previous.name);
      problems.push(
        `${next.name}.allowedAccountIds: set, but ${previous.name} (the environment ${next.name}'s service ${show(svc.name)} is promoted from) sets none: releases would look for ${previous.name}'s images in ${next.name}'s account; set ${previous.name}.allowedAccountIds too`,
      );
    }
  });
  return problems;
}

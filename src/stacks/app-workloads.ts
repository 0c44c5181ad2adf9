// What `<env>-app` runs beside its web services: worker services, scheduled tasks and the cache's
// alarms, plus what a web service that uses the cache needs (its client group, its env vars and the
// permission to connect). The app stack calls these; the validated config says what exists.
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Fn, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { partitionOf } from '../config/regions';
import type { Cache } from '../constructs/cache';
import { CacheAlarms } from '../constructs/cache-alarms';
import type { ContainerRegistry } from '../constructs/container-registry';
import { ScheduledTask } from '../constructs/scheduled-task';
import type { DatabaseAccess } from '../constructs/task-definition';
import { WorkerService } from '../constructs/worker-service';
import { policyDocument } from '../lib/iam';
import { serviceNames } from '../naming';

type ServiceSettings = EnvironmentConfig['services'][number];

/** The cache as the app stack sees it (outputs of `<env>-data`). */
export type CacheAccess = Pick<
  Cache,
  'replicationGroupId' | 'arn' | 'appUserArn' | 'appUserId' | 'primaryEndpoint' | 'port' | 'clientSecurityGroupId' | 'nodeIds' | 'connectStatement' | 'environment'
>;

/** A service's settings with the cache's connection variables added to its container environment. */
export function withCacheEnvironment(settings: ServiceSettings, cache: CacheAccess | undefined): ServiceSettings {
  if (!cache || !settings.cache) return settings;
  const environment = { ...settings.container.environment, ...cache.environment({ url: settings.cache.urlEnvVar }) };
  return { ...settings, container: { ...settings.container, environment } };
}

/** Security groups a service's tasks join besides their own: the database clients', and the cache clients' when it uses the cache. */
export function clientSecurityGroups(settings: ServiceSettings, databaseClientGroupId: string, cache: CacheAccess | undefined): string[] {
  return [databaseClientGroupId, ...(cache && settings.cache ? [cache.clientSecurityGroupId] : [])];
}

/** `elasticache:Connect` for a task role given by ARN (a reference, so the policy waits for the role). */
export function grantCacheConnect(scope: Construct, id: string, taskRoleArn: string, cache: CacheAccess): IamRolePolicy {
  return new IamRolePolicy(scope, id, {
    role: Fn.element(Fn.split('/', taskRoleArn), 1),
    name: 'cache-connect',
    policy: policyDocument(cache.connectStatement()),
  });
}

export interface AppWorkloadsProps {
  /** The validated environment: its workers (`kind: "worker"`), `schedules` and `cache` settings. */
  readonly config: EnvironmentConfig;
  /** `<project>-<env>`. */
  readonly prefix: string;
  /** Account of the environment (ARNs in the scheduler roles' policies). */
  readonly accountId: string;
  /** The environment's ECS cluster. */
  readonly cluster: { readonly name: string; readonly arn: string; readonly execAuditLogGroupArn: string };
  /** VPC and private app subnets of the tasks. */
  readonly network: { readonly vpcId: string; readonly appSubnetIds: string[] };
  /** ECR repositories, one per service (`<prefix>/<service>`). */
  readonly registry: Pick<ContainerRegistry, 'repositories'>;
  /** The database the tasks connect to (IAM auth), and the group that may reach it. */
  readonly database: DatabaseAccess & { readonly clientSecurityGroupId: string };
  /** The environment's cache. @default none */
  readonly cache?: CacheAccess;
  /** The EC2 capacity, when the environment has one. @default none */
  readonly ec2?: { readonly capacityProviderName: string; readonly securityGroupId: string };
  /** The security group of each web service's tasks (a schedule of that service runs with it). */
  readonly webServiceSecurityGroups: Record<string, string>;
  /** The environment's alarm topic. */
  readonly alarmTopicArn: string;
}

export class AppWorkloads extends Construct {
  readonly workers: WorkerService[];
  readonly schedules: ScheduledTask[];

  constructor(scope: Construct, id: string, props: AppWorkloadsProps) {
    super(scope, id);
    const { config, cache } = props;
    const capacityProviderOf = (svc: ServiceSettings) =>
      ({ fargate: 'FARGATE', fargateSpot: 'FARGATE_SPOT', ec2: props.ec2?.capacityProviderName ?? 'FARGATE' })[svc.capacity];

    this.workers = config.services
      .filter((svc) => svc.kind === 'worker')
      .map((svc) => {
        const names = serviceNames(config.project.service, config.name, svc.name);
        return new WorkerService(this, `worker-${svc.name}`, {
          taskDefinition: {
            names,
            region: config.region,
            accountId: props.accountId,
            settings: withCacheEnvironment(svc, cache),
            image: `${props.registry.repositories[svc.name].url}:${config.imageTag}`,
            repositoryArn: props.registry.repositories[svc.name].arn,
            database: props.database,
            execAuditLogGroupArn: props.cluster.execAuditLogGroupArn,
            retainLogs: config.production,
          },
          clusterName: props.cluster.name,
          network:
            svc.networkMode === 'bridge'
              ? { mode: 'bridge', instanceSecurityGroupId: props.ec2!.securityGroupId }
              : {
                  mode: 'awsvpc',
                  vpcId: props.network.vpcId,
                  subnetIds: props.network.appSubnetIds,
                  extraSecurityGroupIds: clientSecurityGroups(svc, props.database.clientSecurityGroupId, cache),
                },
          capacityProvider: capacityProviderOf(svc),
          spreadOverAzs: svc.capacity === 'ec2',
          desiredCount: svc.desiredCount,
          minimumHealthyPercent: svc.deployment.minimumHealthyPercent,
          maximumPercent: svc.deployment.maximumPercent,
          scaling: {
            minCount: svc.autoscaling.minCount,
            maxCount: svc.autoscaling.maxCount,
            cpuTargetPercent: svc.autoscaling.cpuTargetPercent,
            memoryTargetPercent: svc.autoscaling.memoryTargetPercent,
            queue: svc.queueScaling,
          },
          taskRoleStatements: cache && svc.cache ? [cache.connectStatement()] : [],
          migrateCommand: svc.release.migrate,
        });
      });

    if (cache && config.cache) {
      new CacheAlarms(this, 'cache-alarms', { nodeIds: cache.nodeIds, topicArn: props.alarmTopicArn, thresholds: config.cache.alarms });
    }

    const partition = partitionOf(config.region);
    const arnOfRole = (roleName: string) => `arn:${partition}:iam::${props.accountId}:role/${roleName}`;
    this.schedules = config.schedules.map((schedule) => {
      const svc = config.services.find((s) => s.name === schedule.service)!;
      const names = serviceNames(config.project.service, config.name, svc.name);
      const ownGroup = props.webServiceSecurityGroups[svc.name] ?? this.workers.find((w) => w.name === svc.name)!.securityGroupId;
      return new ScheduledTask(this, `schedule-${schedule.name}`, {
        namePrefix: props.prefix,
        name: schedule.name,
        accountId: props.accountId,
        region: config.region,
        partition,
        clusterArn: props.cluster.arn,
        clusterName: props.cluster.name,
        taskFamily: names.taskFamily,
        containerName: names.container,
        command: schedule.command,
        scheduleExpression: schedule.schedule,
        timezone: schedule.timezone,
        taskRoleArn: arnOfRole(names.taskRole),
        executionRoleArn: arnOfRole(names.executionRole),
        network:
          svc.networkMode === 'bridge'
            ? { mode: 'bridge' }
            : { mode: 'awsvpc', subnetIds: props.network.appSubnetIds, securityGroupIds: [ownGroup, ...clientSecurityGroups(svc, props.database.clientSecurityGroupId, cache)] },
        capacityProviderStrategy: [{ capacityProvider: capacityProviderOf(svc), weight: 1 }],
        retries: schedule.retries,
        maxEventAgeSeconds: schedule.maxEventAgeSeconds,
        flexibleWindowMinutes: schedule.flexibleWindowMinutes,
        enabled: schedule.enabled,
        alarmTopicArn: props.alarmTopicArn,
      });
    });

    if (this.schedules.length > 0) {
      new TerraformOutput(this, 'schedules', {
        staticId: true,
        description: 'Per schedule: its name and group (aws scheduler get-schedule), and the dead-letter queue of runs that could not start',
        value: Object.fromEntries(
          this.schedules.map((s, i) => [config.schedules[i].name, { schedule: s.scheduleName, group: s.scheduleGroupName, dead_letter_queue_url: s.deadLetterQueueUrl }]),
        ),
      });
    }
  }
}

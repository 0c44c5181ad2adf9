// What `<env>-app` runs beside its web services: worker services, scheduled tasks and the cache's
// alarms, plus what a web service that uses the cache needs (its client group, its env vars and the
// permission to connect). The app stack calls these; the validated config says what exists.
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Fn, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import type { Cache } from '../constructs/cache';
import { CacheAlarms } from '../constructs/cache-alarms';
import { ScheduledTask } from '../constructs/scheduled-task';
import { capacityProviderName } from '../constructs/service-network';
import { WorkerService } from '../constructs/worker-service';
import { policyDocument } from '../lib/iam';
import { serviceNames } from '../naming';
import { serviceNetwork, taskDefinitionProps, type ServiceContext, type ServiceSettings } from './service-props';


/** The cache as the app stack sees it (outputs of `<env>-data`). */
export type CacheAccess = Pick<
  Cache,
  'replicationGroupId' | 'arn' | 'appUserArn' | 'appUserId' | 'primaryEndpoint' | 'port' | 'clientSecurityGroupId' | 'nodeIds' | 'connectStatement' | 'environment'
>;

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
  /** What every service's task definition and network are built from (shared with the web services). */
  readonly serviceContext: ServiceContext;
  /** The group whose members may reach the database. */
  readonly database: { readonly clientSecurityGroupId: string };
  /** The environment's cache. @default none */
  readonly cache?: CacheAccess;
  /** The security group of each web service's tasks (a schedule of that service runs with it). */
  readonly webServiceSecurityGroups: Record<string, string>;
  /**
   * The revision each web service runs (`deployedTaskDefinitionArn`): a new schedule of that service starts
   * on it, so a schedule added or replaced after releases runs the released image, never the template.
   */
  readonly webServiceTaskDefinitionArns: Record<string, string>;
  /** The environment's alarm topic. */
  readonly alarmTopicArn: string;
}

export class AppWorkloads extends Construct {
  readonly workers: WorkerService[];
  readonly schedules: ScheduledTask[];

  constructor(scope: Construct, id: string, props: AppWorkloadsProps) {
    super(scope, id);
    const { config, cache } = props;

    this.workers = config.services
      .filter((svc) => svc.kind === 'worker')
      .map(
        (svc) =>
          new WorkerService(this, `worker-${svc.name}`, {
            taskDefinition: taskDefinitionProps(props.serviceContext, svc),
            clusterName: props.cluster.name,
            network: serviceNetwork(props.serviceContext, svc, clientSecurityGroups(svc, props.database.clientSecurityGroupId, cache)),
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
          }),
      );

    if (cache && config.cache) {
      new CacheAlarms(this, 'cache-alarms', { nodeIds: cache.nodeIds, topicArn: props.alarmTopicArn, thresholds: config.cache.alarms });
    }

    const partition = config.partition;
    const arnOfRole = (roleName: string) => `arn:${partition}:iam::${props.accountId}:role/${roleName}`;
    this.schedules = config.schedules.map((schedule) => {
      // The config rules guarantee the service exists; a broken invariant says where, not a TypeError.
      const svc = config.services.find((s) => s.name === schedule.service);
      const worker = svc && this.workers.find((w) => w.name === svc.name);
      const ownGroup = svc && (props.webServiceSecurityGroups[svc.name] ?? worker?.securityGroupId);
      const deployedRevision = svc && (props.webServiceTaskDefinitionArns[svc.name] ?? worker?.deployedTaskDefinitionArn);
      if (!svc || !ownGroup || !deployedRevision) throw new Error(`${config.name}.schedules.${schedule.name}.service: ${schedule.service} is not a service of this environment`);
      const names = serviceNames(config.project.service, config.name, svc.name);
      return new ScheduledTask(this, `schedule-${schedule.name}`, {
        namePrefix: props.prefix,
        name: schedule.name,
        accountId: props.accountId,
        region: config.region,
        partition,
        clusterArn: props.cluster.arn,
        clusterName: props.cluster.name,
        taskFamily: names.taskFamily,
        // Created on what the service runs (the last release's revision, or Terraform's before any release);
        // from then on the service's releases decide (ScheduledTask).
        taskDefinitionArn: deployedRevision,
        containerName: names.container,
        command: schedule.command,
        scheduleExpression: schedule.schedule,
        timezone: schedule.timezone,
        taskRoleArn: arnOfRole(names.taskRole),
        executionRoleArn: arnOfRole(names.executionRole),
        network:
          svc.networkMode === 'bridge'
            ? { kind: 'bridge' }
            : { kind: 'awsvpc', subnetIds: props.serviceContext.network.appSubnetIds, securityGroupIds: [ownGroup, ...clientSecurityGroups(svc, props.database.clientSecurityGroupId, cache)] },
        capacityProviderStrategy: [{ capacityProvider: capacityProviderName(serviceNetwork(props.serviceContext, svc, [])), weight: 1 }],
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

// A service that takes no HTTP traffic (Celery, RQ): the same task definition construct and release path
// as a web service, its own command, no target group, no listener rule, no ingress rule at all; rolling
// deployments with the circuit breaker, autoscaling on CPU and memory and, when it consumes an SQS queue,
// on the backlog per task. Its alarms come from `Alarms.addService` (no target-group alarms).
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument, type Statement } from '../lib/iam';
import { MigrateTaskDefinition, type MigrateTaskDefinitionProps } from './migrate-task-definition';
import { ReleaseRecord } from './release-record';
import { ServiceTaskDefinition, type ServiceTaskDefinitionProps } from './task-definition';

/** Where the tasks run: their own ENI and group (awsvpc), or the EC2 host's network (bridge). */
export type WorkerNetwork =
  | {
      readonly mode: 'awsvpc';
      readonly vpcId: string;
      /** Private app subnets (no public IP is ever assigned). */
      readonly subnetIds: string[];
      /** Groups the tasks join besides their own (database clients, cache clients). @default [] */
      readonly extraSecurityGroupIds?: string[];
    }
  | {
      readonly mode: 'bridge';
      /** The EC2 instances' group: bridge-mode tasks use the host's network. */
      readonly instanceSecurityGroupId: string;
    };

export interface WorkerScaling {
  /** Fewest tasks. */
  readonly minCount: number;
  /** Most tasks. */
  readonly maxCount: number;
  /** Average CPU to aim for, percent. */
  readonly cpuTargetPercent: number;
  /** Average memory to aim for, percent. @default no memory policy */
  readonly memoryTargetPercent?: number;
  /** Also scale on an SQS queue's backlog per running task. @default CPU (and memory) only */
  readonly queue?: {
    /** SQS queue name (ApproximateNumberOfMessagesVisible). */
    readonly queueName: string;
    /** Visible messages per running task to aim for. */
    readonly messagesPerTask: number;
  };
}

export interface WorkerServiceProps {
  /**
   * The task definition, exactly as a web service's (image template, roles, logs, secrets, database,
   * container hardening). Its names also name the ECS service, scaling policies, alarms and release record.
   */
  readonly taskDefinition: ServiceTaskDefinitionProps;
  /** Cluster name, read after the capacity providers are attached. */
  readonly clusterName: string;
  /** Network of the tasks. */
  readonly network: WorkerNetwork;
  /** `FARGATE`, `FARGATE_SPOT` or the EC2 capacity provider's name. */
  readonly capacityProvider: string;
  /** Spread tasks over AZs first (EC2 capacity; Fargate spreads by itself). @default false */
  readonly spreadOverAzs?: boolean;
  /** Tasks at the first deploy (the autoscaler owns the count afterwards). */
  readonly desiredCount: number;
  /** Share of desired tasks kept running during a deploy. @default 100 */
  readonly minimumHealthyPercent?: number;
  /** Upper bound of running tasks during a deploy, percent. @default 200 */
  readonly maximumPercent?: number;
  /** Autoscaling. */
  readonly scaling: WorkerScaling;
  /** More statements for the task role, e.g. `Cache.connectStatement()`. @default [] */
  readonly taskRoleStatements?: Statement[];
  /** `release.migrate`: a `<service>-migrate` family run before a release moves on. @default none (workers rarely migrate) */
  readonly migrateCommand?: string[];
}

export class WorkerService extends Construct {
  /** The service's name from config. */
  readonly name: string;
  readonly serviceName: string;
  readonly taskFamily: string;
  readonly containerName: string;
  readonly taskRoleArn: string;
  readonly executionRoleArn: string;
  readonly logGroupName: string;
  /** The group the tasks run with (awsvpc), or the instances' (bridge). */
  readonly securityGroupId: string;
  readonly migrate?: MigrateTaskDefinition;
  readonly releaseRecord: ReleaseRecord;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const names = props.taskDefinition.names;
    const family = names.taskFamily;
    const task = new ServiceTaskDefinition(this, 'task-definition', props.taskDefinition);

    const statements = props.taskRoleStatements ?? [];
    if (statements.length > 0) {
      new IamRolePolicy(this, 'task-extra-policy', {
        // The role's name out of its ARN: a reference, so the policy waits for the role.
        role: Fn.element(Fn.split('/', task.taskRoleArn), 1),
        name: 'worker-access',
        policy: policyDocument(...statements),
      });
    }

    const network = props.network;
    let securityGroupId: string;
    if (network.mode === 'awsvpc') {
      // Its own group: egress to AWS APIs only, and no ingress rule at all.
      const sg = new SecurityGroup(this, 'sg', {
        name: family,
        description: `Tasks of ${family} (worker): no inbound traffic`,
        vpcId: network.vpcId,
        tags: { Name: family },
      });
      new VpcSecurityGroupEgressRule(this, 'egress-https', {
        securityGroupId: sg.id,
        description: 'HTTPS to AWS APIs and the internet (via endpoints or NAT)',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
      });
      securityGroupId = sg.id;
    } else {
      securityGroupId = network.instanceSecurityGroupId;
    }

    const service = new EcsService(this, 'service', {
      name: names.service,
      cluster: props.clusterName,
      // The template revision, for the first deploy; releases set the running revision from then on.
      taskDefinition: task.arn,
      desiredCount: props.desiredCount,
      capacityProviderStrategy: [{ capacityProvider: props.capacityProvider, weight: 1 }],
      networkConfiguration:
        network.mode === 'awsvpc'
          ? { subnets: network.subnetIds, securityGroups: [securityGroupId, ...(network.extraSecurityGroupIds ?? [])], assignPublicIp: false }
          : undefined,
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: { strategy: 'ROLLING' },
      deploymentMinimumHealthyPercent: props.minimumHealthyPercent ?? 100,
      deploymentMaximumPercent: props.maximumPercent ?? 200,
      // New tasks that keep failing to start stop the deployment and ECS rolls back.
      deploymentCircuitBreaker: { enable: true, rollback: true },
      orderedPlacementStrategy: props.spreadOverAzs ? [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] : undefined,
      enableExecuteCommand: true,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // The autoscaler owns the desired count and releases own the task definition.
      lifecycle: { ignoreChanges: ['desired_count', 'task_definition'] },
    });

    this.createScaling(props, family, service.name);

    if (props.migrateCommand) {
      const migrateProps: MigrateTaskDefinitionProps = { ...props.taskDefinition, command: props.migrateCommand };
      this.migrate = new MigrateTaskDefinition(this, 'migrate', migrateProps);
    }
    this.releaseRecord = new ReleaseRecord(this, 'release-record', { parameterName: names.releaseParameter, serviceName: names.service });

    this.name = names.service;
    this.serviceName = service.name;
    this.taskFamily = task.family;
    this.containerName = task.containerName;
    this.taskRoleArn = task.taskRoleArn;
    this.executionRoleArn = task.executionRoleArn;
    this.logGroupName = task.logGroupName;
    this.securityGroupId = securityGroupId;
  }

  private createScaling(props: WorkerServiceProps, family: string, serviceName: string): void {
    const scale = props.scaling;
    const target = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.clusterName}/${serviceName}`,
      minCapacity: scale.minCount,
      maxCapacity: scale.maxCount,
    });
    const common = {
      policyType: 'TargetTrackingScaling',
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
    };
    const predefined: Array<[string, string, number]> = [['cpu', 'ECSServiceAverageCPUUtilization', scale.cpuTargetPercent]];
    if (scale.memoryTargetPercent !== undefined) predefined.push(['memory', 'ECSServiceAverageMemoryUtilization', scale.memoryTargetPercent]);
    for (const [key, metric, value] of predefined) {
      new AppautoscalingPolicy(this, `scale-on-${key}`, {
        ...common,
        name: `${family}-${key}`,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: value,
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
          predefinedMetricSpecification: { predefinedMetricType: metric },
        },
      });
    }
    if (scale.queue) {
      // Backlog per task = visible messages / running tasks (AWS's recommended queue metric). It has
      // no value with no task running, so queue scaling needs autoscaling.minCount ≥ 1 (config rule).
      new AppautoscalingPolicy(this, 'scale-on-queue', {
        ...common,
        name: `${family}-queue`,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: scale.queue.messagesPerTask,
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
          customizedMetricSpecification: {
            metrics: [
              {
                id: 'visible',
                returnData: false,
                metricStat: {
                  stat: 'Sum',
                  metric: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: [{ name: 'QueueName', value: scale.queue.queueName }] },
                },
              },
              {
                id: 'running',
                returnData: false,
                metricStat: {
                  stat: 'Average',
                  metric: {
                    namespace: 'ECS/ContainerInsights',
                    metricName: 'RunningTaskCount',
                    dimensions: [
                      { name: 'ClusterName', value: props.clusterName },
                      { name: 'ServiceName', value: serviceName },
                    ],
                  },
                },
              },
              { id: 'backlog', expression: 'visible / running', label: 'Messages per running task', returnData: true },
            ],
          },
        },
      });
    }
  }
}

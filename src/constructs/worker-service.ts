// A service that takes no HTTP traffic (Celery, RQ): the same task definition construct and release path
// as a web service, its own command, no target group, no listener rule, no ingress rule at all; rolling
// deployments with the circuit breaker, autoscaling on CPU and memory and, when it consumes an SQS queue,
// on the backlog per task. Its alarms come from `Alarms.addService` (no target-group alarms).
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { addServiceScaling, type TrackingPolicy } from './service-scaling';
import { policyDocument, type Statement } from '../lib/iam';
import { MigrateTaskDefinition, type MigrateTaskDefinitionProps } from './migrate-task-definition';
import type { Connections } from './connections';
import { ReleaseRecord } from './release-record';
import { runsOnEc2, servicePlacement, taskNetworking, taskSecurityGroup, type ServiceNetwork } from './service-network';
import { ServiceTaskDefinition, type ServiceTaskDefinitionProps } from './task-definition';

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
  readonly taskDefinition: Omit<ServiceTaskDefinitionProps, 'networking'>;
  /** Cluster name, read after the capacity providers are attached. */
  readonly clusterName: string;
  /** Where the tasks run (awsvpc: own group with no ingress; bridge: the EC2 host's); tasks on EC2 spread over AZs. */
  readonly network: ServiceNetwork;
  /** Tasks at the first deploy (the autoscaler owns the count afterwards). */
  readonly desiredCount: number;
  /** Share of desired tasks kept running during a deploy, percent. */
  readonly minimumHealthyPercent: number;
  /** Upper bound of running tasks during a deploy, percent. */
  readonly maximumPercent: number;
  /** Autoscaling. */
  readonly scaling: WorkerScaling;
  /** More statements for the task role, e.g. `Cache.connectStatement()`. @default [] */
  readonly taskRoleStatements?: Statement[];
  /** `release.migrate`: a `<service>-migrate` family run before a release moves on. @default none (workers rarely migrate) */
  readonly migrateCommand?: string[];
}

export class WorkerService extends Construct {
  private readonly task: ServiceTaskDefinition;
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
  /** Rules of the tasks' group (awsvpc: owned here; bridge: the instances'). */
  readonly connections: Connections;
  readonly migrate?: MigrateTaskDefinition;
  readonly releaseRecord: ReleaseRecord;
  /**
   * The revision the service runs: its `task_definition` attribute, which Terraform ignores, so it holds
   * what the last release deployed (refreshed from ECS), and Terraform's own revision before any release.
   */
  readonly deployedTaskDefinitionArn: string;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const names = props.taskDefinition.names;
    const family = names.taskFamily;
    const task = new ServiceTaskDefinition(this, 'task-definition', { ...props.taskDefinition, networking: taskNetworking(props.network) });

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
    // awsvpc: its own group, egress only (no ingress rule at all); bridge: the instances'.
    const connections =
      network.kind === 'awsvpc'
        ? taskSecurityGroup(this, { name: family, key: names.service, description: `Tasks of ${family} (worker): no inbound traffic`, vpcId: network.vpcId, egress: network.egress })
        : network.instanceConnections;
    const securityGroupId = connections.securityGroupId;

    const service = new EcsService(this, 'service', {
      name: names.service,
      cluster: props.clusterName,
      // The template revision, for the first deploy; releases set the running revision from then on.
      taskDefinition: task.arn,
      desiredCount: props.desiredCount,
      ...servicePlacement(network, securityGroupId),
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: { strategy: 'ROLLING' },
      deploymentMinimumHealthyPercent: props.minimumHealthyPercent,
      deploymentMaximumPercent: props.maximumPercent,
      // New tasks that keep failing to start stop the deployment and ECS rolls back.
      deploymentCircuitBreaker: { enable: true, rollback: true },
      orderedPlacementStrategy: runsOnEc2(network) ? [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] : undefined,
      // ECS Exec only where the environment decided so (the task role has its permissions then).
      enableExecuteCommand: props.taskDefinition.ecsExec !== undefined,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // The autoscaler owns the desired count and releases own the task definition.
      lifecycle: { ignoreChanges: ['desired_count', 'task_definition'] },
    });

    this.createScaling(props, family, service.name);

    if (props.migrateCommand) {
      const migrateProps: MigrateTaskDefinitionProps = { ...props.taskDefinition, networking: taskNetworking(network), command: props.migrateCommand };
      this.migrate = new MigrateTaskDefinition(this, 'migrate', migrateProps);
    }
    this.releaseRecord = new ReleaseRecord(this, 'release-record', { parameterName: names.releaseParameter, serviceName: names.service });

    this.name = names.service;
    this.serviceName = service.name;
    this.deployedTaskDefinitionArn = service.taskDefinition;
    this.taskFamily = task.family;
    this.containerName = task.containerName;
    this.taskRoleArn = task.taskRoleArn;
    this.executionRoleArn = task.executionRoleArn;
    this.logGroupName = task.logGroupName;
    this.task = task;
    this.securityGroupId = securityGroupId;
    this.connections = connections;
  }

  /** More permissions for the application, in the task role's own policy (like `WebService.addToTaskRolePolicy`). */
  addToTaskRolePolicy(...statements: Statement[]): void {
    this.task.taskPolicy.addToPolicy(...statements);
  }

  private createScaling(props: WorkerServiceProps, family: string, serviceName: string): void {
    const scale = props.scaling;
    const policies: TrackingPolicy[] = [{ key: 'cpu', targetValue: scale.cpuTargetPercent, predefined: { metric: 'ECSServiceAverageCPUUtilization' } }];
    if (scale.memoryTargetPercent !== undefined) {
      policies.push({ key: 'memory', targetValue: scale.memoryTargetPercent, predefined: { metric: 'ECSServiceAverageMemoryUtilization' } });
    }
    if (scale.queue) {
      // Backlog per task = visible messages / running tasks (AWS's recommended queue metric). It has
      // no value with no task running, so queue scaling needs autoscaling.minCount ≥ 1 (config rule).
      policies.push({
        key: 'queue',
        targetValue: scale.queue.messagesPerTask,
        customized: {
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
      });
    }
    addServiceScaling(this, { clusterName: props.clusterName, serviceName, policyNamePrefix: family, minCount: scale.minCount, maxCount: scale.maxCount, policies });
  }

}

// One scheduled ECS task (a batch job such as `python manage.py clearsessions`) run by EventBridge
// Scheduler: a service's task definition family with a command override, in a time zone, retried a few
// times, with what still fails kept in an encrypted dead-letter queue and alarmed on.
//
// What a schedule runs is the service's RELEASED revision, never the first-deploy template: `npm run
// release` points every schedule of the service at the revision it released (scheduler:UpdateSchedule),
// and Terraform ignores the target's task_definition_arn after creating the schedule on the revision
// the service runs (the ECS service's own task_definition: the last release's, or Terraform's template
// before any release), so a schedule added after releases starts on the released image too. A Terraform
// change to the task definition registers a new template revision; the schedule stays on the release.
// (Targeting the bare family ARN would run the latest ACTIVE revision: that new template.)
// The schedule's `state` stays Terraform's (config `enabled`), so an apply can always stop a job.
// Each schedule has its own schedule group: the scheduler role's trust policy names that group exactly
// (confused-deputy protection), and Scheduler's metrics, which exist per group only, become per schedule.
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SchedulerScheduleGroup } from '@cdktf/provider-aws/lib/scheduler-schedule-group';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument } from '../lib/iam';
import { scheduleNamesUnder, type ScheduleNames } from '../naming';
import { isTimeZone, SCHEDULE_EXPRESSION } from './schedule-expression';

export { isTimeZone, SCHEDULE_EXPRESSION };

/** The schedule attribute releases own (Terraform `ignore_changes` path; target and ecs_parameters are single-item list blocks). */
export const SCHEDULE_TASK_DEFINITION_PATH = 'target[0].ecs_parameters[0].task_definition_arn';


/** Where the task runs: its own ENI in private subnets (awsvpc), or the EC2 host's network (bridge). */
export type ScheduledTaskNetwork =
  | {
      readonly kind: 'awsvpc';
      /** Private subnets of the task (no public IP is ever assigned). */
      readonly subnetIds: string[];
      /** The service's security groups (and whatever else the task must reach, e.g. database clients). */
      readonly securityGroupIds: string[];
    }
  | { readonly kind: 'bridge' };

export interface CapacityProviderStrategyItem {
  /** `FARGATE`, `FARGATE_SPOT` or an EC2 capacity provider's name. */
  readonly capacityProvider: string;
  /** Relative share of tasks. */
  readonly weight: number;
  /** Tasks placed here before weights apply. @default 0 */
  readonly base?: number;
}

export interface ScheduledTaskProps {
  /** Prefix of every name (e.g. `drf-api-prod`); the schedule and its group are `<prefix>-<name>`. */
  readonly namePrefix: string;
  /** Name of the job, unique in the environment (letters, digits, `-`). */
  readonly name: string;
  /** Account of the cluster and task definition (ARNs and the trust policy's conditions). */
  readonly accountId: string;
  /** Region of the cluster. */
  readonly region: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`): `partitionOf(region)` of src/config/regions.ts. */
  readonly partition: string;
  /** ECS cluster that runs the task. */
  readonly clusterArn: string;
  /** Its name (the tasks' ARNs contain it). */
  readonly clusterName: string;
  /** Task definition family of the service (the role may run any of its revisions). */
  readonly taskFamily: string;
  /**
   * Revision ARN the schedule is created with: the one the service runs (the ECS service's
   * `task_definition`, i.e. the last release's, or Terraform's own before any release). Releases
   * re-point the schedule at what they ship; Terraform ignores the target's revision afterwards.
   */
  readonly taskDefinitionArn: string;
  /** Container of the family whose command is replaced. */
  readonly containerName: string;
  /** Command run in that container, e.g. `["python", "manage.py", "clearsessions"]`. */
  readonly command: string[];
  /** `cron(...)` or `rate(...)`, evaluated in `timezone`. */
  readonly scheduleExpression: string;
  /** IANA time zone of the cron expression, e.g. `Asia/Tokyo` (no default: a schedule says when it runs). */
  readonly timezone: string;
  /** Task role of the family (the scheduler role may pass only it and the execution role). */
  readonly taskRoleArn: string;
  /** Execution role of the family. */
  readonly executionRoleArn: string;
  /** Network of the task. */
  readonly network: ScheduledTaskNetwork;
  /** Capacity providers of the task (the service's strategy). @default [{ capacityProvider: "FARGATE", weight: 1 }] */
  readonly capacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** Retries of a failed RunTask call (e.g. no capacity) before the event goes to the DLQ. @default 2 */
  readonly retries?: number;
  /** How long Scheduler keeps retrying one invocation, in seconds (60–86400). @default 3600 */
  readonly maxEventAgeSeconds?: number;
  /** Flexible time window in minutes (Scheduler may start up to this late); off when undefined. @default off */
  readonly flexibleWindowMinutes?: number;
  /** Whether the schedule fires. @default true */
  readonly enabled?: boolean;
  /** Days a failed invocation stays in the dead-letter queue (1–14). @default 14 */
  readonly deadLetterRetentionDays?: number;
  /** Topic the DLQ and failed-invocation alarms notify. */
  readonly alarmTopicArn: string;
}

export class ScheduledTask extends Construct {
  readonly scheduleName: string;
  readonly scheduleGroupName: string;
  readonly roleArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: ScheduledTaskProps) {
    super(scope, id);
    // The names the release tool looks up too (scheduleNames of naming.ts).
    const names = scheduleNamesUnder(props.namePrefix, props.name);
    const name = names.schedule;
    validate(props, names);
    const { accountId, region, partition } = props;
    const familyArn = `arn:${partition}:ecs:${region}:${accountId}:task-definition/${props.taskFamily}`;

    const group = new SchedulerScheduleGroup(this, 'group', { name: names.group });
    const groupArn = `arn:${partition}:scheduler:${region}:${accountId}:schedule-group/${names.group}`;

    const dlq = new SqsQueue(this, 'dlq', {
      name: `${name}-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: (props.deadLetterRetentionDays ?? 14) * 86400,
    });
    new SqsQueuePolicy(this, 'dlq-policy', {
      queueUrl: dlq.url,
      policy: policyDocument({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: dlq.arn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    });

    const role = new IamRole(this, 'role', {
      name: names.role,
      description: `EventBridge Scheduler runs ${props.taskFamily} for ${name}`,
      assumeRolePolicy: policyDocument({
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': accountId },
          ArnEquals: { 'aws:SourceArn': groupArn },
        },
      }),
    });
    const rolePolicy = new IamRolePolicy(this, 'role-policy', {
      name: 'run-task',
      role: role.name,
      policy: policyDocument(
        {
          Sid: 'RunTheFamilyInTheCluster',
          Effect: 'Allow',
          Action: 'ecs:RunTask',
          // Any revision of the family: whichever the schedule was created on or a release points it at.
          // Also the bare family ARN, for the upgrade path: schedules created before schedules were
          // pinned target `task-definition/<family>` (latest ACTIVE), Terraform ignores that target now,
          // and they keep it until the service's next release (or `--status`) re-points them. Since
          // 2024-03-21 ECS authorizes a revision-less RunTask on the resolved revision (matched by `:*`);
          // the bare ARN keeps those schedules running wherever the unresolved form is evaluated, and
          // grants nothing beyond this family.
          // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
          Resource: [familyArn, `${familyArn}:*`],
          Condition: { ArnEquals: { 'ecs:cluster': props.clusterArn } },
        },
        {
          Sid: 'TagTheTasksItStarts',
          Effect: 'Allow',
          Action: 'ecs:TagResource',
          Resource: `arn:${partition}:ecs:${region}:${accountId}:task/${props.clusterName}/*`,
          Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
        },
        {
          Sid: 'PassTheFamilysRoles',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: [props.taskRoleArn, props.executionRoleArn],
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
        { Sid: 'DeadLetter', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlq.arn },
      ),
    });

    const network = props.network;
    const schedule = new SchedulerSchedule(this, 'schedule', {
      name: names.schedule,
      groupName: group.name,
      description: `${props.command.join(' ')} (${props.taskFamily})`,
      scheduleExpression: props.scheduleExpression,
      scheduleExpressionTimezone: props.timezone,
      state: props.enabled === false ? 'DISABLED' : 'ENABLED',
      flexibleTimeWindow:
        props.flexibleWindowMinutes === undefined ? { mode: 'OFF' } : { mode: 'FLEXIBLE', maximumWindowInMinutes: props.flexibleWindowMinutes },
      target: {
        arn: props.clusterArn,
        roleArn: role.arn,
        input: JSON.stringify({ containerOverrides: [{ name: props.containerName, command: props.command }] }),
        retryPolicy: { maximumRetryAttempts: props.retries ?? 2, maximumEventAgeInSeconds: props.maxEventAgeSeconds ?? 3600 },
        deadLetterConfig: { arn: dlq.arn },
        ecsParameters: {
          taskDefinitionArn: props.taskDefinitionArn,
          taskCount: 1,
          capacityProviderStrategy: props.capacityProviderStrategy ?? [{ capacityProvider: 'FARGATE', weight: 1 }],
          enableEcsManagedTags: true,
          propagateTags: 'TASK_DEFINITION',
          ...(network.kind === 'awsvpc'
            ? { networkConfiguration: { subnets: network.subnetIds, securityGroups: network.securityGroupIds, assignPublicIp: false } }
            : {}),
        },
      },
      // The role's policy must exist before Scheduler first assumes it.
      dependsOn: [rolePolicy],
      // Releases own what runs (the released revision); Terraform only sets the first one.
      lifecycle: { ignoreChanges: [SCHEDULE_TASK_DEFINITION_PATH] },
    });

    const alarm = (key: string, description: string, spec: Partial<ConstructorParameters<typeof CloudwatchMetricAlarm>[2]>) =>
      new CloudwatchMetricAlarm(this, key, {
        alarmName: `${name}-${key}`,
        alarmDescription: description,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: 'notBreaching',
        alarmActions: [props.alarmTopicArn],
        okActions: [props.alarmTopicArn],
        ...spec,
      });
    this.alarms = [
      alarm('dlq-messages', `${name}: invocations that failed every retry wait in ${name}-dlq`, {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: dlq.name },
        statistic: 'Maximum',
        period: 300,
      }),
      // RunTask calls that failed (throttled, no capacity, permissions) or were dropped, whether or not
      // they reached the DLQ. A task that starts and exits non-zero is not an invocation failure.
      alarm('failed-invocations', `${name}: Scheduler could not start the task`, {
        metricQuery: [
          { id: 'failed', expression: 'errors + dropped + undelivered', label: 'Failed invocations', returnData: true },
          ...(
            [
              ['errors', 'TargetErrorCount'],
              ['dropped', 'InvocationDroppedCount'],
              ['undelivered', 'InvocationsFailedToBeSentToDeadLetterCount'],
            ] as const
          ).map(([queryId, metricName]) => ({
            id: queryId,
            metric: { namespace: 'AWS/Scheduler', metricName, dimensions: { ScheduleGroup: group.name }, period: 300, stat: 'Sum' },
          })),
        ],
      }),
    ];

    this.scheduleName = schedule.name;
    this.scheduleGroupName = group.name;
    this.roleArn = role.arn;
    this.deadLetterQueueUrl = dlq.url;
    this.deadLetterQueueArn = dlq.arn;
  }
}

function validate(props: ScheduledTaskProps, names: ScheduleNames): void {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]*$/.test(props.name)) problems.push(`name "${props.name}" must be lower-case letters, digits and hyphens, starting with a letter`);
  // Schedule and group names: 64 characters; the role name adds "-scheduler" (64 too).
  if (names.role.length > 64) problems.push(`"${names.schedule}" is too long (at most ${64 - (names.role.length - names.schedule.length)} characters with the prefix)`);
  if (!SCHEDULE_EXPRESSION.test(props.scheduleExpression)) problems.push(`scheduleExpression "${props.scheduleExpression}" must be cron(<6 fields>) or rate(<n> <unit>)`);
  if (!isTimeZone(props.timezone)) problems.push(`timezone "${props.timezone}" is not an IANA time zone`);
  if (props.command.length === 0) problems.push('command must not be empty');
  const retries = props.retries ?? 2;
  if (!Number.isInteger(retries) || retries < 0 || retries > 185) problems.push(`retries must be 0-185, got ${retries}`);
  const age = props.maxEventAgeSeconds ?? 3600;
  if (!Number.isInteger(age) || age < 60 || age > 86400) problems.push(`maxEventAgeSeconds must be 60-86400, got ${age}`);
  const window = props.flexibleWindowMinutes;
  if (window !== undefined && (!Number.isInteger(window) || window < 1 || window > 1440)) problems.push(`flexibleWindowMinutes must be 1-1440, got ${window}`);
  const days = props.deadLetterRetentionDays ?? 14;
  if (!Number.isInteger(days) || days < 1 || days > 14) problems.push(`deadLetterRetentionDays must be 1-14, got ${days}`);
  // A literal revision must be one of the family's (a reference is the family's own task definition).
  if (!Token.isUnresolved(props.taskDefinitionArn) && !new RegExp(`:task-definition/${props.taskFamily}:\\d+$`).test(props.taskDefinitionArn)) {
    problems.push(`taskDefinitionArn "${props.taskDefinitionArn}" is not a revision of ${props.taskFamily}`);
  }
  if (props.network.kind === 'awsvpc' && props.network.subnetIds.length === 0) problems.push('network.subnetIds must not be empty');
  if (problems.length > 0) throw new Error(`ScheduledTask ${names.schedule}: ${problems.join('; ')}`);
}

import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SchedulerScheduleGroup } from '@cdktf/provider-aws/lib/scheduler-schedule-group';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Testing } from 'cdktf';
import { isTimeZone, ScheduledTask, type ScheduledTaskProps } from '../src/constructs/scheduled-task';
import { resourcesIn, type Json } from './helpers';

const base: ScheduledTaskProps = {
  namePrefix: 'drf-api-prod',
  name: 'clearsessions',
  accountId: '111122223333',
  region: 'ap-northeast-1',
  partition: 'aws',
  clusterArn: 'arn:aws:ecs:ap-northeast-1:111122223333:cluster/drf-api-prod',
  clusterName: 'drf-api-prod',
  taskFamily: 'drf-api-prod-api',
  taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:111122223333:task-definition/drf-api-prod-api:1',
  containerName: 'api',
  command: ['python', 'manage.py', 'clearsessions'],
  scheduleExpression: 'cron(0 3 * * ? *)',
  timezone: 'Asia/Tokyo',
  taskRoleArn: 'arn:aws:iam::111122223333:role/drf-api-prod-api-task',
  executionRoleArn: 'arn:aws:iam::111122223333:role/drf-api-prod-api-execution',
  network: { kind: 'awsvpc', subnetIds: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-api', 'sg-db-clients'] },
  alarmTopicArn: 'arn:aws:sns:ap-northeast-1:111122223333:drf-api-prod-alarms',
};

const synth = (overrides: Partial<ScheduledTaskProps> = {}) =>
  Testing.synthScope((scope) => {
    new ScheduledTask(scope, 'job', { ...base, ...overrides });
  });

const policyOf = (synthesized: string, type: string, key: string): Json => JSON.parse(resourcesIn(synthesized, type)[0][key]);

describe('ScheduledTask', () => {
  const synthesized = synth();

  it('runs the given revision in the cluster with a command override, at 03:00 Tokyo time, no flexible window', () => {
    expect(synthesized).toHaveResourceWithProperties(SchedulerSchedule, {
      name: 'drf-api-prod-clearsessions',
      group_name: expect.stringMatching(/aws_scheduler_schedule_group\.job_group_.*\.name/),
      schedule_expression: 'cron(0 3 * * ? *)',
      schedule_expression_timezone: 'Asia/Tokyo',
      state: 'ENABLED',
      flexible_time_window: { mode: 'OFF' },
      target: expect.objectContaining({
        arn: base.clusterArn,
        role_arn: expect.stringMatching(/aws_iam_role\.job_role_.*\.arn/),
        ecs_parameters: expect.objectContaining({
          task_definition_arn: 'arn:aws:ecs:ap-northeast-1:111122223333:task-definition/drf-api-prod-api:1',
          task_count: 1,
          capacity_provider_strategy: [{ capacity_provider: 'FARGATE', weight: 1 }],
          propagate_tags: 'TASK_DEFINITION',
          enable_ecs_managed_tags: true,
        }),
      }),
    });
    const target = resourcesIn(synthesized, 'aws_scheduler_schedule')[0].target;
    expect(JSON.parse(target.input)).toEqual({ containerOverrides: [{ name: 'api', command: ['python', 'manage.py', 'clearsessions'] }] });
    expect(synthesized).toHaveResourceWithProperties(SchedulerScheduleGroup, { name: 'drf-api-prod-clearsessions' });
  });

  it('runs in the private subnets with the service\'s security groups and no public IP', () => {
    expect(synthesized).toHaveResourceWithProperties(SchedulerSchedule, {
      target: expect.objectContaining({
        ecs_parameters: expect.objectContaining({
          network_configuration: { subnets: ['subnet-a', 'subnet-b'], security_groups: ['sg-api', 'sg-db-clients'], assign_public_ip: false },
        }),
      }),
    });
    const bridge = synth({ network: { kind: 'bridge' }, capacityProviderStrategy: [{ capacityProvider: 'drf-api-staging-ec2', weight: 1, base: 0 }] });
    const params = resourcesIn(bridge, 'aws_scheduler_schedule')[0].target.ecs_parameters;
    expect(params.network_configuration).toBeUndefined();
    expect(params.capacity_provider_strategy).toEqual([{ capacity_provider: 'drf-api-staging-ec2', weight: 1, base: 0 }]);
  });

  it('retries, then keeps what failed in an encrypted dead-letter queue that refuses plain HTTP', () => {
    expect(synthesized).toHaveResourceWithProperties(SchedulerSchedule, {
      target: expect.objectContaining({
        retry_policy: { maximum_retry_attempts: 2, maximum_event_age_in_seconds: 3600 },
        dead_letter_config: { arn: expect.stringMatching(/aws_sqs_queue\.job_dlq_.*\.arn/) },
      }),
    });
    expect(synthesized).toHaveResourceWithProperties(SqsQueue, { name: 'drf-api-prod-clearsessions-dlq', sqs_managed_sse_enabled: true, message_retention_seconds: 14 * 86400 });
    const queuePolicy = policyOf(synthesized, 'aws_sqs_queue_policy', 'policy');
    expect(queuePolicy.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  it('takes retries, event age, flexible window, state and DLQ retention from props', () => {
    const custom = synth({ retries: 0, maxEventAgeSeconds: 600, flexibleWindowMinutes: 15, enabled: false, deadLetterRetentionDays: 4 });
    expect(custom).toHaveResourceWithProperties(SchedulerSchedule, {
      state: 'DISABLED',
      flexible_time_window: { mode: 'FLEXIBLE', maximum_window_in_minutes: 15 },
      target: expect.objectContaining({ retry_policy: { maximum_retry_attempts: 0, maximum_event_age_in_seconds: 600 } }),
    });
    expect(custom).toHaveResourceWithProperties(SqsQueue, { message_retention_seconds: 4 * 86400 });
  });

  it('has a role only Scheduler of this account and this schedule group may assume', () => {
    expect(synthesized).toHaveResourceWithProperties(IamRole, { name: 'drf-api-prod-clearsessions-scheduler' });
    const trust = policyOf(synthesized, 'aws_iam_role', 'assume_role_policy');
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111122223333' },
          ArnEquals: { 'aws:SourceArn': 'arn:aws:scheduler:ap-northeast-1:111122223333:schedule-group/drf-api-prod-clearsessions' },
        },
      },
    ]);
  });

  it('leaves the revision it runs to releases: Terraform sets it once and ignores it afterwards', () => {
    const schedule = resourcesIn(synthesized, 'aws_scheduler_schedule')[0];
    expect(schedule.lifecycle).toEqual({ ignore_changes: ['target[0].ecs_parameters[0].task_definition_arn'] });
    // Only the revision: the command, network and state stay Terraform's.
    expect(JSON.stringify(schedule.lifecycle)).not.toMatch(/"target"|state|input|network/);
  });

  it('lets the role run that family only (any revision, or the bare family of schedules from before pinning), in that cluster only, and pass only its task and execution roles', () => {
    const policy = policyOf(synthesized, 'aws_iam_role_policy', 'policy');
    const bySid = Object.fromEntries((policy.Statement as Json[]).map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(['DeadLetter', 'PassTheFamilysRoles', 'RunTheFamilyInTheCluster', 'TagTheTasksItStarts']);
    expect(bySid.RunTheFamilyInTheCluster).toEqual({
      Sid: 'RunTheFamilyInTheCluster',
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      // Any revision (what the target names: the released one), and the bare family ARN that schedules
      // created before this change still target until a release re-points them (upgrade path).
      Resource: ['arn:aws:ecs:ap-northeast-1:111122223333:task-definition/drf-api-prod-api', 'arn:aws:ecs:ap-northeast-1:111122223333:task-definition/drf-api-prod-api:*'],
      Condition: { ArnEquals: { 'ecs:cluster': base.clusterArn } },
    });
    expect(bySid.PassTheFamilysRoles.Resource).toEqual([base.taskRoleArn, base.executionRoleArn]);
    expect(bySid.PassTheFamilysRoles.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(bySid.TagTheTasksItStarts.Resource).toBe('arn:aws:ecs:ap-northeast-1:111122223333:task/drf-api-prod/*');
    expect(bySid.TagTheTasksItStarts.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
    expect(bySid.DeadLetter).toEqual(expect.objectContaining({ Action: 'sqs:SendMessage', Resource: expect.stringMatching(/aws_sqs_queue\.job_dlq_.*\.arn/) }));
    for (const statement of policy.Statement as Json[]) expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"/);
    // The schedule is created after the role's policy, so its first run can assume a complete role.
    expect(resourcesIn(synthesized, 'aws_scheduler_schedule')[0].depends_on).toEqual([expect.stringMatching(/aws_iam_role_policy\.job_role-policy/)]);
  });

  it('alarms on messages in the DLQ and on failed invocations of its schedule group', () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-prod-clearsessions-dlq-messages',
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: expect.stringMatching(/aws_sqs_queue\.job_dlq_.*\.name/) },
      threshold: 1,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      alarm_actions: [base.alarmTopicArn],
    });
    expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-prod-clearsessions-failed-invocations',
      threshold: 1,
      alarm_actions: [base.alarmTopicArn],
      metric_query: expect.arrayContaining([
        expect.objectContaining({ id: 'failed', expression: 'errors + dropped + undelivered', return_data: true }),
        expect.objectContaining({
          id: 'errors',
          metric: expect.objectContaining({ namespace: 'AWS/Scheduler', metric_name: 'TargetErrorCount', dimensions: { ScheduleGroup: expect.stringMatching(/job_group_.*\.name/) } }),
        }),
        expect.objectContaining({ id: 'dropped', metric: expect.objectContaining({ metric_name: 'InvocationDroppedCount' }) }),
        expect.objectContaining({ id: 'undelivered', metric: expect.objectContaining({ metric_name: 'InvocationsFailedToBeSentToDeadLetterCount' }) }),
      ]),
    });
  });

  it('builds every ARN in the region\'s partition', () => {
    const china = synth({ partition: 'aws-cn', region: 'cn-north-1', taskDefinitionArn: 'arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/drf-api-prod-api:3' });
    const trust = policyOf(china, 'aws_iam_role', 'assume_role_policy');
    expect(trust.Statement[0].Condition.ArnEquals['aws:SourceArn']).toBe('arn:aws-cn:scheduler:cn-north-1:111122223333:schedule-group/drf-api-prod-clearsessions');
    const statements = policyOf(china, 'aws_iam_role_policy', 'policy').Statement as Json[];
    expect(statements.find((st) => st.Sid === 'RunTheFamilyInTheCluster')!.Resource).toEqual([
      'arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/drf-api-prod-api',
      'arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/drf-api-prod-api:*',
    ]);
    expect(statements.find((st) => st.Sid === 'TagTheTasksItStarts')!.Resource).toBe('arn:aws-cn:ecs:cn-north-1:111122223333:task/drf-api-prod/*');
  });

  it('accepts rate expressions', () => {
    expect(synth({ scheduleExpression: 'rate(15 minutes)' })).toHaveResourceWithProperties(SchedulerSchedule, { schedule_expression: 'rate(15 minutes)' });
    expect(synth({ scheduleExpression: 'rate(1 hour)' })).toHaveResourceWithProperties(SchedulerSchedule, { schedule_expression: 'rate(1 hour)' });
  });

  it.each<[string, Partial<ScheduledTaskProps>, RegExp]>([
    ['a five-field cron', { scheduleExpression: 'cron(0 3 * * *)' }, /scheduleExpression "cron\(0 3 \* \* \*\)"/],
    ['a plural unit with 1', { scheduleExpression: 'rate(1 hours)' }, /scheduleExpression "rate\(1 hours\)"/],
    ['a bare crontab line', { scheduleExpression: '0 3 * * *' }, /scheduleExpression/],
    ['an unknown time zone', { timezone: 'Asia/Nowhere' }, /timezone "Asia\/Nowhere" is not an IANA time zone/],
    ['an upper-case name', { name: 'ClearSessions' }, /name "ClearSessions"/],
    ['a name too long for the role', { name: 'a'.repeat(50) }, /is too long/],
    ['an empty command', { command: [] }, /command must not be empty/],
    ['too many retries', { retries: 186 }, /retries must be 0-185/],
    ['an event age under a minute', { maxEventAgeSeconds: 30 }, /maxEventAgeSeconds must be 60-86400/],
    ['a flexible window of 0', { flexibleWindowMinutes: 0 }, /flexibleWindowMinutes must be 1-1440/],
    ['a DLQ retention beyond 14 days', { deadLetterRetentionDays: 15 }, /deadLetterRetentionDays must be 1-14/],
    ['a revision of another family', { taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:111122223333:task-definition/drf-api-prod-api-migrate:1' }, /not a revision of drf-api-prod-api/],
    ['a family ARN without revision', { taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:111122223333:task-definition/drf-api-prod-api' }, /not a revision of drf-api-prod-api/],
    ['no subnets', { network: { kind: 'awsvpc', subnetIds: [], securityGroupIds: ['sg-api'] } }, /subnetIds must not be empty/],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => synth(overrides)).toThrow(message);
  });

  it('knows IANA zones and UTC', () => {
    expect(isTimeZone('Asia/Tokyo')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Tokyo')).toBe(false);
  });
});

import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Testing } from 'cdktf';
import { Alarms } from '../src/constructs/alarms';
import { terraformAddress } from '../src/lib/moved';
import { configProblems, resourcesIn, stacksFor, synthOf } from './helpers';

const alarms = (s: string) => resourcesIn(s, 'aws_cloudwatch_metric_alarm');

describe('alarms (prod)', () => {
  const prod = synthOf('prod', 'app');

  it('notify an SNS topic with the configured e-mail subscriptions', () => {
    expect(prod).toHaveResourceWithProperties(SnsTopic, { name: 'drf-api-prod-alarms' });
    expect(prod).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: 'email', endpoint: 'oncall@example.com' });
    for (const alarm of alarms(prod)) {
      expect(alarm.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic\.alarms_topic.*\.arn/)]);
      expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
    }
  });

  it('cover the ALB: its own 5xx', () => {
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-prod-alb-5xx',
      namespace: 'AWS/ApplicationELB',
      metric_name: 'HTTPCode_ELB_5XX_Count',
      threshold: 10,
      dimensions: { LoadBalancer: expect.stringMatching(/arn_suffix/) },
    });
  });

  it('watch both target groups of a blue/green pair: traffic is on green after every other release', () => {
    const both = (metric: string, stat: string) =>
      expect.arrayContaining([
        expect.objectContaining({ id: 'total', expression: 'FILL(tg1, 0) + FILL(tg2, 0)', return_data: true }),
        expect.objectContaining({
          id: 'tg1',
          metric: expect.objectContaining({ metric_name: metric, stat, dimensions: { LoadBalancer: expect.stringMatching(/arn_suffix/), TargetGroup: expect.stringMatching(/tg-blue.*arn_suffix/) } }),
        }),
        expect.objectContaining({
          id: 'tg2',
          metric: expect.objectContaining({ metric_name: metric, stat, dimensions: { LoadBalancer: expect.stringMatching(/arn_suffix/), TargetGroup: expect.stringMatching(/tg-green.*arn_suffix/) } }),
        }),
      ]);
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-prod-api-unhealthy-targets',
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
      metric_query: both('UnHealthyHostCount', 'Maximum'),
    });
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-prod-api-target-5xx',
      threshold: 25,
      metric_query: both('HTTPCode_Target_5XX_Count', 'Sum'),
    });
    // Every alarm on a target group covers both.
    for (const alarm of alarms(prod).filter((a) => JSON.stringify(a).includes('TargetGroup'))) {
      expect(JSON.stringify(alarm)).toMatch(/tg-blue/);
      expect(JSON.stringify(alarm)).toMatch(/tg-green/);
    }
  });

  it('watch the one target group of a rolling service directly', () => {
    const dev = synthOf('dev', 'app');
    expect(dev).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-dev-api-unhealthy-targets',
      metric_name: 'UnHealthyHostCount',
      statistic: 'Maximum',
      dimensions: { LoadBalancer: expect.stringMatching(/arn_suffix/), TargetGroup: expect.stringMatching(/tg-tg.*arn_suffix/) },
    });
    expect(dev).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-dev-api-target-5xx', metric_name: 'HTTPCode_Target_5XX_Count', statistic: 'Sum', period: 300 });
  });

  it('cover each service: CPU, memory, and running tasks below desired', () => {
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-prod-api-cpu-high', namespace: 'AWS/ECS', metric_name: 'CPUUtilization', threshold: 85 });
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-prod-api-memory-high', metric_name: 'MemoryUtilization', threshold: 85 });
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-prod-api-tasks-below-desired',
      threshold: 0,
      metric_query: expect.arrayContaining([
        expect.objectContaining({ id: 'missing', expression: 'desired - running', return_data: true }),
        expect.objectContaining({ id: 'running', metric: expect.objectContaining({ namespace: 'ECS/ContainerInsights', metric_name: 'RunningTaskCount' }) }),
      ]),
    });
  });

  it('cover the database: CPU, free storage, connections', () => {
    const db = { DBInstanceIdentifier: expect.stringMatching(/identifier/) };
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-prod-rds-cpu-high', namespace: 'AWS/RDS', threshold: 80, dimensions: db });
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'drf-api-prod-rds-free-storage-low',
      metric_name: 'FreeStorageSpace',
      threshold: 5 * 1024 ** 3,
      comparison_operator: 'LessThanThreshold',
    });
    expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-prod-rds-connections-high', threshold: 400 });
  });

  it('take thresholds from config, with defaults', () => {
    const dev = Testing.synth(stacksFor('dev', { alarms: { ecsCpuPercent: 70, rdsFreeStorageGiB: 2 } }).app);
    expect(dev).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-dev-api-cpu-high', threshold: 70 });
    expect(dev).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-dev-rds-free-storage-low', threshold: 2 * 1024 ** 3 });
    expect(dev).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'drf-api-dev-rds-connections-high', threshold: 100 });
    expect(Object.keys(JSON.parse(dev).resource.aws_sns_topic_subscription ?? {})).toEqual([]);
  });

  it('reject a bad e-mail address and out-of-range thresholds', () => {
    expect(configProblems('dev', { alarms: { emails: ['oncall'] } } as never)).toEqual(['dev.alarms.emails.0: "oncall" is not a valid e-mail address']);
    expect(configProblems('dev', { alarms: { ecsCpuPercent: 150 } } as never)).toEqual(['dev.alarms.ecsCpuPercent: 150 is above the maximum 100']);
  });
});

describe('Alarms (unit)', () => {
  const thresholds = { alb5xxPer5Minutes: 10, target5xxPer5Minutes: 5, ecsCpuPercent: 85, ecsMemoryPercent: 80, rdsCpuPercent: 80, rdsFreeStorageGiB: 5, rdsConnections: 100 };
  const synthAlarms = (emails: string[], build?: (a: Alarms) => void) =>
    Testing.synthScope((scope) => {
      const a = new Alarms(scope, 'alarms', { namePrefix: 'p', thresholds, emails, loadBalancerArnSuffix: 'app/lb/1', clusterName: 'c', databaseIdentifier: 'db' });
      build?.(a);
    });

  it('a service without target groups (a worker) gets CPU, memory and tasks-below-desired, no target-group alarm', () => {
    const s = synthAlarms([], (a) => a.addService({ name: 'worker', serviceName: 'worker' }));
    expect(alarms(s).map((a) => a.alarm_name).filter((n) => n.startsWith('p-worker')).sort()).toEqual(['p-worker-cpu-high', 'p-worker-memory-high', 'p-worker-tasks-below-desired']);
    expect(alarms(s).find((a) => a.alarm_name === 'p-worker-cpu-high')!.threshold).toBe(85);
  });

  it('keeps the alarms a worker used to create itself (moved blocks from its old path)', () => {
    const s = synthAlarms([], (a) => a.addService({ name: 'worker', serviceName: 'worker', movedFromPath: ['workloads', 'worker-worker'] }));
    const moved = JSON.parse(s).moved ?? [];
    expect(moved).toEqual(
      expect.arrayContaining([
        { from: terraformAddress('aws_cloudwatch_metric_alarm', ['workloads', 'worker-worker', 'cpu-high']), to: expect.stringMatching(/^aws_cloudwatch_metric_alarm\.alarms_worker-cpu-high_/) },
      ]),
    );
    expect(moved).toHaveLength(3);
  });

  it('keys e-mail subscriptions by address (reordering replaces nothing), with moved blocks from list positions', () => {
    const ids = (s: string) => Object.keys(JSON.parse(s).resource.aws_sns_topic_subscription).sort();
    const a = synthAlarms(['a@example.com', 'b@example.com']);
    expect(ids(a)).toEqual(ids(synthAlarms(['b@example.com', 'a@example.com'])));
    expect(ids(a)[0]).toMatch(/^alarms_email-a@example\.com_|^alarms_email-aexamplecom_/);
    expect(JSON.parse(a).moved).toEqual(
      expect.arrayContaining([{ from: terraformAddress('aws_sns_topic_subscription', ['alarms', 'email-0']), to: expect.stringContaining('aws_sns_topic_subscription.alarms_email-a') }]),
    );
  });
});

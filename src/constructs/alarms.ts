// CloudWatch alarms for one environment, all notifying one SNS topic: the edge (ALB errors,
// unhealthy targets), every service (CPU, memory, tasks below desired) and the database.
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';

export interface AlarmThresholds {
  readonly alb5xxPer5Minutes: number;
  readonly target5xxPer5Minutes: number;
  readonly ecsCpuPercent: number;
  readonly ecsMemoryPercent: number;
  readonly rdsCpuPercent: number;
  readonly rdsFreeStorageGiB: number;
  readonly rdsConnections: number;
}

export interface AlarmedService {
  /** The service's name (for alarm names). */
  readonly name: string;
  /** The ECS service name as a Terraform value (dimension). */
  readonly serviceName: string;
  /**
   * Every target group the service's tasks may be in: blue and green under blue/green, where the
   * live one alternates between releases, so each target-group alarm sums over all of them.
   */
  readonly targetGroupArnSuffixes: string[];
}

export interface AlarmsProps {
  readonly namePrefix: string;
  readonly thresholds: AlarmThresholds;
  /** E-mail subscriptions to the topic (each must be confirmed by its owner). @default [] */
  readonly emails?: string[];
  readonly loadBalancerArnSuffix: string;
  readonly clusterName: string;
  readonly services: AlarmedService[];
  readonly databaseIdentifier: string;
}

type AlarmSpec = Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions'>;

export class Alarms extends Construct {
  readonly topicArn: string;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { namePrefix, thresholds: t } = props;
    // No SSE: CloudWatch cannot publish to a topic under the AWS-managed SNS key (a customer key would
    // need a key policy for CloudWatch), and alarm notifications carry no secrets.
    const topic = new SnsTopic(this, 'topic', { name: `${namePrefix}-alarms` });
    (props.emails ?? []).forEach((email, i) => {
      new SnsTopicSubscription(this, `email-${i}`, { topicArn: topic.arn, protocol: 'email', endpoint: email });
    });

    const alarm = (key: string, description: string, spec: AlarmSpec) =>
      new CloudwatchMetricAlarm(this, key, {
        alarmName: `${namePrefix}-${key}`,
        alarmDescription: description,
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        treatMissingData: 'notBreaching',
        ...spec,
      });
    const fiveMinuteSum = { statistic: 'Sum', period: 300, evaluationPeriods: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold' };
    const average = (minutes: number) => ({ statistic: 'Average', period: 60, evaluationPeriods: minutes, comparisonOperator: 'GreaterThanThreshold' });

    const lb = { LoadBalancer: props.loadBalancerArnSuffix };
    alarm('alb-5xx', 'The load balancer itself returns 5xx (no healthy target, misconfiguration)', {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: lb,
      threshold: t.alb5xxPer5Minutes,
      ...fiveMinuteSum,
    });

    /**
     * One ALB metric over all of a service's target groups: the metric itself for one group; for a
     * blue/green pair, the sum of both, with missing data as 0 (the idle group publishes nothing).
     */
    const targetGroupMetric = (svc: AlarmedService, metricName: string, stat: string, period: number, label: string): Partial<AlarmSpec> => {
      if (svc.targetGroupArnSuffixes.length === 1) {
        return { namespace: 'AWS/ApplicationELB', metricName, dimensions: { ...lb, TargetGroup: svc.targetGroupArnSuffixes[0] }, statistic: stat, period };
      }
      const ids = svc.targetGroupArnSuffixes.map((_, i) => `tg${i + 1}`);
      return {
        metricQuery: [
          { id: 'total', expression: ids.map((id) => `FILL(${id}, 0)`).join(' + '), label, returnData: true },
          ...svc.targetGroupArnSuffixes.map((suffix, i) => ({
            id: ids[i],
            metric: { namespace: 'AWS/ApplicationELB', metricName, dimensions: { ...lb, TargetGroup: suffix }, period, stat },
          })),
        ],
      };
    };

    for (const svc of props.services) {
      const ecs = { ClusterName: props.clusterName, ServiceName: svc.serviceName };
      alarm(`${svc.name}-target-5xx`, `${svc.name} answers 5xx`, {
        ...targetGroupMetric(svc, 'HTTPCode_Target_5XX_Count', 'Sum', 300, 'Target 5xx, all target groups'),
        threshold: t.target5xxPer5Minutes,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      alarm(`${svc.name}-unhealthy-targets`, `${svc.name} has targets failing the load balancer health check`, {
        ...targetGroupMetric(svc, 'UnHealthyHostCount', 'Maximum', 60, 'Unhealthy targets, all target groups'),
        threshold: 0,
        evaluationPeriods: 3,
        comparisonOperator: 'GreaterThanThreshold',
      });
      alarm(`${svc.name}-cpu-high`, `${svc.name} CPU above ${t.ecsCpuPercent}%`, {
        namespace: 'AWS/ECS',
        metricName: 'CPUUtilization',
        dimensions: ecs,
        threshold: t.ecsCpuPercent,
        ...average(5),
      });
      alarm(`${svc.name}-memory-high`, `${svc.name} memory above ${t.ecsMemoryPercent}%`, {
        namespace: 'AWS/ECS',
        metricName: 'MemoryUtilization',
        dimensions: ecs,
        threshold: t.ecsMemoryPercent,
        ...average(5),
      });
      // Container Insights publishes both counts; fewer running than desired for 5 minutes means
      // tasks crash, cannot be placed, or cannot pull their image.
      alarm(`${svc.name}-tasks-below-desired`, `${svc.name} runs fewer tasks than desired`, {
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 0,
        evaluationPeriods: 5,
        treatMissingData: 'breaching',
        metricQuery: [
          { id: 'missing', expression: 'desired - running', label: 'Desired minus running tasks', returnData: true },
          ...(['desired', 'running'] as const).map((key) => ({
            id: key,
            metric: {
              namespace: 'ECS/ContainerInsights',
              metricName: key === 'desired' ? 'DesiredTaskCount' : 'RunningTaskCount',
              dimensions: ecs,
              period: 60,
              stat: 'Average',
            },
          })),
        ],
      });
    }

    const db = { DBInstanceIdentifier: props.databaseIdentifier };
    alarm('rds-cpu-high', `Database CPU above ${t.rdsCpuPercent}%`, {
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: db,
      threshold: t.rdsCpuPercent,
      ...average(10),
    });
    alarm('rds-free-storage-low', `Database free storage below ${t.rdsFreeStorageGiB} GiB`, {
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: db,
      threshold: t.rdsFreeStorageGiB * 1024 ** 3,
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'LessThanThreshold',
    });
    alarm('rds-connections-high', `Database connections above ${t.rdsConnections}`, {
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnections',
      dimensions: db,
      threshold: t.rdsConnections,
      ...average(5),
    });

    this.topicArn = topic.arn;
  }
}

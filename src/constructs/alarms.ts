// CloudWatch alarms for one environment, all notifying one SNS topic: the edge (ALB errors,
// unhealthy targets), every service (CPU, memory, tasks below desired) and the database.
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';
import { movedFrom, movedFromSibling } from '../lib/moved';

export interface AlarmThresholds {
  /** ALB-generated 5xx responses per 5 minutes. */
  readonly alb5xxPer5Minutes: number;
  /** 5xx responses of a service's targets per 5 minutes. */
  readonly target5xxPer5Minutes: number;
  /** Average service CPU over 5 minutes, percent. */
  readonly ecsCpuPercent: number;
  /** Average service memory over 5 minutes, percent. */
  readonly ecsMemoryPercent: number;
  /** Average database CPU over 10 minutes, percent. */
  readonly rdsCpuPercent: number;
  /** Database free storage below which the alarm fires, GiB. */
  readonly rdsFreeStorageGiB: number;
  /** Average database connections over 5 minutes. */
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
   * Empty for a service without a load balancer (a worker): no 5xx or unhealthy-target alarm.
   * @default []
   */
  readonly targetGroupArnSuffixes?: string[];
  /**
   * Where this service's alarms lived before (`['workloads', 'worker-x']`, below the stack): `moved`
   * blocks keep the existing alarms. @default none
   */
  readonly movedFromPath?: string[];
}

export interface AlarmsProps {
  /** Alarm and topic names start with it (`<prefix>-alarms`, `<prefix>-<service>-cpu-high`). */
  readonly namePrefix: string;
  /** When each alarm fires. */
  readonly thresholds: AlarmThresholds;
  /**
   * Customer-managed key of the topic; its policy must let `cloudwatch.amazonaws.com` use it
   * (`kms:GenerateDataKey*`, `kms:Decrypt`), or alarms stop publishing.
   * @default no server-side encryption
   */
  readonly kmsKeyArn?: string;
  /** E-mail subscriptions to the topic (each must be confirmed by its owner). @default [] */
  readonly emails?: string[];
  /** The ALB (`arn_suffix`, the `LoadBalancer` dimension). */
  readonly loadBalancerArnSuffix: string;
  /** The ECS cluster (`ClusterName` dimension). */
  readonly clusterName: string;
  /** Services to watch now; more with `addService`. @default [] */
  readonly services?: AlarmedService[];
  /** The database instance (`DBInstanceIdentifier` dimension). */
  readonly databaseIdentifier: string;
}

type AlarmSpec = Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions'>;

export class Alarms extends Construct {
  readonly topicArn: string;
  private readonly props: AlarmsProps;
  private readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.props = props;
    const { namePrefix, thresholds: t } = props;
    // A customer-managed key only: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    this.topic = new SnsTopic(this, 'topic', { name: `${namePrefix}-alarms`, kmsMasterKeyId: props.kmsKeyArn });
    const topic = this.topic;
    // Keyed by address, so removing one subscription never replaces the others.
    (props.emails ?? []).forEach((email, i) => {
      const subscription = new SnsTopicSubscription(this, `email-${email}`, { topicArn: topic.arn, protocol: 'email', endpoint: email });
      // Earlier versions keyed subscriptions by list position.
      movedFromSibling(subscription, `email-${i}`);
    });
    this.topicArn = topic.arn;

    this.alarm('alb-5xx', 'The load balancer itself returns 5xx (no healthy target, misconfiguration)', {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: { LoadBalancer: props.loadBalancerArnSuffix },
      threshold: t.alb5xxPer5Minutes,
      ...FIVE_MINUTE_SUM,
    });

    for (const svc of props.services ?? []) this.addService(svc);

    const db = { DBInstanceIdentifier: props.databaseIdentifier };
    this.alarm('rds-cpu-high', `Database CPU above ${t.rdsCpuPercent}%`, {
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: db,
      threshold: t.rdsCpuPercent,
      ...average(10),
    });
    this.alarm('rds-free-storage-low', `Database free storage below ${t.rdsFreeStorageGiB} GiB`, {
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: db,
      threshold: t.rdsFreeStorageGiB * 1024 ** 3,
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'LessThanThreshold',
    });
    this.alarm('rds-connections-high', `Database connections above ${t.rdsConnections}`, {
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnections',
      dimensions: db,
      threshold: t.rdsConnections,
      ...average(5),
    });
  }

  /**
   * A service's alarms: CPU, memory and tasks below desired; with target groups also target 5xx and
   * unhealthy targets. Names `<prefix>-<service>-<alarm>`.
   */
  addService(svc: AlarmedService): CloudwatchMetricAlarm[] {
    const t = this.props.thresholds;
    const ecs = { ClusterName: this.props.clusterName, ServiceName: svc.serviceName };
    const alarms: CloudwatchMetricAlarm[] = [];
    const alarm = (key: string, description: string, spec: AlarmSpec) => {
      const created = this.alarm(`${svc.name}-${key}`, description, spec);
      if (svc.movedFromPath) movedFrom(created, [...svc.movedFromPath, key]);
      alarms.push(created);
    };
    const targetGroups = svc.targetGroupArnSuffixes ?? [];
    if (targetGroups.length > 0) {
      alarm('target-5xx', `${svc.name} answers 5xx`, {
        ...this.targetGroupMetric(targetGroups, 'HTTPCode_Target_5XX_Count', 'Sum', 300, 'Target 5xx, all target groups'),
        threshold: t.target5xxPer5Minutes,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      alarm('unhealthy-targets', `${svc.name} has targets failing the load balancer health check`, {
        ...this.targetGroupMetric(targetGroups, 'UnHealthyHostCount', 'Maximum', 60, 'Unhealthy targets, all target groups'),
        threshold: 0,
        evaluationPeriods: 3,
        comparisonOperator: 'GreaterThanThreshold',
      });
    }
    alarm('cpu-high', `${svc.name} CPU above ${t.ecsCpuPercent}%`, {
      namespace: 'AWS/ECS',
      metricName: 'CPUUtilization',
      dimensions: ecs,
      threshold: t.ecsCpuPercent,
      ...average(5),
    });
    alarm('memory-high', `${svc.name} memory above ${t.ecsMemoryPercent}%`, {
      namespace: 'AWS/ECS',
      metricName: 'MemoryUtilization',
      dimensions: ecs,
      threshold: t.ecsMemoryPercent,
      ...average(5),
    });
    // Container Insights publishes both counts; fewer running than desired for 5 minutes means
    // tasks crash, cannot be placed, or cannot pull their image.
    alarm('tasks-below-desired', `${svc.name} runs fewer tasks than desired`, {
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
    return alarms;
  }

  private alarm(key: string, description: string, spec: AlarmSpec): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, key, {
      alarmName: `${this.props.namePrefix}-${key}`,
      alarmDescription: description,
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
      treatMissingData: 'notBreaching',
      ...spec,
    });
  }

  /**
   * One ALB metric over all of a service's target groups: the metric itself for one group; for a
   * blue/green pair, the sum of both, with missing data as 0 (the idle group publishes nothing).
   */
  private targetGroupMetric(suffixes: string[], metricName: string, stat: string, period: number, label: string): Partial<AlarmSpec> {
    const lb = { LoadBalancer: this.props.loadBalancerArnSuffix };
    if (suffixes.length === 1) {
      return { namespace: 'AWS/ApplicationELB', metricName, dimensions: { ...lb, TargetGroup: suffixes[0] }, statistic: stat, period };
    }
    const ids = suffixes.map((_, i) => `tg${i + 1}`);
    return {
      metricQuery: [
        { id: 'total', expression: ids.map((id) => `FILL(${id}, 0)`).join(' + '), label, returnData: true },
        ...suffixes.map((suffix, i) => ({
          id: ids[i],
          metric: { namespace: 'AWS/ApplicationELB', metricName, dimensions: { ...lb, TargetGroup: suffix }, period, stat },
        })),
      ],
    };
  }
}

const FIVE_MINUTE_SUM = { statistic: 'Sum', period: 300, evaluationPeriods: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold' };
const average = (minutes: number) => ({ statistic: 'Average', period: 60, evaluationPeriods: minutes, comparisonOperator: 'GreaterThanThreshold' });

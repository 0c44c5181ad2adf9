// CloudWatch alarms for the nodes of one ElastiCache replication group: host CPU (what matters on nodes
// with 2 vCPUs or fewer), engine CPU (the single engine thread, on larger nodes), memory, evictions and
// connections. Metrics are per node (`CacheClusterId` dimension), so every node gets each alarm.
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { Construct } from 'constructs';

/** Alarm thresholds; each has the default it says. */
export interface CacheAlarmThresholds {
  /** Host CPUUtilization, percent, averaged over 5 minutes. @default 90 */
  readonly cpuPercent?: number;
  /** EngineCPUUtilization (the engine thread), percent, averaged over 5 minutes. @default 90 */
  readonly engineCpuPercent?: number;
  /** DatabaseMemoryUsagePercentage (of maxmemory), averaged over 5 minutes. @default 80 */
  readonly memoryPercent?: number;
  /**
   * Evictions per 5 minutes at or above which the alarm fires. Sessions live in this cache too, so an
   * eviction may log a user out: the default alarms on the first one. @default 1
   */
  readonly evictionsPer5Minutes?: number;
  /** CurrConnections (maximum over 5 minutes) above which the alarm fires (a connection leak). @default 1000 */
  readonly connections?: number;
}

export interface CacheAlarmsProps {
  /** Member cluster ids of the replication group (`Cache.nodeIds`); they name the alarms too. */
  readonly nodeIds: string[];
  /** Where alarms and recoveries are sent (the environment's alarm topic). */
  readonly topicArn: string;
  /** Thresholds. @default every threshold's own default */
  readonly thresholds?: CacheAlarmThresholds;
}

export class CacheAlarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: CacheAlarmsProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    const specs = [
      // CPU over two periods: the fork of a daily snapshot alone must not page anyone.
      { key: 'cpu-high', metric: 'CPUUtilization', statistic: 'Average', periods: 2, threshold: t.cpuPercent ?? 90, what: 'host CPU above %' },
      { key: 'engine-cpu-high', metric: 'EngineCPUUtilization', statistic: 'Average', periods: 2, threshold: t.engineCpuPercent ?? 90, what: 'engine CPU above %' },
      { key: 'memory-high', metric: 'DatabaseMemoryUsagePercentage', statistic: 'Average', periods: 1, threshold: t.memoryPercent ?? 80, what: 'memory above % of maxmemory' },
      { key: 'evictions', metric: 'Evictions', statistic: 'Sum', periods: 1, threshold: t.evictionsPer5Minutes ?? 1, what: 'evicts keys (at least % in 5 minutes)' },
      { key: 'connections-high', metric: 'CurrConnections', statistic: 'Maximum', periods: 1, threshold: t.connections ?? 1000, what: 'more than % connections' },
    ] as const;
    for (const node of props.nodeIds) {
      for (const spec of specs) {
        this.alarms.push(
          new CloudwatchMetricAlarm(this, `${node}-${spec.key}`, {
            alarmName: `${node}-${spec.key}`,
            alarmDescription: `Cache node ${node}: ${spec.what.replace('%', String(spec.threshold))}`,
            namespace: 'AWS/ElastiCache',
            metricName: spec.metric,
            dimensions: { CacheClusterId: node },
            statistic: spec.statistic,
            period: 300,
            evaluationPeriods: spec.periods,
            threshold: spec.threshold,
            comparisonOperator: spec.key === 'evictions' ? 'GreaterThanOrEqualToThreshold' : 'GreaterThanThreshold',
            // A node that reports nothing is being replaced or is gone; the replication group's events say which.
            treatMissingData: 'notBreaching',
            alarmActions: [props.topicArn],
            okActions: [props.topicArn],
          }),
        );
      }
    }
  }
}

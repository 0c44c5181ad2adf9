// Target tracking on an ECS service's desired count, shared by web services and workers. The
// resources are created in the service's own scope (`scaling-target`, `scale-on-<key>`), so their
// addresses are the service's.
import { AppautoscalingPolicy, type AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import type { Construct } from 'constructs';

/** One target-tracking policy: a predefined metric, or a customized one (metric math); never both. */
export type TrackingPolicy = TrackingPolicyTarget & (PredefinedMetric | CustomizedMetric);

/** What every target-tracking policy has. */
export interface TrackingPolicyTarget {
  /** Names the policy (`<policyNamePrefix>-<key>`) and its construct id (`scale-on-<key>`). */
  readonly key: string;
  /** The value the metric is kept at. */
  readonly targetValue: number;
}

/** A policy on an ECS predefined metric. */
export interface PredefinedMetric {
  /** The metric, e.g. `ECSServiceAverageCPUUtilization` (with `resourceLabel` for ALB request counts, `ALBRequestCountPerTarget`). */
  readonly predefined: { readonly metric: string; readonly resourceLabel?: string };
  /** Not with a predefined metric. @default none */
  readonly customized?: never;
}

/** A policy on a customized metric specification, e.g. queue backlog per task. */
export interface CustomizedMetric {
  /** The metric specification (a metric, or metric math). */
  readonly customized: NonNullable<AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration['customizedMetricSpecification']>;
  /** Not with a customized metric. @default none */
  readonly predefined?: never;
}

export interface ServiceScalingProps {
  /** Cluster of the service. */
  readonly clusterName: string;
  /** ECS service name. */
  readonly serviceName: string;
  /** Policies are named `<policyNamePrefix>-<key>` (the task family). */
  readonly policyNamePrefix: string;
  /** Fewest tasks the policies scale in to. */
  readonly minCount: number;
  /** Most tasks the policies scale out to. */
  readonly maxCount: number;
  /** The policies; the service scales out when any asks for more tasks and in when all allow fewer. */
  readonly policies: TrackingPolicy[];
  /** Seconds after a scale-in before the next one. @default 300 */
  readonly scaleInCooldownSeconds?: number;
  /** Seconds after a scale-out before the next one. @default 60 */
  readonly scaleOutCooldownSeconds?: number;
}

/** Creates the scalable target and its policies in `scope`; returns the target. */
export function addServiceScaling(scope: Construct, props: ServiceScalingProps): AppautoscalingTarget {
  const target = new AppautoscalingTarget(scope, 'scaling-target', {
    serviceNamespace: 'ecs',
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId: `service/${props.clusterName}/${props.serviceName}`,
    minCapacity: props.minCount,
    maxCapacity: props.maxCount,
  });
  for (const policy of props.policies) {
    new AppautoscalingPolicy(scope, `scale-on-${policy.key}`, {
      name: `${props.policyNamePrefix}-${policy.key}`,
      policyType: 'TargetTrackingScaling',
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: policy.targetValue,
        scaleInCooldown: props.scaleInCooldownSeconds ?? 300,
        scaleOutCooldown: props.scaleOutCooldownSeconds ?? 60,
        ...(policy.predefined
          ? { predefinedMetricSpecification: { predefinedMetricType: policy.predefined.metric, resourceLabel: policy.predefined.resourceLabel } }
          : {}),
        ...(policy.customized ? { customizedMetricSpecification: policy.customized } : {}),
      },
    });
  }
  return target;
}

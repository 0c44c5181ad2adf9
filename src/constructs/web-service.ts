// One application service behind the ALB (seed: "create service" with its target group), as
// aws-ecs-patterns' ApplicationLoadBalancedService: task definition, security, routing, scaling,
// its release strategy (rolling, or ECS-native blue/green), its migrate task and its release record.
//
// Releases own the running revision: the service ignores `task_definition`, and `npm run release`
// registers revisions copied from the latest one with the image pinned by digest.
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../config/schema';
import type { ServiceNames } from '../naming';
import { BlueGreenDeployment } from './blue-green-deployment';
import { MigrateTaskDefinition } from './migrate-task-definition';
import { ReleaseRecord } from './release-record';
import { ServiceTaskDefinition, type DatabaseAccess } from './task-definition';

/** Docker's dynamic host ports (bridge mode with hostPort 0) fall in this range. */
const EPHEMERAL_PORTS = { from: 32768, to: 65535 };

export interface ServiceLoadBalancer {
  readonly arn: string;
  readonly arnSuffix: string;
  readonly securityGroupId: string;
  readonly productionListenerArn: string;
}

export interface WebServiceProps {
  /** The deterministic names of this service (src/naming.ts); AWS names derive from `taskFamily`. */
  readonly names: ServiceNames;
  readonly region: string;
  readonly accountId: string;
  /** The validated service settings from config. */
  readonly settings: ServiceConfig;
  /** Position among the environment's services: default listener-rule priority is 100 × (position + 1). */
  readonly position: number;
  /** Read after the cluster's capacity providers are attached (so the service waits for them). */
  readonly clusterName: string;
  readonly vpcId: string;
  /** Private app subnets. */
  readonly subnetIds: string[];
  /** `<repository url>:<config imageTag>`: the task definition template's image, used by the first deploy only. */
  readonly image: string;
  readonly repositoryArn: string;
  readonly loadBalancer: ServiceLoadBalancer;
  /** Groups the tasks join besides their own (e.g. the database clients'). @default [] */
  readonly extraSecurityGroupIds?: string[];
  /** The EC2 capacity provider, for services with `capacity: "ec2"`. */
  readonly ec2CapacityProviderName?: string;
  /** The EC2 instances' group, for `bridge` mode (tasks use the host's network). */
  readonly instanceSecurityGroupId?: string;
  /** The database the application (IAM authentication) and its migrate task (master secret) use. @default none */
  readonly database?: DatabaseAccess;
  /** ECS Exec session audit log group. @default no audit permissions */
  readonly execAuditLogGroupArn?: string;
  /** Keep logs when destroyed (production). @default false */
  readonly retainLogs?: boolean;
}

export class WebService extends Construct {
  /** The service's name from config (a literal, for output keys). */
  readonly name: string;
  readonly serviceName: string;
  readonly taskFamily: string;
  readonly logGroupName: string;
  /** The group tasks run with (awsvpc); in bridge mode, the instances'. */
  readonly securityGroupId: string;
  /** The role the application runs as (grant it what the app calls). */
  readonly taskRoleArn: string;
  /** Every target group the service's tasks may be in: one when rolling; blue and green. */
  readonly targetGroupArnSuffixes: string[];
  readonly blueGreen?: BlueGreenDeployment;
  /** The `<service>-migrate` task family, when `release.migrate` is configured. */
  readonly migrate?: MigrateTaskDefinition;
  readonly releaseRecord: ReleaseRecord;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    const { settings: svc, loadBalancer: lb, names } = props;
    const name = names.taskFamily;
    const awsvpc = svc.networkMode === 'awsvpc';
    const blueGreen = svc.deployment.strategy === 'blueGreen';

    const task = new ServiceTaskDefinition(this, 'task-definition', {
      names,
      region: props.region,
      accountId: props.accountId,
      settings: svc,
      image: props.image,
      repositoryArn: props.repositoryArn,
      database: props.database,
      execAuditLogGroupArn: props.execAuditLogGroupArn,
      retainLogs: props.retainLogs,
    });

    // Who may reach the tasks: the ALB, on the container's port only.
    let taskSecurityGroupId: string;
    let trafficPorts: { from: number; to: number };
    if (awsvpc) {
      const sg = new SecurityGroup(this, 'sg', {
        name,
        description: `Tasks of ${name}: the ALB on port ${svc.container.port} only`,
        vpcId: props.vpcId,
        tags: { Name: name },
      });
      new VpcSecurityGroupEgressRule(this, 'egress-https', {
        securityGroupId: sg.id,
        description: 'HTTPS to AWS APIs and the internet (via endpoints or NAT)',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
      });
      taskSecurityGroupId = sg.id;
      trafficPorts = { from: svc.container.port, to: svc.container.port };
    } else {
      taskSecurityGroupId = props.instanceSecurityGroupId!;
      const hostPort = svc.container.hostPort;
      trafficPorts = hostPort === 0 ? EPHEMERAL_PORTS : { from: hostPort, to: hostPort };
    }
    const portText = trafficPorts.from === trafficPorts.to ? `port ${trafficPorts.from}` : `ports ${trafficPorts.from}-${trafficPorts.to}`;
    new VpcSecurityGroupIngressRule(this, 'ingress-from-alb', {
      securityGroupId: taskSecurityGroupId,
      description: `${svc.name}: from the ALB on ${portText}`,
      ipProtocol: 'tcp',
      fromPort: trafficPorts.from,
      toPort: trafficPorts.to,
      referencedSecurityGroupId: lb.securityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, 'alb-egress', {
      securityGroupId: lb.securityGroupId,
      description: `To ${svc.name} on ${portText}`,
      ipProtocol: 'tcp',
      fromPort: trafficPorts.from,
      toPort: trafficPorts.to,
      referencedSecurityGroupId: taskSecurityGroupId,
    });

    // Target groups: one for rolling; blue and green for blue/green.
    const health = svc.loadBalancer.healthCheck;
    const targetGroup = (suffix: string) =>
      new LbTargetGroup(this, `tg-${suffix}`, {
        name: `${name}-${suffix}`,
        vpcId: props.vpcId,
        port: svc.container.port,
        protocol: 'HTTP',
        targetType: awsvpc ? 'ip' : 'instance',
        deregistrationDelay: String(svc.loadBalancer.deregistrationDelaySeconds),
        healthCheck: {
          enabled: true,
          path: health.path,
          matcher: health.matcher,
          protocol: 'HTTP',
          port: 'traffic-port',
          interval: health.intervalSeconds,
          timeout: health.timeoutSeconds,
          healthyThreshold: health.healthyThreshold,
          unhealthyThreshold: health.unhealthyThreshold,
        },
        tags: { Name: `${name}-${suffix}` },
      });
    const blue = targetGroup(blueGreen ? 'blue' : 'tg');
    const green = blueGreen ? targetGroup('green') : undefined;

    const conditions = [
      ...(svc.loadBalancer.hosts ? [{ hostHeader: { values: svc.loadBalancer.hosts } }] : []),
      ...(svc.loadBalancer.paths ? [{ pathPattern: { values: svc.loadBalancer.paths } }] : []),
    ];
    const routing = conditions.length > 0 ? conditions : [{ pathPattern: { values: ['/*'] } }];
    const priority = svc.loadBalancer.priority ?? 100 * (props.position + 1);
    const rule = new LbListenerRule(this, 'rule', {
      listenerArn: lb.productionListenerArn,
      priority,
      condition: routing,
      // Blue/green: both target groups, weighted; ECS moves the weights at every release.
      action: green
        ? [{ type: 'forward', forward: { targetGroup: [{ arn: blue.arn, weight: 100 }, { arn: green.arn, weight: 0 }] } }]
        : [{ type: 'forward', targetGroupArn: blue.arn }],
      lifecycle: blueGreen ? { ignoreChanges: ['action'] } : undefined,
      tags: { Name: name },
    });

    const bgSettings = svc.deployment.blueGreen;
    const bg = green
      ? new BlueGreenDeployment(this, 'blue-green', {
          name,
          region: props.region,
          accountId: props.accountId,
          listenerArn: lb.productionListenerArn,
          productionRuleArn: rule.arn,
          testPriority: priority - 1,
          routingConditions: routing,
          blueTargetGroupArn: blue.arn,
          greenTargetGroupArn: green.arn,
          testHeaderName: bgSettings.testHeaderName,
          testSourceCidrs: bgSettings.testListenerCidrs,
        })
      : undefined;

    const capacityProvider = { fargate: 'FARGATE', fargateSpot: 'FARGATE_SPOT', ec2: props.ec2CapacityProviderName! }[svc.capacity];
    const service = new EcsService(this, 'service', {
      name: names.service,
      cluster: props.clusterName,
      // The template revision, for the first deploy; releases set the running revision from then on.
      taskDefinition: task.arn,
      desiredCount: svc.desiredCount,
      capacityProviderStrategy: [{ capacityProvider, weight: 1 }],
      networkConfiguration: awsvpc
        ? { subnets: props.subnetIds, securityGroups: [taskSecurityGroupId, ...(props.extraSecurityGroupIds ?? [])], assignPublicIp: false }
        : undefined,
      loadBalancer: [
        {
          targetGroupArn: blue.arn,
          containerName: task.containerName,
          containerPort: svc.container.port,
          advancedConfiguration:
            green && bg
              ? { alternateTargetGroupArn: green.arn, productionListenerRule: rule.arn, testListenerRule: bg.testRuleArn, roleArn: bg.roleArn }
              : undefined,
        },
      ],
      // ECS-native deployments for both strategies: network and capacity changes apply in place.
      deploymentController: { type: 'ECS' },
      // Explicit for rolling too: the attribute is computed, so leaving it out would keep BLUE_GREEN
      // after a service is switched back to rolling.
      deploymentConfiguration: blueGreen ? { strategy: 'BLUE_GREEN', bakeTimeInMinutes: String(bgSettings.bakeTimeMinutes) } : { strategy: 'ROLLING' },
      ...(blueGreen
        ? {}
        : {
            deploymentMinimumHealthyPercent: svc.deployment.minimumHealthyPercent,
            deploymentMaximumPercent: svc.deployment.maximumPercent,
          }),
      // Green tasks that never become healthy stop the deployment and ECS rolls back.
      deploymentCircuitBreaker: { enable: true, rollback: true },
      // On EC2, spread tasks over AZs first (Fargate spreads by itself).
      orderedPlacementStrategy: svc.capacity === 'ec2' ? [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] : undefined,
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      enableExecuteCommand: true,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // The autoscaler owns the desired count and releases own the task definition. Under blue/green
      // ECS alternates the target groups between releases, so Terraform must not reset them either.
      lifecycle: { ignoreChanges: ['desired_count', 'task_definition', ...(blueGreen ? ['load_balancer'] : [])] },
      dependsOn: [rule, ...(bg ? [bg.rolePolicy] : [])],
    });

    this.createAutoscaling(props, service.name, blue.arnSuffix);

    const migrateCommand = svc.release.migrate;
    if (migrateCommand) {
      this.migrate = new MigrateTaskDefinition(this, 'migrate', {
        names,
        region: props.region,
        accountId: props.accountId,
        settings: svc,
        command: migrateCommand,
        image: props.image,
        repositoryArn: props.repositoryArn,
        database: props.database,
        retainLogs: props.retainLogs,
      });
    }
    this.releaseRecord = new ReleaseRecord(this, 'release-record', { parameterName: names.releaseParameter, serviceName: svc.name });

    this.blueGreen = bg;
    this.name = svc.name;
    this.serviceName = service.name;
    this.taskFamily = task.family;
    this.logGroupName = task.logGroupName;
    this.securityGroupId = taskSecurityGroupId;
    this.taskRoleArn = task.taskRoleArn;
    this.targetGroupArnSuffixes = green ? [blue.arnSuffix, green.arnSuffix] : [blue.arnSuffix];
  }

  private createAutoscaling(props: WebServiceProps, serviceName: string, targetGroupArnSuffix: string): void {
    const scale = props.settings.autoscaling;
    const target = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.clusterName}/${serviceName}`,
      minCapacity: scale.minCount,
      maxCapacity: scale.maxCount,
    });
    const policies: Array<[string, string, number, string?]> = [
      ['cpu', 'ECSServiceAverageCPUUtilization', scale.cpuTargetPercent],
      ['memory', 'ECSServiceAverageMemoryUtilization', scale.memoryTargetPercent],
    ];
    if (scale.requestsPerTarget !== undefined) {
      policies.push(['requests', 'ALBRequestCountPerTarget', scale.requestsPerTarget, `${props.loadBalancer.arnSuffix}/${targetGroupArnSuffix}`]);
    }
    for (const [key, metric, value, label] of policies) {
      new AppautoscalingPolicy(this, `scale-on-${key}`, {
        name: `${props.names.taskFamily}-${key}`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: value,
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
          predefinedMetricSpecification: { predefinedMetricType: metric, resourceLabel: label },
        },
      });
    }
  }
}

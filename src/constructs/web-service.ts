// One application service behind the ALB (seed: "create service" with its target group), as
// aws-ecs-patterns' ApplicationLoadBalancedService: task definition, security, routing, scaling,
// and its release strategy (rolling by ECS, or blue/green by CodeDeploy).
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
import { BlueGreenDeployment } from './blue-green-deployment';
import { ServiceTaskDefinition, type DatabaseConnection } from './task-definition';

/** Docker's dynamic host ports (bridge mode with hostPort 0) fall in this range. */
const EPHEMERAL_PORTS = { from: 32768, to: 65535 };

export interface ServiceLoadBalancer {
  readonly arn: string;
  readonly arnSuffix: string;
  readonly securityGroupId: string;
  readonly productionListenerArn: string;
}

export interface WebServiceProps {
  /** `<service>-<env>`; names are `<namePrefix>-<service name>`. */
  readonly namePrefix: string;
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
  readonly image: string;
  readonly repositoryArn: string;
  readonly loadBalancer: ServiceLoadBalancer;
  /** Groups the tasks join besides their own (e.g. the database clients'). @default [] */
  readonly extraSecurityGroupIds?: string[];
  /** The EC2 capacity provider, for services with `capacity: "ec2"`. */
  readonly ec2CapacityProviderName?: string;
  /** The EC2 instances' group, for `bridge` mode (tasks use the host's network). */
  readonly instanceSecurityGroupId?: string;
  readonly database?: DatabaseConnection;
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
  readonly targetGroupArnSuffix: string;
  readonly blueGreen?: BlueGreenDeployment;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    const { settings: svc, loadBalancer: lb, namePrefix } = props;
    const name = `${namePrefix}-${svc.name}`;
    const awsvpc = svc.networkMode === 'awsvpc';
    const blueGreen = svc.deployment.strategy === 'blueGreen';

    const task = new ServiceTaskDefinition(this, 'task-definition', {
      namePrefix,
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
    const rule = new LbListenerRule(this, 'rule', {
      listenerArn: lb.productionListenerArn,
      priority: svc.loadBalancer.priority ?? 100 * (props.position + 1),
      condition: conditions.length > 0 ? conditions : [{ pathPattern: { values: ['/*'] } }],
      action: [{ type: 'forward', targetGroupArn: blue.arn }],
      // CodeDeploy moves the rule between blue and green.
      lifecycle: blueGreen ? { ignoreChanges: ['action'] } : undefined,
      tags: { Name: name },
    });

    const capacityProvider = { fargate: 'FARGATE', fargateSpot: 'FARGATE_SPOT', ec2: props.ec2CapacityProviderName! }[svc.capacity];
    const service = new EcsService(this, 'service', {
      name: svc.name,
      cluster: props.clusterName,
      taskDefinition: task.arn,
      desiredCount: svc.desiredCount,
      capacityProviderStrategy: [{ capacityProvider, weight: 1 }],
      networkConfiguration: awsvpc
        ? { subnets: props.subnetIds, securityGroups: [taskSecurityGroupId, ...(props.extraSecurityGroupIds ?? [])], assignPublicIp: false }
        : undefined,
      loadBalancer: [{ targetGroupArn: blue.arn, containerName: task.containerName, containerPort: svc.container.port }],
      deploymentController: { type: blueGreen ? 'CODE_DEPLOY' : 'ECS' },
      ...(blueGreen
        ? {}
        : {
            deploymentMinimumHealthyPercent: svc.deployment.minimumHealthyPercent,
            deploymentMaximumPercent: svc.deployment.maximumPercent,
            deploymentCircuitBreaker: { enable: true, rollback: true },
          }),
      // On EC2, spread tasks over AZs first (Fargate spreads by itself).
      orderedPlacementStrategy: svc.capacity === 'ec2' ? [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] : undefined,
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      enableExecuteCommand: true,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // The autoscaler owns the desired count; under blue/green CodeDeploy owns the task set and routing.
      lifecycle: { ignoreChanges: ['desired_count', ...(blueGreen ? ['task_definition', 'load_balancer'] : [])] },
      dependsOn: [rule],
    });

    this.createAutoscaling(props, service.name, blue.arnSuffix);

    if (blueGreen && green) {
      const bg = svc.deployment.blueGreen;
      this.blueGreen = new BlueGreenDeployment(this, 'blue-green', {
        name,
        accountId: props.accountId,
        clusterName: props.clusterName,
        serviceName: service.name,
        loadBalancerArn: lb.arn,
        loadBalancerSecurityGroupId: lb.securityGroupId,
        productionListenerArn: lb.productionListenerArn,
        blueTargetGroupArn: blue.arn,
        blueTargetGroupName: blue.name,
        greenTargetGroupName: green.name,
        testListenerPort: bg.testListenerPort,
        testListenerCidrs: bg.testListenerCidrs,
        deploymentConfig: bg.deploymentConfig,
        rerouteWaitMinutes: bg.rerouteWaitMinutes,
        terminateBlueAfterMinutes: bg.terminateBlueAfterMinutes,
      });
    }

    this.name = svc.name;
    this.serviceName = service.name;
    this.taskFamily = task.family;
    this.logGroupName = task.logGroupName;
    this.securityGroupId = taskSecurityGroupId;
    this.targetGroupArnSuffix = blue.arnSuffix;
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
        name: `${props.namePrefix}-${props.settings.name}-${key}`,
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

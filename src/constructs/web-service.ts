// One application service behind the ALB, with its target group, as
// aws-ecs-patterns' ApplicationLoadBalancedService: task definition, security, routing, scaling,
// its release strategy (rolling, or ECS-native blue/green), its migrate task and its release record.
//
// Releases own the running revision: the service ignores `task_definition`, and `npm run release`
// registers revisions copied from the latest one with the image pinned by digest.
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { Construct } from 'constructs';
import { addServiceScaling, type TrackingPolicy } from './service-scaling';
import type { Statement } from '../lib/iam';
import { movedFrom, pathBelowStack } from '../lib/moved';
import type { ServiceNames } from '../naming';
import { BlueGreenDeployment } from './blue-green-deployment';
import type { Connections, Port } from './connections';
import { MigrateTaskDefinition } from './migrate-task-definition';
import { ReleaseRecord } from './release-record';
import { EPHEMERAL_PORTS, runsOnEc2, servicePlacement, taskNetworking, taskSecurityGroup, type ServiceNetwork } from './service-network';
import { ServiceTaskDefinition, type ServiceTaskDefinitionProps } from './task-definition';

/** The load balancer a web service attaches to. */
export interface ServiceLoadBalancer {
  /** `arn_suffix` of the ALB (request-count scaling). */
  readonly arnSuffix: string;
  /** Rules of the ALB's group (owned by the load balancer): the service allows it to reach the tasks. */
  readonly connections: Connections;
  /** The listener the service's rules go on (HTTPS; HTTP in an HTTP-only environment). */
  readonly productionListenerArn: string;
}

/** Which requests reach the service. */
export interface ServiceRouting {
  /** Host headers to match. @default any host */
  readonly hosts?: string[];
  /** Path patterns to match. @default `/*` when no host is given either */
  readonly paths?: string[];
  /** Listener rule priority, unique on the listener (`defaultListenerPriority` in src/naming.ts for position-based ones). */
  readonly priority: number;
}

/** The target groups' settings. */
export interface ServiceTargetGroup {
  /** `<prefix>-<service>-<suffix>` (`targetGroupName` in src/naming.ts), by suffix `tg`, `blue`, `green`. */
  readonly name: (suffix: 'tg' | 'blue' | 'green') => string;
  /** Seconds a deregistering target keeps its connections. */
  readonly deregistrationDelaySeconds: number;
  /** The load balancer's health check (HTTP on the traffic port). */
  readonly healthCheck: {
    /** Request path. */
    readonly path: string;
    /** Healthy HTTP codes (`200-399`). */
    readonly matcher: string;
    /** Seconds between checks. */
    readonly intervalSeconds: number;
    /** Seconds a check may take. */
    readonly timeoutSeconds: number;
    /** Successes before healthy. */
    readonly healthyThreshold: number;
    /** Failures before unhealthy. */
    readonly unhealthyThreshold: number;
  };
}

/** How new task definition revisions roll out. */
export type WebServiceDeployment =
  | {
      readonly kind: 'rolling';
      /** Share of desired tasks that stay healthy during a deploy, percent. */
      readonly minimumHealthyPercent: number;
      /** Upper bound of running tasks during a deploy, percent. */
      readonly maximumPercent: number;
    }
  | {
      readonly kind: 'blueGreen';
      /** Minutes blue keeps running after traffic moved (`bake_time_in_minutes`). */
      readonly bakeTimeMinutes: number;
      /** Header that sends a request to green during a release. */
      readonly testHeaderName: string;
      /** Sources whose requests with the header reach green; empty = any source. */
      readonly testSourceCidrs: string[];
    };

/** Target tracking. */
export interface WebServiceScaling {
  /** Fewest tasks. */
  readonly minCount: number;
  /** Most tasks. */
  readonly maxCount: number;
  /** Average CPU to aim for, percent. */
  readonly cpuTargetPercent: number;
  /** Average memory to aim for, percent. */
  readonly memoryTargetPercent: number;
  /** ALB requests per task to aim for. @default no request-count policy */
  readonly requestsPerTarget?: number;
}

export interface WebServiceProps {
  /** The task definition (image template, roles, logs, secrets, database, hardening); its networking comes from `network`. */
  readonly taskDefinition: Omit<ServiceTaskDefinitionProps, 'networking'>;
  /** Where the tasks run: awsvpc (own group) or bridge (the EC2 host's). */
  readonly network: ServiceNetwork;
  /** Cluster name, read after the cluster's capacity providers are attached (so the service waits for them). */
  readonly clusterName: string;
  /** The ALB and its production listener. */
  readonly loadBalancer: ServiceLoadBalancer;
  /** Which requests reach the service. */
  readonly routing: ServiceRouting;
  /** Target group settings and health check. */
  readonly targetGroup: ServiceTargetGroup;
  /** Tasks at the first deploy (the autoscaler owns the count afterwards). */
  readonly desiredCount: number;
  /** Rolling or ECS-native blue/green. */
  readonly deployment: WebServiceDeployment;
  /** Seconds ECS ignores failing load balancer health checks after a task starts. */
  readonly healthCheckGracePeriodSeconds: number;
  /** Autoscaling. */
  readonly scaling: WebServiceScaling;
  /** `release.migrate`: a `<service>-migrate` family the release runs first. @default none */
  readonly migrateCommand?: string[];
}

export class WebService extends Construct {
  /** The service's name (a literal, for output keys and alarm names). */
  readonly name: string;
  readonly serviceName: string;
  readonly taskFamily: string;
  readonly logGroupName: string;
  /** The group tasks run with (awsvpc); in bridge mode, the instances'. */
  readonly securityGroupId: string;
  /** Rules of the tasks' group (awsvpc: owned here; bridge: the instances'). */
  readonly connections: Connections;
  /** The role the application runs as (grant it what the app calls: `addToTaskRolePolicy`). */
  readonly taskRoleArn: string;
  /** The role ECS starts the tasks with (pull, logs, secrets). */
  readonly executionRoleArn: string;
  /** Every target group the service's tasks may be in: one when rolling; blue and green. */
  readonly targetGroupArnSuffixes: string[];
  readonly blueGreen?: BlueGreenDeployment;
  /** The `<service>-migrate` task family, when `migrateCommand` is given. */
  readonly migrate?: MigrateTaskDefinition;
  readonly releaseRecord: ReleaseRecord;
  /**
   * The revision the service runs: its `task_definition` attribute, which Terraform ignores, so it holds
   * what the last release deployed (refreshed from ECS), and Terraform's own revision before any release.
   */
  readonly deployedTaskDefinitionArn: string;
  private readonly task: ServiceTaskDefinition;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    const { loadBalancer: lb, network, deployment } = props;
    const names: ServiceNames = props.taskDefinition.names;
    const name = names.taskFamily;
    const port = props.taskDefinition.container.port;

    const task = new ServiceTaskDefinition(this, 'task-definition', { ...props.taskDefinition, networking: taskNetworking(network) });

    // Who may reach the tasks: the ALB, on the container's port (awsvpc) or the host port(s) (bridge).
    const connections =
      network.kind === 'awsvpc'
        ? taskSecurityGroup(this, { name, key: names.service, description: `Tasks of ${name}: the ALB on port ${port} only`, vpcId: network.vpcId, egress: network.egress })
        : network.instanceConnections;
    const trafficPorts: Port = network.kind === 'awsvpc' ? port : network.hostPort === 0 ? EPHEMERAL_PORTS : network.hostPort;
    const portText = typeof trafficPorts === 'number' ? `port ${trafficPorts}` : `ports ${trafficPorts.from}-${trafficPorts.to}`;
    // The ALB's group owner gets the egress rule, the tasks' group owner the ingress rule. Another
    // bridge-mode service on dynamic ports may have allowed the same traffic already: one rule.
    const shared = connections.ruleFrom(lb.connections, trafficPorts) !== undefined;
    const ingress = connections.allowFrom(lb.connections, trafficPorts, { ingress: `${names.service}: from the ALB on ${portText}`, egress: `To ${names.service} on ${portText}` });
    if (!shared) {
      // Both rules used to be created here (`ingress-from-alb`, `alb-egress`).
      movedFrom(ingress, [...pathBelowStack(this), 'ingress-from-alb']);
      const albEgress = lb.connections.ruleTo(connections, trafficPorts);
      if (albEgress) movedFrom(albEgress, [...pathBelowStack(this), 'alb-egress']);
    }

    // Target groups: one for rolling; blue and green for blue/green.
    const health = props.targetGroup.healthCheck;
    const targetGroup = (suffix: 'tg' | 'blue' | 'green') =>
      new LbTargetGroup(this, `tg-${suffix}`, {
        name: props.targetGroup.name(suffix),
        vpcId: network.vpcId,
        port,
        protocol: 'HTTP',
        targetType: network.kind === 'awsvpc' ? 'ip' : 'instance',
        deregistrationDelay: String(props.targetGroup.deregistrationDelaySeconds),
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
        tags: { Name: props.targetGroup.name(suffix) },
      });
    const blueGreen = deployment.kind === 'blueGreen' ? deployment : undefined;
    const blue = targetGroup(blueGreen ? 'blue' : 'tg');
    const green = blueGreen ? targetGroup('green') : undefined;

    const { hosts, paths, priority } = props.routing;
    const conditions = [...(hosts ? [{ hostHeader: { values: hosts } }] : []), ...(paths ? [{ pathPattern: { values: paths } }] : [])];
    const routing = conditions.length > 0 ? conditions : [{ pathPattern: { values: ['/*'] } }];
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

    const bg =
      blueGreen && green
        ? new BlueGreenDeployment(this, 'blue-green', {
            name,
            region: props.taskDefinition.region,
            accountId: props.taskDefinition.accountId,
            partition: props.taskDefinition.partition,
            listenerArn: lb.productionListenerArn,
            productionRuleArn: rule.arn,
            testPriority: priority - 1,
            routingConditions: routing,
            blueTargetGroupArn: blue.arn,
            greenTargetGroupArn: green.arn,
            testHeaderName: blueGreen.testHeaderName,
            testSourceCidrs: blueGreen.testSourceCidrs,
          })
        : undefined;

    const onEc2 = runsOnEc2(network);
    const service = new EcsService(this, 'service', {
      name: names.service,
      cluster: props.clusterName,
      // The template revision, for the first deploy; releases set the running revision from then on.
      taskDefinition: task.arn,
      desiredCount: props.desiredCount,
      ...servicePlacement(network, connections.securityGroupId),
      loadBalancer: [
        {
          targetGroupArn: blue.arn,
          containerName: task.containerName,
          containerPort: port,
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
      deploymentConfiguration: blueGreen ? { strategy: 'BLUE_GREEN', bakeTimeInMinutes: String(blueGreen.bakeTimeMinutes) } : { strategy: 'ROLLING' },
      ...(deployment.kind === 'rolling'
        ? { deploymentMinimumHealthyPercent: deployment.minimumHealthyPercent, deploymentMaximumPercent: deployment.maximumPercent }
        : {}),
      // Green tasks that never become healthy stop the deployment and ECS rolls back.
      deploymentCircuitBreaker: { enable: true, rollback: true },
      // On EC2, spread tasks over AZs first (Fargate spreads by itself).
      orderedPlacementStrategy: onEc2 ? [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] : undefined,
      healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds,
      // ECS Exec only where the environment decided so (the task role has its permissions then).
      enableExecuteCommand: props.taskDefinition.ecsExec !== undefined,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // The autoscaler owns the desired count and releases own the task definition. Under blue/green
      // ECS alternates the target groups between releases, so Terraform must not reset them either.
      lifecycle: { ignoreChanges: ['desired_count', 'task_definition', ...(blueGreen ? ['load_balancer'] : [])] },
      dependsOn: [rule, ...(bg ? [bg.rolePolicy] : [])],
    });

    this.createAutoscaling(props, service.name, blue.arnSuffix);

    if (props.migrateCommand) {
      this.migrate = new MigrateTaskDefinition(this, 'migrate', {
        ...props.taskDefinition,
        networking: taskNetworking(network),
        command: props.migrateCommand,
      });
    }
    this.releaseRecord = new ReleaseRecord(this, 'release-record', { parameterName: names.releaseParameter, serviceName: names.service });

    this.task = task;
    this.blueGreen = bg;
    this.name = names.service;
    this.serviceName = service.name;
    this.deployedTaskDefinitionArn = service.taskDefinition;
    this.taskFamily = task.family;
    this.logGroupName = task.logGroupName;
    this.connections = connections;
    this.securityGroupId = connections.securityGroupId;
    this.taskRoleArn = task.taskRoleArn;
    this.executionRoleArn = task.executionRoleArn;
    this.targetGroupArnSuffixes = green ? [blue.arnSuffix, green.arnSuffix] : [blue.arnSuffix];
  }

  /** More permissions for the application (e.g. `Cache.connectStatement()`), in the task role's policy. */
  addToTaskRolePolicy(...statements: Statement[]): void {
    this.task.taskPolicy.addToPolicy(...statements);
  }

  private createAutoscaling(props: WebServiceProps, serviceName: string, targetGroupArnSuffix: string): void {
    const scale = props.scaling;
    const policies: TrackingPolicy[] = [
      { key: 'cpu', targetValue: scale.cpuTargetPercent, predefined: { metric: 'ECSServiceAverageCPUUtilization' } },
      { key: 'memory', targetValue: scale.memoryTargetPercent, predefined: { metric: 'ECSServiceAverageMemoryUtilization' } },
    ];
    if (scale.requestsPerTarget !== undefined) {
      const resourceLabel = `${props.loadBalancer.arnSuffix}/${targetGroupArnSuffix}`;
      policies.push({ key: 'requests', targetValue: scale.requestsPerTarget, predefined: { metric: 'ALBRequestCountPerTarget', resourceLabel } });
    }
    addServiceScaling(this, {
      clusterName: props.clusterName,
      serviceName,
      policyNamePrefix: props.taskDefinition.names.taskFamily,
      minCount: scale.minCount,
      maxCount: scale.maxCount,
      policies,
    });
  }

}

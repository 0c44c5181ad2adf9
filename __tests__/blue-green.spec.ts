import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { Testing } from 'cdktf';
import { configProblems, resourcesIn, stacksFor, synthOf, type Json } from './helpers';

const all = resourcesIn;
const rules = (s: string) => all(s, 'aws_lb_listener_rule');
const testRuleOf = (s: string) => rules(s).find((r) => (r.condition as Json[]).some((c) => c.http_header))!;
const productionRuleOf = (s: string) => rules(s).find((r) => !(r.condition as Json[]).some((c) => c.http_header))!;
const blueGreenService = (blueGreen: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  ({ services: [{ name: 'api', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'blueGreen', blueGreen }, ...extra }] }) as never;

describe('ECS-native blue/green (prod)', () => {
  const prod = synthOf('prod', 'app');

  it('has a blue and a green target group', () => {
    expect(all(prod, 'aws_lb_target_group').map((tg) => tg.name)).toEqual(['drf-api-prod-api-blue', 'drf-api-prod-api-green']);
    expect(prod).toHaveResource(LbTargetGroup);
  });

  it('the service is ECS-controlled with the BLUE_GREEN strategy, the configured bake time and a circuit breaker', () => {
    expect(prod).toHaveResourceWithProperties(EcsService, {
      deployment_controller: { type: 'ECS' },
      deployment_configuration: { strategy: 'BLUE_GREEN', bake_time_in_minutes: '60' },
      deployment_circuit_breaker: { enable: true, rollback: true },
    });
  });

  it('hands ECS the green target group, both listener rules and its infrastructure role', () => {
    const [service] = all(prod, 'aws_ecs_service');
    expect(service.load_balancer).toEqual([
      {
        target_group_arn: expect.stringMatching(/aws_lb_target_group\.service-api_tg-blue_.*\.arn/),
        container_name: 'api',
        container_port: 8000,
        advanced_configuration: {
          alternate_target_group_arn: expect.stringMatching(/aws_lb_target_group\.service-api_tg-green_.*\.arn/),
          production_listener_rule: expect.stringMatching(/aws_lb_listener_rule\.service-api_rule_.*\.arn/),
          test_listener_rule: expect.stringMatching(/aws_lb_listener_rule\.service-api_blue-green_test-rule_.*\.arn/),
          role_arn: expect.stringMatching(/aws_iam_role\.service-api_blue-green_role_.*\.arn/),
        },
      },
    ]);
    expect(service.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/aws_iam_role_policy\.service-api_blue-green_role-policy/)]));
  });

  it('Terraform leaves to releases what ECS changes: the task definition, the target groups and the rule weights', () => {
    const [service] = all(prod, 'aws_ecs_service');
    expect(service.lifecycle).toEqual({ ignore_changes: ['desired_count', 'task_definition', 'load_balancer'] });
    for (const rule of rules(prod)) expect(rule.lifecycle).toEqual({ ignore_changes: ['action'] });
  });

  it('the production rule forwards to both target groups, all weight on blue', () => {
    expect(productionRuleOf(prod)).toEqual(
      expect.objectContaining({
        listener_arn: expect.stringMatching(/aws_lb_listener\.load-balancer_https/),
        priority: 100,
        condition: [{ path_pattern: { values: ['/*'] } }],
        action: [
          {
            type: 'forward',
            forward: {
              target_group: [
                { arn: expect.stringMatching(/tg-blue/), weight: 100 },
                { arn: expect.stringMatching(/tg-green/), weight: 0 },
              ],
            },
          },
        ],
      }),
    );
  });

  it('test traffic: a rule on the HTTPS listener, before production, matched by the header from the allowed range', () => {
    expect(prod).toHaveResourceWithProperties(LbListenerRule, {
      listener_arn: expect.stringMatching(/aws_lb_listener\.load-balancer_https/),
      priority: 99,
      condition: [
        { path_pattern: { values: ['/*'] } },
        { http_header: { http_header_name: 'x-release-test', values: ['green'] } },
        { source_ip: { values: ['10.200.0.0/16'] } },
      ],
    });
    expect(testRuleOf(prod).action[0].forward.target_group).toHaveLength(2);
  });

  it('serves no plain-HTTP test listener: only 80 (redirect) and 443, and the ALB admits nothing else', () => {
    expect(all(prod, 'aws_lb_listener').map((l) => l.port).sort()).toEqual([443, 80]);
    const ports = all(prod, 'aws_vpc_security_group_ingress_rule')
      .filter((r) => String(r.security_group_id).includes('load-balancer_sg'))
      .map((r) => r.from_port);
    expect([...new Set(ports)].sort()).toEqual([443, 80]);
  });

  it('the infrastructure role: only ECS of this account and region, scoped to this service\'s groups and rules', () => {
    expect(prod).toHaveResourceWithProperties(IamRole, { name: 'drf-api-prod-api-ecs-lb' });
    const role = all(prod, 'aws_iam_role').find((r) => r.name === 'drf-api-prod-api-ecs-lb')!;
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'ecs.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': expect.stringMatching(/aws_caller_identity/) },
          ArnLike: { 'aws:SourceArn': expect.stringMatching(/^arn:aws:ecs:ap-northeast-1:\$\{data\.aws_caller_identity\..*\}:\*$/) },
        },
      }),
    ]);
    const policy = all(prod, 'aws_iam_role_policy').find((p) => String(p.role).includes('blue-green_role'))!;
    const statements = JSON.parse(policy.policy).Statement as Json[];
    expect(statements).toEqual([
      expect.objectContaining({ Sid: 'Describe', Resource: '*', Action: expect.arrayContaining(['elasticloadbalancing:DescribeTargetHealth']) }),
      {
        Sid: 'RegisterTasks',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: [expect.stringMatching(/tg-blue/), expect.stringMatching(/tg-green/)],
      },
      {
        Sid: 'ShiftTraffic',
        Effect: 'Allow',
        Action: 'elasticloadbalancing:ModifyRule',
        Resource: [expect.stringMatching(/service-api_rule_/), expect.stringMatching(/test-rule/)],
      },
    ]);
    for (const statement of statements.filter((s) => s.Sid !== 'Describe')) expect(statement.Action).not.toContain('*');
  });

  it('has no CodeDeploy left: no application, deployment group, role or output', () => {
    const json = JSON.parse(prod);
    expect(Object.keys(json.resource).filter((type) => type.startsWith('aws_codedeploy'))).toEqual([]);
    expect(all(prod, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn)).not.toContain('arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS');
    expect(json.output.codedeploy).toBeUndefined();
  });

  it('takes the bake time, header and sources from config; without sources any client with the header reaches green', () => {
    const custom = Testing.synth(stacksFor('prod', blueGreenService({ bakeTimeMinutes: 15, testHeaderName: 'x-canary' })).app);
    expect(custom).toHaveResourceWithProperties(EcsService, { deployment_configuration: { strategy: 'BLUE_GREEN', bake_time_in_minutes: '15' } });
    expect(testRuleOf(custom).condition).toEqual([{ path_pattern: { values: ['/*'] } }, { http_header: { http_header_name: 'x-canary', values: ['green'] } }]);
  });

  it('repeats the service\'s host and path routing on the test rule', () => {
    const routed = Testing.synth(stacksFor('prod', blueGreenService({}, { loadBalancer: { hosts: ['api.example.com'], paths: ['/v1/*'], priority: 20 } })).app);
    expect(testRuleOf(routed)).toEqual(
      expect.objectContaining({
        priority: 19,
        condition: [
          { host_header: { values: ['api.example.com'] } },
          { path_pattern: { values: ['/v1/*'] } },
          { http_header: { http_header_name: 'x-release-test', values: ['green'] } },
        ],
      }),
    );
  });
});

describe('rolling services (dev) have none of it', () => {
  const dev = synthOf('dev', 'app');

  it('state the ROLLING strategy explicitly (switching back from blue/green must take effect), one target group, one rule', () => {
    const [service] = all(dev, 'aws_ecs_service');
    expect(service.deployment_configuration).toEqual({ strategy: 'ROLLING' });
    expect(service.deployment_controller).toEqual({ type: 'ECS' });
    expect(service.load_balancer[0].advanced_configuration).toBeUndefined();
    expect(all(dev, 'aws_lb_target_group')).toHaveLength(1);
    expect(rules(dev)).toEqual([expect.objectContaining({ action: [{ type: 'forward', target_group_arn: expect.stringMatching(/tg-tg/) }] })]);
    expect(rules(dev)[0].lifecycle).toBeUndefined();
    expect(all(dev, 'aws_iam_role').map((r) => r.name)).not.toContain('drf-api-dev-api-ecs-lb');
  });
});

describe('blue/green config errors', () => {
  it.each([
    ['the CodeDeploy test port', blueGreenService({ testListenerPort: 9000 }), 'prod.services.0.deployment.blueGreen.testListenerPort: unknown field'],
    ['a CodeDeploy deployment config', blueGreenService({ deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' }), 'prod.services.0.deployment.blueGreen.deploymentConfig: unknown field'],
    ['the CodeDeploy reroute wait', blueGreenService({ rerouteWaitMinutes: 120 }), 'prod.services.0.deployment.blueGreen.rerouteWaitMinutes: unknown field'],
    ['the CodeDeploy blue termination wait', blueGreenService({ terminateBlueAfterMinutes: 60 }), 'prod.services.0.deployment.blueGreen.terminateBlueAfterMinutes: unknown field'],
    ['a bake time above ECS\'s 24 hours', blueGreenService({ bakeTimeMinutes: 2000 }), 'prod.services.0.deployment.blueGreen.bakeTimeMinutes: 2000 is above the maximum 1440'],
    ['a header name with a space', blueGreenService({ testHeaderName: 'x release' }), 'prod.services.0.deployment.blueGreen.testHeaderName: "x release" is not a valid HTTP header name'],
    ['a test CIDR that is not one', blueGreenService({ testListenerCidrs: ['office'] }), 'prod.services.0.deployment.blueGreen.testListenerCidrs.0: "office" is not a valid IPv4 CIDR'],
    [
      'more test sources than an ALB rule takes',
      blueGreenService({ testListenerCidrs: ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16'] }),
      'prod.services.0.deployment.blueGreen.testListenerCidrs: the test rule would have 6 condition values (hosts, paths, header, CIDRs); ALB allows 5',
    ],
    ['request scaling tied to an alternating target group', blueGreenService({}, { autoscaling: { minCount: 3, requestsPerTarget: 100 } }), 'prod.services.0.autoscaling.requestsPerTarget: is not supported with blueGreen'],
    ['priority 1 (no room for the test rule)', blueGreenService({}, { loadBalancer: { priority: 1 } }), 'prod.services.0.loadBalancer.priority: 1 leaves no room for the blue/green test rule'],
    [
      'a test rule priority taken by another service',
      {
        services: [
          { name: 'api', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'blueGreen' }, loadBalancer: { paths: ['/api/*'], priority: 10 } },
          { name: 'admin', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, loadBalancer: { paths: ['/admin/*'], priority: 9 } },
        ],
      } as never,
      'prod.services.0.loadBalancer.priority: its blue/green test rule needs priority 9, which is the priority of services.1',
    ],
    ['an unknown strategy', { services: [{ name: 'api', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'canary' } }] } as never, 'prod.services.0.deployment.strategy: "canary" is not one of "rolling", "blueGreen"'],
  ])('%s', (_label, overrides, expected) => {
    expect(configProblems('prod', overrides)).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });

  it('blue/green without HTTPS (test traffic never goes over plain HTTP)', () => {
    const problems = configProblems('dev', { edge: { domain: undefined, httpOnly: true }, services: [{ name: 'api', deployment: { strategy: 'blueGreen' } }] } as never);
    expect(problems).toEqual(expect.arrayContaining(['dev.services.0.deployment.strategy: "blueGreen" needs HTTPS (edge.domain): test traffic is never sent over plain HTTP']));
  });
});

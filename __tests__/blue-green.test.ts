import { CodedeployApp } from '@cdktf/provider-aws/lib/codedeploy-app';
import { CodedeployDeploymentGroup } from '@cdktf/provider-aws/lib/codedeploy-deployment-group';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Testing } from 'cdktf';
import { configProblems, resourcesIn, stacksFor } from './helpers';

const all = resourcesIn;

describe('blue/green (prod)', () => {
  const prod = Testing.synth(stacksFor('prod').app);

  it('has a second target group', () => {
    expect(all(prod, 'aws_lb_target_group').map((tg) => tg.name)).toEqual(['drf-api-prod-api-blue', 'drf-api-prod-api-green']);
    expect(prod).toHaveResource(LbTargetGroup);
  });

  it('has a test listener on 9000 reachable only from the configured CIDRs', () => {
    expect(prod).toHaveResourceWithProperties(LbListener, {
      port: 9000,
      protocol: 'HTTP',
      default_action: [{ type: 'forward', target_group_arn: expect.stringMatching(/tg-blue/) }],
      lifecycle: { ignore_changes: ['default_action'] },
    });
    const testRules = all(prod, 'aws_vpc_security_group_ingress_rule').filter((r) => r.from_port === 9000);
    expect(testRules).toEqual([expect.objectContaining({ cidr_ipv4: '203.0.113.0/24', to_port: 9000 })]);
    expect(prod).toHaveResource(VpcSecurityGroupIngressRule);
  });

  it('has a CodeDeploy application and deployment group with its service role, the seed\'s waits and auto-rollback', () => {
    expect(prod).toHaveResourceWithProperties(CodedeployApp, { name: 'drf-api-prod-api', compute_platform: 'ECS' });
    expect(prod).toHaveResourceWithProperties(IamRolePolicyAttachment, { policy_arn: 'arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS' });
    const role = all(prod, 'aws_iam_role').find((r) => r.name === 'drf-api-prod-api-codedeploy')!;
    expect(JSON.parse(role.assume_role_policy).Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': expect.stringMatching(/aws_caller_identity/) } });
    expect(prod).toHaveResourceWithProperties(CodedeployDeploymentGroup, {
      deployment_group_name: 'drf-api-prod-api',
      deployment_config_name: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      deployment_style: { deployment_option: 'WITH_TRAFFIC_CONTROL', deployment_type: 'BLUE_GREEN' },
      auto_rollback_configuration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] },
      blue_green_deployment_config: {
        deployment_ready_option: { action_on_timeout: 'STOP_DEPLOYMENT', wait_time_in_minutes: 120 },
        terminate_blue_instances_on_deployment_success: { action: 'TERMINATE', termination_wait_time_in_minutes: 60 },
      },
      load_balancer_info: {
        target_group_pair_info: {
          prod_traffic_route: { listener_arns: [expect.stringMatching(/load-balancer_https/)] },
          test_traffic_route: { listener_arns: [expect.stringMatching(/test-listener/)] },
          target_group: [{ name: expect.stringMatching(/tg-blue/) }, { name: expect.stringMatching(/tg-green/) }],
        },
      },
    });
  });

  it('the service uses the CODE_DEPLOY controller and Terraform ignores what CodeDeploy owns', () => {
    expect(prod).toHaveResourceWithProperties(EcsService, {
      deployment_controller: { type: 'CODE_DEPLOY' },
      lifecycle: { ignore_changes: ['desired_count', 'task_definition', 'load_balancer'] },
    });
    const [service] = all(prod, 'aws_ecs_service');
    expect(service.deployment_circuit_breaker).toBeUndefined();
    const [rule] = all(prod, 'aws_lb_listener_rule');
    expect(rule.lifecycle).toEqual({ ignore_changes: ['action'] });
  });

  it('reroutes as soon as green is healthy when no wait is configured', () => {
    const automatic = Testing.synth(stacksFor('prod', { services: [{ name: 'api', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'blueGreen', blueGreen: { rerouteWaitMinutes: 0 } } }] } as never).app);
    expect(automatic).toHaveResourceWithProperties(CodedeployDeploymentGroup, {
      blue_green_deployment_config: expect.objectContaining({ deployment_ready_option: { action_on_timeout: 'CONTINUE_DEPLOYMENT' } }),
    });
  });

  it('outputs the CodeDeploy names a release needs', () => {
    expect(JSON.parse(prod).output.codedeploy.value).toEqual({ api: { application: expect.any(String), deployment_group: expect.any(String) } });
  });

  it('rolling services (dev) have none of it', () => {
    const dev = Testing.synth(stacksFor('dev').app);
    expect(all(dev, 'aws_codedeploy_deployment_group')).toEqual([]);
    expect(all(dev, 'aws_lb_listener').map((l) => l.port).sort()).toEqual([443, 80]);
  });
});

describe('blue/green config errors', () => {
  const bg = (blueGreen: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({ services: [{ name: 'api', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'blueGreen', blueGreen }, ...extra }] }) as never;
  it.each([
    ['a test port that is a production port', bg({ testListenerPort: 443 }), 'prod.services.0.deployment.blueGreen.testListenerPort: 443 is a production listener port'],
    ['an unknown deployment config', bg({ deploymentConfig: 'Fast' }), 'prod.services.0.deployment.blueGreen.deploymentConfig: "Fast" is not one of'],
    ['a test CIDR that is not one', bg({ testListenerCidrs: ['office'] }), 'prod.services.0.deployment.blueGreen.testListenerCidrs.0: "office" is not a valid IPv4 CIDR'],
    ['request scaling tied to a swapped target group', bg({}, { autoscaling: { minCount: 3, requestsPerTarget: 100 } }), 'prod.services.0.autoscaling.requestsPerTarget: is not supported with blueGreen'],
    ['two services on one test port', { services: [
      { name: 'api', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'blueGreen' }, loadBalancer: { paths: ['/api/*'] } },
      { name: 'admin', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'blueGreen' }, loadBalancer: { paths: ['/admin/*'] } },
    ] } as never, 'prod.services.1.deployment.blueGreen.testListenerPort: 9000 is also the test port of services.0'],
    ['an unknown strategy', { services: [{ name: 'api', cpu: 1024, memory: 2048, desiredCount: 3, autoscaling: { minCount: 3 }, deployment: { strategy: 'canary' } }] } as never, 'prod.services.0.deployment.strategy: "canary" is not one of "rolling", "blueGreen"'],
  ])('%s', (_label, overrides, expected) => {
    expect(configProblems('prod', overrides)).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });
});

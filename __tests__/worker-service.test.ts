import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Testing } from 'cdktf';
import { WorkerService, type WorkerServiceProps } from '../src/constructs/worker-service';
import { serviceNames } from '../src/naming';
import { configFor, resourcesIn } from './helpers';

const settings = configFor('dev').services[0];
const names = serviceNames('drf-api', 'dev', 'worker');
const base: WorkerServiceProps = {
  taskDefinition: {
    names,
    region: 'ap-northeast-1',
    accountId: '111122223333',
    settings: { ...settings, name: 'worker', kind: 'worker', container: { ...settings.container, command: ['celery', '-A', 'config', 'worker'] } },
    image: '111122223333.dkr.ecr.ap-northeast-1.amazonaws.com/drf-api-dev/worker:v1',
    repositoryArn: 'arn:aws:ecr:ap-northeast-1:111122223333:repository/drf-api-dev/worker',
  },
  clusterName: 'drf-api-dev',
  network: { mode: 'awsvpc', vpcId: 'vpc-1', subnetIds: ['subnet-a'], extraSecurityGroupIds: ['sg-db-clients'] },
  capacityProvider: 'FARGATE_SPOT',
  desiredCount: 1,
  scaling: { minCount: 1, maxCount: 3, cpuTargetPercent: 60 },
};
const synth = (overrides: Partial<WorkerServiceProps> = {}) =>
  Testing.synthScope((scope) => {
    new WorkerService(scope, 'worker', { ...base, ...overrides });
  });

describe('WorkerService', () => {
  const synthesized = synth();

  it('is an ECS service with the family of its task definition, no load balancer, in private subnets', () => {
    expect(synthesized).toHaveResourceWithProperties(EcsService, {
      name: 'worker',
      cluster: 'drf-api-dev',
      desired_count: 1,
      capacity_provider_strategy: [{ capacity_provider: 'FARGATE_SPOT', weight: 1 }],
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      deployment_controller: { type: 'ECS' },
      enable_execute_command: true,
      network_configuration: { subnets: ['subnet-a'], security_groups: [expect.stringMatching(/worker_sg_.*\.id/), 'sg-db-clients'], assign_public_ip: false },
    });
    expect(resourcesIn(synthesized, 'aws_ecs_task_definition')[0].family).toBe('drf-api-dev-worker');
    expect(resourcesIn(synthesized, 'aws_vpc_security_group_ingress_rule')).toEqual([]);
    expect(resourcesIn(synthesized, 'aws_vpc_security_group_egress_rule')).toEqual([expect.objectContaining({ from_port: 443, to_port: 443, description: expect.any(String) })]);
    expect(resourcesIn(synthesized, 'aws_ecs_service')[0].ordered_placement_strategy).toBeUndefined();
  });

  it('has no extra task-role policy unless given statements, then exactly those', () => {
    expect(resourcesIn(synthesized, 'aws_iam_role_policy').map((p) => p.name)).not.toContain('worker-access');
    const withCache = synth({ taskRoleStatements: [{ Sid: 'CacheConnect', Effect: 'Allow', Action: 'elasticache:Connect', Resource: ['arn:rg', 'arn:user'] }] });
    expect(withCache).toHaveResourceWithProperties(IamRolePolicy, {
      name: 'worker-access',
      role: expect.stringMatching(/element\(split\("\/", aws_iam_role\.worker_task-definition_task-role_.*\.arn\), 1\)/),
    });
    const policy = JSON.parse(resourcesIn(withCache, 'aws_iam_role_policy').find((p) => p.name === 'worker-access')!.policy);
    expect(policy.Statement).toEqual([{ Sid: 'CacheConnect', Effect: 'Allow', Action: 'elasticache:Connect', Resource: ['arn:rg', 'arn:user'] }]);
  });

  it('uses the hosts\' group in bridge mode and spreads over AZs when asked', () => {
    const bridge = synth({
      network: { mode: 'bridge', instanceSecurityGroupId: 'sg-hosts' },
      capacityProvider: 'drf-api-dev-ec2',
      spreadOverAzs: true,
      taskDefinition: { ...base.taskDefinition, settings: { ...base.taskDefinition.settings, capacity: 'ec2', networkMode: 'bridge' } },
    });
    const service = resourcesIn(bridge, 'aws_ecs_service')[0];
    expect(service.network_configuration).toBeUndefined();
    expect(service.ordered_placement_strategy).toEqual([{ type: 'spread', field: 'attribute:ecs.availability-zone' }]);
    expect(resourcesIn(bridge, 'aws_security_group')).toEqual([]);
  });

  it('scales on memory when a target is given, and has a migrate family when a command is given', () => {
    const more = synth({ scaling: { ...base.scaling, memoryTargetPercent: 70 }, migrateCommand: ['python', 'manage.py', 'migrate'] });
    expect(resourcesIn(more, 'aws_appautoscaling_policy').map((p) => p.name).sort()).toEqual(['drf-api-dev-worker-cpu', 'drf-api-dev-worker-memory']);
    expect(resourcesIn(more, 'aws_ecs_task_definition').map((t) => t.family).sort()).toEqual(['drf-api-dev-worker', 'drf-api-dev-worker-migrate']);
    expect(resourcesIn(synthesized, 'aws_ecs_task_definition')).toHaveLength(1);
    expect(resourcesIn(synthesized, 'aws_appautoscaling_policy').map((p) => p.name)).toEqual(['drf-api-dev-worker-cpu']);
  });

  it('creates no alarm itself: Alarms.addService watches workers like web services', () => {
    expect(resourcesIn(synthesized, 'aws_cloudwatch_metric_alarm')).toEqual([]);
  });
});

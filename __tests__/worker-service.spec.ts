import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { Testing } from 'cdktf';
import { Connections } from '../src/constructs/connections';
import { DatabaseReference } from '../src/constructs/database-reference';
import type { TrackingPolicy } from '../src/constructs/service-scaling';
import { WorkerService, type WorkerServiceProps } from '../src/constructs/worker-service';
import { serviceNames } from '../src/naming';
import { resourcesIn } from './helpers';

const names = serviceNames('drf-api', 'dev', 'worker');
// Props only: a construct needs no config to be built.
const base: WorkerServiceProps = {
  taskDefinition: {
    names,
    region: 'ap-northeast-1',
    accountId: '111122223333',
    partition: 'aws',
    image: '111122223333.dkr.ecr.ap-northeast-1.amazonaws.com/drf-api-dev/worker:v1',
    repositoryArn: 'arn:aws:ecr:ap-northeast-1:111122223333:repository/drf-api-dev/worker',
    cpu: 256,
    memory: 512,
    container: { port: 8000, user: '1000:1000', command: ['celery', '-A', 'config', 'worker'] },
    logRetentionDays: 30,
    ecsExec: { auditLogGroupArn: 'arn:aws:logs:ap-northeast-1:111122223333:log-group:/ecs/drf-api-dev/exec-audit', kmsKeyArn: 'arn:key' },
  },
  clusterName: 'drf-api-dev',
  network: {
    kind: 'awsvpc',
    capacity: { kind: 'fargate', spot: true },
    vpcId: 'vpc-1',
    subnetIds: ['subnet-a'],
    extraSecurityGroupIds: ['sg-db-clients'],
    egress: { kind: 'internet' },
  },
  desiredCount: 1,
  minimumHealthyPercent: 100,
  maximumPercent: 200,
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

  it('uses the hosts\' group in bridge mode (EC2 launch type, host port) and spreads over AZs', () => {
    const bridge = Testing.synthScope((scope) => {
      new WorkerService(scope, 'worker', {
        ...base,
        network: { kind: 'bridge', vpcId: 'vpc-1', capacityProviderName: 'drf-api-dev-ec2', instanceConnections: new Connections(scope, { securityGroupId: 'sg-hosts', key: 'hosts' }), hostPort: 0 },
      });
    });
    expect(JSON.parse(resourcesIn(bridge, 'aws_ecs_task_definition')[0].container_definitions)[0].portMappings[0].hostPort).toBe(0);
    expect(resourcesIn(bridge, 'aws_ecs_task_definition')[0]).toEqual(expect.objectContaining({ network_mode: 'bridge', requires_compatibilities: ['EC2'] }));
    expect(resourcesIn(bridge, 'aws_ecs_service')[0].capacity_provider_strategy).toEqual([{ capacity_provider: 'drf-api-dev-ec2', weight: 1 }]);
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

  it('egress vpcOnly: HTTPS to the VPC range and the S3 prefix list only, no 0.0.0.0/0', () => {
    const vpcOnly = synth({ network: { ...(base.network as Extract<WorkerServiceProps['network'], { kind: 'awsvpc' }>), egress: { kind: 'vpcOnly', vpcCidr: '10.1.0.0/16', s3PrefixListId: 'pl-s3' } } });
    const egress = resourcesIn(vpcOnly, 'aws_vpc_security_group_egress_rule');
    expect(egress).toHaveLength(2);
    expect(vpcOnly).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { cidr_ipv4: '10.1.0.0/16', from_port: 443, to_port: 443, description: expect.stringMatching(/interface endpoints/) });
    expect(vpcOnly).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { prefix_list_id: 'pl-s3', from_port: 443, to_port: 443, description: expect.stringMatching(/S3/) });
    expect(egress.some((r) => r.cidr_ipv4 === '0.0.0.0/0')).toBe(false);
    expect(synthesized).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { cidr_ipv4: '0.0.0.0/0', from_port: 443 });
  });

  it('ECS Exec off: the service refuses execute-command and the task role has no session or audit permission', () => {
    const off = synth({ taskDefinition: { ...base.taskDefinition, ecsExec: undefined, database: { instance: new DatabaseReference({ address: 'db', port: 5432, databaseName: 'app', resourceId: 'db-1', masterUserSecretArn: 'arn:secret', region: 'ap-northeast-1', accountId: '111122223333', partition: 'aws' }), user: 'app' } } });
    expect(resourcesIn(off, 'aws_ecs_service')[0].enable_execute_command).toBe(false);
    const taskPolicy = JSON.parse(resourcesIn(off, 'aws_iam_role_policy').find((p) => p.name === 'ecs-exec')!.policy);
    expect(taskPolicy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['DatabaseIamAuth']);
    expect(resourcesIn(synthesized, 'aws_ecs_service')[0].enable_execute_command).toBe(true);
  });

  it('takes more task-role statements after construction (addToTaskRolePolicy), in the task role policy', () => {
    const more = Testing.synthScope((scope) => {
      new WorkerService(scope, 'worker', base).addToTaskRolePolicy({ Sid: 'Queue', Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: 'arn:q' });
    });
    const policy = JSON.parse(resourcesIn(more, 'aws_iam_role_policy').find((p) => p.name === 'ecs-exec')!.policy);
    expect(policy.Statement.map((x: { Sid: string }) => x.Sid)).toEqual(['EcsExec', 'EcsExecSessionKey', 'EcsExecAuditDescribe', 'EcsExecAudit', 'Queue']);
  });
});

describe('TrackingPolicy', () => {
  it('takes a predefined or a customized metric, never both (a type error, checked by tsc)', () => {
    const cpu: TrackingPolicy = { key: 'cpu', targetValue: 60, predefined: { metric: 'ECSServiceAverageCPUUtilization' } };
    // @ts-expect-error a policy with both kinds of metric does not type-check
    const both: TrackingPolicy = { key: 'x', targetValue: 1, predefined: { metric: 'm' }, customized: { metrics: [] } };
    // @ts-expect-error nor does one with neither
    const neither: TrackingPolicy = { key: 'y', targetValue: 1 };
    expect([cpu, both, neither].map((policy) => policy.key)).toEqual(['cpu', 'x', 'y']);
  });
});

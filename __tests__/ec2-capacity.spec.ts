import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { EcsCapacityProvider } from '@cdktf/provider-aws/lib/ecs-capacity-provider';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Testing } from 'cdktf';
import { Peers } from '../src/constructs/connections';
import { Ec2Capacity, type Ec2CapacityProps } from '../src/constructs/ec2-capacity';
import { resourcesIn, stacksFor, type Overrides } from './helpers';

const base: Ec2CapacityProps = {
  namePrefix: 'svc-test',
  clusterName: 'svc-test',
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a', 'subnet-b'],
  instanceType: 't3.medium',
  minSize: 1,
  maxSize: 4,
  targetCapacityPercent: 100,
  rootVolumeGiB: 30,
  partition: 'aws',
};
const synthCapacity = (props: Partial<Ec2CapacityProps> = {}) =>
  Testing.synthScope((scope) => {
    new Ec2Capacity(scope, 'ec2', { ...base, ...props });
  });

describe('EC2 hosts: instance metadata (issue 14.7)', () => {
  it.each([
    ['bridge', true],
    ['awsvpc', false],
  ])('%s hosts require IMDSv2 with a hop limit of 1, so containers cannot take the instance role', (_mode, bridgeNetworking) => {
    expect(synthCapacity({ bridgeNetworking })).toHaveResourceWithProperties(LaunchTemplate, {
      metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 },
    });
  });

  it('awsvpc-only hosts also block task access to IMDS in the ECS agent; bridge hosts rely on the hop limit', () => {
    // user_data is `${base64encode("<script>")}`: the script is readable inside the expression.
    const userData = (synthesized: string) => String(resourcesIn(synthesized, 'aws_launch_template')[0].user_data);
    expect(userData(synthCapacity({ bridgeNetworking: false }))).toContain('ECS_AWSVPC_BLOCK_IMDS=true');
    expect(userData(synthCapacity({ bridgeNetworking: true }))).not.toContain('ECS_AWSVPC_BLOCK_IMDS');
  });
});

describe('EC2 hosts: new AMIs reach running capacity (issue 14.7)', () => {
  const synthesized = synthCapacity();

  it('points the group at the launch template\'s concrete latest version, so a new AMI (new version) changes the group', () => {
    expect(synthesized).toHaveResourceWithProperties(AutoscalingGroup, {
      launch_template: { id: expect.stringMatching(/aws_launch_template\..*\.id/), version: expect.stringMatching(/aws_launch_template\..*\.latest_version/) },
    });
    expect(synthesized).toHaveResourceWithProperties(LaunchTemplate, { image_id: expect.stringMatching(/data\.aws_ssm_parameter\..*\.value/), update_default_version: true });
  });

  it('rolls instances with an instance refresh that keeps capacity and replaces ECS-protected instances', () => {
    expect(synthesized).toHaveResourceWithProperties(AutoscalingGroup, {
      instance_refresh: {
        strategy: 'Rolling',
        preferences: {
          min_healthy_percentage: 100,
          max_healthy_percentage: 200,
          instance_warmup: '300',
          skip_matching: true,
          scale_in_protected_instances: 'Refresh',
          standby_instances: 'Terminate',
        },
      },
    });
  });

  it('takes the refresh settings from its props', () => {
    expect(synthCapacity({ refreshMinHealthyPercent: 50, refreshMaxHealthyPercent: 150, refreshInstanceWarmupSeconds: 120 })).toHaveResourceWithProperties(AutoscalingGroup, {
      instance_refresh: expect.objectContaining({
        preferences: expect.objectContaining({ min_healthy_percentage: 50, max_healthy_percentage: 150, instance_warmup: '120' }),
      }),
    });
  });

  it('keeps ECS in charge of scale-in: protected instances, managed termination protection and managed draining', () => {
    expect(synthesized).toHaveResourceWithProperties(AutoscalingGroup, { protect_from_scale_in: true, lifecycle: { ignore_changes: ['desired_capacity'] } });
    expect(synthesized).toHaveResourceWithProperties(EcsCapacityProvider, {
      auto_scaling_group_provider: expect.objectContaining({ managed_termination_protection: 'ENABLED', managed_draining: 'ENABLED' }),
    });
  });
});

describe('Ec2Capacity: the instances\' group through Connections', () => {
  it('keys the HTTPS egress by content, moved from its earlier address, and lets others add rules', () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const capacity = new Ec2Capacity(scope, 'ec2', base);
        capacity.connections.allowFrom(Peers.securityGroup('sg-alb', 'alb'), { from: 32768, to: 65535 }, 'Dynamic host ports from the ALB');
      }),
    );
    expect(Object.keys(json.resource.aws_vpc_security_group_egress_rule)).toEqual([expect.stringMatching(/^ec2_ecs-instances-egress-to-0-0-0-0-0-443_/)]);
    expect(Object.values(json.resource.aws_vpc_security_group_ingress_rule)).toEqual([
      expect.objectContaining({ from_port: 32768, to_port: 65535, description: 'Dynamic host ports from the ALB', referenced_security_group_id: 'sg-alb' }),
    ]);
    expect(json.moved).toContainEqual({ from: expect.stringMatching(/\.ec2_egress-https_/), to: expect.stringMatching(/\.ec2_ecs-instances-egress-to-0-0-0-0-0-443_/) });
  });
});

describe('Ec2Capacity: partition', () => {
  it('attaches the AWS managed policies of the given partition', () => {
    const synthesized = synthCapacity({ partition: 'aws-us-gov' });
    expect(resourcesIn(synthesized, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn).sort()).toEqual([
      'arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore',
      'arn:aws-us-gov:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role',
    ]);
  });

  it('the app stack passes the region\'s partition (GovCloud)', () => {
    const gov = { region: 'us-gov-west-1', availabilityZones: ['us-gov-west-1a', 'us-gov-west-1b'], capacity: { ec2: { instanceType: 't3.medium' } } } as Overrides;
    const policyArns = resourcesIn(Testing.synth(stacksFor('dev', gov).app), 'aws_iam_role_policy_attachment').map((a) => String(a.policy_arn));
    expect(policyArns).toEqual(expect.arrayContaining(['arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore']));
    expect(policyArns.filter((arn) => arn.startsWith('arn:aws:'))).toEqual([]);
  });
});

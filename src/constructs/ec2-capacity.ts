// EC2 container instances for ECS (ECS-optimized AMI, the ecsInstanceRole policy, spread over the subnets).
// Private instances without SSH: shells go through SSM Session Manager. The AMI is the current
// ECS-optimized Amazon Linux 2023, read from AWS's public SSM parameter at plan time; a new AMI makes
// a new launch template version, and the Auto Scaling group rolls it out with an instance refresh.
import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { EcsCapacityProvider } from '@cdktf/provider-aws/lib/ecs-capacity-provider';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { serviceTrustPolicy } from '../lib/iam';
import { movedFromSibling } from '../lib/moved';
import { Connections, Peers } from './connections';

export interface Ec2CapacityProps {
  /** Prefix of every name (e.g. `drf-api-staging`): role, instance profile, group, template, ASG, provider. */
  readonly namePrefix: string;
  /** Instances join this cluster (its name, known before the cluster exists). */
  readonly clusterName: string;
  /** VPC of the instances' security group. */
  readonly vpcId: string;
  /** Private app subnets. */
  readonly subnetIds: string[];
  /** EC2 instance type; a Graviton type (`t4g`, `m7g`, …) gets the arm64 AMI. */
  readonly instanceType: string;
  /** Smallest number of instances. */
  readonly minSize: number;
  /** Largest number of instances managed scaling may start. */
  readonly maxSize: number;
  // Environment decisions with their defaults in the config schema (one owner): required here.
  /** Share of the group's capacity ECS managed scaling aims to use, percent. */
  readonly targetCapacityPercent: number;
  /** Encrypted gp3 root volume, GiB (at least 30 for the ECS-optimized AMI). */
  readonly rootVolumeGiB: number;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`): `partitionOf(region)` of src/config/regions.ts. */
  readonly partition: string;
  /**
   * Some tasks use `bridge` networking. Either way the IMDS hop limit is 1, so containers behind
   * Docker's bridge cannot reach instance metadata (and the instance role's credentials); tasks get
   * their own role's credentials from the ECS agent. `awsvpc`-only hosts also set ECS_AWSVPC_BLOCK_IMDS.
   * @default false
   */
  readonly bridgeNetworking?: boolean;
  /** More groups for the instances (bridge-mode tasks use the instance's groups, e.g. the database clients'). @default [] */
  readonly extraSecurityGroupIds?: string[];
  /**
   * Instance refresh (rolling replacement after a launch template change, e.g. a new AMI): share of
   * capacity kept in service. With 100, new instances start before old ones are drained. @default 100
   */
  readonly refreshMinHealthyPercent?: number;
  /** Instance refresh: how far capacity may grow above desired while replacing. @default 200 */
  readonly refreshMaxHealthyPercent?: number;
  /** Instance refresh: seconds a new instance gets before it counts as healthy. @default 300 */
  readonly refreshInstanceWarmupSeconds?: number;
}

/** Graviton instance families (t4g, m7g, c7gn, ...) need the arm64 AMI. */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

export class Ec2Capacity extends Construct {
  readonly capacityProviderName: string;
  /** The instances' group: no ingress of its own; HTTPS out. */
  readonly securityGroupId: string;
  /**
   * Rules of the instances' group. Bridge-mode services admit their load balancer here:
   * `loadBalancer.connections.allowTo(capacity.connections, { from: 32768, to: 65535 }, description)`.
   */
  readonly connections: Connections;
  readonly autoScalingGroupName: string;

  constructor(scope: Construct, id: string, props: Ec2CapacityProps) {
    super(scope, id);
    const { namePrefix } = props;
    const bridge = props.bridgeNetworking ?? false;
    const arch = isArmInstanceType(props.instanceType) ? 'arm64/' : '';

    const ami = new DataAwsSsmParameter(this, 'ecs-ami', {
      name: `/aws/service/ecs/optimized-ami/amazon-linux-2023/${arch}recommended/image_id`,
    });

    // AWS's ecsInstanceRole policy, plus SSM core so Session Manager replaces SSH. EC2 sets no
    // aws:SourceArn when it assumes an instance role: the plain service trust is all there is.
    const role = new IamRole(this, 'instance-role', {
      name: `${namePrefix}-ecs-instance`,
      assumeRolePolicy: serviceTrustPolicy('ec2.amazonaws.com'),
    });
    for (const [key, policy] of [
      ['ecs', 'service-role/AmazonEC2ContainerServiceforEC2Role'],
      ['ssm', 'AmazonSSMManagedInstanceCore'],
    ]) {
      new IamRolePolicyAttachment(this, `instance-${key}`, { role: role.name, policyArn: `arn:${props.partition}:iam::aws:policy/${policy}` });
    }
    const profile = new IamInstanceProfile(this, 'instance-profile', { name: `${namePrefix}-ecs-instance`, role: role.name });

    // No ingress of its own (no SSH): bridge-mode services admit their load balancer through `connections`.
    const sg = new SecurityGroup(this, 'sg', {
      name: `${namePrefix}-ecs-instances`,
      description: `ECS container instances of ${namePrefix}: no inbound by default`,
      vpcId: props.vpcId,
      tags: { Name: `${namePrefix}-ecs-instances` },
    });
    this.connections = new Connections(this, { securityGroupId: sg.id, key: 'ecs-instances' });
    const https = this.connections.allowTo(Peers.cidr('0.0.0.0/0'), 443, 'HTTPS to AWS APIs (ECS, ECR, SSM, Logs) via endpoints or NAT');
    movedFromSibling(https, 'egress-https');

    const ecsConfig = [
      `ECS_CLUSTER=${props.clusterName}`,
      'ECS_ENABLE_TASK_IAM_ROLE=true',
      'ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance',
      ...(bridge ? [] : ['ECS_AWSVPC_BLOCK_IMDS=true']),
    ];
    const userData = ['#!/bin/bash', 'cat >> /etc/ecs/ecs.config <<EOF', ...ecsConfig, 'EOF', ''].join('\n');

    const template = new LaunchTemplate(this, 'launch-template', {
      name: `${namePrefix}-ecs`,
      imageId: ami.value,
      instanceType: props.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [sg.id, ...(props.extraSecurityGroupIds ?? [])],
      userData: Fn.base64encode(userData),
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required', // IMDSv2 only
        // 1: the IMDSv2 token cannot cross Docker's bridge, so containers never get the instance role.
        httpPutResponseHopLimit: 1,
      },
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', ebs: { volumeSize: props.rootVolumeGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } },
      ],
      monitoring: { enabled: true },
      updateDefaultVersion: true,
      tagSpecifications: [{ resourceType: 'instance', tags: { Name: `${namePrefix}-ecs` } }],
    });

    const group = new AutoscalingGroup(this, 'asg', {
      name: `${namePrefix}-ecs`,
      vpcZoneIdentifier: props.subnetIds,
      minSize: props.minSize,
      maxSize: props.maxSize,
      // The concrete version (not "$Latest"): a new version changes the group, which starts the refresh.
      launchTemplate: { id: template.id, version: template.latestVersion.toString() },
      instanceRefresh: {
        strategy: 'Rolling',
        preferences: {
          minHealthyPercentage: props.refreshMinHealthyPercent ?? 100,
          maxHealthyPercentage: props.refreshMaxHealthyPercent ?? 200,
          instanceWarmup: String(props.refreshInstanceWarmupSeconds ?? 300),
          skipMatching: true,
          // ECS's managed termination protection keeps instances with tasks scale-in protected: the
          // refresh must replace them anyway ("Refresh"); managed draining moves their tasks first.
          scaleInProtectedInstances: 'Refresh',
          standbyInstances: 'Terminate',
        },
      },
      // ECS managed termination protection needs instances protected from scale-in; ECS decides.
      protectFromScaleIn: true,
      healthCheckType: 'EC2',
      tag: [
        { key: 'AmazonECSManaged', value: 'true', propagateAtLaunch: true },
        { key: 'Name', value: `${namePrefix}-ecs`, propagateAtLaunch: true },
      ],
      // Managed scaling owns the desired capacity.
      lifecycle: { ignoreChanges: ['desired_capacity'] },
    });

    const provider = new EcsCapacityProvider(this, 'capacity-provider', {
      name: `${namePrefix}-ec2`,
      autoScalingGroupProvider: {
        autoScalingGroupArn: group.arn,
        managedTerminationProtection: 'ENABLED',
        managedDraining: 'ENABLED',
        managedScaling: {
          status: 'ENABLED',
          targetCapacity: props.targetCapacityPercent,
          minimumScalingStepSize: 1,
          maximumScalingStepSize: 2,
        },
      },
    });

    this.capacityProviderName = provider.name;
    this.securityGroupId = sg.id;
    this.autoScalingGroupName = group.name;
  }
}

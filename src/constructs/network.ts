// The environment's VPC: public / app / data subnets per AZ, IGW, NAT, endpoints, flow logs. Hosts never get public addresses; egress gets fixed NAT addresses instead.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument } from '../lib/iam';
import { Connections, Peers } from './connections';

/** Interface endpoints private tasks need to run without NAT: image pulls, logs, secrets, ECS Exec. */
// kms: ECS Exec sessions are encrypted with the app key, and the agent in a vpcOnly task reaches KMS only here.
export const INTERFACE_ENDPOINT_SERVICES = ['ecr.api', 'ecr.dkr', 'kms', 'logs', 'secretsmanager', 'ssm', 'ssmmessages'] as const;

/**
 * AWS-owned buckets tasks and hosts read through the S3 gateway endpoint: ECR image layers, and the
 * Amazon Linux 2023 package repositories of the EC2 hosts (`dnf`, kernel live patches). Bucket names
 * as AWS documents them (ECR user guide "minimum Amazon S3 bucket permissions"; AL2023 user guide).
 */
export function awsOwnedS3ObjectArns(region: string, partition: string): string[] {
  const s3 = `arn:${partition}:s3:::`;
  return [
    `${s3}prod-${region}-starport-layer-bucket/*`,
    `${s3}al2023-repos-${region}-de612dc2/*`,
    `${s3}al2023-${region}/*`,
  ];
}

/**
 * Fields of each flow-log record: the default (version 2) fields plus what incident response needs —
 * the packet's original addresses behind NAT (`pkt-srcaddr`/`pkt-dstaddr`), TCP flags, direction
 * and path. `$$` escapes Terraform interpolation: AWS receives `${version} ...`.
 */
export const FLOW_LOG_FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes',
  'start', 'end', 'action', 'log-status', 'vpc-id', 'subnet-id', 'instance-id', 'pkt-srcaddr', 'pkt-dstaddr',
  'tcp-flags', 'type', 'flow-direction', 'traffic-path', 'pkt-src-aws-service', 'pkt-dst-aws-service',
] as const;

/** Tiers of subnets: public (ALB, NAT), app (ECS tasks and hosts), data (RDS, cache; no route out). */
export type SubnetTier = 'public' | 'app' | 'data';

/** How private subnets reach the internet. */
export type NatGateways = 'none' | 'single' | 'perAz';

export interface NetworkProps {
  /** Prefix of every name, e.g. `drf-api-prod`. */
  readonly namePrefix: string;
  /** The region the VPC is in: names the endpoint services. */
  readonly region: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`): `partitionOf(region)` of src/config/regions.ts. */
  readonly partition: string;
  /** IPv4 CIDR of the VPC, e.g. `10.0.0.0/16`. */
  readonly vpcCidr: string;
  /** Availability zones of the subnets, at least two. */
  readonly availabilityZones: string[];
  /** One CIDR per AZ and tier, in AZ order (e.g. planned by the config loader). */
  readonly subnetCidrs: Record<SubnetTier, string[]>;
  /**
   * NAT for private egress: none, one gateway in the first AZ, or one per AZ (survives an AZ outage).
   * Which an environment needs is an environment decision, so there is no default here.
   */
  readonly natGateways: NatGateways;
  // The three below are environment decisions with their defaults in the config schema (one owner).
  /** Interface endpoints (ECR, Logs, Secrets Manager, SSM, ECS Exec) in the app subnets, so private tasks work without NAT. */
  readonly interfaceEndpoints: boolean;
  /** Dual-stack VPC and public subnets (for a dual-stack ALB). */
  readonly ipv6: boolean;
  /** Retention of the flow-log log group, days. */
  readonly flowLogRetentionDays: number;
  /**
   * Customer-managed KMS key of the flow-log log group (its policy must let CloudWatch Logs use it for
   * `flowLogGroupName(namePrefix)`). @default CloudWatch Logs' own encryption
   */
  readonly flowLogKmsKeyArn?: string;
}

/** The flow-log log group of a network named `namePrefix` (for the key policy of its KMS key). */
export function flowLogGroupName(namePrefix: string): string {
  return `/vpc/${namePrefix}/flow-logs`;
}

export class Network extends Construct {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly publicSubnetIds: string[];
  readonly appSubnetIds: string[];
  readonly dataSubnetIds: string[];
  readonly dbSubnetGroupName: string;
  /** The fixed public addresses private egress leaves from (one per NAT gateway). */
  readonly natEgressIps: string[];
  /** Rules of the interface endpoints' group (HTTPS from the VPC); absent without interface endpoints. */
  readonly endpointConnections?: Connections;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { namePrefix, availabilityZones: azs, subnetCidrs } = props;
    const ipv6 = props.ipv6;
    const accountId = new DataAwsCallerIdentity(this, 'caller', {}).accountId;
    const natMode = props.natGateways;
    const { partition } = props;
    const tagged = (name: string) => ({ Name: `${namePrefix}-${name}` });

    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      assignGeneratedIpv6CidrBlock: ipv6,
      tags: tagged('vpc'),
    });

    // Take over the default security group and leave it without rules, so nothing can use it by accident.
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: vpc.id, ingress: [], egress: [], tags: tagged('default-unused') });

    const subnets = (tier: SubnetTier) =>
      azs.map(
        (az, i) =>
          new Subnet(this, `${tier}-${az}`, {
            vpcId: vpc.id,
            availabilityZone: az,
            cidrBlock: subnetCidrs[tier][i],
            mapPublicIpOnLaunch: false,
            ...(ipv6 && tier === 'public'
              ? { ipv6CidrBlock: Fn.cidrsubnet(vpc.ipv6CidrBlock, 8, i), assignIpv6AddressOnCreation: false }
              : {}),
            tags: { ...tagged(`${tier}-${az}`), tier },
          }),
      );
    const publicSubnets = subnets('public');
    const appSubnets = subnets('app');
    const dataSubnets = subnets('data');

    // Public tier: default routes to the internet gateway.
    const igw = new InternetGateway(this, 'igw', { vpcId: vpc.id, tags: tagged('igw') });
    const publicRoutes = new RouteTable(this, 'public-rt', { vpcId: vpc.id, tags: tagged('public') });
    new Route(this, 'public-default-ipv4', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
    if (ipv6) {
      new Route(this, 'public-default-ipv6', { routeTableId: publicRoutes.id, destinationIpv6CidrBlock: '::/0', gatewayId: igw.id });
    }
    publicSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `public-rta-${azs[i]}`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
    });

    // NAT: one gateway (in the first AZ) or one per AZ, each with its own Elastic IP.
    const natAzs = natMode === 'none' ? [] : natMode === 'single' ? [0] : azs.map((_, i) => i);
    const nats = natAzs.map((i) => {
      const eip = new Eip(this, `nat-eip-${azs[i]}`, { domain: 'vpc', tags: tagged(`nat-${azs[i]}`) });
      const nat = new NatGateway(this, `nat-${azs[i]}`, {
        allocationId: eip.allocationId,
        subnetId: publicSubnets[i].id,
        tags: tagged(`nat-${azs[i]}`),
        dependsOn: [igw],
      });
      return { nat, eip };
    });

    // App tier: one route table per AZ, so each AZ egresses through its own NAT when there is one per AZ.
    const appRouteTables = azs.map((az, i) => {
      const table = new RouteTable(this, `app-rt-${az}`, { vpcId: vpc.id, tags: tagged(`app-${az}`) });
      if (nats.length > 0) {
        new Route(this, `app-default-${az}`, {
          routeTableId: table.id,
          destinationCidrBlock: '0.0.0.0/0',
          natGatewayId: nats[natMode === 'perAz' ? i : 0].nat.id,
        });
      }
      new RouteTableAssociation(this, `app-rta-${az}`, { subnetId: appSubnets[i].id, routeTableId: table.id });
      return table;
    });

    // Data tier: isolated, no route out of the VPC (the database needs none).
    const dataRoutes = new RouteTable(this, 'data-rt', { vpcId: vpc.id, tags: tagged('data') });
    dataSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `data-rta-${azs[i]}`, { subnetId: subnet.id, routeTableId: dataRoutes.id });
    });

    // S3 gateway endpoint: free, and ECR image layers come from S3. Its policy keeps data inside
    // the account: only this account's buckets, plus the AWS-owned buckets tasks and hosts read.
    // Every S3 request of the region from these subnets goes through it (the route is more specific
    // than the NAT's), so another account's bucket in this region is refused even with NAT.
    new VpcEndpoint(this, 'endpoint-s3', {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [...appRouteTables.map((t) => t.id), dataRoutes.id],
      policy: policyDocument(
        {
          Sid: 'OnlyThisAccountsBuckets',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:ResourceAccount': accountId } },
        },
        {
          Sid: 'AwsOwnedBucketsTasksAndHostsRead',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: awsOwnedS3ObjectArns(props.region, partition),
        },
      ),
      tags: tagged('s3'),
    });

    if (props.interfaceEndpoints) {
      const endpointSg = new SecurityGroup(this, 'endpoints-sg', {
        name: `${namePrefix}-vpc-endpoints`,
        description: 'Interface VPC endpoints: HTTPS from inside the VPC only',
        vpcId: vpc.id,
        tags: tagged('vpc-endpoints'),
      });
      this.endpointConnections = new Connections(this, { securityGroupId: endpointSg.id, key: 'vpc-endpoints' });
      // The VPC's CIDR as configured (the rule ID is keyed by it; the value equals the VPC's cidr_block).
      this.endpointConnections.allowFrom(Peers.cidr(props.vpcCidr), 443, 'HTTPS from the VPC');
      for (const service of INTERFACE_ENDPOINT_SERVICES) {
        new VpcEndpoint(this, `endpoint-${service.replace('.', '-')}`, {
          vpcId: vpc.id,
          serviceName: `com.amazonaws.${props.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: appSubnets.map((s) => s.id),
          securityGroupIds: [endpointSg.id],
          // Only principals of this account may call AWS through these endpoints (no foreign credentials).
          policy: policyDocument({
            Sid: 'OnlyThisAccountsPrincipals',
            Effect: 'Allow',
            Principal: '*',
            Action: '*',
            Resource: '*',
            Condition: { StringEquals: { 'aws:PrincipalAccount': accountId } },
          }),
          tags: tagged(service),
        });
      }
    }

    this.createFlowLogs(vpc, namePrefix, props.region, partition, accountId, props.flowLogRetentionDays, props.flowLogKmsKeyArn);

    const dbSubnetGroup = new DbSubnetGroup(this, 'db-subnets', {
      name: `${namePrefix}-data`,
      description: `Data subnets of ${namePrefix}`,
      subnetIds: dataSubnets.map((s) => s.id),
      tags: tagged('data'),
    });

    this.vpcId = vpc.id;
    // The configured CIDR (a literal): readers in other stacks need no cross-stack output for it.
    this.vpcCidr = props.vpcCidr;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.appSubnetIds = appSubnets.map((s) => s.id);
    this.dataSubnetIds = dataSubnets.map((s) => s.id);
    this.dbSubnetGroupName = dbSubnetGroup.name;
    this.natEgressIps = nats.map(({ eip }) => eip.publicIp);
  }

  private createFlowLogs(vpc: Vpc, namePrefix: string, region: string, partition: string, accountId: string, retentionDays: number, kmsKeyArn?: string): void {
    const logGroup = new CloudwatchLogGroup(this, 'flow-logs', {
      name: flowLogGroupName(namePrefix),
      retentionInDays: retentionDays,
      kmsKeyId: kmsKeyArn,
    });
    const role = new IamRole(this, 'flow-logs-role', {
      name: `${namePrefix}-vpc-flow-logs`,
      // Only flow logs of this account and region may use the role (confused-deputy protection).
      assumeRolePolicy: policyDocument({
        Effect: 'Allow',
        Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': accountId },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*` },
        },
      }),
    });
    // AWS's documented flow-log policy, scoped: writing to this log group only; listing log groups
    // (which the service does before delivering) in this account and region.
    new IamRolePolicy(this, 'flow-logs-policy', {
      role: role.id,
      name: 'write-flow-logs',
      policy: policyDocument(
        {
          Sid: 'WriteThisLogGroup',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          Resource: [logGroup.arn, `${logGroup.arn}:*`],
        },
        {
          Sid: 'FindLogGroups',
          Effect: 'Allow',
          Action: 'logs:DescribeLogGroups',
          Resource: `arn:${partition}:logs:${region}:${accountId}:log-group:*`,
        },
      ),
    });
    new FlowLog(this, 'flow-log', {
      vpcId: vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      // Changing the format replaces the flow log (it holds no data; the log group stays).
      logFormat: FLOW_LOG_FIELDS.map((field) => `$\${${field}}`).join(' '),
      tags: { Name: `${namePrefix}-flow-log` },
    });
  }
}

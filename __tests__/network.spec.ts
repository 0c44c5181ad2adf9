import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Testing } from 'cdktf';
import { awsOwnedS3ObjectArns, FLOW_LOG_FIELDS, Network, type NetworkProps } from '../src/constructs/network';
import { NetworkStack } from '../src/stacks/network-stack';
import { configFor, resourcesIn, type Overrides } from './helpers';

/** One environment's network stack, synthesized (without the stacks that read it). */
const synthNetworkStack = (envName: string, overrides: Overrides = {}) => Testing.synth(new NetworkStack(Testing.app(), configFor(envName, overrides)));

const base: NetworkProps = {
  namePrefix: 'svc-test',
  region: 'ap-northeast-1',
  vpcCidr: '10.0.0.0/16',
  availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
  subnetCidrs: {
    public: ['10.0.128.0/22', '10.0.132.0/22', '10.0.136.0/22'],
    app: ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19'],
    data: ['10.0.144.0/22', '10.0.148.0/22', '10.0.152.0/22'],
  },
  natGateways: 'single',
  interfaceEndpoints: true,
  ipv6: true,
  flowLogRetentionDays: 30,
  partition: 'aws',
};
const synthNetwork = (props: Partial<NetworkProps> = {}) =>
  Testing.synthScope((scope) => {
    new Network(scope, 'network', { ...base, ...props });
  });
const parsed = (synthesized: string) => JSON.parse(synthesized) as { resource: Record<string, Record<string, any>> };
const count = (synthesized: string, type: string) => Object.keys(parsed(synthesized).resource[type] ?? {}).length;

describe('subnet CIDRs computed from the VPC CIDR', () => {
  it('lays out app /19, public and data /22 per AZ in a /16 (prod: 3 AZs)', () => {
    expect(configFor('prod').network.subnetCidrs).toEqual({
      app: ['10.30.0.0/19', '10.30.32.0/19', '10.30.64.0/19'],
      public: ['10.30.128.0/22', '10.30.132.0/22', '10.30.136.0/22'],
      data: ['10.30.144.0/22', '10.30.148.0/22', '10.30.152.0/22'],
    });
  });

  it('keeps existing subnets where they are when an AZ is added (dev: 2 AZs)', () => {
    const two = configFor('dev').network.subnetCidrs;
    const three = configFor('dev', { availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'] }).network.subnetCidrs;
    expect(two.app).toEqual(['10.10.0.0/19', '10.10.32.0/19']);
    for (const tier of ['public', 'app', 'data'] as const) expect(three[tier].slice(0, 2)).toEqual(two[tier]);
  });

  it('scales with the VPC: a /21 gives app /24, public and data /27', () => {
    const cidrs = configFor('dev', { network: { vpcCidr: '192.168.8.0/21' } }).network.subnetCidrs;
    expect(cidrs).toEqual({
      app: ['192.168.8.0/24', '192.168.9.0/24'],
      public: ['192.168.12.0/27', '192.168.12.32/27'],
      data: ['192.168.12.128/27', '192.168.12.160/27'],
    });
  });

  it('accepts explicit subnets and synthesizes them as literals', () => {
    const subnets = { public: ['10.10.0.0/24', '10.10.1.0/24'], app: ['10.10.16.0/20', '10.10.32.0/20'], data: ['10.10.2.0/24', '10.10.3.0/24'] };
    const synthesized = synthNetworkStack('dev', { network: { subnets } });
    expect(synthesized).toHaveResourceWithProperties(Subnet, { cidr_block: '10.10.32.0/20', availability_zone: 'ap-northeast-1c', tags: { Name: 'drf-api-dev-app-ap-northeast-1c', tier: 'app' } });
  });
});

describe('Network construct', () => {
  const synthesized = synthNetwork();

  it('creates the VPC with DNS support and hostnames, dual-stack', () => {
    expect(synthesized).toHaveResourceWithProperties(Vpc, {
      cidr_block: '10.0.0.0/16',
      enable_dns_support: true,
      enable_dns_hostnames: true,
      assign_generated_ipv6_cidr_block: true,
    });
  });

  it('creates a subnet per AZ and tier, with literal CIDRs and no public IPs', () => {
    expect(count(synthesized, 'aws_subnet')).toBe(9);
    for (const tier of ['public', 'app', 'data'] as const) {
      base.availabilityZones.forEach((az, i) => {
        expect(synthesized).toHaveResourceWithProperties(Subnet, {
          availability_zone: az,
          cidr_block: base.subnetCidrs[tier][i],
          map_public_ip_on_launch: false,
          tags: expect.objectContaining({ tier }),
        });
      });
    }
  });

  it('gives only public subnets IPv6, and none when ipv6 is off', () => {
    const subnets = Object.values(parsed(synthesized).resource.aws_subnet);
    expect(subnets.filter((s) => s.ipv6_cidr_block).map((s) => s.tags.tier)).toEqual(['public', 'public', 'public']);
    const v4only = synthNetwork({ ipv6: false });
    expect(Object.values(parsed(v4only).resource.aws_subnet).some((s) => s.ipv6_cidr_block)).toBe(false);
    expect(Object.values(parsed(v4only).resource.aws_route).some((r) => r.destination_ipv6_cidr_block)).toBe(false);
    expect(v4only).toHaveResourceWithProperties(Vpc, { assign_generated_ipv6_cidr_block: false });
  });

  it('routes the public tier to the internet gateway (IPv4 and IPv6)', () => {
    expect(synthesized).toHaveResource(InternetGateway);
    expect(synthesized).toHaveResourceWithProperties(Route, { destination_cidr_block: '0.0.0.0/0', gateway_id: expect.stringMatching(/aws_internet_gateway/) });
    expect(synthesized).toHaveResourceWithProperties(Route, { destination_ipv6_cidr_block: '::/0', gateway_id: expect.stringMatching(/aws_internet_gateway/) });
  });

  it('gives the app tier one route table per AZ, and the data tier no route out', () => {
    const tables = Object.values(parsed(synthesized).resource.aws_route_table).map((t) => t.tags.Name);
    expect(tables.sort()).toEqual(['svc-test-app-ap-northeast-1a', 'svc-test-app-ap-northeast-1c', 'svc-test-app-ap-northeast-1d', 'svc-test-data', 'svc-test-public']);
    const routes = Object.values(parsed(synthesized).resource.aws_route);
    expect(routes.filter((r) => String(r.route_table_id).includes('data-rt'))).toEqual([]);
    expect(count(synthesized, 'aws_route_table_association')).toBe(9);
  });

  it('NAT "single": one gateway with its own Elastic IP, shared by every AZ', () => {
    const single = synthNetwork({ natGateways: 'single' });
    expect(count(single, 'aws_nat_gateway')).toBe(1);
    expect(count(single, 'aws_eip')).toBe(1);
    const natRoutes = Object.values(parsed(single).resource.aws_route).filter((r) => r.nat_gateway_id);
    expect(natRoutes).toHaveLength(3);
    expect(new Set(natRoutes.map((r) => r.nat_gateway_id)).size).toBe(1);
  });

  it('NAT "perAz": a gateway and Elastic IP per AZ, each AZ routed through its own', () => {
    const perAz = synthNetwork({ natGateways: 'perAz' });
    expect(count(perAz, 'aws_nat_gateway')).toBe(3);
    expect(count(perAz, 'aws_eip')).toBe(3);
    expect(perAz).toHaveResourceWithProperties(Route, {
      route_table_id: expect.stringMatching(/app-rt-ap-northeast-1d/),
      nat_gateway_id: expect.stringMatching(/nat-ap-northeast-1d/),
    });
  });

  it('NAT "none": no gateways and no default route from private subnets', () => {
    const none = synthNetwork({ natGateways: 'none' });
    expect(count(none, 'aws_nat_gateway')).toBe(0);
    expect(count(none, 'aws_eip')).toBe(0);
    expect(Object.values(parsed(none).resource.aws_route).filter((r) => r.nat_gateway_id)).toEqual([]);
  });

  it('limits the S3 gateway endpoint to this account\'s buckets and the AWS-owned buckets tasks and hosts read (issue 18.4)', () => {
    const [s3] = resourcesIn(synthesized, 'aws_vpc_endpoint').filter((e) => e.vpc_endpoint_type === 'Gateway');
    expect(JSON.parse(s3.policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'OnlyThisAccountsBuckets',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:ResourceAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\..*\.account_id\}$/) } },
        },
        {
          Sid: 'AwsOwnedBucketsTasksAndHostsRead',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: [
            'arn:aws:s3:::prod-ap-northeast-1-starport-layer-bucket/*',
            'arn:aws:s3:::al2023-repos-ap-northeast-1-de612dc2/*',
            'arn:aws:s3:::al2023-ap-northeast-1/*',
          ],
        },
      ],
    });
    expect(awsOwnedS3ObjectArns('eu-west-1', 'aws')[0]).toBe('arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*');
  });

  it('lets only principals of this account use the interface endpoints (issue 18.4)', () => {
    const interfaces = resourcesIn(synthesized, 'aws_vpc_endpoint').filter((e) => e.vpc_endpoint_type === 'Interface');
    expect(interfaces).toHaveLength(7);
    for (const endpoint of interfaces) {
      expect(JSON.parse(endpoint.policy).Statement).toEqual([
        {
          Sid: 'OnlyThisAccountsPrincipals',
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalAccount': expect.stringMatching(/aws_caller_identity/) } },
        },
      ]);
    }
  });

  it('always has the S3 gateway endpoint on the private route tables', () => {
    expect(synthesized).toHaveResourceWithProperties(VpcEndpoint, {
      service_name: 'com.amazonaws.ap-northeast-1.s3',
      vpc_endpoint_type: 'Gateway',
      route_table_ids: [expect.stringMatching(/app-rt-ap-northeast-1a/), expect.stringMatching(/app-rt-ap-northeast-1c/), expect.stringMatching(/app-rt-ap-northeast-1d/), expect.stringMatching(/data-rt/)],
    });
  });

  it('interface endpoints on: ECR, KMS (ECS Exec sessions), Logs, Secrets Manager, SSM, behind HTTPS-from-VPC only', () => {
    for (const service of ['ecr.api', 'ecr.dkr', 'kms', 'logs', 'secretsmanager', 'ssm', 'ssmmessages']) {
      expect(synthesized).toHaveResourceWithProperties(VpcEndpoint, {
        service_name: `com.amazonaws.ap-northeast-1.${service}`,
        vpc_endpoint_type: 'Interface',
        private_dns_enabled: true,
      });
    }
    expect(synthesized).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      from_port: 443,
      to_port: 443,
      ip_protocol: 'tcp',
      cidr_ipv4: '10.0.0.0/16',
    });
  });

  it('interface endpoints off: only the S3 gateway endpoint', () => {
    const off = synthNetwork({ interfaceEndpoints: false });
    expect(count(off, 'aws_vpc_endpoint')).toBe(1);
    expect(count(off, 'aws_vpc_security_group_ingress_rule')).toBe(0);
  });

  it('sends flow logs to a log group with retention, through a role scoped to it', () => {
    expect(synthNetwork({ flowLogRetentionDays: 90 })).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/vpc/svc-test/flow-logs',
      retention_in_days: 90,
    });
    expect(synthesized).toHaveResourceWithProperties(FlowLog, { traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs' });
    expect(synthesized).toHaveResourceWithProperties(IamRole, { name: 'svc-test-vpc-flow-logs' });
    const [role] = Object.values(parsed(synthesized).resource.aws_iam_role);
    expect(JSON.parse(role.assume_role_policy).Statement[0]).toEqual(
      expect.objectContaining({
        Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': expect.stringMatching(/aws_caller_identity/) },
          ArnLike: { 'aws:SourceArn': expect.stringMatching(/^arn:aws:ec2:ap-northeast-1:\$\{data\.aws_caller_identity\..*\}:vpc-flow-log\/\*$/) },
        },
      }),
    );
    const [policy] = Object.values(parsed(synthesized).resource.aws_iam_role_policy);
    expect(JSON.parse(policy.policy).Statement[0].Resource).toEqual([
      expect.stringMatching(/aws_cloudwatch_log_group\..*\.arn/),
      expect.stringMatching(/aws_cloudwatch_log_group\..*\.arn}:\*/),
    ]);
  });

  it('lets the flow-log role list log groups, as AWS documents, in this account and region only (issue 14.9)', () => {
    const [policy] = resourcesIn(synthesized, 'aws_iam_role_policy');
    expect(JSON.parse(policy.policy).Statement).toContainEqual({
      Sid: 'FindLogGroups',
      Effect: 'Allow',
      Action: 'logs:DescribeLogGroups',
      Resource: expect.stringMatching(/^arn:aws:logs:ap-northeast-1:\$\{data\.aws_caller_identity\..*\}:log-group:\*$/),
    });
  });

  it('records flow logs in a custom format with the fields incident response needs (issue 18.8)', () => {
    const [flowLog] = resourcesIn(synthesized, 'aws_flow_log');
    const fields = String(flowLog.log_format).split(' ');
    // `$${x}` in Terraform JSON is the literal `${x}` AWS expects.
    for (const field of fields) expect(field).toMatch(/^\$\$\{[a-z-]+\}$/);
    expect(fields.map((f) => f.slice(3, -1))).toEqual([...FLOW_LOG_FIELDS]);
    for (const required of [
      'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end',
      'action', 'log-status', 'vpc-id', 'subnet-id', 'pkt-srcaddr', 'pkt-dstaddr', 'tcp-flags', 'flow-direction', 'traffic-path',
    ]) {
      expect(fields).toContain(`$\${${required}}`);
    }
  });

  it('manages the default security group with no rules', () => {
    expect(synthesized).toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: [], egress: [] });
  });

  it('creates a DB subnet group over the data subnets', () => {
    expect(synthesized).toHaveResourceWithProperties(DbSubnetGroup, {
      name: 'svc-test-data',
      subnet_ids: [expect.stringMatching(/data-ap-northeast-1a/), expect.stringMatching(/data-ap-northeast-1c/), expect.stringMatching(/data-ap-northeast-1d/)],
    });
  });
});

describe('network stack of a 2-AZ and a 3-AZ environment', () => {
  it('dev: 2 AZs, single NAT, no interface endpoints', () => {
    const synthesized = synthNetworkStack('dev');
    expect(count(synthesized, 'aws_subnet')).toBe(6);
    expect(count(synthesized, 'aws_nat_gateway')).toBe(1);
    expect(count(synthesized, 'aws_vpc_endpoint')).toBe(1);
  });

  it('prod: 3 AZs, NAT per AZ, endpoints, egress IPs as an output', () => {
    const synthesized = synthNetworkStack('prod');
    expect(count(synthesized, 'aws_subnet')).toBe(9);
    expect(count(synthesized, 'aws_nat_gateway')).toBe(3);
    expect(count(synthesized, 'aws_vpc_endpoint')).toBe(8);
    expect(JSON.parse(synthesized).output.nat_egress_ips.value).toHaveLength(3);
  });

  it('describes every output', () => {
    for (const [name, output] of Object.entries(JSON.parse(synthNetworkStack('prod')).output as Record<string, { description?: string }>)) {
      expect([name, output.description]).toEqual([name, expect.any(String)]);
    }
  });
});

describe('Network: security groups through Connections, ARNs in the region\'s partition', () => {
  it('keys the endpoints\' HTTPS rule by the VPC CIDR; the network stack moves it from its earlier address', () => {
    const json = parsed(synthNetwork()) as Record<string, any>;
    expect(Object.keys(json.resource.aws_vpc_security_group_ingress_rule)).toEqual([expect.stringMatching(/^network_vpc-endpoints-ingress-from-10-0-0-0-16-443_/)]);
    expect(json.moved).toBeUndefined();
    expect((parsed(synthNetworkStack('prod')) as Record<string, any>).moved).toContainEqual({
      from: expect.stringMatching(/^aws_vpc_security_group_ingress_rule\.network_endpoints-https-from-vpc_/),
      to: expect.stringMatching(/^aws_vpc_security_group_ingress_rule\.network_vpc-endpoints-ingress-from-10-30-0-0-16-443_/),
    });
  });

  it('exposes the endpoints\' Connections only when there are interface endpoints', () => {
    let withEndpoints: Network | undefined;
    let without: Network | undefined;
    Testing.synthScope((scope) => {
      withEndpoints = new Network(scope, 'a', base);
      without = new Network(scope, 'b', { ...base, interfaceEndpoints: false });
    });
    expect(withEndpoints!.endpointConnections?.key).toBe('vpc-endpoints');
    expect(without!.endpointConnections).toBeUndefined();
  });

  it('writes ARNs in the given partition (aws-cn)', () => {
    const synthesized = synthNetwork({ region: 'cn-north-1', partition: 'aws-cn', availabilityZones: ['cn-north-1a', 'cn-north-1b', 'cn-north-1d'] });
    expect(synthesized).not.toContain('arn:aws:');
    expect(synthesized).toContain('arn:aws-cn:logs:cn-north-1:');
    expect(awsOwnedS3ObjectArns('cn-north-1', 'aws-cn')[0]).toBe('arn:aws-cn:s3:::prod-cn-north-1-starport-layer-bucket/*');
  });

  it('the network stack passes the region\'s partition', () => {
    const synthesized = synthNetworkStack('dev', { region: 'us-gov-west-1', availabilityZones: ['us-gov-west-1a', 'us-gov-west-1b'] } as Overrides);
    expect(synthesized).toContain('arn:aws-us-gov:ec2:us-gov-west-1:');
  });
});

describe('flow-log key (issue 18.7)', () => {
  it('encrypts the flow-log group with a rotated customer-managed key only CloudWatch Logs may use, for that group', () => {
    const json = parsed(synthNetworkStack('prod')) as Record<string, any>;
    const [key] = Object.values(json.resource.aws_kms_key) as Array<Record<string, any>>;
    expect(key.enable_key_rotation).toBe(true);
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
    const policy = JSON.parse(key.policy);
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'logs.ap-northeast-1.amazonaws.com' },
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [expect.stringMatching(/^arn:aws:logs:ap-northeast-1:\$\{.*\}:log-group:\/vpc\/.*-prod\/flow-logs$/)] } },
      }),
    );
    const [logGroup] = Object.values(json.resource.aws_cloudwatch_log_group) as Array<Record<string, any>>;
    expect(logGroup.kms_key_id).toMatch(/aws_kms_key\..*\.arn/);
    expect(json.output.flow_log_kms_key_arn.description).toBeTruthy();
  });
});

describe('constructs own their Props (issue 16.1)', () => {
  it('no construct of the data, network, edge and identity library imports src/config', () => {
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    const files = ['database', 'cache', 'cache-alarms', 'network', 'load-balancer', 'certificate', 'private-bucket', 'state-bucket', 'ec2-capacity', 'pipeline-identities', 'pipeline-role', 'oidc-provider', 'customer-key'];
    const offenders = files.filter((file) => /from\s+['"]\.\.\/config\//.test(readFileSync(`${__dirname}/../src/constructs/${file}.ts`, 'utf8')));
    expect(offenders).toEqual([]);
  });
});

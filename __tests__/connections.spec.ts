import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Connections, Peers } from '../src/constructs/connections';
import { movedFrom, terraformAddress } from '../src/lib/moved';

class Owner extends Construct {
  readonly connections: Connections;
  constructor(scope: Construct, id: string, key: string) {
    super(scope, id);
    const sg = new SecurityGroup(this, 'sg', { name: key, description: key, vpcId: 'vpc-1' });
    this.connections = new Connections(this, { securityGroupId: sg.id, key });
  }
}

function synth(build: (stack: TerraformStack) => void): { json: string; resources: Record<string, Record<string, any>> } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  build(stack);
  const json = Testing.synth(stack);
  return { json, resources: JSON.parse(json).resource };
}

describe('Connections', () => {
  it('allowFrom another owned group: ingress under this owner, the matching egress under the peer owner, both described', () => {
    const { json, resources } = synth((stack) => {
      const alb = new Owner(stack, 'alb-owner', 'alb');
      const api = new Owner(stack, 'api-owner', 'api');
      api.connections.allowFrom(alb.connections, 8000, { ingress: 'api: from the ALB on port 8000', egress: 'To api on port 8000' });
    });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      description: 'api: from the ALB on port 8000',
      ip_protocol: 'tcp',
      from_port: 8000,
      to_port: 8000,
      security_group_id: expect.stringContaining('aws_security_group.api-owner_sg_'),
      referenced_security_group_id: expect.stringContaining('aws_security_group.alb-owner_sg_'),
    });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      description: 'To api on port 8000',
      security_group_id: expect.stringContaining('aws_security_group.alb-owner_sg_'),
      referenced_security_group_id: expect.stringContaining('aws_security_group.api-owner_sg_'),
    });
    // Keyed by content, under each group's owner.
    expect(Object.keys(resources.aws_vpc_security_group_ingress_rule)[0]).toMatch(/^api-owner_api-ingress-from-alb-8000_/);
    expect(Object.keys(resources.aws_vpc_security_group_egress_rule)[0]).toMatch(/^alb-owner_alb-egress-to-api-8000_/);
  });

  it('allowTo external peers: IPv4, IPv6 and prefix lists, a port range, one rule on this group only', () => {
    const { json, resources } = synth((stack) => {
      const api = new Owner(stack, 'api-owner', 'api');
      api.connections.allowTo(Peers.cidr('10.0.0.0/16'), 443, 'HTTPS to the VPC endpoints');
      api.connections.allowTo(Peers.cidr('::/0'), 443, 'HTTPS to the internet (IPv6)');
      api.connections.allowTo(Peers.prefixList('pl-123', 's3'), { from: 32768, to: 65535 }, 'S3 on ephemeral ports');
    });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { cidr_ipv4: '10.0.0.0/16', from_port: 443, description: 'HTTPS to the VPC endpoints' });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { cidr_ipv6: '::/0' });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { prefix_list_id: 'pl-123', from_port: 32768, to_port: 65535 });
    expect(Object.keys(resources.aws_vpc_security_group_egress_rule).sort().map((k) => k.replace(/_[0-9A-F]{8}$/, ''))).toEqual([
      'api-owner_api-egress-to----0-443',
      'api-owner_api-egress-to-10-0-0-0-16-443',
      'api-owner_api-egress-to-s3-32768-65535',
    ]);
    expect(resources.aws_vpc_security_group_ingress_rule).toBeUndefined();
  });

  it('refuses a rule without a description; the same traffic allowed twice is one rule (AWS refuses duplicates)', () => {
    const { resources } = synth((stack) => {
      const api = new Owner(stack, 'api-owner', 'api');
      expect(() => api.connections.allowTo(Peers.cidr('10.0.0.0/16'), 443, ' ')).toThrow(/needs a description/);
      const first = api.connections.allowTo(Peers.cidr('10.0.0.0/16'), 443, 'once');
      expect(api.connections.allowTo(Peers.cidr('10.0.0.0/16'), 443, 'twice')).toBe(first);
    });
    expect(Object.values(resources.aws_vpc_security_group_egress_rule)).toEqual([expect.objectContaining({ description: 'once' })]);
  });
});

describe('movedFrom', () => {
  it('spells the old address as cdktf did and emits a moved block to the new one', () => {
    expect(terraformAddress('aws_vpc_security_group_egress_rule', ['service-api', 'alb-egress'])).toBe('aws_vpc_security_group_egress_rule.service-api_alb-egress_8D96CE43');
    const { json } = synth((stack) => {
      const api = new Owner(stack, 'api-owner', 'api');
      movedFrom(api.connections.allowTo(Peers.cidr('10.0.0.0/16'), 443, 'HTTPS'), ['old', 'rule']);
    });
    expect(JSON.parse(json).moved).toEqual([
      { from: terraformAddress('aws_vpc_security_group_egress_rule', ['old', 'rule']), to: expect.stringMatching(/^aws_vpc_security_group_egress_rule\.api-owner_api-egress-to-10-0-0-0-16-443_/) },
    ]);
  });
});

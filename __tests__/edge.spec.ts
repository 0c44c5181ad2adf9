import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Testing } from 'cdktf';
import { configProblems, resourcesIn, stacksFor, synthOf } from './helpers';

const all = resourcesIn;
const albRules = (s: string) => all(s, 'aws_vpc_security_group_ingress_rule').filter((r) => String(r.security_group_id).includes('load-balancer_sg'));
const WAF = 'arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/example-acl/0a1b2c3d-1111-2222-3333-444455556666';

describe('ALB (prod)', () => {
  const prod = synthOf('prod', 'app');

  it('is internet-facing and dual-stack over the public subnets of all AZs, hardened', () => {
    expect(prod).toHaveResourceWithProperties(Lb, {
      name: 'drf-api-prod',
      internal: false,
      load_balancer_type: 'application',
      ip_address_type: 'dualstack',
      drop_invalid_header_fields: true,
      enable_deletion_protection: true,
      idle_timeout: 60,
      subnets: [expect.stringMatching(/public-ap-northeast-1a/), expect.stringMatching(/public-ap-northeast-1c/), expect.stringMatching(/public-ap-northeast-1d/)],
      access_logs: { bucket: expect.stringMatching(/aws_s3_bucket\.load-balancer_access-logs/), prefix: 'alb', enabled: true },
    });
  });

  it('its group admits 80 and 443 from the world (IPv4 and IPv6) and nothing else (blue/green tests go over 443)', () => {
    const rules = albRules(prod).map((r) => [r.from_port, r.cidr_ipv4 ?? r.cidr_ipv6]);
    expect(rules).toEqual(
      expect.arrayContaining([
        [80, '0.0.0.0/0'],
        [80, '::/0'],
        [443, '0.0.0.0/0'],
        [443, '::/0'],
      ]),
    );
    expect(rules.filter(([port]) => port !== 80 && port !== 443)).toEqual([]);
  });

  it('its egress goes only to the services\' groups on their container ports', () => {
    const egress = all(prod, 'aws_vpc_security_group_egress_rule').filter((r) => String(r.security_group_id).includes('load-balancer_sg'));
    expect(egress).toEqual([expect.objectContaining({ from_port: 8000, to_port: 8000, referenced_security_group_id: expect.stringMatching(/service-api_sg/) })]);
    expect(prod).toHaveResource(VpcSecurityGroupEgressRule);
  });

  it('serves HTTPS with a TLS 1.3 policy and the validated certificate', () => {
    expect(prod).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: 'HTTPS',
      ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificate_arn: expect.stringMatching(/aws_acm_certificate_validation\..*\.certificate_arn/),
    });
  });

  it('redirects HTTP to HTTPS with a 301', () => {
    expect(prod).toHaveResourceWithProperties(LbListener, {
      port: 80,
      protocol: 'HTTP',
      default_action: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } }],
    });
  });

  it('requests a certificate for the domain and SANs, validated by DNS records iterated with for_each', () => {
    expect(prod).toHaveResourceWithProperties(AcmCertificate, {
      domain_name: 'api.example.com',
      subject_alternative_names: ['www.api.example.com'],
      validation_method: 'DNS',
    });
    expect(prod).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: 'example.com', private_zone: false });
    expect(prod).toHaveResourceWithProperties(Route53Record, {
      for_each: expect.stringMatching(/domain_validation_options\): val\.domain_name => val/),
      name: '${each.value.resource_record_name}',
      records: ['${each.value.resource_record_value}'],
      type: '${each.value.resource_record_type}',
    });
    expect(prod).toHaveResourceWithProperties(AcmCertificateValidation, {
      validation_record_fqdns: expect.stringMatching(/aws_route53_record\.certificate_validation.*fqdn/),
    });
  });

  it('can create the hosted zone instead of looking it up', () => {
    const created = Testing.synth(stacksFor('prod', { edge: { domain: { createZone: true } } } as never).app);
    expect(created).toHaveResourceWithProperties(Route53Zone, { name: 'example.com' });
    expect(JSON.parse(created).output.zone_name_servers.value).toMatch(/aws_route53_zone\..*\.name_servers/);
  });

  it('points A and AAAA aliases for every name at the ALB', () => {
    for (const name of ['api.example.com', 'www.api.example.com']) {
      for (const type of ['A', 'AAAA']) {
        expect(prod).toHaveResourceWithProperties(Route53Record, {
          name,
          type,
          alias: { name: expect.stringMatching(/aws_lb\..*\.dns_name/), zone_id: expect.stringMatching(/aws_lb\..*\.zone_id/), evaluate_target_health: true },
        });
      }
    }
  });

  it('has a target group per service: HTTP to the container port, ip targets, configured health check, deregistration delay', () => {
    expect(prod).toHaveResourceWithProperties(LbTargetGroup, {
      name: 'drf-api-prod-api-blue',
      port: 8000,
      protocol: 'HTTP',
      target_type: 'ip',
      deregistration_delay: '30',
      health_check: expect.objectContaining({ path: '/health/', matcher: '200', interval: 30, healthy_threshold: 3, unhealthy_threshold: 3 }),
    });
  });

  it('writes access logs to a private, encrypted, expiring bucket that the region\'s ELB account may write to', () => {
    expect(prod).toHaveResourceWithProperties(S3Bucket, { bucket_prefix: 'drf-api-prod-alb-logs-', force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(prod).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } })],
    });
    expect(prod).toHaveResourceWithProperties(S3BucketPublicAccessBlock, { block_public_acls: true, restrict_public_buckets: true });
    expect(prod).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, { rule: [expect.objectContaining({ expiration: [{ days: 365 }] })] });
    expect(prod).toHaveDataSource(DataAwsElbServiceAccount);
    const [policy] = all(prod, 'aws_s3_bucket_policy');
    expect(JSON.parse(policy.policy).Statement).toEqual([
      expect.objectContaining({ Principal: { AWS: expect.stringMatching(/data\.aws_elb_service_account/) }, Action: 's3:PutObject' }),
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  it('associates a WAF web ACL when configured, and none otherwise', () => {
    expect(all(synthOf('dev', 'app'), 'aws_wafv2_web_acl_association')).toEqual([]);
    const waf = Testing.synth(stacksFor('prod', { edge: { wafWebAclArn: WAF } }).app);
    expect(waf).toHaveResourceWithProperties(Wafv2WebAclAssociation, { web_acl_arn: WAF });
  });
});

describe('per environment', () => {
  it('deletion protection and idle timeout follow config', () => {
    const dev = Testing.synth(stacksFor('dev', { edge: { idleTimeoutSeconds: 120 } }).app);
    expect(dev).toHaveResourceWithProperties(Lb, { enable_deletion_protection: false, idle_timeout: 120 });
  });

  it('an HTTP-only environment (chosen explicitly): no certificate, no DNS, port 80 only', () => {
    const httpOnly = Testing.synth(stacksFor('dev', { edge: { domain: undefined, httpOnly: true } }).app);
    expect(all(httpOnly, 'aws_acm_certificate')).toEqual([]);
    expect(all(httpOnly, 'aws_route53_record')).toEqual([]);
    expect(all(httpOnly, 'aws_lb_listener')).toEqual([expect.objectContaining({ port: 80, protocol: 'HTTP', default_action: [expect.objectContaining({ type: 'fixed-response' })] })]);
    expect(albRules(httpOnly).map((r) => r.from_port)).toEqual([80, 80]);
    expect(JSON.parse(httpOnly).output.url.value).toMatch(/^http:\/\/\$\{aws_lb\./);
  });

  it('several services: host and path rules with their priorities, 404 for the rest', () => {
    const services = [
      { name: 'api', loadBalancer: { hosts: ['api.dev.example.com'] } },
      { name: 'admin', loadBalancer: { paths: ['/admin/*'], priority: 10 } },
    ];
    const app = Testing.synth(stacksFor('dev', { services } as never).app);
    expect(app).toHaveResourceWithProperties(LbListenerRule, { priority: 100, condition: [{ host_header: { values: ['api.dev.example.com'] } }] });
    expect(app).toHaveResourceWithProperties(LbListenerRule, { priority: 10, condition: [{ path_pattern: { values: ['/admin/*'] } }] });
    expect(app).toHaveResourceWithProperties(LbListener, { port: 443, default_action: [expect.objectContaining({ type: 'fixed-response', fixed_response: expect.objectContaining({ status_code: '404' }) })] });
  });

  it('a single service takes every path', () => {
    expect(synthOf('dev', 'app')).toHaveResourceWithProperties(LbListenerRule, { condition: [{ path_pattern: { values: ['/*'] } }] });
  });
});

describe('edge config errors', () => {
  const cases: Array<[string, string, never, string]> = [
    ['invalid domain name', 'prod', { edge: { domain: { name: 'api..example.com' } } } as never, 'prod.edge.domain.name: "api..example.com" is not a valid domain name'],
    ['domain outside its zone', 'prod', { edge: { domain: { name: 'api.example.org' } } } as never, 'prod.edge.domain.name: "api.example.org" is outside the zone "example.com"'],
    ['SAN outside the zone', 'prod', { edge: { domain: { alternativeNames: ['www.other.net'] } } } as never, 'prod.edge.domain.alternativeNames.0: "www.other.net" is outside the zone "example.com"'],
    ['health-check matcher not a code or range', 'dev', { services: [{ name: 'api', loadBalancer: { healthCheck: { matcher: 'ok' } } }] } as never, 'dev.services.0.loadBalancer.healthCheck.matcher: "ok" is not a valid HTTP code matcher'],
    ['health-check path without a leading slash', 'dev', { services: [{ name: 'api', loadBalancer: { healthCheck: { path: 'health' } } }] } as never, 'dev.services.0.loadBalancer.healthCheck.path: "health" is not a path starting with "/"'],
    ['no domain and no explicit HTTP-only', 'dev', { edge: { domain: undefined } } as never, 'dev.edge.domain: is required unless edge.httpOnly is true'],
    ['no deletion protection in production', 'prod', { edge: { deletionProtection: false } } as never, 'prod.edge.deletionProtection: must be true in production'],
    ['a domain and HTTP-only at once', 'dev', { edge: { httpOnly: true } } as never, 'dev.edge.httpOnly: cannot be true when edge.domain is set'],
    ['HTTP-only in production', 'prod', { edge: { domain: undefined, httpOnly: true } } as never, 'prod.edge.httpOnly: is not allowed in production'],
    ['several services without routing', 'dev', { services: [{ name: 'api' }, { name: 'admin' }] } as never, 'dev.services.0.loadBalancer: several services share the load balancer'],
    ['a WAF ARN that is not one', 'prod', { edge: { wafWebAclArn: 'arn:aws:s3:::bucket' } } as never, 'prod.edge.wafWebAclArn: "arn:aws:s3:::bucket" is not a regional WAFv2 web ACL ARN'],
    ['host outside the zone', 'dev', { services: [{ name: 'api', loadBalancer: { hosts: ['api.example.net'] } }] } as never, 'dev.services.0.loadBalancer.hosts.0: "api.example.net" is outside the zone "dev.example.com"'],
  ];
  it.each(cases)('%s', (_label, env, overrides, expected) => {
    expect(configProblems(env, overrides)).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });
});

describe('LoadBalancer: its group through Connections', () => {
  it('keys the internet ingress rules by source and port, moved from their earlier addresses', () => {
    const json = JSON.parse(synthOf('prod', 'app'));
    const albIngress = Object.keys(json.resource.aws_vpc_security_group_ingress_rule).filter((id) => id.startsWith('load-balancer_'));
    expect(albIngress.sort()).toEqual([
      expect.stringMatching(/^load-balancer_alb-ingress-from----0-443_/),
      expect.stringMatching(/^load-balancer_alb-ingress-from----0-80_/),
      expect.stringMatching(/^load-balancer_alb-ingress-from-0-0-0-0-0-443_/),
      expect.stringMatching(/^load-balancer_alb-ingress-from-0-0-0-0-0-80_/),
    ]);
    expect(json.moved).toContainEqual({
      from: expect.stringMatching(/\.load-balancer_ingress-443-ipv4_/),
      to: expect.stringMatching(/\.load-balancer_alb-ingress-from-0-0-0-0-0-443_/),
    });
  });
});

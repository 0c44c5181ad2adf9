// The internet-facing ALB (HTTPS, in the public subnets of all AZs),
// its access-log bucket, listeners and DNS names. Services attach their own target groups and rules.
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener, type LbListenerDefaultAction } from '@cdktf/provider-aws/lib/lb-listener';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Construct } from 'constructs';
import { movedFromSibling } from '../lib/moved';
import { Connections, Peers } from './connections';
import { PrivateBucket } from './private-bucket';

/** TLS 1.3 with TLS 1.2 fallback, no weak ciphers. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export interface LoadBalancerProps {
  /** Prefix of every name (e.g. `drf-api-prod`): the ALB, its group and its log bucket. */
  readonly namePrefix: string;
  /** The account ELB writes access logs for. */
  readonly accountId: string;
  /** VPC of the ALB's security group. */
  readonly vpcId: string;
  /** Public subnets, one per AZ. */
  readonly publicSubnetIds: string[];
  /** Dual-stack (IPv4 + IPv6); the public subnets must have IPv6 (an environment decision: the config's `network.ipv6`). */
  readonly dualStack: boolean;
  /**
   * HTTPS with this (issued) certificate; HTTP then only redirects to HTTPS. Without one the ALB
   * serves plain HTTP: only for environments that chose `httpOnly` explicitly.
   * @default none (plain HTTP)
   */
  readonly certificateArn?: string;
  /** Alias records (A and AAAA) for these names in `zoneId`. @default [] */
  readonly domainNames?: string[];
  /** Hosted zone of `domainNames`. @default none (required when `domainNames` is not empty) */
  readonly zoneId?: string;
  // Environment decisions with their defaults in the config schema (one owner): required here.
  /** Seconds an idle connection stays open. */
  readonly idleTimeoutSeconds: number;
  /** ELB deletion protection. */
  readonly deletionProtection: boolean;
  /** Days access and connection logs are kept. */
  readonly accessLogRetentionDays: number;
  /** WAFv2 web ACL to associate. @default none (no web ACL) */
  readonly wafWebAclArn?: string;
  /**
   * Production log bucket: `prevent_destroy` and versioned. Without it the bucket is `force_destroy`,
   * so destroying a throwaway environment also deletes its logs. @default false
   */
  readonly preventDestroy?: boolean;
}

const NOT_FOUND: LbListenerDefaultAction = {
  type: 'fixed-response',
  fixedResponse: { contentType: 'text/plain', statusCode: '404', messageBody: 'Not Found' },
};

export class LoadBalancer extends Construct {
  readonly arn: string;
  /** For CloudWatch dimensions and request-count scaling. */
  readonly arnSuffix: string;
  readonly dnsName: string;
  /** The ALB's security group (HTTP/HTTPS from the internet; egress only to what `connections` allows). */
  readonly securityGroupId: string;
  /** Rules of the ALB's group: `connections.allowTo(target.connections, port, description)` for each target. */
  readonly connections: Connections;
  /** Where services add their routing rules: HTTPS, or HTTP in an HTTP-only environment. */
  readonly productionListenerArn: string;
  readonly accessLogBucketName: string;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const { namePrefix } = props;
    const https = props.certificateArn !== undefined;
    const dualStack = props.dualStack;

    // ALB access and connection logs: SSE-S3 (the only encryption ALB log delivery supports); the
    // region's Elastic Load Balancing account writes them. A protected (production) bucket is
    // evidence: versioned, so an overwrite or delete keeps the old version for the retention period.
    // Elsewhere the bucket goes with the environment, objects included (force_destroy).
    const protectLogs = props.preventDestroy ?? false;
    const logRetentionDays = props.accessLogRetentionDays;
    const elbAccount = new DataAwsElbServiceAccount(this, 'elb-account', {});
    const logBucket = new PrivateBucket(this, 'access-logs', {
      bucketPrefix: `${namePrefix}-alb-logs-`,
      encryption: 'AES256',
      preventDestroy: protectLogs,
      forceDestroy: !protectLogs,
      versioned: protectLogs,
      expireAfterDays: logRetentionDays,
      ...(protectLogs ? { expireNoncurrentAfterDays: logRetentionDays } : {}),
      policyStatements: (arn) => [
        {
          Sid: 'AllowElbLogDelivery',
          Effect: 'Allow',
          Principal: { AWS: elbAccount.arn },
          Action: 's3:PutObject',
          Resource: [`${arn}/alb/AWSLogs/${props.accountId}/*`, `${arn}/alb-connections/AWSLogs/${props.accountId}/*`],
        },
      ],
    });

    const sg = new SecurityGroup(this, 'sg', {
      name: `${namePrefix}-alb`,
      description: `Internet-facing ALB of ${namePrefix}: ${https ? 'HTTP and HTTPS' : 'HTTP'} from anywhere`,
      vpcId: props.vpcId,
      tags: { Name: `${namePrefix}-alb` },
    });
    // The ALB's group is owned here. Internet ingress is added below; egress only to targets, by
    // whoever attaches them: `loadBalancer.connections.allowTo(service.connections, port, description)`
    // adds the ALB's egress rule (under this construct) and the target's ingress rule (under its owner).
    this.connections = new Connections(this, { securityGroupId: sg.id, key: 'alb' });
    const ports = https ? [80, 443] : [80];
    const sources: Array<['ipv4' | 'ipv6', string]> = dualStack ? [['ipv4', '0.0.0.0/0'], ['ipv6', '::/0']] : [['ipv4', '0.0.0.0/0']];
    for (const port of ports) {
      for (const [family, cidr] of sources) {
        const rule = this.connections.allowFrom(Peers.cidr(cidr), port, `${port === 443 ? 'HTTPS' : 'HTTP'} from the internet (${family})`);
        movedFromSibling(rule, `ingress-${port}-${family}`);
      }
    }

    const alb = new Lb(this, 'alb', {
      name: namePrefix,
      internal: false,
      loadBalancerType: 'application',
      securityGroups: [sg.id],
      subnets: props.publicSubnetIds,
      ipAddressType: dualStack ? 'dualstack' : 'ipv4',
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection,
      idleTimeout: props.idleTimeoutSeconds,
      accessLogs: { bucket: logBucket.bucketName, prefix: 'alb', enabled: true },
      // Connection logs: client address, port and TLS details of every connection, also refused ones.
      connectionLogs: { bucket: logBucket.bucketName, prefix: 'alb-connections', enabled: true },
      dependsOn: [logBucket.policy],
      tags: { Name: namePrefix },
    });

    let productionListener: LbListener;
    if (https) {
      productionListener = new LbListener(this, 'https', {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: TLS_POLICY,
        certificateArn: props.certificateArn,
        defaultAction: [NOT_FOUND],
      });
      new LbListener(this, 'http', {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
      });
    } else {
      productionListener = new LbListener(this, 'http', {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [NOT_FOUND],
      });
    }

    const domainNames = props.domainNames ?? [];
    if (domainNames.length > 0 && props.zoneId === undefined) throw new Error(`${this.node.path}: domainNames need a zoneId`);
    for (const name of domainNames) {
      for (const type of dualStack ? ['A', 'AAAA'] : ['A']) {
        new Route53Record(this, `alias-${name}-${type}`, {
          zoneId: props.zoneId as string,
          name,
          type,
          alias: { name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true },
        });
      }
    }

    if (props.wafWebAclArn) {
      new Wafv2WebAclAssociation(this, 'waf', { resourceArn: alb.arn, webAclArn: props.wafWebAclArn });
    }

    this.arn = alb.arn;
    this.arnSuffix = alb.arnSuffix;
    this.dnsName = alb.dnsName;
    this.securityGroupId = sg.id;
    this.productionListenerArn = productionListener.arn;
    this.accessLogBucketName = logBucket.bucketName;
  }
}

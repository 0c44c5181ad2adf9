import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { ElasticacheUser } from '@cdktf/provider-aws/lib/elasticache-user';
import { ElasticacheUserGroup } from '@cdktf/provider-aws/lib/elasticache-user-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Peers } from '../src/constructs/connections';
import { Testing } from 'cdktf';
import { Cache, type CacheProps } from '../src/constructs/cache';
import { CacheAlarms } from '../src/constructs/cache-alarms';
import type { Statement } from '../src/lib/iam';
import { dailyOverlapsWeekly } from '../src/lib/windows';
import { DataStack } from '../src/stacks/data-stack';
import { NetworkStack } from '../src/stacks/network-stack';
import { configFor, resourcesIn, type Overrides } from './helpers';

const base: CacheProps = {
  namePrefix: 'drf-api-prod',
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a', 'subnet-b'],
  engineVersion: '8.0',
  nodeType: 'cache.t4g.micro',
};

function synth(overrides: Partial<CacheProps> = {}, use?: (cache: Cache) => void): string {
  return Testing.synthScope((scope) => {
    const cache = new Cache(scope, 'cache', { ...base, ...overrides });
    use?.(cache);
  });
}

describe('Cache', () => {
  const single = synth();
  const prod = synth({ replicas: 2, multiAz: true, snapshotRetentionDays: 7, nodeType: 'cache.r7g.large' });

  it('is a non-clustered Valkey replication group in the data subnets, pinned to its version', () => {
    expect(single).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      replication_group_id: 'drf-api-prod-cache',
      engine: 'valkey',
      engine_version: '8.0',
      auto_minor_version_upgrade: 'false',
      node_type: 'cache.t4g.micro',
      port: 6379,
      num_cache_clusters: 1,
      automatic_failover_enabled: false,
      multi_az_enabled: false,
      subnet_group_name: expect.stringMatching(/aws_elasticache_subnet_group\.cache_subnets_.*\.name/),
      security_group_ids: [expect.stringMatching(/aws_security_group\.cache_sg_.*\.id/)],
    });
    expect(resourcesIn(single, 'aws_elasticache_replication_group')[0].cluster_mode).toBeUndefined();
    expect(single).toHaveResourceWithProperties(ElasticacheSubnetGroup, { name: 'drf-api-prod-cache', subnet_ids: ['subnet-a', 'subnet-b'] });
    expect(synth({ engine: 'redis', engineVersion: '7.1' })).toHaveResourceWithProperties(ElasticacheReplicationGroup, { engine: 'redis', engine_version: '7.1' });
  });

  it('encrypts in transit (TLS required) and at rest', () => {
    expect(single).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      transit_encryption_enabled: true,
      transit_encryption_mode: 'required',
      at_rest_encryption_enabled: 'true',
    });
    expect(resourcesIn(single, 'aws_elasticache_replication_group')[0].kms_key_id).toBeUndefined();
    expect(synth({ kmsKeyArn: 'arn:aws:kms:ap-northeast-1:111122223333:key/k' })).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      kms_key_id: 'arn:aws:kms:ap-northeast-1:111122223333:key/k',
    });
  });

  it('authenticates through an RBAC group: an IAM user (id = name) and a disabled default user, no password anywhere', () => {
    expect(single).toHaveResourceWithProperties(ElasticacheUser, {
      user_id: 'drf-api-prod-cache-app',
      user_name: 'drf-api-prod-cache-app',
      engine: 'redis',
      access_string: 'on ~* +@all',
      authentication_mode: { type: 'iam' },
    });
    expect(single).toHaveResourceWithProperties(ElasticacheUser, {
      user_id: 'drf-api-prod-cache-default',
      user_name: 'default',
      access_string: 'off -@all',
      authentication_mode: { type: 'no-password-required' },
    });
    expect(single).toHaveResourceWithProperties(ElasticacheUserGroup, {
      user_group_id: 'drf-api-prod-cache',
      engine: 'redis',
      user_ids: [expect.stringMatching(/default-user.*user_id/), expect.stringMatching(/app-user.*user_id/)],
    });
    expect(single).toHaveResourceWithProperties(ElasticacheReplicationGroup, { user_group_ids: [expect.stringMatching(/aws_elasticache_user_group\.cache_user-group_.*\.user_group_id/)] });
    for (const user of resourcesIn(single, 'aws_elasticache_user')) expect(user.passwords).toBeUndefined();
    expect(resourcesIn(single, 'aws_elasticache_replication_group')[0].auth_token).toBeUndefined();
    expect(synth({ accessString: 'on ~app:* +@all -@dangerous' })).toHaveResourceWithProperties(ElasticacheUser, { access_string: 'on ~app:* +@all -@dangerous' });
  });

  it('admits its port only from its clients\' group, which may only reach the cache', () => {
    expect(single).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: expect.stringMatching(/aws_security_group\.cache_sg_/),
      referenced_security_group_id: expect.stringMatching(/aws_security_group\.cache_client-sg_/),
      ip_protocol: 'tcp',
      from_port: 6379,
      to_port: 6379,
      description: 'valkey from cache clients',
    });
    expect(single).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      security_group_id: expect.stringMatching(/client-sg/),
      referenced_security_group_id: expect.stringMatching(/aws_security_group\.cache_sg_/),
      from_port: 6379,
      to_port: 6379,
      description: 'valkey to the cache',
    });
    const rules = [...resourcesIn(single, 'aws_vpc_security_group_ingress_rule'), ...resourcesIn(single, 'aws_vpc_security_group_egress_rule')];
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.cidr_ipv4).toBeUndefined();
      expect(rule.description).toBeTruthy();
    }
  });

  it('connections.allowFrom admits one more group on the cache port, with its description', () => {
    const more = synth({ port: 6380 }, (cache) => cache.connections.allowFrom(Peers.securityGroup('sg-bastion', 'bastion'), 6380, 'valkey from the bastion'));
    expect(more).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      referenced_security_group_id: 'sg-bastion',
      from_port: 6380,
      to_port: 6380,
      description: 'valkey from the bastion',
    });
  });

  it('in production: replicas, automatic failover, Multi-AZ, snapshots kept', () => {
    expect(prod).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      num_cache_clusters: 3,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      snapshot_retention_limit: 7,
      snapshot_window: '16:00-17:00',
      maintenance_window: 'sun:18:00-sun:19:00',
      node_type: 'cache.r7g.large',
    });
  });

  it('is protected from destroy unless told otherwise, and applies changes in its maintenance window', () => {
    expect(single).toHaveResourceWithProperties(ElasticacheReplicationGroup, { lifecycle: { prevent_destroy: true }, apply_immediately: false, snapshot_retention_limit: 1 });
    expect(synth({ preventDestroy: false, applyImmediately: true, snapshotRetentionDays: 0 })).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      lifecycle: { prevent_destroy: false },
      apply_immediately: true,
      snapshot_retention_limit: 0,
    });
  });

  it('delivers slow-log and engine-log to log groups with retention', () => {
    expect(single).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/elasticache/drf-api-prod-cache/slow-log', retention_in_days: 30 });
    expect(single).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/elasticache/drf-api-prod-cache/engine-log', retention_in_days: 30 });
    expect(single).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      log_delivery_configuration: expect.arrayContaining([
        expect.objectContaining({ destination_type: 'cloudwatch-logs', log_format: 'json', log_type: 'slow-log', destination: expect.stringMatching(/logs-slow-log.*\.name/) }),
        expect.objectContaining({ log_type: 'engine-log', destination: expect.stringMatching(/logs-engine-log.*\.name/) }),
      ]),
    });
    expect(synth({ logRetentionDays: 90 })).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: 90 });
  });

  it('exposes deterministic node ids, the connect statement and the app environment', () => {
    let cache: Cache | undefined;
    synth({ replicas: 2, multiAz: true }, (c) => (cache = c));
    expect(cache!.nodeIds).toEqual(['drf-api-prod-cache-001', 'drf-api-prod-cache-002', 'drf-api-prod-cache-003']);
    const statement = cache!.connectStatement();
    expect(statement.Action).toBe('elasticache:Connect');
    expect(statement.Resource).toEqual([cache!.arn, cache!.appUserArn]);
    const env = cache!.environment({ url: 'CACHE_URL' });
    expect(Object.keys(env).sort()).toEqual(['CACHE_IAM_AUTH', 'CACHE_NAME', 'CACHE_URL', 'CACHE_USER']);
    expect(env.CACHE_URL).toMatch(/^rediss:\/\/drf-api-prod-cache-app@.*:6379\/0$/);
    expect(env.CACHE_IAM_AUTH).toBe('true');
    expect(Object.keys(cache!.environment())).toContain('REDIS_URL');
  });

  it.each<[string, Partial<CacheProps>, RegExp]>([
    ['a Valkey version without IAM auth', { engineVersion: '7.1' }, /engineVersion "7.1" is not a valkey/],
    ['a major-only version', { engineVersion: '8' }, /engineVersion "8"/],
    ['a Redis OSS 6 version', { engine: 'redis', engineVersion: '6.2' }, /engineVersion "6.2" is not a redis/],
    ['Multi-AZ without replicas', { multiAz: true }, /multiAz needs at least one replica/],
    ['too many replicas', { replicas: 6 }, /replicas must be 0-5/],
    ['overlapping windows', { snapshotWindow: '18:30-19:30', maintenanceWindow: 'sun:18:00-sun:19:00' }, /overlaps maintenanceWindow/],
    ['a short snapshot window', { snapshotWindow: '16:00-16:30' }, /snapshotWindow "16:00-16:30" must be/],
    ['a malformed maintenance window', { maintenanceWindow: 'sunday 18:00' }, /maintenanceWindow "sunday 18:00" must be/],
    ['a retention beyond 35 days', { snapshotRetentionDays: 36 }, /snapshotRetentionDays must be 0-35/],
    ['an id ElastiCache refuses', { namePrefix: 'Drf--api' }, /replication group id "Drf--api-cache"/],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => synth(overrides)).toThrow(message);
  });
});

describe('window overlap', () => {
  it('sees a daily window inside a weekly one, on any day, across midnight and the week end', () => {
    expect(dailyOverlapsWeekly('16:00-17:00', 'sun:18:00-sun:19:00')).toBe(false);
    expect(dailyOverlapsWeekly('18:30-19:30', 'wed:18:00-wed:19:00')).toBe(true);
    expect(dailyOverlapsWeekly('23:30-00:30', 'sun:00:00-sun:01:00')).toBe(true);
    expect(dailyOverlapsWeekly('23:30-00:30', 'sat:23:00-sun:00:15')).toBe(true);
    expect(dailyOverlapsWeekly('17:00-18:00', 'sun:18:00-sun:19:00')).toBe(false);
  });
});

describe('CacheAlarms', () => {
  const alarms = (thresholds?: ConstructorParameters<typeof CacheAlarms>[2]['thresholds']) =>
    Testing.synthScope((scope) => {
      new CacheAlarms(scope, 'cache-alarms', { nodeIds: ['drf-api-prod-cache-001', 'drf-api-prod-cache-002'], topicArn: 'arn:topic', thresholds });
    });

  it('watches CPU, engine CPU, memory, evictions and connections of every node, notifying the topic', () => {
    const synthesized = alarms();
    expect(resourcesIn(synthesized, 'aws_cloudwatch_metric_alarm')).toHaveLength(10);
    const expected: Array<[string, string, number, string]> = [
      ['cpu-high', 'CPUUtilization', 90, 'GreaterThanThreshold'],
      ['engine-cpu-high', 'EngineCPUUtilization', 90, 'GreaterThanThreshold'],
      ['memory-high', 'DatabaseMemoryUsagePercentage', 80, 'GreaterThanThreshold'],
      ['evictions', 'Evictions', 1, 'GreaterThanOrEqualToThreshold'],
      ['connections-high', 'CurrConnections', 1000, 'GreaterThanThreshold'],
    ];
    for (const node of ['drf-api-prod-cache-001', 'drf-api-prod-cache-002']) {
      for (const [key, metric, threshold, comparison] of expected) {
        expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
          alarm_name: `${node}-${key}`,
          namespace: 'AWS/ElastiCache',
          metric_name: metric,
          dimensions: { CacheClusterId: node },
          threshold,
          comparison_operator: comparison,
          alarm_actions: ['arn:topic'],
          ok_actions: ['arn:topic'],
        });
      }
    }
  });

  it('takes thresholds from props', () => {
    const synthesized = alarms({ cpuPercent: 70, engineCpuPercent: 75, memoryPercent: 60, evictionsPer5Minutes: 50, connections: 200 });
    for (const [metric, threshold] of [['CPUUtilization', 70], ['EngineCPUUtilization', 75], ['DatabaseMemoryUsagePercentage', 60], ['Evictions', 50], ['CurrConnections', 200]] as const) {
      expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, { metric_name: metric, threshold });
    }
  });
});

describe('Cache: Connections and grants', () => {
  it('keys its client rules by content (the data stack moves existing ones: database.spec.ts)', () => {
    const json = JSON.parse(synth());
    expect(Object.keys(json.resource.aws_vpc_security_group_ingress_rule)).toEqual([expect.stringMatching(/^cache_cache-ingress-from-cache-clients-6379_/)]);
    expect(Object.keys(json.resource.aws_vpc_security_group_egress_rule)).toEqual([expect.stringMatching(/^cache_cache-clients-egress-to-cache-6379_/)]);
  });

  it('grantConnect gives elasticache:Connect on the group and the application user', () => {
    const statements: Statement[] = [];
    const collector = { addToPolicy: (...added: Statement[]) => void statements.push(...added) };
    let granted: Cache | undefined;
    synth({}, (cache) => {
      granted = cache;
      cache.grantConnect(collector);
    });
    expect(statements).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'elasticache:Connect', Resource: [granted!.arn, granted!.appUserArn] })]);
  });
});

describe('cache.storageEncryption (issue 18.7)', () => {
  const group = (overrides: Overrides) => {
    const app = Testing.app();
    const config = configFor('prod', overrides);
    const network = new NetworkStack(app, config);
    return resourcesIn(Testing.synth(new DataStack(app, { config, network: network.network })), 'aws_elasticache_replication_group')[0];
  };

  it('encrypts the nodes with the data key by default', () => {
    expect(group({}).kms_key_id).toMatch(/aws_kms_key\.data-key_.*\.arn/);
  });

  it('awsManaged keeps an existing cache on the AWS-managed key', () => {
    expect(group({ cache: { storageEncryption: 'awsManaged' } } as Overrides).kms_key_id).toBeUndefined();
  });
});

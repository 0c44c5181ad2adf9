// ElastiCache (Valkey or Redis OSS) for Django's cache, sessions and a Celery broker: a replication group
// in the data subnets, TLS only, encrypted at rest, and no password anywhere — the application
// authenticates as an IAM-authenticated RBAC user with a short-lived token signed by its task role.
//
// Cluster mode stays disabled (one shard, a primary and read replicas): Celery's Redis transport and
// django-redis expect a single keyspace, and a non-clustered group behaves the same in every environment.
// Dev runs the same resource with one node instead of ElastiCache Serverless: Serverless is always
// cluster-mode (CROSSSLOT errors for multi-key commands Celery uses), has other metrics and alarms, and
// costs at least as much as one cache.t4g.micro (~12 USD a month); same behaviour beats a small saving.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { ElasticacheUser } from '@cdktf/provider-aws/lib/elasticache-user';
import { ElasticacheUserGroup } from '@cdktf/provider-aws/lib/elasticache-user-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Construct } from 'constructs';
import type { Grantable } from '../lib/grants';
import type { Statement } from '../lib/iam';
import { Connections } from './connections';
import { dailyOverlapsWeekly, parseDailyWindow, parseWeeklyWindow } from '../lib/windows';
import { CACHE_DEFAULTS, CACHE_ENGINE_VERSION, type CacheEngine } from './cache-defaults';

export { CACHE_DEFAULTS, CACHE_ENGINE_VERSION, type CacheEngine };

/** ElastiCache replication group ids: 1–40 characters, lower case, starting with a letter, no `--`, no trailing `-`. */
const REPLICATION_GROUP_ID = /^[a-z](?!.*--)[a-z0-9-]{0,39}(?<!-)$/;

/** Slow-log and engine-log go to CloudWatch Logs (JSON). */
const LOG_TYPES = ['slow-log', 'engine-log'] as const;

export interface CacheProps {
  /** Prefix of every name (e.g. `drf-api-prod`); the replication group is `<prefix>-cache`. */
  readonly namePrefix: string;
  /** VPC of the subnets. */
  readonly vpcId: string;
  /** Subnets of the cache nodes: the data tier (no route out of the VPC). */
  readonly subnetIds: string[];
  /** Engine; both are wire-compatible for Django and Celery. @default "valkey" */
  readonly engine?: CacheEngine;
  /**
   * `major.minor` (ElastiCache's own format for Valkey and Redis OSS ≥ 7; patch versions are applied by
   * AWS). Terraform owns the version: automatic minor upgrades are off, because an AWS-side minor upgrade
   * makes the configured version look like a downgrade, which the provider plans as a replacement.
   * Upgrade by changing this value (an in-place, online modification).
   */
  readonly engineVersion: string;
  /** Node type of every node, e.g. `cache.t4g.micro`, `cache.r7g.large`. */
  readonly nodeType: string;
  /** Read replicas beside the primary. @default 0 */
  readonly replicas?: number;
  /**
   * Automatic failover to a replica in another AZ, and Multi-AZ placement. Needs `replicas` ≥ 1.
   * @default false
   */
  readonly multiAz?: boolean;
  /** Days of automatic daily snapshots kept (0 turns snapshots off). @default 1 */
  readonly snapshotRetentionDays?: number;
  /** Daily snapshot window, UTC `hh:mm-hh:mm`, at least 60 minutes. @default "16:00-17:00" */
  readonly snapshotWindow?: string;
  /**
   * Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm`, at least 60 minutes, not overlapping the
   * snapshot window. @default "sun:18:00-sun:19:00"
   */
  readonly maintenanceWindow?: string;
  /** TCP port of the cache. @default 6379 */
  readonly port?: number;
  /**
   * Customer-managed KMS key for encryption at rest. Changing it REPLACES an existing replication group.
   * @default the AWS-managed ElastiCache key
   */
  readonly kmsKeyArn?: string;
  /** Customer-managed KMS key of the slow-log and engine-log log groups (an in-place change). @default CloudWatch Logs' own encryption */
  readonly logKmsKeyArn?: string;
  /**
   * ACL rules of the application's user (Valkey/Redis ACL syntax, without passwords).
   * @default "on ~* +@all" (the application owns the whole cache)
   */
  readonly accessString?: string;
  /** Retention of the slow-log and engine-log log groups. @default 30 */
  readonly logRetentionDays?: number;
  /** Terraform `prevent_destroy` on the replication group: a plan that would destroy or replace it fails. @default true */
  readonly preventDestroy?: boolean;
  /** Apply modifications at once instead of in the maintenance window. @default false */
  readonly applyImmediately?: boolean;
}

/** The application's connection settings as container environment variables (none of them secret). */
export interface CacheEnvironmentNames {
  /** `rediss://<user>@<primary endpoint>:<port>/0`. @default "REDIS_URL" */
  readonly url?: string;
}

/** The log groups of a cache named `namePrefix` (a pattern, for the key policy of their KMS key). */
export function cacheLogGroupPattern(namePrefix: string): string {
  return `/aws/elasticache/${namePrefix}-cache/*`;
}

export class Cache extends Construct {
  /** Replication group id (`<prefix>-cache`): also the cache name an IAM auth token is signed for. */
  readonly replicationGroupId: string;
  readonly arn: string;
  /** Host name of the primary (writes). */
  readonly primaryEndpoint: string;
  /** Host name that balances over the replicas (reads; the primary when there are none). */
  readonly readerEndpoint: string;
  readonly port: number;
  readonly engine: CacheEngine;
  /**
   * Ids of the member clusters (one per node, `<group id>-001`, `-002`, …): the `CacheClusterId`
   * dimension of ElastiCache's CloudWatch metrics. Deterministic, so alarms in other stacks need no reference.
   */
  readonly nodeIds: string[];
  /** User id (= user name, as IAM authentication requires) the application connects as. */
  readonly appUserId: string;
  readonly appUserArn: string;
  /** Attach this group to whatever must reach the cache: the cache admits its port from it. */
  readonly clientSecurityGroupId: string;
  /** The cache's own group. */
  readonly securityGroupId: string;
  /**
   * Rules of the cache's group. Consumers in the same stack may `allowFrom` their own `Connections`;
   * consumers in stacks that depend on this one attach `clientSecurityGroupId` instead, so no rule
   * points back across stacks.
   */
  readonly connections: Connections;
  /** Rules of the clients' group (egress to the cache on its port). */
  readonly clientConnections: Connections;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const engine = props.engine ?? CACHE_DEFAULTS.engine;
    const replicas = props.replicas ?? CACHE_DEFAULTS.replicas;
    const multiAz = props.multiAz ?? false;
    const snapshotWindow = props.snapshotWindow ?? CACHE_DEFAULTS.snapshotWindow;
    const maintenanceWindow = props.maintenanceWindow ?? CACHE_DEFAULTS.maintenanceWindow;
    const port = props.port ?? CACHE_DEFAULTS.port;
    const groupId = `${props.namePrefix}-cache`;
    validate(props, { engine, groupId, replicas, multiAz, snapshotWindow, maintenanceWindow });

    this.securityGroupId = new SecurityGroup(this, 'sg', {
      name: groupId,
      description: `${engine} of ${props.namePrefix}: admits ${port} from its clients only`,
      vpcId: props.vpcId,
      tags: { Name: groupId },
    }).id;
    this.port = port;
    const clientSg = new SecurityGroup(this, 'client-sg', {
      name: `${groupId}-clients`,
      description: `Clients of the ${engine} cache of ${props.namePrefix}`,
      vpcId: props.vpcId,
      tags: { Name: `${groupId}-clients` },
    });
    this.clientSecurityGroupId = clientSg.id;
    // Both groups are owned here: the cache admits its port from its clients' group only.
    this.connections = new Connections(this, { securityGroupId: this.securityGroupId, key: 'cache' });
    this.clientConnections = new Connections(this, { securityGroupId: clientSg.id, key: 'cache-clients' });
    this.connections.allowFrom(this.clientConnections, port, { ingress: `${engine} from cache clients`, egress: `${engine} to the cache` });

    const subnetGroup = new ElasticacheSubnetGroup(this, 'subnets', {
      name: groupId,
      description: `Data subnets of ${props.namePrefix}`,
      subnetIds: props.subnetIds,
    });

    // RBAC. User ids are unique per account and region, hence the prefix. The group's engine is "redis"
    // for both engines: a Valkey cluster accepts Redis user groups, and only those may hold the
    // password-less `default` user every group must contain — here disabled, so a client that does not
    // authenticate can run nothing.
    const defaultUser = new ElasticacheUser(this, 'default-user', {
      userId: `${groupId}-default`,
      userName: 'default',
      engine: 'redis',
      accessString: 'off -@all',
      authenticationMode: { type: 'no-password-required' },
    });
    // IAM authentication: no password exists; the user id must equal the user name.
    this.appUserId = `${groupId}-app`;
    const appUser = new ElasticacheUser(this, 'app-user', {
      userId: this.appUserId,
      userName: this.appUserId,
      engine: 'redis',
      accessString: props.accessString ?? 'on ~* +@all',
      authenticationMode: { type: 'iam' },
    });
    this.appUserArn = appUser.arn;
    const userGroup = new ElasticacheUserGroup(this, 'user-group', {
      userGroupId: groupId,
      engine: 'redis',
      userIds: [defaultUser.userId, appUser.userId],
    });

    const logGroups = LOG_TYPES.map(
      (type) =>
        new CloudwatchLogGroup(this, `logs-${type}`, {
          name: `/aws/elasticache/${groupId}/${type}`,
          retentionInDays: props.logRetentionDays ?? 30,
          kmsKeyId: props.logKmsKeyArn,
        }),
    );

    const preventDestroy = props.preventDestroy ?? true;
    const group = new ElasticacheReplicationGroup(this, 'replication-group', {
      replicationGroupId: groupId,
      description: `${engine} cache, sessions and task broker of ${props.namePrefix}`,
      engine,
      engineVersion: props.engineVersion,
      autoMinorVersionUpgrade: 'false',
      nodeType: props.nodeType,
      port,
      numCacheClusters: 1 + replicas,
      automaticFailoverEnabled: multiAz,
      multiAzEnabled: multiAz,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [this.securityGroupId],
      atRestEncryptionEnabled: 'true',
      kmsKeyId: props.kmsKeyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      userGroupIds: [userGroup.userGroupId],
      snapshotRetentionLimit: props.snapshotRetentionDays ?? CACHE_DEFAULTS.snapshotRetentionDays,
      snapshotWindow,
      maintenanceWindow,
      applyImmediately: props.applyImmediately ?? false,
      logDeliveryConfiguration: logGroups.map((logGroup, i) => ({
        destination: logGroup.name,
        destinationType: 'cloudwatch-logs',
        logFormat: 'json',
        logType: LOG_TYPES[i],
      })),
      lifecycle: { preventDestroy },
      tags: { Name: groupId },
    });

    this.replicationGroupId = group.replicationGroupId;
    this.arn = group.arn;
    this.primaryEndpoint = group.primaryEndpointAddress;
    this.readerEndpoint = group.readerEndpointAddress;
    this.engine = engine;
    this.nodeIds = Array.from({ length: 1 + replicas }, (_, i) => `${groupId}-${String(i + 1).padStart(3, '0')}`);
  }

  /**
   * The statement a task role needs to connect as the application user: `elasticache:Connect` on this
   * replication group and this user (both are required). Put it in the role's own policy.
   */
  connectStatement(): Statement {
    return { Sid: 'CacheConnect', Effect: 'Allow', Action: 'elasticache:Connect', Resource: [this.arn, this.appUserArn] };
  }

  /**
   * Lets `grantee` connect as the application user with an IAM auth token (`connectStatement()`).
   * @example cache.grantConnect(taskRole)
   */
  grantConnect(grantee: Grantable): void {
    grantee.addToPolicy(this.connectStatement());
  }

  /**
   * Non-secret environment variables for the application: the URL (no password: the app signs an IAM
   * token as the password, for `CACHE_NAME` and `CACHE_USER`, with its task role's credentials) and
   * `CACHE_IAM_AUTH=true`.
   */
  environment(names: CacheEnvironmentNames = {}): Record<string, string> {
    return {
      [names.url ?? CACHE_DEFAULTS.urlEnvVar]: `rediss://${this.appUserId}@${this.primaryEndpoint}:${this.port}/0`,
      CACHE_NAME: this.replicationGroupId,
      CACHE_USER: this.appUserId,
      CACHE_IAM_AUTH: 'true',
    };
  }
}

function validate(
  props: CacheProps,
  resolved: { engine: CacheEngine; groupId: string; replicas: number; multiAz: boolean; snapshotWindow: string; maintenanceWindow: string },
): void {
  const { engine, groupId, replicas, multiAz, snapshotWindow, maintenanceWindow } = resolved;
  const problems: string[] = [];
  if (!REPLICATION_GROUP_ID.test(groupId)) problems.push(`replication group id "${groupId}" must be 1-40 lower-case letters, digits and single hyphens, starting with a letter`);
  if (!CACHE_ENGINE_VERSION[engine].test(props.engineVersion)) {
    problems.push(`engineVersion "${props.engineVersion}" is not a ${engine} major.minor version with IAM authentication (valkey ≥ 7.2, redis ≥ 7.0)`);
  }
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 5) problems.push(`replicas must be 0-5, got ${replicas}`);
  if (multiAz && replicas < 1) problems.push('multiAz needs at least one replica to fail over to');
  const snapshot = parseDailyWindow(snapshotWindow);
  const maintenance = parseWeeklyWindow(maintenanceWindow);
  if (!snapshot || snapshot.minutes < 60) problems.push(`snapshotWindow "${snapshotWindow}" must be hh:mm-hh:mm (UTC), at least 60 minutes`);
  if (!maintenance || maintenance.minutes < 60) problems.push(`maintenanceWindow "${maintenanceWindow}" must be ddd:hh:mm-ddd:hh:mm (UTC), at least 60 minutes`);
  if (dailyOverlapsWeekly(snapshotWindow, maintenanceWindow)) problems.push(`snapshotWindow "${snapshotWindow}" overlaps maintenanceWindow "${maintenanceWindow}"`);
  const retention = props.snapshotRetentionDays ?? CACHE_DEFAULTS.snapshotRetentionDays;
  if (!Number.isInteger(retention) || retention < 0 || retention > 35) problems.push(`snapshotRetentionDays must be 0-35, got ${retention}`);
  if (problems.length > 0) throw new Error(`Cache ${groupId}: ${problems.join('; ')}`);
}

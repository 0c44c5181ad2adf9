// `<env>-data`: the stateful stores (database, container images). Its own state, so an application
// deploy never touches it; images are pushed here before the first app deploy.
import { TerraformOutput, type TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { Cache, cacheLogGroupPattern } from '../constructs/cache';
import { ContainerRegistry } from '../constructs/container-registry';
import { CustomerKey } from '../constructs/customer-key';
import { Database, databaseLogGroupPattern } from '../constructs/database';
import type { Network } from '../constructs/network';
import { movedFromSibling } from '../lib/moved';
import { promotionReaders } from './promotion';
import { WorkloadStack } from './workload-stack';

export interface DataStackProps {
  readonly config: EnvironmentConfig;
  /**
   * Every environment of the app, in declaration order (src/config/environments.ts): the promotion
   * chain, whose next environment of a service may read this environment's image tags from another account.
   * @default [config] (no later environment)
   */
  readonly environments?: readonly EnvironmentConfig[];
  readonly network: Pick<Network, 'vpcId' | 'dbSubnetGroupName' | 'dataSubnetIds'>;
}

export class DataStack extends WorkloadStack {
  readonly database: Database;
  /** Customer-managed key of the environment's data (log groups, master secret). */
  readonly dataKey: CustomerKey;
  readonly registry: ContainerRegistry;
  /** ElastiCache of the environment, when its config has a `cache` block. */
  readonly cache?: Cache;

  constructor(scope: Construct, props: DataStackProps) {
    const { config, network } = props;
    super(scope, 'data', { config });
    const db = config.database;
    // The environment's data key: the database's storage (database.storageEncryption), log groups and
    // master secret, the cache's storage (cache.storageEncryption) and log groups; used only by CloudWatch Logs (for these groups) and by
    // RDS, Secrets Manager and ElastiCache on behalf of this account. Moving an existing database's
    // storage to this key replaces it (README "Security": the snapshot-copy-restore migration).
    this.dataKey = new CustomerKey(this, 'data-key', {
      alias: `${this.prefix}/data`,
      description: `Database and cache data of ${this.prefix}: storage, log groups, the master secret`,
      accountId: this.accountId,
      region: config.region,
      partition: config.partition,
      logGroupNames: [databaseLogGroupPattern(this.prefix), ...(config.cache ? [cacheLogGroupPattern(this.prefix)] : [])],
      viaServices: ['rds', 'secretsmanager', 'elasticache'],
      preventDestroy: config.production,
    });
    this.database = new Database(this, 'database', {
      namePrefix: this.prefix,
      vpcId: network.vpcId,
      dbSubnetGroupName: network.dbSubnetGroupName,
      engineVersion: db.engineVersion,
      instanceClass: db.instanceClass,
      databaseName: db.databaseName,
      masterUsername: db.masterUsername,
      allocatedStorageGiB: db.allocatedStorageGiB,
      maxAllocatedStorageGiB: db.maxAllocatedStorageGiB,
      multiAz: db.multiAz,
      backupRetentionDays: db.backupRetentionDays,
      backupWindow: db.backupWindow,
      maintenanceWindow: db.maintenanceWindow,
      deletionProtection: db.deletionProtection,
      skipFinalSnapshot: db.skipFinalSnapshot,
      preventDestroy: config.production,
      slowQueryMs: db.slowQueryMs,
      databaseInsights: db.databaseInsights,
      readReplicas: db.readReplicas,
      logRetentionDays: db.logRetentionDays,
      // Production's policy; elsewhere the construct's default (off).
      monitoringIntervalSeconds: db.monitoringIntervalSeconds ?? (config.production ? 60 : undefined),
      partition: config.partition,
      masterSecretKmsKeyArn: this.dataKey.arn,
      // A storage key change replaces an existing instance: a config decision (database.storageEncryption).
      storageKmsKeyArn: db.storageEncryption === 'customerKey' ? this.dataKey.arn : undefined,
      logKmsKeyArn: this.dataKey.arn,
    });
    // Deployments of earlier versions named the client rules by role; `moved` keeps them in place.
    // (Here, not in the constructs: a construct carrying its own history could not be moved again.)
    movedFromSibling(this.database.node.findChild('db-ingress-from-db-clients-5432') as TerraformResource, 'ingress-from-clients');
    movedFromSibling(this.database.node.findChild('db-clients-egress-to-db-5432') as TerraformResource, 'clients-egress-to-db');
    this.registry = new ContainerRegistry(this, 'registry', {
      namePrefix: this.prefix,
      services: config.services.map((svc) => svc.name),
      // The app stack's template revisions name this image: the service runs it until the first release.
      pinnedTags: [config.imageTag],
      // The next environment of each service, when in another account, checks what this one released.
      tagReaders: promotionReaders(props.environments ?? [config], config),
      preventDestroy: config.production,
    });
    if (config.cache) this.cache = this.buildCache(config.cache, network, config.production);
    new TerraformOutput(this, 'repository_urls', {
      value: Object.fromEntries(Object.entries(this.registry.repositories).map(([svc, repo]) => [svc, repo.url])),
      description: 'Where CI pushes each service image (docker push <url>:<git sha>)',
    });
    new TerraformOutput(this, 'db_address', { value: this.database.address, description: 'Host name of the primary database (DB_HOST)' });
    new TerraformOutput(this, 'db_resource_id', {
      value: this.database.resourceId,
      description: 'Resource id of the primary (db-...): names it in rds-db:connect ARNs for IAM database authentication',
    });
    new TerraformOutput(this, 'db_master_secret_arn', {
      value: this.database.masterUserSecretArn,
      description: 'Secrets Manager secret with the master username and password (managed and rotated by RDS)',
    });
    new TerraformOutput(this, 'db_client_security_group_id', {
      value: this.database.clientSecurityGroupId,
      description: 'Security group to attach to whatever must reach the database (the only source it admits)',
    });
    new TerraformOutput(this, 'data_kms_key_arn', {
      value: this.dataKey.arn,
      description: 'Customer-managed KMS key of the database and cache log groups and the master secret (readers of the secret need kms:Decrypt on it)',
    });
  }

  /** The cache in the data subnets (stored sessions: prevent_destroy in production), and its outputs. */
  private buildCache(settings: NonNullable<EnvironmentConfig['cache']>, network: DataStackProps['network'], production: boolean): Cache {
    const cache = new Cache(this, 'cache', {
      namePrefix: this.prefix,
      vpcId: network.vpcId,
      subnetIds: network.dataSubnetIds,
      engine: settings.engine,
      engineVersion: settings.engineVersion,
      nodeType: settings.nodeType,
      replicas: settings.replicas,
      multiAz: settings.multiAz,
      snapshotRetentionDays: settings.snapshotRetentionDays,
      snapshotWindow: settings.snapshotWindow,
      maintenanceWindow: settings.maintenanceWindow,
      logRetentionDays: settings.logRetentionDays,
      preventDestroy: production,
      logKmsKeyArn: this.dataKey.arn,
      // A storage key change replaces an existing replication group: a config decision.
      kmsKeyArn: (settings.storageEncryption ?? 'customerKey') === 'customerKey' ? this.dataKey.arn : undefined,
    });
    movedFromSibling(cache.node.findChild(`cache-ingress-from-cache-clients-${cache.port}`) as TerraformResource, 'ingress-from-clients');
    movedFromSibling(cache.node.findChild(`cache-clients-egress-to-cache-${cache.port}`) as TerraformResource, 'clients-egress-to-cache');
    new TerraformOutput(this, 'cache_primary_endpoint', { value: cache.primaryEndpoint, description: 'Host name of the cache primary (TLS, IAM auth as cache_app_user)' });
    new TerraformOutput(this, 'cache_replication_group_id', { value: cache.replicationGroupId, description: 'Cache name an IAM auth token is signed for (CACHE_NAME)' });
    new TerraformOutput(this, 'cache_app_user', { value: cache.appUserId, description: 'ElastiCache user the application connects as (CACHE_USER; user id = user name)' });
    new TerraformOutput(this, 'cache_client_security_group_id', {
      value: cache.clientSecurityGroupId,
      description: 'Security group to attach to whatever must reach the cache (the only source it admits)',
    });
    return cache;
  }
}

// RDS PostgreSQL: a named database, a standby and read replicas where the environment asks for them.
// The master password is created and rotated by RDS in Secrets Manager: it never appears in code,
// config or Terraform state. The application logs in with IAM database authentication instead.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Construct } from 'constructs';
import type { Grantable } from '../lib/grants';
import { policyDocument } from '../lib/iam';
import { Connections } from './connections';
import { DatabaseReference, type IDatabase } from './database-reference';

export const POSTGRES_PORT = 5432;
/** Log types RDS exports to CloudWatch Logs. */
const LOG_EXPORTS = ['postgresql', 'upgrade'];

export interface DatabaseProps {
  /** Prefix of every name (e.g. `drf-api-prod`); the instance is `<prefix>-postgres`. */
  readonly namePrefix: string;
  /** VPC of the database's security groups. */
  readonly vpcId: string;
  /** Subnet group over the data subnets (from the network). */
  readonly dbSubnetGroupName: string;
  /**
   * The MAJOR version, e.g. "17": with auto minor upgrades on, RDS moves the minor version and the
   * provider treats "17" as matching any 17.x, so a plan never tries to downgrade.
   */
  readonly engineVersion: string;
  /** Instance class of the primary and the replicas, e.g. `db.t4g.micro`. */
  readonly instanceClass: string;
  /** The database the application connects to (created with the instance). */
  readonly databaseName: string;
  /** Master user name; its password is created and rotated by RDS in Secrets Manager. */
  readonly masterUsername: string;
  /** gp3 storage allocated at creation, GiB (at least 20). */
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling, GiB. */
  readonly maxAllocatedStorageGiB: number;
  /** A synchronous standby in another AZ (an environment's choice: no default here). */
  readonly multiAz: boolean;
  /** Days of automated backups (0 turns them off). */
  readonly backupRetentionDays: number;
  /** Daily backup window, UTC "hh:mm-hh:mm". */
  readonly backupWindow: string;
  /** Weekly maintenance window, UTC "ddd:hh:mm-ddd:hh:mm". */
  readonly maintenanceWindow: string;
  /** RDS deletion protection (an environment's choice, checked by the production rules: no default here). */
  readonly deletionProtection: boolean;
  /**
   * Skip the final snapshot when the instance is deleted (throwaway environments only; an environment's
   * choice, checked by the production rules: no default here).
   */
  readonly skipFinalSnapshot: boolean;
  /** Statements slower than this many milliseconds are logged (-1 turns it off). @default 500 */
  readonly slowQueryMs?: number;
  /** Database Insights mode: `standard` (7 days of Performance Insights data) or `advanced` (465 days). @default "standard" */
  readonly databaseInsights?: 'standard' | 'advanced';
  /** Read replicas in the same region. @default 0 */
  readonly readReplicas?: number;
  /** Retention of the database's log groups, days. @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Terraform `prevent_destroy`: a plan that would destroy or replace the instance fails.
   * Also keeps automated backups after deletion.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /** Enhanced Monitoring interval in seconds (1, 5, 10, 15, 30 or 60); 0 turns it off. @default 0 */
  readonly monitoringIntervalSeconds?: number;
  /**
   * Customer-managed KMS key of the instance's storage (and its snapshots). Changing it REPLACES an
   * existing instance (data is lost without the snapshot-copy-restore migration of the README).
   * @default the AWS-managed `aws/rds` key
   */
  readonly storageKmsKeyArn?: string;
  /** Customer-managed KMS key of the RDS-managed master secret (an in-place change). @default the AWS-managed `aws/secretsmanager` key */
  readonly masterSecretKmsKeyArn?: string;
  /** Customer-managed KMS key of the database's log groups (an in-place change). @default CloudWatch Logs' own encryption */
  readonly logKmsKeyArn?: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
}

/** The log groups of a database named `namePrefix` (a pattern, for the key policy of their KMS key). */
export function databaseLogGroupPattern(namePrefix: string): string {
  return `/aws/rds/instance/${namePrefix}-postgres*`;
}

export class Database extends Construct implements IDatabase {
  readonly identifier: string;
  /** Host name of the primary. */
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  /** Secrets Manager secret RDS keeps the master credentials in (JSON with `username` and `password`). */
  readonly masterUserSecretArn: string;
  /** Attach this group to whatever must reach the database: it is the only source the database admits. */
  readonly clientSecurityGroupId: string;
  /** The database's own group (admits PostgreSQL from `clientSecurityGroupId` only). */
  readonly securityGroupId: string;
  /**
   * Rules of the database's group. Consumers in the same stack may `allowFrom` their own
   * `Connections`; consumers in stacks that depend on this one attach `clientSecurityGroupId`
   * instead, so no rule points back across stacks.
   */
  readonly connections: Connections;
  /** Rules of the clients' group (egress to the database on its port). */
  readonly clientConnections: Connections;
  readonly replicaAddresses: string[];
  /**
   * The primary's resource id (`db-…`), the part of `rds-db:connect` ARNs that names the instance:
   * `arn:aws:rds-db:<region>:<account>:dbuser:<resourceId>/<db user>`.
   */
  readonly resourceId: string;
  /** The customer-managed key the master secret is encrypted with; absent with the AWS-managed key. */
  readonly masterSecretKeyArn?: string;
  private readonly partition: string;
  /** Account and region of the instance (data sources, created when first needed). */
  private location?: { readonly accountId: string; readonly region: string };
  /** This database as a reference: its grants (created when first needed). */
  private reference?: DatabaseReference;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { namePrefix } = props;
    const identifier = `${namePrefix}-postgres`;
    const major = props.engineVersion.split('.')[0];
    const preventDestroy = props.preventDestroy ?? true;
    const insights = props.databaseInsights ?? 'standard';
    this.partition = props.partition;

    const dbSg = new SecurityGroup(this, 'sg', {
      name: `${namePrefix}-database`,
      description: `PostgreSQL of ${namePrefix}: admits ${POSTGRES_PORT} from its clients' group only`,
      vpcId: props.vpcId,
      tags: { Name: `${namePrefix}-database` },
    });
    const clientSg = new SecurityGroup(this, 'client-sg', {
      name: `${namePrefix}-database-clients`,
      description: `Clients of the PostgreSQL of ${namePrefix}`,
      vpcId: props.vpcId,
      tags: { Name: `${namePrefix}-database-clients` },
    });
    // Both groups are owned here: the database admits its port from its clients' group only, and the
    // clients' group may reach the database and nothing else.
    this.connections = new Connections(this, { securityGroupId: dbSg.id, key: 'db' });
    this.clientConnections = new Connections(this, { securityGroupId: clientSg.id, key: 'db-clients' });
    this.connections.allowFrom(this.clientConnections, POSTGRES_PORT, {
      ingress: 'PostgreSQL from database clients',
      egress: 'PostgreSQL to the database',
    });

    const parameters = new DbParameterGroup(this, 'parameters', {
      // A prefix, not a name: a replacement (e.g. a new major version's family) is created beside
      // the old group before the old one goes; a fixed name would fail with "already exists".
      namePrefix: `${identifier}-${major}-`,
      family: `postgres${major}`,
      description: `${identifier}: TLS only, slow-query, connection and pgaudit logging`,
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_min_duration_statement', value: String(props.slowQueryMs ?? 500) },
        { name: 'log_lock_waits', value: '1' },
        // Audit trail: who connected, and every DDL and role/grant change (pgaudit).
        { name: 'log_connections', value: '1' },
        { name: 'log_disconnections', value: '1' },
        // Static parameter: takes effect at the next reboot (a new instance starts with it).
        { name: 'shared_preload_libraries', value: 'pg_stat_statements,pgaudit', applyMethod: 'pending-reboot' },
        { name: 'pgaudit.log', value: 'ddl,role' },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    // Created here (not implicitly by RDS) so that retention is set and Terraform owns them.
    const logGroupsOf = (instanceId: string) =>
      LOG_EXPORTS.map(
        (type) =>
          new CloudwatchLogGroup(this, `logs-${instanceId}-${type}`, {
            name: `/aws/rds/instance/${instanceId}/${type}`,
            retentionInDays: props.logRetentionDays ?? 30,
            kmsKeyId: props.logKmsKeyArn,
          }),
      );

    const monitoringInterval = props.monitoringIntervalSeconds ?? 0;
    const monitoring = monitoringInterval > 0 ? this.monitoringRole(identifier) : undefined;

    const common = {
      instanceClass: props.instanceClass,
      parameterGroupName: parameters.name,
      vpcSecurityGroupIds: [dbSg.id],
      publiclyAccessible: false,
      storageEncrypted: true,
      autoMinorVersionUpgrade: true,
      caCertIdentifier: 'rds-ca-rsa2048-g1',
      performanceInsightsEnabled: true,
      databaseInsightsMode: insights,
      performanceInsightsRetentionPeriod: insights === 'advanced' ? 465 : 7,
      enabledCloudwatchLogsExports: LOG_EXPORTS,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection,
      maintenanceWindow: props.maintenanceWindow,
      // The application connects with IAM tokens (rds-db:connect), never with the master password.
      iamDatabaseAuthenticationEnabled: true,
      monitoringInterval,
      monitoringRoleArn: monitoring?.role.arn,
    };

    const primary = new DbInstance(this, 'primary', {
      ...common,
      identifier,
      engine: 'postgres',
      engineVersion: major,
      allowMajorVersionUpgrade: false,
      dbName: props.databaseName,
      username: props.masterUsername,
      manageMasterUserPassword: true,
      // Replicas in the region inherit the primary's storage key: only the primary names it.
      kmsKeyId: props.storageKmsKeyArn,
      masterUserSecretKmsKeyId: props.masterSecretKmsKeyArn,
      dbSubnetGroupName: props.dbSubnetGroupName,
      multiAz: props.multiAz,
      storageType: 'gp3',
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      backupRetentionPeriod: props.backupRetentionDays,
      backupWindow: props.backupWindow,
      deleteAutomatedBackups: !preventDestroy,
      skipFinalSnapshot: props.skipFinalSnapshot,
      finalSnapshotIdentifier: props.skipFinalSnapshot ? undefined : `${identifier}-final`,
      lifecycle: { preventDestroy },
      // RDS checks the role's permissions when it turns monitoring on: attach the policy first.
      dependsOn: [...logGroupsOf(identifier), ...(monitoring ? [monitoring.attachment] : [])],
      tags: { Name: identifier },
    });

    const replicas = Array.from({ length: props.readReplicas ?? 0 }, (_, i) => {
      const replicaId = `${identifier}-replica-${i + 1}`;
      return new DbInstance(this, `replica-${i + 1}`, {
        ...common,
        identifier: replicaId,
        replicateSourceDb: primary.identifier,
        // No engine_version: a replica runs its source's version, minor upgrades included.
        // A replica's data is the primary's: nothing of its own to snapshot or to protect with prevent_destroy.
        skipFinalSnapshot: true,
        backupRetentionPeriod: 0,
        dependsOn: [...logGroupsOf(replicaId), ...(monitoring ? [monitoring.attachment] : [])],
        tags: { Name: replicaId },
      });
    });

    this.identifier = primary.identifier;
    this.address = primary.address;
    this.port = POSTGRES_PORT;
    this.databaseName = props.databaseName;
    this.masterUserSecretArn = primary.masterUserSecret.get(0).secretArn;
    this.clientSecurityGroupId = clientSg.id;
    this.securityGroupId = dbSg.id;
    this.replicaAddresses = replicas.map((r) => r.address);
    this.resourceId = primary.resourceId;
    this.masterSecretKeyArn = props.masterSecretKmsKeyArn;
  }

  /**
   * `rds-db:connect` as the PostgreSQL role `user` (see `IDatabase.grantConnect`), for a grantee in
   * this stack. A grantee in another stack grants through a `DatabaseReference` made there from this
   * database's outputs, so its policy names that stack's account and region, not this one's data sources.
   */
  grantConnect(grantee: Grantable, user: string): void {
    this.asReference().grantConnect(grantee, user);
  }

  /** The master secret, and its key through Secrets Manager (see `IDatabase.grantReadMasterSecret`). */
  grantReadMasterSecret(grantee: Grantable): void {
    this.asReference().grantReadMasterSecret(grantee);
  }

  /** The grants are the reference's: one implementation for both sides of a stack boundary. */
  private asReference(): DatabaseReference {
    this.reference ??= new DatabaseReference({
      address: this.address,
      port: this.port,
      databaseName: this.databaseName,
      resourceId: this.resourceId,
      masterUserSecretArn: this.masterUserSecretArn,
      masterSecretKeyArn: this.masterSecretKeyArn,
      partition: this.partition,
      ...this.accountAndRegion(),
    });
    return this.reference;
  }

  /** The caller identity and region data sources of this construct, shared by the monitoring role and the grants. */
  private accountAndRegion(): { readonly accountId: string; readonly region: string } {
    this.location ??= { accountId: new DataAwsCallerIdentity(this, 'caller', {}).accountId, region: new DataAwsRegion(this, 'region', {}).region };
    return this.location;
  }

  /** The role RDS Enhanced Monitoring publishes OS metrics with, usable only for this database's instances. */
  private monitoringRole(identifier: string): { role: IamRole; attachment: IamRolePolicyAttachment } {
    const { partition } = this;
    const { accountId: account, region } = this.accountAndRegion();
    const role = new IamRole(this, 'monitoring-role', {
      name: `${identifier}-monitoring`,
      assumeRolePolicy: policyDocument({
        Effect: 'Allow',
        Principal: { Service: 'monitoring.rds.amazonaws.com' },
        Action: 'sts:AssumeRole',
        // Confused-deputy protection: only this account's instances of this database.
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:rds:${region}:${account}:db:${identifier}*` },
        },
      }),
    });
    const attachment = new IamRolePolicyAttachment(this, 'monitoring-policy', {
      role: role.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
    });
    return { role, attachment };
  }
}

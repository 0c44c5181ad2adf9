// RDS PostgreSQL (seed: "RDS": PostgreSQL engine, a named database, a standby beyond small scale).
// The master password is created and rotated by RDS in Secrets Manager: it never appears in code,
// config or Terraform state.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';

export const POSTGRES_PORT = 5432;
/** Log types RDS exports to CloudWatch Logs. */
const LOG_EXPORTS = ['postgresql', 'upgrade'];

export interface DatabaseProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  /** Subnet group over the data subnets (from the network). */
  readonly dbSubnetGroupName: string;
  /** `major.minor`, e.g. "17.6". */
  readonly engineVersion: string;
  readonly instanceClass: string;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  /** @default false */
  readonly multiAz?: boolean;
  readonly backupRetentionDays: number;
  /** UTC "hh:mm-hh:mm". */
  readonly backupWindow: string;
  /** UTC "ddd:hh:mm-ddd:hh:mm". */
  readonly maintenanceWindow: string;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** Skip the final snapshot when the instance is deleted. @default false */
  readonly skipFinalSnapshot?: boolean;
  /**
   * Terraform `prevent_destroy`: a plan that would destroy or replace the instance fails.
   * Also keeps automated backups after deletion.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /** Statements slower than this many milliseconds are logged (-1 turns it off). @default 500 */
  readonly slowQueryMs?: number;
  /** Database Insights mode: `standard` (7 days of Performance Insights data) or `advanced` (465 days). @default "standard" */
  readonly databaseInsights?: 'standard' | 'advanced';
  /** @default 0 */
  readonly readReplicas?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

export class Database extends Construct {
  readonly identifier: string;
  /** Host name of the primary. */
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  /** Secrets Manager secret RDS keeps the master credentials in (JSON with `username` and `password`). */
  readonly masterUserSecretArn: string;
  /** Attach this group to whatever must reach the database: it is the only source the database admits. */
  readonly clientSecurityGroupId: string;
  readonly securityGroupId: string;
  readonly replicaAddresses: string[];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { namePrefix } = props;
    const identifier = `${namePrefix}-postgres`;
    const major = props.engineVersion.split('.')[0];
    const preventDestroy = props.preventDestroy ?? true;

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
    new VpcSecurityGroupIngressRule(this, 'ingress-from-clients', {
      securityGroupId: dbSg.id,
      description: 'PostgreSQL from database clients',
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: clientSg.id,
    });
    new VpcSecurityGroupEgressRule(this, 'clients-egress-to-db', {
      securityGroupId: clientSg.id,
      description: 'PostgreSQL to the database',
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: dbSg.id,
    });

    const parameters = new DbParameterGroup(this, 'parameters', {
      name: `${identifier}-${major}`,
      family: `postgres${major}`,
      description: `${identifier}: TLS only, slow-query logging`,
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_min_duration_statement', value: String(props.slowQueryMs ?? 500) },
        { name: 'log_lock_waits', value: '1' },
      ],
      // A new major version needs a new group; create it before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });

    // Created here (not implicitly by RDS) so that retention is set and Terraform owns them.
    const logGroupsOf = (instanceId: string) =>
      LOG_EXPORTS.map(
        (type) =>
          new CloudwatchLogGroup(this, `logs-${instanceId}-${type}`, {
            name: `/aws/rds/instance/${instanceId}/${type}`,
            retentionInDays: props.logRetentionDays ?? 30,
          }),
      );

    const common = {
      instanceClass: props.instanceClass,
      parameterGroupName: parameters.name,
      vpcSecurityGroupIds: [dbSg.id],
      publiclyAccessible: false,
      storageEncrypted: true,
      autoMinorVersionUpgrade: true,
      caCertIdentifier: 'rds-ca-rsa2048-g1',
      performanceInsightsEnabled: true,
      databaseInsightsMode: props.databaseInsights ?? 'standard',
      performanceInsightsRetentionPeriod: props.databaseInsights === 'advanced' ? 465 : 7,
      enabledCloudwatchLogsExports: LOG_EXPORTS,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection ?? true,
      maintenanceWindow: props.maintenanceWindow,
    };

    const primary = new DbInstance(this, 'primary', {
      ...common,
      identifier,
      engine: 'postgres',
      engineVersion: props.engineVersion,
      allowMajorVersionUpgrade: false,
      dbName: props.databaseName,
      username: props.masterUsername,
      manageMasterUserPassword: true,
      dbSubnetGroupName: props.dbSubnetGroupName,
      multiAz: props.multiAz ?? false,
      storageType: 'gp3',
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      backupRetentionPeriod: props.backupRetentionDays,
      backupWindow: props.backupWindow,
      deleteAutomatedBackups: !preventDestroy,
      skipFinalSnapshot: props.skipFinalSnapshot ?? false,
      finalSnapshotIdentifier: props.skipFinalSnapshot ? undefined : `${identifier}-final`,
      lifecycle: { preventDestroy },
      dependsOn: logGroupsOf(identifier),
      tags: { Name: identifier },
    });

    const replicas = Array.from({ length: props.readReplicas ?? 0 }, (_, i) => {
      const replicaId = `${identifier}-replica-${i + 1}`;
      return new DbInstance(this, `replica-${i + 1}`, {
        ...common,
        identifier: replicaId,
        replicateSourceDb: primary.identifier,
        // A replica's data is the primary's: nothing of its own to snapshot or to protect with prevent_destroy.
        skipFinalSnapshot: true,
        backupRetentionPeriod: 0,
        dependsOn: logGroupsOf(replicaId),
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
  }
}

// A database as its clients see it, and the one place that says what "connect" and "read the master
// secret" mean in IAM. The database lives in `<env>-data`, its clients in `<env>-app`: a client stack
// builds a `DatabaseReference` from the attributes it receives (CDK's `fromDatabaseInstanceAttributes`
// pattern), and `Database` grants through the same class in its own stack.
import type { Grantable } from '../lib/grants';

/** A PostgreSQL database to connect to, and the grants its owner defines. */
export interface IDatabase {
  /** Host name of the primary. */
  readonly address: string;
  /** PostgreSQL port. */
  readonly port: number;
  /** The database the application connects to. */
  readonly databaseName: string;
  /** Secrets Manager secret RDS keeps the master credentials in (JSON with `username` and `password`). */
  readonly masterUserSecretArn: string;
  /**
   * Lets `grantee` log in as the PostgreSQL role `user` with an IAM token (`rds-db:connect` on the
   * primary's `dbuser` ARN). The role must exist in the database with `GRANT rds_iam` (README
   * "Database credentials").
   */
  grantConnect(grantee: Grantable, user: string): void;
  /**
   * Lets `grantee` read the master secret (`secretsmanager:GetSecretValue` on it, and `kms:Decrypt`
   * through Secrets Manager when the secret has a customer-managed key). Only the migrate task's
   * EXECUTION role should get this (ECS injects the secret when the task starts).
   */
  grantReadMasterSecret(grantee: Grantable): void;
}

/** What a stack knows of a database it did not create (the outputs of `<env>-data`, and where it runs). */
export interface DatabaseAttributes {
  /** Host name of the primary. */
  readonly address: string;
  /** PostgreSQL port. */
  readonly port: number;
  /** The database the application connects to. */
  readonly databaseName: string;
  /** The primary's resource id (`db-…`): the part of `rds-db:connect` ARNs that names the instance. */
  readonly resourceId: string;
  /** The RDS-managed master secret. */
  readonly masterUserSecretArn: string;
  /** Customer-managed key of the master secret. @default none (the AWS-managed `aws/secretsmanager` key) */
  readonly masterSecretKeyArn?: string;
  /** Region of the database (`rds-db:connect` ARNs). */
  readonly region: string;
  /** Account of the database (`rds-db:connect` ARNs). */
  readonly accountId: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
}

/** A database known by its attributes: no resources, only its settings and grants. */
export class DatabaseReference implements IDatabase {
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUserSecretArn: string;
  private readonly attributes: DatabaseAttributes;

  constructor(attributes: DatabaseAttributes) {
    this.attributes = attributes;
    this.address = attributes.address;
    this.port = attributes.port;
    this.databaseName = attributes.databaseName;
    this.masterUserSecretArn = attributes.masterUserSecretArn;
  }

  grantConnect(grantee: Grantable, user: string): void {
    const { partition, region, accountId, resourceId } = this.attributes;
    grantee.addToPolicy({
      Sid: 'DatabaseIamAuth',
      Effect: 'Allow',
      Action: 'rds-db:connect',
      Resource: `arn:${partition}:rds-db:${region}:${accountId}:dbuser:${resourceId}/${user}`,
    });
  }

  grantReadMasterSecret(grantee: Grantable): void {
    grantee.addToPolicy({ Sid: 'ReadDatabaseMasterSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: this.masterUserSecretArn });
    const keyArn = this.attributes.masterSecretKeyArn;
    if (keyArn) {
      // ECS fetches the secret for the task: without this, a CMK-encrypted secret fails the task at start.
      grantee.addToPolicy({
        Sid: 'DecryptDatabaseMasterSecret',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keyArn,
        Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
      });
    }
  }
}

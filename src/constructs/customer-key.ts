// A customer-managed KMS key and its alias. The account administers it through IAM (the root
// statement every key policy here starts with), and the policy names each AWS service that may use
// it, bound to this account's resources: CloudWatch Logs by the log group in the encryption context,
// services acting for this account's principals by `kms:ViaService` + `kms:CallerAccount`, and
// service principals by `aws:SourceAccount`. A key can also be closed to every principal but a few
// (`usableOnlyBy`), whatever their IAM policies say.
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Lazy } from 'cdktf';
import { Construct } from 'constructs';
import type { Grantable } from '../lib/grants';
import { policyDocument, type Statement } from '../lib/iam';

/** What a service needs to encrypt and decrypt with the key (never key administration). */
const SERVICE_USE_ACTIONS = ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'];
/** Operations that decrypt or produce data under the key: what `usableOnlyBy` denies everyone else. */
const DATA_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];

/** An AWS service that calls KMS as itself (a service principal), e.g. CloudWatch alarms publishing to an encrypted topic. */
export interface KeyServicePrincipal {
  /** Statement ID of its key policy statement. */
  readonly sid: string;
  /** The service principal, e.g. `cloudwatch.amazonaws.com`. */
  readonly service: string;
  /** KMS actions it needs, e.g. `["kms:Decrypt", "kms:GenerateDataKey*"]`. */
  readonly actions: string[];
}

export interface CustomerKeyProps {
  /** Alias, e.g. `drf-api-prod/data`; `alias/` is prepended when missing. */
  readonly alias: string;
  /** What the key encrypts (shown in the KMS console). */
  readonly description: string;
  /** The key's account: its root principal administers the key, and service use is bound to it. */
  readonly accountId: string;
  /** The key's region (service endpoints, log group ARNs, the alias ARN). */
  readonly region: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`): `partitionOf(region)` of src/config/regions.ts. */
  readonly partition: string;
  /**
   * Log group names (a trailing `*` allowed) CloudWatch Logs may encrypt with the key, bound by the
   * `aws:logs:arn` encryption context.
   * @default [] (CloudWatch Logs may not use the key)
   */
  readonly logGroupNames?: string[];
  /**
   * Services (`rds`, `secretsmanager`, `elasticache`) that may use the key on behalf of this account's
   * principals (`kms:ViaService` = `<service>.<region>.amazonaws.com`, `kms:CallerAccount` = the account).
   * @default [] (no service may use it on a principal's behalf unless an IAM policy allows the principal)
   */
  readonly viaServices?: string[];
  /**
   * Services that use the key as themselves, for resources of this account only (`aws:SourceAccount`).
   * @default [] (no service principal may use the key)
   */
  readonly servicePrincipals?: KeyServicePrincipal[];
  /**
   * Principals (ARNs or `ArnLike` patterns) that alone may encrypt and decrypt with the key; everyone
   * else is denied, whatever their IAM policies say. Not empty.
   * @default no restriction (the account's IAM policies decide who may use the key)
   */
  readonly usableOnlyBy?: string[];
  /**
   * Statement ID of the `usableOnlyBy` deny. A key deployed under another name keeps it: renaming is a
   * key-policy update, and such a key's policy is only ever updated by an administrator.
   * @default "DenyUseByOtherPrincipals"
   */
  readonly usableOnlyBySid?: string;
  /** Yearly automatic rotation of the key material. @default true */
  readonly enableKeyRotation?: boolean;
  /** Days (7–30) between scheduling the key's deletion and the key being gone. @default 30 */
  readonly deletionWindowDays?: number;
  /**
   * Terraform `prevent_destroy`: without the key, everything encrypted with it is unreadable.
   * @default false (a throwaway environment's destroy schedules the key's deletion)
   */
  readonly preventDestroy?: boolean;
  /** Tags of the key. @default none */
  readonly tags?: Record<string, string>;
}

export class CustomerKey extends Construct {
  /** The key's ARN: what resources name as their KMS key, and IAM policies as the resource. */
  readonly arn: string;
  /** The key's ID (the last part of its ARN). */
  readonly keyId: string;
  /** `alias/<alias>`. */
  readonly aliasName: string;
  /** The alias's ARN (known before apply): IAM policies can name the alias as well as the key. */
  readonly aliasArn: string;
  private readonly statements: Statement[];

  constructor(scope: Construct, id: string, props: CustomerKeyProps) {
    super(scope, id);
    const { accountId, region, partition } = props;
    const deletionWindowDays = props.deletionWindowDays ?? 30;
    if (!Number.isInteger(deletionWindowDays) || deletionWindowDays < 7 || deletionWindowDays > 30) {
      throw new Error(`${this.node.path}: deletionWindowDays must be 7-30, got ${deletionWindowDays}`);
    }
    if (props.usableOnlyBy?.length === 0) throw new Error(`${this.node.path}: usableOnlyBy is empty (nobody could use the key); leave it out to let IAM decide`);
    // The deny matches any request without a principal ARN on the list: services calling as themselves,
    // or for a principal not on it, would be locked out while the statements below seem to let them in.
    const services = [props.logGroupNames?.length && 'logGroupNames', props.viaServices?.length && 'viaServices', props.servicePrincipals?.length && 'servicePrincipals'].filter(Boolean);
    if (props.usableOnlyBy && services.length > 0) {
      throw new Error(`${this.node.path}: usableOnlyBy cannot be combined with ${services.join(', ')}: its deny would also refuse those services`);
    }

    this.statements = [
      {
        // Without it the key could become unmanageable; who may administer or use it is then up to IAM.
        Sid: 'AccountAdministersThroughIam',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ];
    const logGroups = props.logGroupNames ?? [];
    if (logGroups.length > 0) {
      this.statements.push({
        Sid: 'CloudWatchLogsForTheseLogGroups',
        Effect: 'Allow',
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: SERVICE_USE_ACTIONS,
        Resource: '*',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroups.map((name) => `arn:${partition}:logs:${region}:${accountId}:log-group:${name}`) } },
      });
    }
    const via = props.viaServices ?? [];
    if (via.length > 0) {
      this.statements.push({
        Sid: 'ServicesOnBehalfOfThisAccount',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [...SERVICE_USE_ACTIONS, 'kms:CreateGrant', 'kms:ListGrants'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': accountId, 'kms:ViaService': via.map((service) => `${service}.${region}.amazonaws.com`) } },
      });
    }
    for (const principal of props.servicePrincipals ?? []) {
      this.statements.push({
        Sid: principal.sid,
        Effect: 'Allow',
        Principal: { Service: principal.service },
        Action: principal.actions,
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      });
    }
    if (props.usableOnlyBy) {
      this.statements.push({
        // Even a principal whose IAM policy allows kms:* cannot decrypt.
        Sid: props.usableOnlyBySid ?? 'DenyUseByOtherPrincipals',
        Effect: 'Deny',
        Principal: '*',
        Action: DATA_ACTIONS,
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': props.usableOnlyBy } },
      });
    }

    const key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: props.enableKeyRotation ?? true,
      deletionWindowInDays: deletionWindowDays,
      // Rendered at synth: `addToResourcePolicy` may add statements after construction.
      policy: Lazy.stringValue({ produce: () => policyDocument(...this.statements) }),
      lifecycle: { preventDestroy: props.preventDestroy ?? false },
      tags: props.tags,
    });
    this.aliasName = props.alias.startsWith('alias/') ? props.alias : `alias/${props.alias}`;
    new KmsAlias(this, 'alias', { name: this.aliasName, targetKeyId: key.keyId });
    this.arn = key.arn;
    this.keyId = key.keyId;
    this.aliasArn = `arn:${partition}:kms:${region}:${accountId}:${this.aliasName}`;
  }

  /** Adds statements to the key policy (after the ones the props make). */
  addToResourcePolicy(...statements: Statement[]): void {
    this.statements.push(...statements);
  }

  /**
   * Lets `grantee` encrypt and decrypt through a service that uses envelope encryption (S3 SSE-KMS,
   * Secrets Manager, ...): `kms:GenerateDataKey` to write, `kms:Decrypt` to read. Not `kms:Encrypt`
   * (such services never call it), nothing administrative. With `usableOnlyBy`, the grantee must be
   * one of those principals too.
   */
  grantEncryptDecrypt(grantee: Grantable, sid = 'EncryptDecrypt'): void {
    grantee.addToPolicy({ Sid: sid, Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: this.arn });
  }

  /** Lets `grantee` decrypt with the key (read what a service encrypted with it, e.g. a secret or an ECS Exec session). */
  grantDecrypt(grantee: Grantable, sid = 'Decrypt'): void {
    grantee.addToPolicy({ Sid: sid, Effect: 'Allow', Action: 'kms:Decrypt', Resource: this.arn });
  }
}

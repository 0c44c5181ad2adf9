// A customer-managed KMS key of one environment for the AWS services that encrypt its data: rotated
// yearly, administered by the account through IAM, and usable only by the services named here —
// CloudWatch Logs for named log groups (bound by the `aws:logs:arn` encryption context), and other
// services only when a principal of this account calls them (`kms:ViaService` + `kms:CallerAccount`).
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import { policyDocument, type Statement } from '../lib/iam';

/** What a key operation needs to encrypt and decrypt (never key administration). */
const USE_ACTIONS = ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'];

export interface ServiceKeyProps {
  /** Alias without `alias/`, e.g. `drf-api-prod/data`. */
  readonly alias: string;
  /** What the key encrypts (shown in the KMS console). */
  readonly description: string;
  /** The key's account (its root principal administers the key through IAM policies). */
  readonly accountId: string;
  /** The key's region. */
  readonly region: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). @default "aws" */
  readonly partition?: string;
  /**
   * Log group names (a trailing `*` allowed) CloudWatch Logs may encrypt with the key.
   * @default [] (CloudWatch Logs may not use the key)
   */
  readonly logGroupNames?: string[];
  /**
   * Services (`rds`, `secretsmanager`, `elasticache`) that may use the key on behalf of this account's
   * principals (`kms:ViaService` = `<service>.<region>.amazonaws.com`). @default []
   */
  readonly viaServices?: string[];
  /** Days before a deleted key is gone. @default 30 */
  readonly deletionWindowDays?: number;
  /**
   * Terraform `prevent_destroy`: without the key, everything encrypted with it is unreadable.
   * @default false (a throwaway environment's destroy schedules the key's deletion)
   */
  readonly preventDestroy?: boolean;
}

export class ServiceKey extends Construct {
  readonly arn: string;
  readonly keyId: string;
  /** `alias/<alias>`. */
  readonly aliasName: string;

  constructor(scope: Construct, id: string, props: ServiceKeyProps) {
    super(scope, id);
    const partition = props.partition ?? 'aws';
    const { accountId, region } = props;
    const statements: Statement[] = [
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
      statements.push({
        Sid: 'CloudWatchLogsForTheseLogGroups',
        Effect: 'Allow',
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: USE_ACTIONS,
        Resource: '*',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroups.map((name) => `arn:${partition}:logs:${region}:${accountId}:log-group:${name}`) } },
      });
    }
    const via = props.viaServices ?? [];
    if (via.length > 0) {
      statements.push({
        Sid: 'ServicesOnBehalfOfThisAccount',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [...USE_ACTIONS, 'kms:CreateGrant', 'kms:ListGrants'],
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:CallerAccount': accountId, 'kms:ViaService': via.map((service) => `${service}.${region}.amazonaws.com`) },
        },
      });
    }
    const key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: policyDocument(...statements),
      lifecycle: { preventDestroy: props.preventDestroy ?? false },
    });
    this.aliasName = `alias/${props.alias}`;
    new KmsAlias(this, 'alias', { name: this.aliasName, targetKeyId: key.keyId });
    this.arn = key.arn;
    this.keyId = key.keyId;
  }
}

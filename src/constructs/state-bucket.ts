// The S3 bucket that holds every other stack's Terraform state: losing it loses track of production,
// and reading it reveals every resource's attributes. So: its own KMS key, and a bucket policy that
// lets only the administrators and the pipeline roles in.
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import type { Grantable } from '../lib/grants';
import { policyDocument, type Statement } from '../lib/iam';
import { PrivateBucket } from './private-bucket';

/** S3 actions that read or change state objects or the bucket; reading the bucket's settings stays open to security tooling. */
export const STATE_DATA_AND_ADMIN_ACTIONS = ['s3:GetObject*', 's3:List*', 's3:Put*', 's3:Delete*', 's3:Replicate*', 's3:Restore*', 's3:Bypass*'];
/** KMS operations that decrypt or produce data under the key. */
export const KEY_USE_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];

export interface StateKeyProps {
  /** Alias (`alias/…`): what the S3 backends name as `kms_key_id`. */
  readonly alias: string;
  /** What the key encrypts (shown in the KMS console). */
  readonly description: string;
  /** The account the key is in: its root principal administers the key (through IAM policies). */
  readonly accountId: string;
  /** Principals (ARNs or `ArnLike` patterns) that may use the key; everyone else is denied. */
  readonly allowedPrincipalArns: string[];
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). @default "aws" */
  readonly partition?: string;
}

/** The state's customer-managed key: rotated yearly, usable only by the principals that may read the state. */
export class StateKey extends Construct {
  readonly arn: string;
  readonly alias: string;

  constructor(scope: Construct, id: string, props: StateKeyProps) {
    super(scope, id);
    const key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(
        {
          // Without it the key could become unmanageable; who may administer it is then up to IAM.
          Sid: 'AccountAdministersThroughIam',
          Effect: 'Allow',
          Principal: { AWS: `arn:${props.partition ?? 'aws'}:iam::${props.accountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          // Even a principal whose IAM policy allows kms:* cannot decrypt the state.
          Sid: 'DenyUseOutsideStateRoles',
          Effect: 'Deny',
          Principal: '*',
          Action: KEY_USE_ACTIONS,
          Resource: '*',
          Condition: { ArnNotLike: { 'aws:PrincipalArn': props.allowedPrincipalArns } },
        },
      ),
      lifecycle: { preventDestroy: true }, // without the key, every state version is unreadable
    });
    new KmsAlias(this, 'alias', { name: props.alias, targetKeyId: key.keyId });
    this.arn = key.arn;
    this.alias = props.alias;
  }

  /**
   * Lets `grantee` read and write state through S3 with this key: `kms:Decrypt` to read,
   * `kms:GenerateDataKey` to write anything (a lock file too). The grantee must also be one of the
   * key policy's `allowedPrincipalArns`.
   */
  grantUse(grantee: Grantable, sid = 'StateKey'): void {
    grantee.addToPolicy({ Sid: sid, Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: this.arn });
  }
}

export interface StateBucketProps {
  /** The bucket's exact name (the S3 backends' `bucket`). */
  readonly bucketName: string;
  /** The state key (`StateKey`): the bucket's default encryption. */
  readonly kmsKeyArn: string;
  /**
   * Principals (ARNs or `ArnLike` patterns) that may use the bucket: administrators, the bootstrap
   * deployer, the plan and apply roles. Everyone else is denied, whatever their IAM policies say.
   */
  readonly allowedPrincipalArns: string[];
  /**
   * Days a superseded state version is kept (the history to roll state back to).
   * @default 365
   */
  readonly noncurrentVersionDays?: number;
}

/** Versioned, encrypted with the state key, private, TLS-only, and protected from `terraform destroy`. */
export class StateBucket extends PrivateBucket {
  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id, {
      bucketName: props.bucketName,
      encryption: 'aws:kms',
      kmsKeyArn: props.kmsKeyArn,
      versioned: true,
      preventDestroy: true,
      expireNoncurrentAfterDays: props.noncurrentVersionDays ?? 365,
      policyStatements: (arn): Statement[] => [
        {
          // An upload that asks for other encryption (e.g. SSE-S3) is refused; one that asks for none
          // gets the bucket default, the state key.
          Sid: 'DenyUploadsNotEncryptedWithKms',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `${arn}/*`,
          Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
        },
        {
          Sid: 'DenyPrincipalsOutsideAdminsAndPipelines',
          Effect: 'Deny',
          Principal: '*',
          Action: STATE_DATA_AND_ADMIN_ACTIONS,
          Resource: [arn, `${arn}/*`],
          Condition: { ArnNotLike: { 'aws:PrincipalArn': props.allowedPrincipalArns } },
        },
      ],
    });
  }
}

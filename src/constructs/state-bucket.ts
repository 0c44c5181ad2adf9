// The S3 bucket that holds every other stack's Terraform state: losing it loses track of production,
// and reading it reveals every resource's attributes. So: its own KMS key (a `CustomerKey` usable only
// by the same principals), and a bucket policy that lets only the administrators and the pipeline roles in.
import type { Construct } from 'constructs';
import type { Statement } from '../lib/iam';
import { PrivateBucket } from './private-bucket';

/** S3 actions that read or change state objects or the bucket; reading the bucket's settings stays open to security tooling. */
export const STATE_DATA_AND_ADMIN_ACTIONS = ['s3:GetObject*', 's3:List*', 's3:Put*', 's3:Delete*', 's3:Replicate*', 's3:Restore*', 's3:Bypass*'];

export interface StateBucketProps {
  /** The bucket's exact name (the S3 backends' `bucket`). */
  readonly bucketName: string;
  /** The state key (a `CustomerKey`): the bucket's default encryption. */
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

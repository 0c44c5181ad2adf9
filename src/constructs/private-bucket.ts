// An S3 bucket that is private whatever happens: encrypted, all public access blocked, ACLs off,
// and a policy that refuses requests without TLS.
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { Grantable } from '../lib/grants';
import { policyDocument, type Statement } from '../lib/iam';

export interface PrivateBucketProps {
  /** The exact name; give exactly one of this and `bucketPrefix`. @default none (then `bucketPrefix`) */
  readonly bucketName?: string;
  /** A prefix Terraform completes to a globally unique name. @default none (then `bucketName`) */
  readonly bucketPrefix?: string;
  /** `aws:kms` (bucket key on) or `AES256` (SSE-S3, e.g. for ALB log delivery). @default "aws:kms" */
  readonly encryption?: 'aws:kms' | 'AES256';
  /** Customer-managed KMS key (ARN) for `aws:kms` encryption. @default the AWS-managed `aws/s3` key */
  readonly kmsKeyArn?: string;
  /** @default false */
  readonly versioned?: boolean;
  /** Terraform `prevent_destroy`. @default false */
  readonly preventDestroy?: boolean;
  /**
   * Delete the objects (all versions) with the bucket on destroy, so a throwaway environment's log
   * bucket does not fail its destroy with BucketNotEmpty. Never together with `preventDestroy`.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /** Objects are deleted this many days after they are written. @default never */
  readonly expireAfterDays?: number;
  /** Superseded versions (of a versioned bucket) are deleted this many days later. @default never */
  readonly expireNoncurrentAfterDays?: number;
  /** Statements allowing access, given the bucket's ARN; the deny of non-TLS requests is always added. @default no statements */
  readonly policyStatements?: (bucketArn: string) => Statement[];
}

export class PrivateBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  /** Wait on this before using the bucket through its policy (e.g. ALB log delivery). */
  readonly policy: ITerraformDependable;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    if ((props.bucketName === undefined) === (props.bucketPrefix === undefined)) {
      throw new Error(`${this.node.path}: give exactly one of bucketName and bucketPrefix`);
    }
    if (props.forceDestroy && props.preventDestroy) {
      throw new Error(`${this.node.path}: forceDestroy and preventDestroy contradict each other`);
    }
    const bucket = new S3Bucket(this, 'bucket', {
      bucket: props.bucketName,
      bucketPrefix: props.bucketPrefix,
      // Only buckets whose content may go with them (throwaway environments' logs) are force-destroyed.
      forceDestroy: props.forceDestroy ?? false,
      lifecycle: { preventDestroy: props.preventDestroy ?? false },
    });
    if (props.versioned) {
      new S3BucketVersioningA(this, 'versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
    }
    const kms = (props.encryption ?? 'aws:kms') === 'aws:kms';
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: kms ? 'aws:kms' : 'AES256', ...(kms && props.kmsKeyArn ? { kmsMasterKeyId: props.kmsKeyArn } : {}) },
          ...(kms ? { bucketKeyEnabled: true } : {}),
        },
      ],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: bucket.id,
      policy: policyDocument(...(props.policyStatements?.(bucket.arn) ?? []), {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucket.arn, `${bucket.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
      dependsOn: [publicAccess],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          ...(props.expireAfterDays !== undefined ? { expiration: [{ days: props.expireAfterDays }] } : {}),
          ...(props.expireNoncurrentAfterDays !== undefined ? { noncurrentVersionExpiration: [{ noncurrentDays: props.expireNoncurrentAfterDays }] } : {}),
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
  }

  /**
   * Lets `grantee` list the bucket and read the objects under `keys` (`s3:ListBucket`, `s3:GetObject`;
   * a KMS-encrypted bucket's key is granted by the key's owner). Statement ids `<sidPrefix>List`, `<sidPrefix>Read`.
   * @example stateBucket.grantRead(planRole, { keys: 'prod/*', sidPrefix: 'State' })
   */
  grantRead(grantee: Grantable, options: { readonly keys?: string; readonly sidPrefix?: string } = {}): void {
    const prefix = options.sidPrefix ?? 'Bucket';
    grantee.addToPolicy(
      { Sid: `${prefix}List`, Effect: 'Allow', Action: 's3:ListBucket', Resource: this.bucketArn },
      { Sid: `${prefix}Read`, Effect: 'Allow', Action: 's3:GetObject', Resource: `${this.bucketArn}/${options.keys ?? '*'}` },
    );
  }

  /**
   * Lets `grantee` write and delete the objects under `keys` (`s3:PutObject`, `s3:DeleteObject`).
   * @example stateBucket.grantWrite(planRole, { keys: 'prod/*.tflock', sid: 'StateLockFiles' })
   */
  grantWrite(grantee: Grantable, options: { readonly keys?: string; readonly sid?: string } = {}): void {
    grantee.addToPolicy({ Sid: options.sid ?? 'BucketWrite', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: `${this.bucketArn}/${options.keys ?? '*'}` });
  }
}

// The S3 bucket that holds every other stack's Terraform state: losing it loses track of production.
import type { Construct } from 'constructs';
import { PrivateBucket } from './private-bucket';

export interface StateBucketProps {
  readonly bucketName: string;
  /**
   * Days a superseded state version is kept (the history to roll state back to).
   * @default 365
   */
  readonly noncurrentVersionDays?: number;
}

/** Versioned, KMS-encrypted, private, TLS-only, and protected from `terraform destroy`. */
export class StateBucket extends PrivateBucket {
  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id, {
      bucketName: props.bucketName,
      encryption: 'aws:kms',
      versioned: true,
      preventDestroy: true,
      expireNoncurrentAfterDays: props.noncurrentVersionDays ?? 365,
    });
  }
}

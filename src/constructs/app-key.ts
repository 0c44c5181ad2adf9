// The app stack's customer-managed KMS key: its log groups (services, workers, migrate tasks, the
// ECS Exec audit), ECS Exec sessions and the alarm topic. Rotation on; the key policy names each
// service that may use it, for this environment's resources only, so the key cannot be borrowed.
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import { policyDocument } from '../lib/iam';

export interface AppKeyProps {
  /** `<project>-<env>`: the alias is `alias/<prefix>-app`, log groups under `/ecs/<prefix>/` may use it. */
  readonly namePrefix: string;
  /** Region of the environment (the CloudWatch Logs principal and encryption context). */
  readonly region: string;
  /** Account of the environment: its IAM policies administer and use the key. */
  readonly accountId: string;
  /** Partition of ARNs. @default "aws" */
  readonly partition?: string;
  /** Terraform `prevent_destroy` (production: deleting the key makes its logs unreadable). @default false */
  readonly preventDestroy?: boolean;
}

export class AppKey extends Construct {
  readonly arn: string;
  readonly keyId: string;
  readonly alias: string;

  constructor(scope: Construct, id: string, props: AppKeyProps) {
    super(scope, id);
    const partition = props.partition ?? 'aws';
    const account = props.accountId;
    const key = new KmsKey(this, 'key', {
      description: `${props.namePrefix} app stack: log groups, ECS Exec sessions, alarm topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(
        {
          // Without it no IAM policy of the account could grant use of the key (KMS default policy).
          Sid: 'AccountAdministersAndIamPoliciesGrant',
          Effect: 'Allow',
          Principal: { AWS: `arn:${partition}:iam::${account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Sid: 'CloudWatchLogsForThisEnvironmentsGroups',
          Effect: 'Allow',
          Principal: { Service: `logs.${props.region}.amazonaws.com` },
          Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          Resource: '*',
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${props.region}:${account}:log-group:/ecs/${props.namePrefix}/*` } },
        },
        {
          // Alarms publish to the encrypted topic: without this they would stop notifying.
          Sid: 'CloudWatchAlarmsPublishToTheTopic',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': account } },
        },
      ),
      lifecycle: { preventDestroy: props.preventDestroy ?? false },
      tags: { Name: `${props.namePrefix}-app` },
    });
    const alias = new KmsAlias(this, 'alias', { name: `alias/${props.namePrefix}-app`, targetKeyId: key.keyId });
    this.arn = key.arn;
    this.keyId = key.keyId;
    this.alias = alias.name;
  }
}

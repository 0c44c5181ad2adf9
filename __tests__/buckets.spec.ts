import { Lb } from '@cdktf/provider-aws/lib/lb';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Testing } from 'cdktf';
import { LoadBalancer, type LoadBalancerProps } from '../src/constructs/load-balancer';
import { PrivateBucket, type PrivateBucketProps } from '../src/constructs/private-bucket';
import type { Statement } from '../src/lib/iam';
import { resourcesIn, synthOf } from './helpers';

const synthBucket = (props: PrivateBucketProps) =>
  Testing.synthScope((scope) => {
    new PrivateBucket(scope, 'bucket', props);
  });

describe('PrivateBucket: force_destroy (issue 14.6)', () => {
  it('is off by default: a bucket that still holds objects is never deleted', () => {
    expect(synthBucket({ bucketPrefix: 'b-' })).toHaveResourceWithProperties(S3Bucket, { force_destroy: false, lifecycle: { prevent_destroy: false } });
  });

  it('is on when asked, for buckets whose content may go with them', () => {
    expect(synthBucket({ bucketPrefix: 'b-', forceDestroy: true })).toHaveResourceWithProperties(S3Bucket, { force_destroy: true, lifecycle: { prevent_destroy: false } });
  });

  it('needs exactly one of bucketName and bucketPrefix', () => {
    expect(() => synthBucket({})).toThrow(/exactly one of bucketName and bucketPrefix/);
    expect(() => synthBucket({ bucketName: 'a', bucketPrefix: 'b-' })).toThrow(/exactly one of bucketName and bucketPrefix/);
  });

  it('refuses forceDestroy together with preventDestroy', () => {
    expect(() => synthBucket({ bucketPrefix: 'b-', forceDestroy: true, preventDestroy: true })).toThrow(/forceDestroy and preventDestroy contradict each other/);
  });
});

const lbProps: LoadBalancerProps = {
  namePrefix: 'svc-test',
  accountId: '111111111111',
  vpcId: 'vpc-1',
  publicSubnetIds: ['subnet-a', 'subnet-b'],
  certificateArn: 'arn:aws:acm:ap-northeast-1:111111111111:certificate/x',
  dualStack: true,
  idleTimeoutSeconds: 60,
  deletionProtection: true,
  accessLogRetentionDays: 90,
};
const synthLb = (props: Partial<LoadBalancerProps> = {}) =>
  Testing.synthScope((scope) => {
    new LoadBalancer(scope, 'lb', { ...lbProps, ...props });
  });

describe('ALB log bucket', () => {
  it('non-production: force_destroy, so destroying the environment does not fail with BucketNotEmpty (issue 14.6)', () => {
    const synthesized = synthLb({ preventDestroy: false });
    expect(synthesized).toHaveResourceWithProperties(S3Bucket, { bucket_prefix: 'svc-test-alb-logs-', force_destroy: true, lifecycle: { prevent_destroy: false } });
    expect(resourcesIn(synthesized, 'aws_s3_bucket_versioning')).toEqual([]);
  });

  it('production: prevent_destroy, no force_destroy, versioned, superseded versions kept for the retention (issue 18.8)', () => {
    const synthesized = synthLb({ preventDestroy: true, accessLogRetentionDays: 365 });
    expect(synthesized).toHaveResourceWithProperties(S3Bucket, { force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(synthesized).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: 'Enabled' } });
    const [lifecycle] = resourcesIn(synthesized, 'aws_s3_bucket_lifecycle_configuration');
    expect(lifecycle.rule[0]).toEqual(
      expect.objectContaining({ expiration: [{ days: 365 }], noncurrent_version_expiration: [{ noncurrent_days: 365 }] }),
    );
  });

  it('receives ALB connection logs beside the access logs, and lets ELB deliver both (issue 18.8)', () => {
    const synthesized = synthLb();
    expect(synthesized).toHaveResourceWithProperties(Lb, {
      access_logs: { bucket: expect.stringMatching(/aws_s3_bucket\.lb_access-logs_bucket_.*\.bucket/), prefix: 'alb', enabled: true },
      connection_logs: { bucket: expect.stringMatching(/aws_s3_bucket\.lb_access-logs_bucket_.*\.bucket/), prefix: 'alb-connections', enabled: true },
    });
    const [policy] = resourcesIn(synthesized, 'aws_s3_bucket_policy');
    expect(JSON.parse(policy.policy).Statement[0]).toEqual(
      expect.objectContaining({
        Sid: 'AllowElbLogDelivery',
        Action: 's3:PutObject',
        Resource: [expect.stringMatching(/\/alb\/AWSLogs\/111111111111\/\*$/), expect.stringMatching(/\/alb-connections\/AWSLogs\/111111111111\/\*$/)],
      }),
    );
  });

  it.each([
    ['dev', { force_destroy: true, lifecycle: { prevent_destroy: false } }, 0],
    ['staging', { force_destroy: true, lifecycle: { prevent_destroy: false } }, 0],
    ['prod', { force_destroy: false, lifecycle: { prevent_destroy: true } }, 1],
  ])('%s: the environment decides (production protects and versions its logs)', (envName, bucket, versionings) => {
    const synthesized = synthOf(envName, 'app');
    expect(synthesized).toHaveResourceWithProperties(S3Bucket, { bucket_prefix: `drf-api-${envName}-alb-logs-`, ...bucket });
    expect(resourcesIn(synthesized, 'aws_s3_bucket_versioning').filter((v) => /access-logs/.test(String(v.bucket)))).toHaveLength(versionings);
  });
});

describe('LoadBalancer props', () => {
  it('refuses domain names without a hosted zone', () => {
    expect(() => synthLb({ domainNames: ['api.example.com'] })).toThrow(/domainNames need a zoneId/);
  });

  it('applies the given idle timeout, deletion protection and log retention (no defaults of its own)', () => {
    const synthesized = synthLb({ idleTimeoutSeconds: 120, deletionProtection: false, accessLogRetentionDays: 30 });
    expect(resourcesIn(synthesized, 'aws_lb')[0]).toEqual(expect.objectContaining({ idle_timeout: 120, enable_deletion_protection: false }));
    expect(JSON.stringify(resourcesIn(synthesized, 'aws_s3_bucket_lifecycle_configuration'))).toContain('"days":30');
  });
});

describe('bucket grants', () => {
  it('grantRead lists the bucket and reads the given keys; grantWrite puts and deletes them', () => {
    const statements: Statement[] = [];
    const grantee = { addToPolicy: (...added: Statement[]) => void statements.push(...added) };
    let bucket: PrivateBucket | undefined;
    Testing.synthScope((scope) => {
      bucket = new PrivateBucket(scope, 'b', { bucketPrefix: 'b-' });
      bucket.grantRead(grantee, { keys: 'prod/*', sidPrefix: 'State' });
      bucket.grantWrite(grantee, { keys: 'prod/*.tflock', sid: 'Locks' });
    });
    expect(statements).toEqual([
      { Sid: 'StateList', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucket!.bucketArn },
      { Sid: 'StateRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket!.bucketArn}/prod/*` },
      { Sid: 'Locks', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: `${bucket!.bucketArn}/prod/*.tflock` },
    ]);
  });
});

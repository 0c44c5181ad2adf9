import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Testing } from 'cdktf';
import { buildEnvironment } from '../src/app';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import { resourcesIn, sharedSynthDir, stacksFor, synthJson, synthOf } from './helpers';

describe('stacks of every environment', () => {
  const configs = loadConfig(project, environments);
  const app = Testing.app();
  const all = configs.map((config) => ({ config, stacks: buildEnvironment(app, config) }));

  it('describe every output of the app stacks (what it is for)', () => {
    for (const { stacks } of all) {
      const outputs = Object.entries(synthJson(stacks.app).output as Record<string, { description?: string }>);
      expect(outputs.length).toBeGreaterThan(0);
      for (const [name, output] of outputs) expect([name, output.description ?? '']).toEqual([name, expect.stringMatching(/\w{3,}/)]);
    }
  });

  it('are named <env>-<component>', () => {
    const names = all.flatMap(({ stacks }) => Object.values(stacks).map((s) => s.node.id));
    expect(names).toEqual(expect.arrayContaining(['dev-bootstrap', 'dev-network', 'staging-network', 'prod-bootstrap', 'prod-network']));
    for (const { config, stacks } of all) {
      for (const stack of Object.values(stacks)) expect(stack.node.id.startsWith(`${config.name}-`)).toBe(true);
    }
  });

  it('keep state in the environment\'s bucket, one key per stack, encrypted with the state key, with S3-native locking', () => {
    for (const { config, stacks } of all) {
      const { terraform } = synthJson(stacks.network);
      expect(terraform.backend.s3).toEqual({
        bucket: config.state.bucket,
        key: `${config.name}/network.tfstate`,
        region: config.region,
        encrypt: true,
        kms_key_id: `alias/drf-api-${config.name}-tfstate`,
        use_lockfile: true,
      });
      expect(terraform.required_version).toBe('>= 1.10');
    }
  });

  it('let Terraform use a region newer than the provider only when allowUnknownRegion says so', () => {
    const stacks = stacksFor('dev', { region: 'ap-future-9', availabilityZones: ['ap-future-9a', 'ap-future-9b'], allowUnknownRegion: true });
    const { provider, terraform } = synthJson(stacks.network);
    expect(provider.aws[0].skip_region_validation).toBe(true);
    expect(terraform.backend.s3.skip_region_validation).toBe(true);
    const usual = JSON.parse(synthOf('dev', 'network'));
    expect(usual.provider.aws[0].skip_region_validation).toBeUndefined();
    expect(usual.terraform.backend.s3.skip_region_validation).toBeUndefined();
  });

  it('bootstrap keeps local state outside cdktf.out', () => {
    const { terraform } = synthJson(all[0].stacks.bootstrap);
    expect(terraform.backend.local).toEqual({ path: '../../../state/dev-bootstrap.tfstate' });
    expect(terraform.required_version).toBe('>= 1.10');
  });

  it('bootstrap moves its own state into the bucket when the config says so', () => {
    const { terraform } = synthJson(stacksFor('dev', { state: { bootstrapInBucket: true } }).bootstrap);
    expect(terraform.backend).toEqual({ s3: expect.objectContaining({ bucket: 'example-drf-api-tfstate-dev', key: 'dev/bootstrap.tfstate', use_lockfile: true }) });
  });

  it('tag everything through the provider\'s default_tags', () => {
    const { provider } = synthJson(all[2].stacks.network);
    expect(provider.aws[0]).toEqual(
      expect.objectContaining({
        region: 'ap-northeast-1',
        default_tags: [
          {
            tags: {
              environment: 'prod',
              service: 'drf-api',
              'managed-by': 'cdktf',
              repository: project.repository,
              stack: 'prod-network',
            },
          },
        ],
      }),
    );
  });

  it('pins the AWS account when the config names one', () => {
    // The shipped prod example's account: its other ARNs (admin roles, web ACL) must be in it.
    const { network } = stacksFor('prod', { allowedAccountIds: ['123456789012'] });
    expect(Testing.synth(network)).toHaveProviderWithProperties(AwsProvider, { allowed_account_ids: ['123456789012'] });
  });

  it('give every IAM role of the network, data and app stacks the environment\'s permissions boundary; the bootstrap\'s pipeline roles carry none', () => {
    let roles = 0;
    for (const env of Object.keys(environments)) {
      for (const stack of ['network', 'data', 'app'] as const) {
        const synthesized = synthOf(env, stack);
        const caller = Object.keys(JSON.parse(synthesized).data.aws_caller_identity)[0];
        const boundary = `arn:aws:iam::\${data.aws_caller_identity.${caller}.account_id}:policy/pipeline/drf-api-${env}-workload-boundary`;
        for (const role of resourcesIn(synthesized, 'aws_iam_role')) {
          expect([env, stack, role.name, role.permissions_boundary]).toEqual([env, stack, role.name, boundary]);
          roles += 1;
        }
      }
      const bootstrapRoles = resourcesIn(synthOf(env, 'bootstrap'), 'aws_iam_role');
      expect(bootstrapRoles.length).toBeGreaterThan(0);
      for (const role of bootstrapRoles) expect(role.permissions_boundary).toBeUndefined();
    }
    expect(roles).toBeGreaterThan(20);
  });

  it('refuse a workload role that sets a permissions boundary of its own', () => {
    const { app: stack } = stacksFor('dev');
    new IamRole(stack, 'rogue', { name: 'rogue', assumeRolePolicy: '{}', permissionsBoundary: 'arn:aws:iam::aws:policy/AdministratorAccess' });
    expect(() => Testing.synth(stack)).toThrow(/rogue: sets its own permissions boundary \(arn:aws:iam::aws:policy\/AdministratorAccess\)/);
  });

  it('synthesizes byte-identical output for the same config', () => {
    const first = Testing.synth(stacksFor('prod').network);
    const second = Testing.synth(stacksFor('prod').network);
    expect(second).toBe(first);
  });
});

describe('the state bucket (bootstrap stack)', () => {
  const synthesized = synthOf('prod', 'bootstrap');

  it('cannot be destroyed by Terraform', () => {
    expect(synthesized).toHaveResourceWithProperties(S3Bucket, {
      bucket: 'example-drf-api-tfstate-prod',
      lifecycle: { prevent_destroy: true },
    });
  });

  it('is versioned and encrypted', () => {
    expect(synthesized).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: 'Enabled' },
    });
    expect(synthesized).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [expect.objectContaining({ apply_server_side_encryption_by_default: expect.objectContaining({ sse_algorithm: 'aws:kms' }) })],
    });
  });

  it('blocks all public access', () => {
    expect(synthesized).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it('denies requests that are not TLS', () => {
    const [policy] = Object.values(JSON.parse(synthesized).resource.aws_s3_bucket_policy) as Array<{ policy: string }>;
    expect(JSON.parse(policy.policy).Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
    expect(synthesized).toHaveResource(S3BucketPolicy);
  });
});

describe('cross-stack references', () => {
  it('the data stack reads the network\'s outputs from the network\'s remote state', () => {
    // What main.ts writes (the shared synth of every environment: cdktf's app synth, cross-stack references resolved).
    const data = JSON.parse(readFileSync(join(sharedSynthDir(), 'stacks', 'prod-data', 'cdk.tf.json'), 'utf8'));
    expect(data.data.terraform_remote_state['cross-stack-reference-input-prod-network']).toEqual(
      expect.objectContaining({
        backend: 's3',
        config: expect.objectContaining({ bucket: 'example-drf-api-tfstate-prod', key: 'prod/network.tfstate' }),
      }),
    );
    const [primary] = Object.values(data.resource.aws_db_instance) as Array<Record<string, string>>;
    expect(primary.db_subnet_group_name).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-network\.outputs\./);
  });
});

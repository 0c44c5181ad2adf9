// The bootstrap stack's state bucket and key: who may use them, and how uploads must be encrypted.
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { Testing } from 'cdktf';
import { evaluate, type PolicyStatement } from '../src/lib/iam-conditions';
import { permissionsBoundaryArn, stateKeyAlias } from '../src/naming';
import { BootstrapStack } from '../src/stacks/bootstrap-stack';
import { configFor, configProblems, resourcesIn, synthOf, type Json, type Overrides } from './helpers';

const synthBootstrap = (envName: string, overrides: Overrides = {}) => Testing.synth(new BootstrapStack(Testing.app(), configFor(envName, overrides)));

const ADMIN = 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_AdministratorAccess_*';
const DEPLOYER = '${data.aws_iam_session_context.deployer.issuer_arn}';
const roleArn = (name: string) => `arn:aws:iam::\${data.aws_caller_identity.caller.account_id}:role/pipeline/${name}`;

describe('the state key', () => {
  const synthesized = synthBootstrap('prod');
  const [key] = resourcesIn(synthesized, 'aws_kms_key');
  const policy = JSON.parse(key.policy);

  it('is customer-managed, rotated, and cannot be destroyed by Terraform', () => {
    expect(synthesized).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    expect(synthesized).toHaveResourceWithProperties(KmsAlias, { name: 'alias/drf-api-prod-tfstate' });
    expect(stateKeyAlias('drf-api', 'prod')).toBe('alias/drf-api-prod-tfstate');
  });

  it('is administered by the account (through IAM) and usable only by admins, the deployer, plan and apply', () => {
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::${data.aws_caller_identity.caller.account_id}:root' }, Action: 'kms:*' }),
      {
        // The Sid deployed state keys have (CI may not update this key's policy).
        Sid: 'DenyUseOutsideStateRoles',
        Effect: 'Deny',
        Principal: '*',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [ADMIN, DEPLOYER, roleArn('drf-api-prod-pipeline-plan'), roleArn('drf-api-prod-pipeline-apply')] } },
      },
    ]);
  });

  it('encrypts the bucket by default', () => {
    expect(synthesized).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.state-key_[0-9A-F]+\.arn\}$/) }, bucket_key_enabled: true }],
    });
  });
});

describe('the state bucket policy', () => {
  const synthesized = synthBootstrap('prod');
  const [bucketPolicy] = resourcesIn(synthesized, 'aws_s3_bucket_policy');
  const statements: Json[] = JSON.parse(bucketPolicy.policy).Statement;
  const statement = (sid: string) => statements.find((s) => s.Sid === sid);

  it('keeps the bucket\'s resource address (no replacement of an existing state bucket)', () => {
    expect(Object.keys(JSON.parse(synthesized).resource.aws_s3_bucket)).toEqual(['state_bucket_803B4E61']);
  });

  it('denies uploads that ask for anything but KMS encryption', () => {
    expect(statement('DenyUploadsNotEncryptedWithKms')).toEqual({
      Sid: 'DenyUploadsNotEncryptedWithKms',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: '${aws_s3_bucket.state_bucket_803B4E61.arn}/*',
      Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    });
  });

  it('denies every principal but the admin roles, the deployer and the plan and apply roles (not release)', () => {
    expect(statement('DenyPrincipalsOutsideAdminsAndPipelines')).toEqual({
      Sid: 'DenyPrincipalsOutsideAdminsAndPipelines',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:GetObject*', 's3:List*', 's3:Put*', 's3:Delete*', 's3:Replicate*', 's3:Restore*', 's3:Bypass*'],
      Resource: ['${aws_s3_bucket.state_bucket_803B4E61.arn}', '${aws_s3_bucket.state_bucket_803B4E61.arn}/*'],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [ADMIN, DEPLOYER, roleArn('drf-api-prod-pipeline-plan'), roleArn('drf-api-prod-pipeline-apply')] } },
    });
    expect(bucketPolicy.policy).not.toContain('pipeline-release');
  });

  it('names the pipeline roles by the ARNs they get (path and name)', () => {
    const allowedArns: string[] = statement('DenyPrincipalsOutsideAdminsAndPipelines')!.Condition.ArnNotLike['aws:PrincipalArn'];
    const roles = resourcesIn(synthesized, 'aws_iam_role').map((r) => `arn:aws:iam::\${data.aws_caller_identity.caller.account_id}:role${r.path}${r.name}`);
    expect(roles.filter((arn) => allowedArns.includes(arn)).sort()).toEqual([roleArn('drf-api-prod-pipeline-apply'), roleArn('drf-api-prod-pipeline-plan')]);
  });

  it('adds the role of whoever applies the bootstrap stack, so a first apply cannot lock its deployer out', () => {
    expect(synthesized).toHaveDataSourceWithProperties(DataAwsIamSessionContext, { arn: '${data.aws_caller_identity.caller.arn}' });
    const dev = resourcesIn(synthBootstrap('dev'), 'aws_s3_bucket_policy')[0];
    expect(JSON.parse(dev.policy).Statement[1].Condition.ArnNotLike['aws:PrincipalArn']).toEqual([
      DEPLOYER,
      roleArn('drf-api-dev-pipeline-plan'),
      roleArn('drf-api-dev-pipeline-apply'),
    ]);
  });

  it('still refuses requests without TLS', () => {
    expect(statements[statements.length - 1]).toEqual(expect.objectContaining({ Sid: 'DenyInsecureTransport', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });
});

describe('state.adminRoleArns', () => {
  it('is required in production', () => {
    expect(configProblems('prod', { state: { adminRoleArns: [] } })).toEqual([expect.stringMatching(/^prod\.state\.adminRoleArns: needs at least one role in production/)]);
  });

  it.each([
    ['arn:aws:iam::123456789012:role/*'],
    ['arn:aws:iam::123456789012:*'],
    ['arn:aws:iam::*:role/admin'],
    ['arn:aws:sts::123456789012:assumed-role/admin/me'],
    ['admin'],
  ])('refuses %s', (arn) => {
    expect(configProblems('dev', { state: { adminRoleArns: [arn] } })).toEqual([
      `dev.state.adminRoleArns.0: "${arn}" is not an IAM role or user ARN ("arn:aws:iam::<account>:role/<name>"; wildcards only inside a name)`,
    ]);
  });

  it('refuses a role of an account the environment does not allow', () => {
    expect(configProblems('prod', { state: { adminRoleArns: ['arn:aws:iam::999999999999:role/admin'] } })).toEqual([
      'prod.state.adminRoleArns.0: "arn:aws:iam::999999999999:role/admin" is in account 999999999999, not in allowedAccountIds',
    ]);
  });
});

describe('bootstrap stack in another partition', () => {
  it('writes every ARN it builds in the region\'s partition (GovCloud)', () => {
    const synthesized = synthBootstrap('dev', { region: 'us-gov-west-1', availabilityZones: ['us-gov-west-1a', 'us-gov-west-1b'], state: { adminRoleArns: [] } } as Overrides);
    expect(synthesized).not.toMatch(/arn:aws:/);
    expect(synthesized).toContain('arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess');
    expect(synthesized).toMatch(/arn:aws-us-gov:iam::\$\{[^}]+\}:role\/pipeline\//);
  });

  it('describes every output', () => {
    const outputs = JSON.parse(synthBootstrap('prod')).output as Record<string, { description?: string }>;
    for (const [name, output] of Object.entries(outputs)) expect([name, output.description]).toEqual([name, expect.stringMatching(/\w/)]);
  });
});

describe('the workload permissions boundary', () => {
  const synthesized = synthBootstrap('prod');
  const [policy] = resourcesIn(synthesized, 'aws_iam_policy');
  const statements = JSON.parse(policy.policy).Statement as PolicyStatement[];
  const account = '${data.aws_caller_identity.caller.account_id}';
  const decide = (action: string, resource = '*', context: Record<string, string> = {}) => evaluate(statements, { action, resource, context });

  it('is the managed policy naming.ts names, under /pipeline/ (where the apply role may not touch it)', () => {
    expect(synthesized).toHaveResourceWithProperties(IamPolicy, { name: 'drf-api-prod-workload-boundary', path: '/pipeline/' });
    expect(permissionsBoundaryArn('aws', account, 'drf-api', 'prod')).toBe(`arn:aws:iam::${account}:policy/pipeline/drf-api-prod-workload-boundary`);
    expect(JSON.parse(synthesized).output.workload_boundary_arn.value).toMatch(/^\$\{aws_iam_policy\.workload-boundary_policy_/);
  });

  it('lets workloads use services but no IAM, Organizations or account settings, and no STS into other roles', () => {
    for (const action of ['ecs:RunTask', 's3:GetObject', 'kms:Decrypt', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'ssmmessages:OpenDataChannel']) {
      expect([action, decide(action)]).toEqual([action, 'allow']);
    }
    for (const action of ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:CreateAccessKey', 'iam:DeleteRolePermissionsBoundary', 'organizations:LeaveOrganization', 'account:PutAlternateContact']) {
      expect([action, decide(action)]).not.toEqual([action, 'allow']);
    }
    expect(decide('sts:AssumeRole', 'arn:aws:iam::999999999999:role/admin')).toBe('implicit-deny');
    expect(decide('sts:AssumeRole', `arn:aws:iam::${account}:role/admin`)).toBe('implicit-deny');
    expect(decide('sts:AssumeRole', `arn:aws:iam::${account}:role/drf-api-prod-api-task`)).toBe('allow');
  });

  it('lets a role pass this environment\'s roles to ECS tasks only (the schedules\' RunTask)', () => {
    const role = `arn:aws:iam::${account}:role/drf-api-prod-api-task`;
    expect(decide('iam:PassRole', role, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).toBe('allow');
    expect(decide('iam:PassRole', role, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe('implicit-deny');
    expect(decide('iam:PassRole', `arn:aws:iam::${account}:role/pipeline/drf-api-prod-pipeline-apply`, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).toBe('deny');
  });

  it('denies what the apply role itself is denied: a role it creates cannot use or administer the state key, nor touch the state bucket', () => {
    const keyArn = `\${aws_kms_key.${Object.keys(JSON.parse(synthesized).resource.aws_kms_key)[0]}.arn}`;
    const aliasArn = `arn:aws:kms:ap-northeast-1:${account}:alias/drf-api-prod-tfstate`;
    const bucketArn = `\${aws_s3_bucket.state_bucket_803B4E61.arn}`;
    // What the apply role could write into a `<prefix>-x` role it creates with the boundary: everything.
    const everything: PolicyStatement = { Effect: 'Allow', Action: '*', Resource: '*' };
    const bounded = (action: string, resource: string) => {
      const identity = evaluate([everything], { action, resource });
      const boundary = evaluate(statements, { action, resource });
      return identity === 'allow' && boundary === 'allow' ? 'allow' : 'deny';
    };
    for (const action of ['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:Decrypt', 'kms:CreateGrant', 'kms:DisableKey']) {
      expect([action, decide(action, keyArn)]).toEqual([action, 'deny']);
      expect([action, bounded(action, keyArn)]).toEqual([action, 'deny']);
    }
    for (const action of ['kms:UpdateAlias', 'kms:DeleteAlias']) expect([action, decide(action, aliasArn)]).toEqual([action, 'deny']);
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObject']) {
      expect([action, decide(action, `${bucketArn}/prod/app.tfstate`)]).toEqual([action, 'deny']);
    }
    for (const action of ['s3:PutBucketPolicy', 's3:DeleteBucket', 's3:PutLifecycleConfiguration', 's3:PutBucketVersioning']) {
      expect([action, decide(action, bucketArn)]).toEqual([action, 'deny']);
    }
    // Other keys and buckets (the workloads' own) stay usable.
    expect(decide('kms:Decrypt', 'arn:aws:kms:ap-northeast-1:123456789012:key/0f8e5c1a-0000-4000-8000-000000000000')).toBe('allow');
    expect(decide('s3:PutObject', 'arn:aws:s3:::drf-api-prod-media/x')).toBe('allow');
  });

  it('denies IAM and STS on the pipeline roles, the policies under /pipeline/ (the boundary itself) and the OIDC providers', () => {
    for (const resource of [
      `arn:aws:iam::${account}:role/pipeline/drf-api-prod-pipeline-apply`,
      `arn:aws:iam::${account}:policy/pipeline/drf-api-prod-workload-boundary`,
      `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
    ]) {
      for (const action of ['iam:UpdateAssumeRolePolicy', 'iam:CreatePolicyVersion', 'iam:PassRole', 'sts:AssumeRole', 'iam:UpdateOpenIDConnectProviderThumbprint']) {
        expect([resource, action, decide(action, resource, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })]).toEqual([resource, action, 'deny']);
      }
    }
  });

  it('allows every action the stacks grant their own roles (a boundary that cut one would break a workload)', () => {
    let checked = 0;
    for (const env of ['dev', 'staging', 'prod']) {
      for (const stack of ['network', 'data', 'app'] as const) {
        const synthesizedStack = synthOf(env, stack);
        const inline = [...resourcesIn(synthesizedStack, 'aws_iam_role_policy'), ...resourcesIn(synthesizedStack, 'aws_iam_policy')];
        for (const granted of inline.flatMap((p) => JSON.parse(p.policy).Statement as PolicyStatement[]).filter((s) => s.Effect === 'Allow')) {
          const resource = [granted.Resource ?? '*'].flat()[0].replace(/drf-api-(dev|staging)-/, 'drf-api-prod-');
          const passedTo = granted.Condition?.StringEquals?.['iam:PassedToService'];
          for (const action of [granted.Action ?? []].flat()) {
            const context: Record<string, string> = passedTo ? { 'iam:PassedToService': String(passedTo) } : {};
            expect([env, action, decide(action, action === 'iam:PassRole' ? resource : '*', context)]).toEqual([env, action, 'allow']);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

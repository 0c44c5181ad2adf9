// Pipeline identities (bootstrap stack): who may assume the plan, apply and release roles, and what
// each may do. Read from the synthesized JSON, the way IAM will see it.
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import type { ProjectInput } from '../src/config/schema';
import { PipelineRole } from '../src/constructs/pipeline-role';
import { serviceNames } from '../src/naming';
import { BootstrapStack } from '../src/stacks/bootstrap-stack';
import { configFor, configProblems, merge, resourcesIn, stacksFor, type Json, type Overrides } from './helpers';

const REPO = 'example-org/drf-service-infra';
const ORG_ID = '0f8e5c1a-7d2b-4c3e-9a1f-2b3c4d5e6f70';
const PROJECT_ID = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
const GH = 'token.actions.githubusercontent.com';
const CC = `oidc.circleci.com/org/${ORG_ID}`;

/** The bootstrap stack of one environment, with project and environment overrides. */
function bootstrap(envName: string, overrides: Overrides = {}, projectOverrides: Record<string, unknown> = {}): string {
  const config = loadConfig(merge(project, projectOverrides) as ProjectInput, { [envName]: merge(environments[envName], overrides) })[0];
  return Testing.synth(new BootstrapStack(Testing.app(), config));
}

/** The problems loading reports for a changed project. */
function projectProblems(projectOverrides: Record<string, unknown>): string[] {
  try {
    loadConfig(merge(project, projectOverrides) as ProjectInput, { dev: environments.dev });
    return [];
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
}

interface Role {
  readonly name: string;
  readonly path: string;
  readonly maxSession: number;
  readonly trust: Json[];
  readonly statements: Json[];
  readonly managed: string[];
}

/** Each pipeline role by kind (plan/apply/release): trust, inline statements, attached managed policies. */
function roles(synthesized: string): Record<'plan' | 'apply' | 'release', Role> {
  const json = JSON.parse(synthesized);
  const result = {} as Record<string, Role>;
  for (const [id, role] of Object.entries(json.resource.aws_iam_role as Record<string, Json>)) {
    const kind = /pipeline_(plan|apply|release)_role/.exec(id)?.[1];
    if (!kind) continue;
    const ref = `\${aws_iam_role.${id}.`;
    const inline = resourcesIn(synthesized, 'aws_iam_role_policy').find((p) => String(p.role).startsWith(ref));
    const managed = resourcesIn(synthesized, 'aws_iam_role_policy_attachment')
      .filter((a) => String(a.role).startsWith(ref))
      .map((a) => a.policy_arn as string);
    result[kind] = {
      name: role.name,
      path: role.path,
      maxSession: role.max_session_duration,
      trust: JSON.parse(role.assume_role_policy).Statement,
      statements: JSON.parse(inline!.policy).Statement,
      managed,
    };
  }
  return result as Record<'plan' | 'apply' | 'release', Role>;
}

const trustOf = (role: Role, host: string) => role.trust.find((s) => JSON.stringify(s.Condition).includes(`${host}:sub`));
const allowed = (role: Role) => role.statements.filter((s) => s.Effect === 'Allow');
const actionsOf = (statement: Json): string[] => [statement.Action].flat();

describe('GitHub Actions trust', () => {
  const dev = roles(bootstrap('dev'));
  const prod = roles(bootstrap('prod'));

  it('plan: pull requests and branches of this repository only, with the STS audience', () => {
    expect(trustOf(dev.plan, GH)).toEqual({
      Effect: 'Allow',
      Principal: { Federated: expect.stringContaining('aws_iam_openid_connect_provider.github-oidc') },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${GH}:aud`]: 'sts.amazonaws.com' },
        StringLike: { [`${GH}:sub`]: [`repo:${REPO}:pull_request`, `repo:${REPO}:ref:refs/heads/*`] },
      },
    });
  });

  it('apply and release: only jobs of the environment\'s GitHub deployment environment, compared exactly', () => {
    for (const role of [dev.apply, dev.release]) {
      expect(trustOf(role, GH)?.Condition).toEqual({
        StringEquals: { [`${GH}:aud`]: 'sts.amazonaws.com', [`${GH}:sub`]: [`repo:${REPO}:environment:dev`] },
      });
    }
  });

  it('production: apply and release only from the protected "production" environment', () => {
    for (const role of [prod.apply, prod.release]) {
      expect(trustOf(role, GH)?.Condition.StringEquals[`${GH}:sub`]).toEqual([`repo:${REPO}:environment:production`]);
      expect(trustOf(role, GH)?.Condition.StringLike).toBeUndefined();
    }
  });

  it('outside production the GitHub environment defaults to the environment\'s name', () => {
    const { apply } = roles(bootstrap('staging', { ci: { githubEnvironment: undefined } }));
    expect(trustOf(apply, GH)?.Condition.StringEquals[`${GH}:sub`]).toEqual([`repo:${REPO}:environment:staging`]);
  });
});

describe('CircleCI trust', () => {
  const dev = roles(bootstrap('dev'));
  const project = `org/${ORG_ID}/project/${PROJECT_ID}/user/`;

  it('plan: any pipeline of this CircleCI project, audience = the organization id', () => {
    expect(trustOf(dev.plan, CC)).toEqual({
      Effect: 'Allow',
      Principal: { Federated: expect.stringContaining('aws_iam_openid_connect_provider.circleci-oidc') },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${CC}:aud`]: ORG_ID }, StringLike: { [`${CC}:sub`]: [`${project}*`] } },
    });
  });

  it('apply and release: the main branch of this repository (v2 token subject), not a fork\'s main', () => {
    for (const role of [dev.apply, dev.release]) {
      expect(trustOf(role, CC)?.Condition).toEqual({
        StringEquals: { [`${CC}:aud`]: ORG_ID },
        StringLike: { [`${CC}:sub`]: [`${project}*/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/main`] },
      });
    }
  });

  it('the deploy branch is configurable', () => {
    const { apply } = roles(bootstrap('dev', { ci: { deployBranch: 'release' } }));
    expect(trustOf(apply, CC)?.Condition.StringLike[`${CC}:sub`]).toEqual([`${project}*/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/release`]);
  });
});

describe('every trust policy', () => {
  const all = ['dev', 'staging', 'prod'].flatMap((env) => Object.values(roles(bootstrap(env))));

  it('pins audience and subject to this repository or CircleCI project: no "*" subject, nothing org-wide', () => {
    for (const role of all) {
      expect(role.trust.length).toBe(2);
      for (const statement of role.trust) {
        const conditions = Object.values(statement.Condition as Record<string, Record<string, unknown>>).reduce((a, b) => ({ ...a, ...b }), {});
        const subjects = [Object.entries(conditions).find(([key]) => key.endsWith(':sub'))![1]].flat() as string[];
        expect(Object.keys(conditions).some((key) => key.endsWith(':aud'))).toBe(true);
        for (const subject of subjects) {
          expect(subject.startsWith(`repo:${REPO}:`) || subject.startsWith(`org/${ORG_ID}/project/${PROJECT_ID}/user/`)).toBe(true);
        }
      }
    }
  });

  it('sessions last at most one hour, and the roles live under /pipeline/', () => {
    for (const role of all) {
      expect(role.maxSession).toBe(3600);
      expect(role.path).toBe('/pipeline/');
    }
  });
});

describe('CI switches and shared OIDC providers', () => {
  it('creates one provider per CI system by default, with its audience', () => {
    const synthesized = bootstrap('dev');
    expect(synthesized).toHaveResourceWithProperties(IamOpenidConnectProvider, { url: `https://${GH}`, client_id_list: ['sts.amazonaws.com'] });
    expect(synthesized).toHaveResourceWithProperties(IamOpenidConnectProvider, { url: `https://${CC}`, client_id_list: [ORG_ID] });
  });

  it('refers to an existing provider by its ARN in this account instead of creating it', () => {
    const synthesized = bootstrap('staging', { ci: { oidcProviders: { github: 'existing', circleci: 'existing' } } });
    expect(resourcesIn(synthesized, 'aws_iam_openid_connect_provider')).toEqual([]);
    const { plan } = roles(synthesized);
    expect(trustOf(plan, GH)?.Principal.Federated).toBe(`arn:aws:iam::\${data.aws_caller_identity.caller.account_id}:oidc-provider/${GH}`);
    expect(trustOf(plan, CC)?.Principal.Federated).toBe(`arn:aws:iam::\${data.aws_caller_identity.caller.account_id}:oidc-provider/${CC}`);
  });

  it('without CircleCI, nothing trusts CircleCI', () => {
    const synthesized = bootstrap('dev', {}, { ci: { circleci: undefined } });
    expect(synthesized).not.toContain('oidc.circleci.com');
    expect(roles(synthesized).apply.trust).toHaveLength(1);
  });

  it('with GitHub turned off, nothing trusts GitHub', () => {
    const synthesized = bootstrap('dev', {}, { ci: { github: { enabled: false } } });
    expect(synthesized).not.toContain(GH);
    expect(roles(synthesized).plan.trust).toHaveLength(1);
  });
});

describe('plan role', () => {
  const { plan } = roles(bootstrap('dev'));

  it('is ReadOnlyAccess plus this environment\'s state: read, and write of lock files only', () => {
    expect(plan.managed).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const writes = allowed(plan).filter((s) => actionsOf(s).some((a) => !/^(s3:(Get|List)|kms:Decrypt$|kms:GenerateDataKey$)/.test(a)));
    expect(writes).toEqual([
      { Sid: 'StateLockFiles', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: expect.stringMatching(/\}\/dev\/\*\.tflock$/) },
    ]);
    expect(allowed(plan).find((s) => s.Sid === 'StateRead')?.Resource).toMatch(/\}\/dev\/\*$/);
    expect(allowed(plan).find((s) => s.Sid === 'StateKey')).toEqual({
      Sid: 'StateKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: expect.stringMatching(/^\$\{aws_kms_key\.state-key_[0-9A-F]+\.arn\}$/),
    });
  });

  it('may not pass roles, and may not read secrets, logs or decrypt outside S3', () => {
    expect(JSON.stringify(plan.statements)).not.toContain('iam:PassRole');
    expect(plan.statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'DenyDataReads', Effect: 'Deny', Action: expect.arrayContaining(['secretsmanager:GetSecretValue', 'logs:GetLogEvents']) }),
        {
          Sid: 'DenyDecryptOutsideS3',
          Effect: 'Deny',
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { StringNotEquals: { 'kms:ViaService': 's3.ap-northeast-1.amazonaws.com' } },
        },
      ]),
    );
  });
});

describe('apply role', () => {
  const { apply } = roles(bootstrap('dev'));
  const statement = (sid: string) => apply.statements.find((s) => s.Sid === sid)!;
  const account = '${data.aws_caller_identity.caller.account_id}';

  it('is PowerUserAccess with IAM and PassRole only for this environment\'s names', () => {
    expect(apply.managed).toEqual(['arn:aws:iam::aws:policy/PowerUserAccess']);
    expect(statement('IamOfThisEnvironment').Resource).toEqual([
      `arn:aws:iam::${account}:role/drf-api-dev-*`,
      `arn:aws:iam::${account}:policy/drf-api-dev-*`,
      `arn:aws:iam::${account}:instance-profile/drf-api-dev-*`,
    ]);
    expect(statement('PassRolesOfThisEnvironment')).toEqual({ Sid: 'PassRolesOfThisEnvironment', Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${account}:role/drf-api-dev-*` });
    const passes = allowed(apply).filter((s) => actionsOf(s).some((a) => a === 'iam:PassRole' || a === 'iam:*'));
    expect(passes).toHaveLength(1);
  });

  it('reads and writes this environment\'s state', () => {
    expect(statement('StateWrite')).toEqual({ Sid: 'StateWrite', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: expect.stringMatching(/\}\/dev\/\*$/) });
  });

  it('cannot touch the pipeline identities, assume other roles, or administer the state bucket and key', () => {
    expect(statement('DenyPipelineIdentityChanges')).toEqual(
      expect.objectContaining({ Effect: 'Deny', Resource: [`arn:aws:iam::${account}:role/pipeline/*`, `arn:aws:iam::${account}:oidc-provider/*`] }),
    );
    expect(statement('DenyAssumingOtherRoles')).toEqual(expect.objectContaining({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: '*' }));
    expect(statement('DenyStateBucketAdministration')).toEqual(expect.objectContaining({ Effect: 'Deny', Action: expect.arrayContaining(['s3:PutBucket*', 's3:DeleteObjectVersion']) }));
    expect(statement('DenyStateKeyAdministration')).toEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion']),
        // The key and its alias (aliasArn): the alias can be neither repointed nor deleted.
        Resource: [expect.stringMatching(/^\$\{aws_kms_key\.state-key_[0-9A-F]+\.arn\}$/), `arn:aws:kms:ap-northeast-1:${account}:alias/drf-api-dev-tfstate`],
      }),
    );
    expect(statement('DenyBootstrapStateWrites').Resource).toMatch(/\}\/dev\/bootstrap\.tfstate\*$/);
  });

  it('covers every IAM name the other stacks create (<prefix>-*), none of them a pipeline role', () => {
    const stacks = stacksFor('staging');
    for (const stack of [stacks.network, stacks.data, stacks.app]) {
      const synthesized = Testing.synth(stack);
      for (const type of ['aws_iam_role', 'aws_iam_policy', 'aws_iam_instance_profile']) {
        for (const resource of resourcesIn(synthesized, type)) {
          expect(`${type} ${resource.name}`).toMatch(new RegExp(`^${type} drf-api-staging-`));
          expect(resource.path ?? '/').not.toBe('/pipeline/');
        }
      }
    }
  });
});

describe('release role', () => {
  const { release } = roles(bootstrap('prod'));
  const config = configFor('prod');
  const all = config.services.map((svc) => serviceNames('drf-api', 'prod', svc.name));
  const migrating = config.services.filter((svc) => svc.release.migrate).map((svc) => serviceNames('drf-api', 'prod', svc.name));
  const account = '${data.aws_caller_identity.caller.account_id}';
  const arn = (service: string, resource: string) => `arn:aws:${service}:ap-northeast-1:${account}:${resource}`;
  const statement = (sid: string) => release.statements.find((s) => s.Sid === sid)!;

  it('the shipped prod example has a service with a migrate task and one without', () => {
    expect(migrating.length).toBeGreaterThan(0);
    expect(migrating.length).toBeLessThan(all.length);
  });

  it('has no managed policy and no CodeDeploy', () => {
    expect(release.managed).toEqual([]);
    expect(JSON.stringify(release.statements)).not.toContain('codedeploy');
  });

  it('passes only the services\' and their migrate families\' task and execution roles, and only to ECS tasks', () => {
    expect(allowed(release).filter((s) => actionsOf(s).includes('iam:PassRole'))).toEqual([
      {
        Sid: 'PassTaskRoles',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: [...all.flatMap((n) => [n.taskRole, n.executionRole]), ...migrating.flatMap((n) => [n.migrateTaskRole, n.migrateExecutionRole])].map(
          (r) => `arn:aws:iam::${account}:role/${r}`,
        ),
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
    ]);
  });

  it('updates only this environment\'s services and runs only migrate families, in its cluster', () => {
    const services = all.map((n) => arn('ecs', `service/${n.cluster}/${n.service}`));
    expect(statement('UpdateServices')).toEqual(expect.objectContaining({ Action: expect.arrayContaining(['ecs:UpdateService']), Resource: services }));
    expect(statement('RunMigrations')).toEqual({
      Sid: 'RunMigrations',
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      Resource: migrating.map((n) => arn('ecs', `task-definition/${n.migrateFamily}:*`)),
      Condition: { ArnEquals: { 'ecs:cluster': arn('ecs', 'cluster/drf-api-prod') } },
    });
    expect(statement('RegisterRevisions').Resource).toEqual([
      ...all.map((n) => arn('ecs', `task-definition/${n.taskFamily}:*`)),
      ...migrating.map((n) => arn('ecs', `task-definition/${n.migrateFamily}:*`)),
    ]);
    expect(statement('FollowDeployments')).toEqual(
      expect.objectContaining({
        Action: ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
        Resource: [
          ...services,
          ...all.map((n) => arn('ecs', `service-deployment/${n.cluster}/${n.service}/*`)),
          ...all.map((n) => arn('ecs', `service-revision/${n.cluster}/${n.service}/*`)),
        ],
      }),
    );
  });

  it('reads images of its repositories, writes its release records, reads its migration logs', () => {
    expect(statement('ResolveImageTags').Resource).toEqual(all.map((n) => arn('ecr', `repository/${n.repository}`)));
    expect(statement('ReleaseRecords')).toEqual(
      expect.objectContaining({ Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: all.map((n) => arn('ssm', `parameter${n.releaseParameter}`)) }),
    );
    expect(statement('MigrationLogs').Resource).toEqual(
      migrating.flatMap((n) => [arn('logs', `log-group:${n.migrateLogGroup}`), arn('logs', `log-group:${n.migrateLogGroup}:log-stream:*`)]),
    );
  });

  it('allows every AWS API the release tool calls (src/release/)', () => {
    const prefixes: Record<string, string> = { ecs: 'ecs', ecr: 'ecr', ssm: 'ssm', 'cloudwatch-logs': 'logs' };
    const calls = readdirSync(join(__dirname, '../src/release'))
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => {
        const source = readFileSync(join(__dirname, '../src/release', file), 'utf8');
        return [...source.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-([a-z-]+)'/g)].flatMap(([, names, client]) =>
          [...names.matchAll(/\b([A-Z]\w+)Command\b/g)].map(([, api]) => `${prefixes[client]}:${api}`),
        );
      });
    expect(calls.length).toBeGreaterThan(5);
    const granted = allowed(release).flatMap(actionsOf);
    expect(calls.filter((action) => !granted.includes(action))).toEqual([]);
  });

  it('without any migrate task, runs no tasks and reads no logs', () => {
    const services = environments.dev.services.map((svc) => ({ ...svc, release: { ...svc.release, migrate: undefined } }));
    const { release: noMigrations } = roles(bootstrap('dev', { services }));
    const actions = noMigrations.statements.flatMap(actionsOf);
    expect(actions).not.toContain('ecs:RunTask');
    expect(actions).not.toContain('logs:GetLogEvents');
    expect(JSON.stringify(noMigrations.statements)).not.toContain('-migrate');
  });
});

describe('outputs', () => {
  it('are named like the pipeline variables and say which CI setting they go to', () => {
    const { output } = JSON.parse(bootstrap('prod'));
    expect(output.AWS_PLAN_ROLE_ARN_PROD).toEqual({
      value: expect.stringMatching(/^\$\{aws_iam_role\.pipeline_plan_role_/),
      description: expect.stringMatching(/GitHub: repository variable AWS_PLAN_ROLE_ARN_PROD; CircleCI: project environment variable AWS_PLAN_ROLE_ARN_PROD/),
    });
    expect(output.AWS_APPLY_ROLE_ARN_PROD.description).toMatch(/environment "production".*restricted context aws-prod/);
    expect(output.AWS_RELEASE_ROLE_ARN_PROD.value).toMatch(/^\$\{aws_iam_role\.pipeline_release_role_/);
  });

  it('a hyphenated environment name becomes an underscore in the variable', () => {
    const config = configFor('dev');
    const { output } = JSON.parse(Testing.synth(new BootstrapStack(Testing.app(), { ...config, name: 'dev-eu' })));
    expect(Object.keys(output)).toEqual(expect.arrayContaining(['AWS_PLAN_ROLE_ARN_DEV_EU', 'AWS_APPLY_ROLE_ARN_DEV_EU', 'AWS_RELEASE_ROLE_ARN_DEV_EU']));
  });
});

describe('bad input', () => {
  it.each([
    ['gitlab.com/example-org/drf-service-infra'],
    ['github.com/example-org'],
    ['github.com/example-org/drf-service-infra/extra'],
    ['https://github.com/example-org/drf-service-infra'],
    ['github.com/*/drf-service-infra'],
  ])('refuses repository %s', (repository) => {
    expect(projectProblems({ repository })).toEqual([`project.repository: "${repository}" is not "github.com/<org>/<repo>" (the pipeline roles' OIDC trust is pinned to it)`]);
  });

  it.each([['not-a-uuid'], ['0F8E5C1A-7D2B-4C3E-9A1F-2B3C4D5E6F70'], ['']])('refuses CircleCI organization id %j', (organizationId) => {
    expect(projectProblems({ ci: { circleci: { organizationId } } })).toEqual([
      `project.ci.circleci.organizationId: ${JSON.stringify(organizationId)} is not a lower-case UUID such as "0f8e5c1a-7d2b-4c3e-9a1f-2b3c4d5e6f70"`,
    ]);
  });

  it('refuses a CircleCI project id that is not a UUID', () => {
    expect(projectProblems({ ci: { circleci: { projectId: 'drf-service-infra' } } })).toEqual([expect.stringMatching(/^project\.ci\.circleci\.projectId: "drf-service-infra" is not a lower-case UUID/)]);
  });

  it('refuses a project that trusts no CI system', () => {
    expect(projectProblems({ ci: { github: { enabled: false }, circleci: undefined } })).toEqual([
      'project.ci: enables neither GitHub Actions nor CircleCI: the pipeline roles need a CI system to trust',
    ]);
  });

  it('refuses production without a protected GitHub environment name', () => {
    expect(configProblems('prod', { ci: { githubEnvironment: undefined } })).toEqual([expect.stringMatching(/^prod\.ci\.githubEnvironment: is required in production/)]);
  });

  it('refuses a GitHub environment name with wildcards', () => {
    expect(configProblems('dev', { ci: { githubEnvironment: 'prod*' } })).toEqual([expect.stringMatching(/^dev\.ci\.githubEnvironment: "prod\*" is not a GitHub environment name/)]);
  });

  it('refuses an unknown OIDC provider mode', () => {
    expect(configProblems('dev', { ci: { oidcProviders: { github: 'import' } } } as unknown as Overrides)).toEqual([
      'dev.ci.oidcProviders.github: "import" is not one of "create", "existing"',
    ]);
  });
});

describe('PipelineRole: managed policy attachments keyed by policy', () => {
  const trust = [{ providerArn: 'arn:aws:iam::111111111111:oidc-provider/x', host: 'x', audience: 'a', subjects: ['repo:o/r:ref:refs/heads/main'], match: 'exact' as const }];
  const synthRole = (managedPolicyArns: string[]) =>
    JSON.parse(Testing.synthScope((scope) => void new PipelineRole(scope, 'role', { name: 'r', description: 'd', trust, managedPolicyArns, statements: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }] })));

  it('names each attachment by the policy, so reordering the list changes no address', () => {
    const a = synthRole(['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::aws:policy/AWSSupportAccess']);
    const b = synthRole(['arn:aws:iam::aws:policy/AWSSupportAccess', 'arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const ids = (json: Record<string, any>) => Object.keys(json.resource.aws_iam_role_policy_attachment).sort();
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).toEqual([expect.stringMatching(/^role_managed-AWSSupportAccess_/), expect.stringMatching(/^role_managed-ReadOnlyAccess_/)]);
    expect(a.moved).toBeUndefined();
  });

  it('the bootstrap stack moves existing attachments from their position-keyed addresses', () => {
    const moved = JSON.parse(Testing.synth(new BootstrapStack(Testing.app(), configFor('prod')))).moved;
    expect(moved).toEqual([
      { from: expect.stringMatching(/\.pipeline_plan_managed-0_/), to: expect.stringMatching(/\.pipeline_plan_managed-ReadOnlyAccess_/) },
      { from: expect.stringMatching(/\.pipeline_apply_managed-0_/), to: expect.stringMatching(/\.pipeline_apply_managed-PowerUserAccess_/) },
    ]);
  });
});

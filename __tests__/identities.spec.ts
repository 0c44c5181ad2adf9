// Pipeline identities (bootstrap stack): who may assume the plan, apply and release roles, and what
// each may do. Read from the synthesized JSON, the way IAM will see it.
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import type { ProjectInput } from '../src/config/schema';
import { circleciAudiences } from '../src/constructs/oidc-provider';
import { WORKLOAD_ROLE_SERVICES } from '../src/constructs/pipeline-identities';
import { PipelineRole } from '../src/constructs/pipeline-role';
import { policyLength } from '../src/lib/policy-size';
import { evaluate as evaluatePolicy, trustAccepts as trustAcceptsPolicy, wildcardMatch, type PolicyStatement, type Request } from '../src/lib/iam-conditions';
import { scheduleNames, serviceNames } from '../src/naming';
import { BootstrapStack, promotionSourceRepositoryArn } from '../src/stacks/bootstrap-stack';
import { configFor, configProblems, merge, resourcesIn, stacksFor, synthOf, type Json, type Overrides } from './helpers';

const REPO = 'example-org/drf-service-infra';
const ORG_ID = '0f8e5c1a-7d2b-4c3e-9a1f-2b3c4d5e6f70';
const PROJECT_ID = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
const GH = 'token.actions.githubusercontent.com';
const CC = `oidc.circleci.com/org/${ORG_ID}`;

/** Every environment loaded, one of them with overrides (declaration order kept: the promotion chain). */
function loadedWith(envName: string, overrides: Overrides = {}, projectOverrides: Record<string, unknown> = {}) {
  return loadConfig(merge(project, projectOverrides) as ProjectInput, { ...environments, [envName]: merge(environments[envName], overrides) });
}

/** The bootstrap stack of one environment (knowing all of them, as main.ts builds it), with project and environment overrides. */
function bootstrapStack(envName: string, overrides: Overrides = {}, projectOverrides: Record<string, unknown> = {}): BootstrapStack {
  const all = loadedWith(envName, overrides, projectOverrides);
  return new BootstrapStack(Testing.app(), all.find((c) => c.name === envName)!, all);
}

function bootstrap(envName: string, overrides: Overrides = {}, projectOverrides: Record<string, unknown> = {}): string {
  return Testing.synth(bootstrapStack(envName, overrides, projectOverrides));
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

// The synthesized statements, read as IAM reads them.
const evaluate = (statements: Json[], request: Request) => evaluatePolicy(statements as PolicyStatement[], request);
const trustAccepts = (trust: Json[], providerArn: string, claims: Record<string, string>) => trustAcceptsPolicy(trust as PolicyStatement[], providerArn, claims);

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

/** Whether the role's trust accepts a token of `host` with this audience and subject (IAM's StringLike/StringEquals). */
function accepts(role: Role, host: string, aud: string, sub: string): boolean {
  const statement = trustOf(role, host)!;
  return trustAccepts(role.trust, statement.Principal.Federated, { [`${host}:aud`]: aud, [`${host}:sub`]: sub });
}

const GH_AUD = 'sts.amazonaws.com';
const ghSub = (context: string, workflow: string, ref: string) => `repo:${REPO}:${context}:job_workflow_ref:${REPO}/.github/workflows/${workflow}@${ref}`;

describe('GitHub Actions trust (customised subject: repo, context, job_workflow_ref)', () => {
  const dev = roles(bootstrap('dev'));
  const prod = roles(bootstrap('prod'));

  it('plan: the terraform workflow of any branch or pull request of this repository, with the STS audience', () => {
    expect(trustOf(dev.plan, GH)).toEqual({
      Effect: 'Allow',
      Principal: { Federated: expect.stringContaining('aws_iam_openid_connect_provider.github-oidc') },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${GH}:aud`]: 'sts.amazonaws.com' },
        StringLike: {
          [`${GH}:sub`]: [
            `repo:${REPO}:ref:refs/heads/*:job_workflow_ref:${REPO}/.github/workflows/terraform.yml@refs/heads/*`,
            `repo:${REPO}:pull_request:job_workflow_ref:${REPO}/.github/workflows/terraform.yml@refs/pull/*`,
          ],
        },
      },
    });
    expect(accepts(dev.plan, GH, GH_AUD, ghSub('ref:refs/heads/feature/x', 'terraform.yml', 'refs/heads/feature/x'))).toBe(true);
    expect(accepts(dev.plan, GH, GH_AUD, ghSub('pull_request', 'terraform.yml', 'refs/pull/12/merge'))).toBe(true);
    // Another repository, another audience, a tag, the release workflow, or the old default subject: refused.
    expect(accepts(dev.plan, GH, GH_AUD, ghSub('ref:refs/heads/main', 'terraform.yml', 'refs/heads/main').replace(/example-org/g, 'evil-org'))).toBe(false);
    expect(accepts(dev.plan, GH, 'https://github.com/example-org', ghSub('ref:refs/heads/main', 'terraform.yml', 'refs/heads/main'))).toBe(false);
    expect(accepts(dev.plan, GH, GH_AUD, ghSub('ref:refs/tags/v1', 'terraform.yml', 'refs/tags/v1'))).toBe(false);
    expect(accepts(dev.plan, GH, GH_AUD, ghSub('ref:refs/heads/x', 'release.yml', 'refs/heads/x'))).toBe(false);
    expect(accepts(dev.plan, GH, GH_AUD, `repo:${REPO}:ref:refs/heads/main`)).toBe(false);
  });

  it('apply: only terraform.yml of main in the environment\'s GitHub environment; release: only release.yml, compared exactly', () => {
    expect(trustOf(dev.apply, GH)?.Condition).toEqual({
      StringEquals: { [`${GH}:aud`]: GH_AUD, [`${GH}:sub`]: [ghSub('environment:dev', 'terraform.yml', 'refs/heads/main')] },
    });
    expect(trustOf(dev.release, GH)?.Condition).toEqual({
      StringEquals: { [`${GH}:aud`]: GH_AUD, [`${GH}:sub`]: [ghSub('environment:dev', 'release.yml', 'refs/heads/main')] },
    });
  });

  it('a release job\'s token is refused by the apply role and an apply job\'s by the release role', () => {
    const applyToken = ghSub('environment:dev', 'terraform.yml', 'refs/heads/main');
    const releaseToken = ghSub('environment:dev', 'release.yml', 'refs/heads/main');
    expect([accepts(dev.apply, GH, GH_AUD, applyToken), accepts(dev.apply, GH, GH_AUD, releaseToken)]).toEqual([true, false]);
    expect([accepts(dev.release, GH, GH_AUD, releaseToken), accepts(dev.release, GH, GH_AUD, applyToken)]).toEqual([true, false]);
  });

  it.each([
    ['a branch run in the environment', ghSub('environment:dev', 'terraform.yml', 'refs/heads/feature')],
    ['another workflow file', ghSub('environment:dev', 'evil.yml', 'refs/heads/main')],
    ['main without the environment', ghSub('ref:refs/heads/main', 'terraform.yml', 'refs/heads/main')],
    ['another environment', ghSub('environment:staging', 'terraform.yml', 'refs/heads/main')],
    ['the default (uncustomised) subject', `repo:${REPO}:environment:dev`],
    ['a pull request', ghSub('pull_request', 'terraform.yml', 'refs/pull/1/merge')],
  ])('apply refuses %s', (_what, sub) => {
    expect(accepts(dev.apply, GH, GH_AUD, sub)).toBe(false);
  });

  it('production: apply and release only from the protected "production" environment', () => {
    expect(trustOf(prod.apply, GH)?.Condition.StringEquals[`${GH}:sub`]).toEqual([ghSub('environment:production', 'terraform.yml', 'refs/heads/main')]);
    expect(trustOf(prod.release, GH)?.Condition.StringEquals[`${GH}:sub`]).toEqual([ghSub('environment:production', 'release.yml', 'refs/heads/main')]);
    for (const role of [prod.apply, prod.release]) expect(trustOf(role, GH)?.Condition.StringLike).toBeUndefined();
  });

  it('outside production the GitHub environment defaults to the environment\'s name; the deploy branch is configurable', () => {
    const { apply } = roles(bootstrap('staging', { ci: { githubEnvironment: undefined, deployBranch: 'release' } }));
    expect(trustOf(apply, GH)?.Condition.StringEquals[`${GH}:sub`]).toEqual([ghSub('environment:staging', 'terraform.yml', 'refs/heads/release')]);
  });
});

describe('CircleCI trust', () => {
  const dev = roles(bootstrap('dev'));
  const prod = roles(bootstrap('prod'));
  const project = `org/${ORG_ID}/project/${PROJECT_ID}/user/`;
  const USER = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
  const fromRepo = `${project}${USER}/vcs-origin/github.com/${REPO}/vcs-ref/`;
  const genuine = `${fromRepo}refs/heads/main`;
  // A branch named "x/vcs-origin/github.com/<org>/<repo>/vcs-ref/refs/heads/main" of this project.
  const hostile = `${fromRepo}refs/heads/x/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/main`;
  const APPLY = { dev: 'drf-api-dev-pipeline-apply', prod: 'drf-api-prod-pipeline-apply' };
  const RELEASE = { dev: 'drf-api-dev-pipeline-release', prod: 'drf-api-prod-pipeline-release' };

  it('plan: any branch of this repository in this CircleCI project, default audience = the organization id', () => {
    expect(trustOf(dev.plan, CC)).toEqual({
      Effect: 'Allow',
      Principal: { Federated: expect.stringContaining('aws_iam_openid_connect_provider.circleci-oidc') },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${CC}:aud`]: ORG_ID },
        StringLike: { [`${CC}:sub`]: [`${project}????????-????-????-????-????????????/vcs-origin/github.com/${REPO}/vcs-ref/*`] },
      },
    });
    expect(accepts(dev.plan, CC, ORG_ID, `${fromRepo}refs/heads/feature/x`)).toBe(true);
    expect(accepts(dev.plan, CC, ORG_ID, hostile)).toBe(true);
    expect(accepts(dev.plan, CC, ORG_ID, `org/${ORG_ID}/project/11111111-2222-4333-8444-555555555555/user/${USER}/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/x`)).toBe(false);
  });

  it.each([
    ['a fork\'s pull request (the fork is the origin)', `${project}${USER}/vcs-origin/github.com/evil-org/drf-service-infra/vcs-ref/refs/pull/7/head`],
    ['a fork whose name only begins like this repository', `${project}${USER}/vcs-origin/github.com/${REPO}-fork/vcs-ref/refs/heads/main`],
    ['a webhook or API trigger without a repository origin (v1 subject)', `${project}${USER}`],
    ['a user id that is not a UUID', `${project}x/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/main`],
  ])('plan refuses %s', (_what, sub) => {
    expect(accepts(dev.plan, CC, ORG_ID, sub)).toBe(false);
  });

  it('apply and release: main of this repository, the user id matched by its UUID shape, each with the audience naming its own role', () => {
    const subject = `${project}????????-????-????-????-????????????/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/main`;
    expect(trustOf(dev.apply, CC)?.Condition).toEqual({ StringEquals: { [`${CC}:aud`]: APPLY.dev }, StringLike: { [`${CC}:sub`]: [subject] } });
    expect(trustOf(dev.release, CC)?.Condition).toEqual({ StringEquals: { [`${CC}:aud`]: RELEASE.dev }, StringLike: { [`${CC}:sub`]: [subject] } });
    // The audience is the role's name: the last part of the ARN the pipeline holds (circleciAudiences).
    expect(circleciAudiences(ORG_ID, 'drf-api-prod')).toEqual({ plan: ORG_ID, apply: prod.apply.name, release: prod.release.name });
  });

  it('the genuine main subject is accepted; a hostile branch named like main\'s subject is refused (IAM\'s `*` spans "/")', () => {
    expect(accepts(dev.apply, CC, APPLY.dev, genuine)).toBe(true);
    expect(accepts(dev.apply, CC, APPLY.dev, hostile)).toBe(false);
    expect(accepts(dev.release, CC, RELEASE.dev, genuine)).toBe(true);
    expect(accepts(dev.release, CC, RELEASE.dev, hostile)).toBe(false);
    // What the old pattern (user `*`) would have let through:
    expect(wildcardMatch(`${project}*/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/main`, hostile)).toBe(true);
  });

  it.each([
    ['a fork\'s main', `${project}${USER}/vcs-origin/github.com/evil-org/drf-service-infra/vcs-ref/refs/heads/main`],
    ['another branch', `${fromRepo}refs/heads/feature`],
    ['a v1 token (no ref)', `${project}${USER}`],
    ['a user id that is not a UUID', `${project}x/vcs-origin/github.com/${REPO}/vcs-ref/refs/heads/main`],
  ])('apply refuses %s', (_what, sub) => {
    expect(accepts(dev.apply, CC, APPLY.dev, sub)).toBe(false);
  });

  it('a token minted for release (or the default token) is refused by apply, and one for apply by release', () => {
    expect(accepts(dev.apply, CC, RELEASE.dev, genuine)).toBe(false);
    expect(accepts(dev.apply, CC, ORG_ID, genuine)).toBe(false);
    expect(accepts(dev.release, CC, APPLY.dev, genuine)).toBe(false);
    expect(accepts(dev.plan, CC, APPLY.dev, genuine)).toBe(false);
  });

  it('a token minted for dev\'s apply or release role is refused by prod\'s, and the other way round', () => {
    expect(accepts(prod.apply, CC, APPLY.prod, genuine)).toBe(true);
    expect(accepts(prod.apply, CC, APPLY.dev, genuine)).toBe(false);
    expect(accepts(prod.release, CC, RELEASE.dev, genuine)).toBe(false);
    expect(accepts(dev.apply, CC, APPLY.prod, genuine)).toBe(false);
    // The audiences the pipelines used to share:
    expect(accepts(prod.apply, CC, 'aws-pipeline-apply', genuine)).toBe(false);
  });

  it('an environment may trust a CircleCI project of its own (ci.circleciProjectId): the shared project is then refused', () => {
    const DEDICATED = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
    const own = roles(bootstrap('prod', { ci: { circleciProjectId: DEDICATED } }));
    const dedicated = genuine.replace(PROJECT_ID, DEDICATED);
    for (const [role, aud] of [[own.apply, APPLY.prod], [own.release, RELEASE.prod], [own.plan, ORG_ID]] as const) {
      expect(accepts(role, CC, aud, dedicated)).toBe(true);
      expect(accepts(role, CC, aud, genuine)).toBe(false);
    }
    expect(configProblems('prod', { ci: { circleciProjectId: 'prod-project' } })).toEqual([expect.stringMatching(/^prod\.ci\.circleciProjectId: "prod-project" is not a lower-case UUID/)]);
  });

  it('the deploy branch is configurable', () => {
    const { apply } = roles(bootstrap('dev', { ci: { deployBranch: 'release' } }));
    expect(accepts(apply, CC, APPLY.dev, genuine.replace(/main$/, 'release'))).toBe(true);
    expect(accepts(apply, CC, APPLY.dev, genuine)).toBe(false);
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

  it('sessions: plan one hour, apply four (Multi-AZ RDS changes), release two (migrate + rollout); roles under /pipeline/', () => {
    for (const env of ['dev', 'prod']) {
      const { plan, apply, release } = roles(bootstrap(env));
      expect([plan.maxSession, apply.maxSession, release.maxSession]).toEqual([3600, 14400, 10800]);
    }
    for (const role of all) expect(role.path).toBe('/pipeline/');
  });

  it('PipelineRole refuses a session IAM would refuse', () => {
    const trust = [{ providerArn: 'arn:aws:iam::111111111111:oidc-provider/x', host: 'x', audience: 'a', subjects: ['s'], match: 'exact' as const }];
    const make = (maxSessionSeconds: number) => () =>
      Testing.synthScope((scope) => void new PipelineRole(scope, 'r', { name: 'r', description: 'd', trust, statements: [], maxSessionSeconds }));
    expect(make(43201)).toThrow(/maxSessionSeconds 43201 is outside IAM's 3600–43200/);
    expect(make(600)).toThrow(/outside/);
  });
});

describe('CI switches and shared OIDC providers', () => {
  it('creates one provider per CI system by default, with every audience its roles accept', () => {
    const synthesized = bootstrap('dev');
    expect(synthesized).toHaveResourceWithProperties(IamOpenidConnectProvider, { url: `https://${GH}`, client_id_list: ['sts.amazonaws.com'] });
    // dev pins no account: every environment may share it (and its one CircleCI provider).
    const all = ['dev', 'staging', 'prod'].flatMap((env) => [`drf-api-${env}-pipeline-apply`, `drf-api-${env}-pipeline-release`]);
    expect(synthesized).toHaveResourceWithProperties(IamOpenidConnectProvider, { url: `https://${CC}`, client_id_list: [ORG_ID, ...all] });
  });

  it('lists only the audiences of environments that may share its account', () => {
    const providerOf = (synthesized: string) => resourcesIn(synthesized, 'aws_iam_openid_connect_provider').find((p) => String(p.url).includes('circleci'))!;
    const apart = { dev: { ...environments.dev, allowedAccountIds: ['111111111111'] }, staging: { ...environments.staging, allowedAccountIds: ['111111111111'] }, prod: environments.prod };
    const all = loadConfig(project, apart);
    const prodProvider = providerOf(Testing.synth(new BootstrapStack(Testing.app(), all[2], all)));
    expect(prodProvider.client_id_list).toEqual([ORG_ID, 'drf-api-prod-pipeline-apply', 'drf-api-prod-pipeline-release']);
    const devProvider = providerOf(Testing.synth(new BootstrapStack(Testing.app(), all[0], all)));
    expect(devProvider.client_id_list).toEqual([ORG_ID, ...['dev', 'staging'].flatMap((env) => [`drf-api-${env}-pipeline-apply`, `drf-api-${env}-pipeline-release`])]);
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
  const bucket = String(plan.statements.find((s) => s.Sid === 'StateRead')!.Resource).replace(/\/dev\/\*$/, '');
  const stateKey = String(plan.statements.find((s) => s.Sid === 'StateKey')!.Resource);
  const decide = (action: string, resource?: string) => evaluate(plan.statements, { action, resource });

  it('is ReadOnlyAccess plus this environment\'s state: read, and write of lock files only', () => {
    expect(plan.managed).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const writes = allowed(plan).filter((s) => actionsOf(s).some((a) => !/^(s3:(Get|List)|kms:Decrypt$|kms:GenerateDataKey$)/.test(a)));
    expect(writes).toEqual([
      { Sid: 'StateLockFiles', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: expect.stringMatching(/\}\/dev\/\*\.tflock$/) },
    ]);
    expect(allowed(plan).find((s) => s.Sid === 'StateRead')?.Resource).toMatch(/\}\/dev\/\*$/);
    expect(stateKey).toMatch(/^\$\{aws_kms_key\.state-key_[0-9A-F]+\.arn\}$/);
    expect(JSON.stringify(plan.statements)).not.toContain('iam:PassRole');
  });

  it('writes and deletes only lock files: any other object write is denied, whatever ReadOnlyAccess holds', () => {
    expect(decide('s3:PutObject', `${bucket}/dev/app.tfstate.tflock`)).toBe('allow');
    expect(decide('s3:DeleteObject', `${bucket}/dev/app.tfstate.tflock`)).toBe('allow');
    expect(decide('s3:PutObject', `${bucket}/dev/app.tfstate`)).toBe('deny');
    expect(decide('s3:DeleteObject', `${bucket}/dev/network.tfstate`)).toBe('deny');
    expect(decide('s3:PutObject', `${bucket}/staging/app.tfstate.tflock`)).toBe('deny');
    expect(decide('s3:PutObject', 'arn:aws:s3:::any-bucket/x.tflock')).toBe('deny');
  });

  it('reads the state objects but no other object: the stacks\' log buckets are denied', () => {
    expect(decide('s3:GetObject', `${bucket}/dev/app.tfstate`)).toBe('allow');
    expect(decide('s3:GetObject', `${bucket}/staging/app.tfstate`)).toBe('deny');
    const logBuckets = ['dev', 'staging', 'prod'].flatMap((env) =>
      (['network', 'data', 'app'] as const).flatMap((stack) => resourcesIn(synthOf(env, stack), 'aws_s3_bucket').map((b) => (b.bucket ?? b.bucket_prefix) as string)),
    );
    expect(logBuckets).toEqual(expect.arrayContaining(['drf-api-dev-alb-logs-']));
    for (const name of logBuckets) {
      expect(decide('s3:GetObject', `arn:aws:s3:::${name}20250101/AWSLogs/123456789012/elasticloadbalancing/x.log.gz`)).toBe('deny');
      expect(decide('s3:GetObjectVersion', `arn:aws:s3:::${name}20250101/k`)).toBe('deny');
      expect(decide('s3:GetObjectAttributes', `arn:aws:s3:::${name}20250101/k`)).toBe('deny');
      expect(decide('s3:GetObjectTagging', `arn:aws:s3:::${name}20250101/k`)).toBe('deny');
    }
  });

  it('decrypts only with the state key; no database logs, image pulls, user data, secrets or log events', () => {
    expect(decide('kms:Decrypt', stateKey)).toBe('allow');
    expect(decide('kms:Decrypt', 'arn:aws:kms:ap-northeast-1:123456789012:key/0f8e5c1a-0000-4000-8000-000000000000')).toBe('deny');
    for (const action of [
      'rds:DownloadDBLogFilePortion',
      'rds:DownloadCompleteDBLogFile',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
      'ec2:DescribeInstanceAttribute',
      'ec2:GetLaunchTemplateData',
      'secretsmanager:GetSecretValue',
      'logs:GetLogEvents',
      'logs:StartQuery',
      'dynamodb:Scan',
      'sqs:ReceiveMessage',
    ]) {
      expect([action, decide(action, '*')]).toEqual([action, 'deny']);
    }
  });
});

describe('apply role', () => {
  const { apply } = roles(bootstrap('dev'));
  const statement = (sid: string) => apply.statements.find((s) => s.Sid === sid)!;
  const account = '${data.aws_caller_identity.caller.account_id}';
  const BOUNDARY = '${aws_iam_policy.workload-boundary_policy_';
  const boundaryArn = String(statement('RolesWithTheBoundary').Condition.StringEquals['iam:PermissionsBoundary']);
  const role = (name: string) => `arn:aws:iam::${account}:role/${name}`;
  // The inline policy decides IAM (PowerUserAccess grants no IAM but service-linked roles and reads).
  const decide = (action: string, resource: string, context: Record<string, string> = {}) => evaluate(apply.statements, { action, resource, context });
  const withBoundary = { 'iam:PermissionsBoundary': boundaryArn };

  it('is PowerUserAccess with IAM only for this environment\'s names', () => {
    expect(apply.managed).toEqual(['arn:aws:iam::aws:policy/PowerUserAccess']);
    expect(boundaryArn.startsWith(BOUNDARY)).toBe(true);
    expect(statement('RolesWithTheBoundary').Resource).toBe(`arn:aws:iam::${account}:role/drf-api-dev-*`);
    expect(statement('PoliciesAndInstanceProfilesOfThisEnvironment').Resource).toEqual([
      `arn:aws:iam::${account}:policy/drf-api-dev-*`,
      `arn:aws:iam::${account}:instance-profile/drf-api-dev-*`,
    ]);
    const passes = allowed(apply).filter((s) => actionsOf(s).some((a) => a === 'iam:PassRole' || a === 'iam:*'));
    expect(passes.map((s) => s.Sid)).toEqual(['PassRolesOfThisEnvironment']);
  });

  it('creates roles and changes their policies only with the workload boundary; never removes it', () => {
    expect(decide('iam:CreateRole', role('drf-api-dev-x'), withBoundary)).toBe('allow');
    expect(decide('iam:CreateRole', role('drf-api-dev-x'))).toBe('deny');
    expect(decide('iam:CreateRole', role('drf-api-dev-x'), { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe('deny');
    expect(decide('iam:PutRolePermissionsBoundary', role('drf-api-dev-x'), { 'iam:PermissionsBoundary': `arn:aws:iam::${account}:policy/drf-api-dev-wide` })).toBe('deny');
    expect(decide('iam:PutRolePolicy', role('drf-api-dev-x'), withBoundary)).toBe('allow');
    expect(decide('iam:PutRolePolicy', role('drf-api-dev-unbounded'))).toBe('implicit-deny');
    expect(decide('iam:DeleteRolePermissionsBoundary', role('drf-api-dev-x'), withBoundary)).toBe('deny');
    expect(decide('iam:CreateRole', role('drf-api-staging-x'), withBoundary)).toBe('implicit-deny');
  });

  it('cannot edit, replace or delete the boundary policy (under /pipeline/)', () => {
    const policy = `arn:aws:iam::${account}:policy/pipeline/drf-api-dev-workload-boundary`;
    for (const action of ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:TagPolicy']) {
      expect([action, decide(action, policy)]).toEqual([action, 'deny']);
    }
  });

  it.each([['AdministratorAccess'], ['IAMFullAccess'], ['PowerUserAccess'], ['AmazonS3FullAccess'], ['job-function/SystemAdministrator']])(
    'cannot attach the AWS managed policy %s',
    (name) => {
      expect(decide('iam:AttachRolePolicy', role('drf-api-dev-x'), { 'iam:PermissionsBoundary': boundaryArn, 'iam:PolicyARN': `arn:aws:iam::aws:policy/${name}` })).toBe('deny');
    },
  );

  it('attaches every managed policy the stacks attach, and this environment\'s own policies', () => {
    const attached = new Set(
      ['dev', 'staging', 'prod'].flatMap((env) => (['network', 'data', 'app'] as const).flatMap((stack) => resourcesIn(synthOf(env, stack), 'aws_iam_role_policy_attachment').map((a) => a.policy_arn as string))),
    );
    expect(attached.size).toBeGreaterThan(0);
    for (const policyArn of [...attached, `arn:aws:iam::${account}:policy/drf-api-dev-app`]) {
      expect([policyArn, decide('iam:AttachRolePolicy', role('drf-api-dev-x'), { 'iam:PermissionsBoundary': boundaryArn, 'iam:PolicyARN': policyArn })]).toEqual([policyArn, 'allow']);
    }
  });

  it('passes every role the stacks create to the service its trust names, and no role to any other service', () => {
    let checked = 0;
    for (const env of ['dev', 'staging', 'prod']) {
      const envApply = roles(bootstrap(env)).apply;
      for (const stack of ['network', 'data', 'app'] as const) {
        for (const workload of resourcesIn(synthOf(env, stack), 'aws_iam_role')) {
          const services = (JSON.parse(workload.assume_role_policy).Statement as Json[]).flatMap((s) => [s.Principal.Service].flat());
          for (const service of services) {
            expect(WORKLOAD_ROLE_SERVICES).toContain(service);
            const request = { action: 'iam:PassRole', resource: role(workload.name), context: { 'iam:PassedToService': service } };
            expect([workload.name, service, evaluate(envApply.statements, request)]).toEqual([workload.name, service, 'allow']);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(decide('iam:PassRole', role('drf-api-dev-api-task'), { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe('implicit-deny');
    expect(decide('iam:PassRole', role('drf-api-dev-api-task'))).toBe('implicit-deny');
    expect(decide('iam:PassRole', `arn:aws:iam::${account}:role/pipeline/drf-api-dev-pipeline-apply`, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).toBe('deny');
  });

  it('reads and writes this environment\'s state', () => {
    expect(statement('StateWrite')).toEqual({ Sid: 'StateWrite', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: expect.stringMatching(/\}\/dev\/\*$/) });
  });

  it('cannot touch the pipeline identities, assume other roles, or administer the state bucket and key', () => {
    expect(statement('DenyPipelineIdentityChanges')).toEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Resource: [`arn:aws:iam::${account}:role/pipeline/*`, `arn:aws:iam::${account}:policy/pipeline/*`, `arn:aws:iam::${account}:oidc-provider/*`],
      }),
    );
    expect(decide('iam:UpdateAssumeRolePolicy', `arn:aws:iam::${account}:role/pipeline/drf-api-dev-pipeline-apply`)).toBe('deny');
    expect(decide('sts:AssumeRole', role('drf-api-dev-api-task'))).toBe('deny');
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
  const schedules = config.schedules.map((s) => scheduleNames('drf-api', 'prod', s.name));
  const account = '${data.aws_caller_identity.caller.account_id}';
  const arn = (service: string, resource: string) => `arn:aws:${service}:ap-northeast-1:${account}:${resource}`;
  const roleArn = (name: string) => `arn:aws:iam::${account}:role/${name}`;
  const statement = (sid: string) => release.statements.find((s) => s.Sid === sid)!;
  const decide = (action: string, resource = '*', context: Record<string, string> = {}) => evaluate(release.statements, { action, resource, context });

  it('the shipped prod example has a service with a migrate task and one without, and a schedule', () => {
    expect(migrating.length).toBeGreaterThan(0);
    expect(migrating.length).toBeLessThan(all.length);
    expect(schedules.length).toBeGreaterThan(0);
  });

  it('has no managed policy and no CodeDeploy', () => {
    expect(release.managed).toEqual([]);
    expect(JSON.stringify(release.statements)).not.toContain('codedeploy');
  });

  it('without schedules (dev has none): no schedule statements at all', () => {
    const dev = roles(bootstrap('dev')).release;
    expect(dev.statements.map((st) => st.Sid)).not.toEqual(expect.arrayContaining(['RepointSchedules']));
    expect(dev.statements.map((st) => st.Sid)).not.toEqual(expect.arrayContaining(['PassScheduleRoles']));
    expect(release.statements.map((st) => st.Sid)).toEqual(expect.arrayContaining(['RepointSchedules', 'PassScheduleRoles']));
  });

  it('passes this environment\'s task and execution roles (services\' and migrate families\') to ECS tasks only, and the schedule roles to Scheduler only', () => {
    expect(allowed(release).filter((s) => actionsOf(s).includes('iam:PassRole'))).toEqual([
      {
        Sid: 'PassTaskRoles',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: [roleArn('drf-api-prod-*-task'), roleArn('drf-api-prod-*-execution')],
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      {
        Sid: 'PassScheduleRoles',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: roleArn('drf-api-prod-*-scheduler'),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    const pass = (name: string, service: string) => decide('iam:PassRole', roleArn(name), { 'iam:PassedToService': service });
    for (const n of all) {
      expect(pass(n.taskRole, 'ecs-tasks.amazonaws.com')).toBe('allow');
      expect(pass(n.executionRole, 'ecs-tasks.amazonaws.com')).toBe('allow');
      expect(pass(n.taskRole, 'scheduler.amazonaws.com')).toBe('implicit-deny');
    }
    for (const n of migrating) expect(pass(n.migrateExecutionRole, 'ecs-tasks.amazonaws.com')).toBe('allow');
    expect(pass(schedules[0].role, 'scheduler.amazonaws.com')).toBe('allow');
    expect(pass(schedules[0].role, 'ecs-tasks.amazonaws.com')).toBe('implicit-deny');
    // Another environment's roles, a pipeline role, or any other role of this environment.
    expect(pass('drf-api-staging-api-task', 'ecs-tasks.amazonaws.com')).toBe('implicit-deny');
    expect(pass('pipeline/drf-api-prod-pipeline-apply', 'ecs-tasks.amazonaws.com')).toBe('implicit-deny');
    expect(pass('drf-api-prod-flow-logs', 'ecs-tasks.amazonaws.com')).toBe('implicit-deny');
  });

  it('the role name patterns it may pass match only the task and execution roles the stacks give ECS tasks', () => {
    const patterns = ['drf-api-prod-*-task', 'drf-api-prod-*-execution'];
    for (const stack of ['network', 'data', 'app'] as const) {
      for (const workload of resourcesIn(synthOf('prod', stack), 'aws_iam_role')) {
        const trusts = (JSON.parse(workload.assume_role_policy).Statement as Json[]).flatMap((s) => [s.Principal.Service].flat());
        const matched = patterns.some((p) => wildcardMatch(p, workload.name));
        expect([workload.name, matched]).toEqual([workload.name, trusts.includes('ecs-tasks.amazonaws.com')]);
      }
    }
  });

  it('repoints this environment\'s schedules', () => {
    expect(statement('RepointSchedules')).toEqual({
      Sid: 'RepointSchedules',
      Effect: 'Allow',
      Action: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
      Resource: arn('scheduler', 'schedule/drf-api-prod-*/drf-api-prod-*'),
    });
    for (const s of schedules) expect(decide('scheduler:UpdateSchedule', arn('scheduler', `schedule/${s.group}/${s.schedule}`))).toBe('allow');
    expect(decide('scheduler:UpdateSchedule', arn('scheduler', 'schedule/drf-api-staging-clearsessions/drf-api-staging-clearsessions'))).toBe('implicit-deny');
  });

  it('registers and deregisters task definitions on "*" (no resource-level permissions for either)', () => {
    expect(statement('RegisterRevisions')).toEqual({ Sid: 'RegisterRevisions', Effect: 'Allow', Action: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition'], Resource: '*' });
    expect(decide('ecs:RegisterTaskDefinition')).toBe('allow');
  });

  it('never points a long-running service at a migrate family (whose execution role reads the master secret)', () => {
    const service = arn('ecs', 'service/drf-api-prod/api');
    expect(decide('ecs:UpdateService', service, { 'ecs:task-definition': arn('ecs', 'task-definition/drf-api-prod-api:42') })).toBe('allow');
    expect(decide('ecs:UpdateService', service)).toBe('allow'); // e.g. a forced new deployment
    expect(decide('ecs:UpdateService', service, { 'ecs:task-definition': arn('ecs', 'task-definition/drf-api-prod-api-migrate:7') })).toBe('deny');
  });

  it('reads, and tags what it ships in, its own repositories; reads only image lists of the previous environment\'s', () => {
    expect(statement('OwnRepositories')).toEqual({
      Sid: 'OwnRepositories',
      Effect: 'Allow',
      Action: ['ecr:DescribeRepositories', 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage'],
      Resource: arn('ecr', 'repository/drf-api-prod/*'),
    });
    for (const n of all) expect(decide('ecr:PutImage', arn('ecr', `repository/${n.repository}`))).toBe('allow');
    expect(decide('ecr:PutImage', arn('ecr', 'repository/drf-api-staging/api'))).toBe('implicit-deny');
    // Removing a baking tag, or a rolled-back release's tags: own repositories only.
    for (const n of all) expect(decide('ecr:BatchDeleteImage', arn('ecr', `repository/${n.repository}`))).toBe('allow');
    expect(decide('ecr:BatchDeleteImage', arn('ecr', 'repository/drf-api-staging/api'))).toBe('implicit-deny');
    // prod follows staging (which has every prod service) in staging's account (its allowedAccountIds).
    expect(statement('PromotionEvidence')).toEqual({
      Sid: 'PromotionEvidence',
      Effect: 'Allow',
      Action: 'ecr:DescribeImages',
      Resource: ['arn:aws:ecr:ap-northeast-1:123456789012:repository/drf-api-staging/*'],
    });
    expect(decide('ecr:DescribeImages', 'arn:aws:ecr:ap-northeast-1:123456789012:repository/drf-api-staging/worker')).toBe('allow');
    expect(decide('ecr:BatchGetImage', 'arn:aws:ecr:ap-northeast-1:123456789012:repository/drf-api-staging/worker')).toBe('implicit-deny');
    // staging's worker has no earlier environment (dev has no worker): only dev's repositories.
    const staging = roles(bootstrap('staging')).release;
    expect(staging.statements.find((s) => s.Sid === 'PromotionEvidence')?.Resource).toEqual(['arn:aws:ecr:ap-northeast-1:123456789012:repository/drf-api-dev/*']);
    expect(roles(bootstrap('dev')).release.statements.find((s) => s.Sid === 'PromotionEvidence')).toBeUndefined();
  });

  it('the previous environment is found among the loaded environments, in its first allowed account when it names one', () => {
    const chain = loadConfig(project, { dev: environments.dev, staging: { ...environments.staging, allowedAccountIds: ['222222222222'] }, prod: environments.prod });
    expect(promotionSourceRepositoryArn('drf-api', 'prod', 'api', 'self', chain)).toBe('arn:aws:ecr:ap-northeast-1:222222222222:repository/drf-api-staging/api');
    expect(promotionSourceRepositoryArn('drf-api', 'staging', 'worker', 'self', chain)).toBeUndefined();
    expect(promotionSourceRepositoryArn('drf-api', 'dev', 'api', 'self', chain)).toBeUndefined();
    // Without staging loaded (ENVIRONMENTS, or removed), prod's api follows dev.
    const withoutStaging = chain.filter((c) => c.name !== 'staging');
    expect(promotionSourceRepositoryArn('drf-api', 'prod', 'api', 'self', withoutStaging)).toBe('arn:aws:ecr:ap-northeast-1:123456789012:repository/drf-api-dev/api');
    // A previous environment that names no account is looked for in this one ('self').
    const unpinnedDev = loadConfig(project, { dev: { ...environments.dev, allowedAccountIds: undefined } });
    expect(promotionSourceRepositoryArn('drf-api', 'prod', 'api', 'self', [...unpinnedDev, chain[2]])).toBe('arn:aws:ecr:ap-northeast-1:self:repository/drf-api-dev/api');
  });

  it('the bootstrap stack builds the chain from the environments it is given, as the data stacks do', () => {
    const devAndProd = loadConfig(project, { dev: environments.dev, prod: environments.prod });
    const { release: prodRelease } = roles(Testing.synth(new BootstrapStack(Testing.app(), devAndProd[1], devAndProd)));
    expect(prodRelease.statements.find((s) => s.Sid === 'PromotionEvidence')?.Resource).toEqual(['arn:aws:ecr:ap-northeast-1:123456789012:repository/drf-api-dev/*']);
  });

  it('updates only this environment\'s services and runs only migrate families, in its cluster', () => {
    expect(statement('UpdateServices')).toEqual(expect.objectContaining({ Action: expect.arrayContaining(['ecs:UpdateService']), Resource: arn('ecs', 'service/drf-api-prod/*') }));
    expect(decide('ecs:UpdateService', arn('ecs', 'service/drf-api-staging/api'))).toBe('implicit-deny');
    expect(statement('RunMigrations')).toEqual({
      Sid: 'RunMigrations',
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      Resource: arn('ecs', 'task-definition/drf-api-prod-*-migrate:*'),
      Condition: { ArnEquals: { 'ecs:cluster': arn('ecs', 'cluster/drf-api-prod') } },
    });
    const inCluster = { 'ecs:cluster': arn('ecs', 'cluster/drf-api-prod') };
    for (const n of migrating) expect(decide('ecs:RunTask', arn('ecs', `task-definition/${n.migrateFamily}:3`), inCluster)).toBe('allow');
    expect(decide('ecs:RunTask', arn('ecs', `task-definition/${all[0].taskFamily}:3`), inCluster)).toBe('implicit-deny');
    expect(statement('StopDeployments')).toEqual({ Sid: 'StopDeployments', Effect: 'Allow', Action: 'ecs:StopServiceDeployment', Resource: arn('ecs', 'service-deployment/drf-api-prod/*') });
    expect(statement('FollowMigrations')).toEqual(expect.objectContaining({ Action: ['ecs:DescribeTasks', 'ecs:StopTask'], Resource: arn('ecs', 'task/drf-api-prod/*') }));
    expect(decide('ecs:StopTask', arn('ecs', 'task/drf-api-prod/abc'), { 'ecs:cluster': arn('ecs', 'cluster/other') })).toBe('implicit-deny');
    expect(statement('FollowDeployments')).toEqual(
      expect.objectContaining({
        Action: ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
        Resource: [arn('ecs', 'service/drf-api-prod/*'), arn('ecs', 'service-deployment/drf-api-prod/*'), arn('ecs', 'service-revision/drf-api-prod/*')],
      }),
    );
  });

  it('writes its release records, reads its migration logs', () => {
    expect(statement('ReleaseRecords')).toEqual(expect.objectContaining({ Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: [arn('ssm', 'parameter/drf-api/prod/releases/*')] }));
    for (const n of all) expect(decide('ssm:PutParameter', arn('ssm', `parameter${n.releaseParameter}`))).toBe('allow');
    expect(decide('ssm:PutParameter', arn('ssm', 'parameter/drf-api/staging/releases/api'))).toBe('implicit-deny');
    for (const n of migrating) {
      expect(decide('logs:GetLogEvents', arn('logs', `log-group:${n.migrateLogGroup}:log-stream:migrate/migrate/abc`))).toBe('allow');
      expect(decide('logs:GetLogEvents', arn('logs', `log-group:${n.logGroup}:log-stream:x`))).toBe('implicit-deny');
    }
  });

  it('allows every AWS API the release tool calls (src/release/)', () => {
    const prefixes: Record<string, string> = { ecs: 'ecs', ecr: 'ecr', ssm: 'ssm', 'cloudwatch-logs': 'logs', scheduler: 'scheduler', sts: 'sts' };
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
    // sts:GetCallerIdentity needs no permission.
    expect(calls.filter((action) => action !== 'sts:GetCallerIdentity' && !granted.includes(action))).toEqual([]);
  });

  it('without any migrate task, runs no tasks and reads no logs', () => {
    const services = environments.dev.services.map((svc) => ({ ...svc, release: { ...svc.release, migrate: undefined } }));
    const { release: noMigrations } = roles(bootstrap('dev', { services }));
    const actions = allowed(noMigrations).flatMap(actionsOf);
    expect(actions).not.toContain('ecs:RunTask');
    expect(actions).not.toContain('ecs:StopTask');
    expect(actions).not.toContain('logs:GetLogEvents');
  });
});

describe('policy sizes: checked at synth against IAM\'s limits', () => {
  // 50 services (the shipped ones plus workers w01…w48, every one with a migrate task) and 10 schedules.
  const fifty = () => {
    const workers = Array.from({ length: 48 }, (_, i) => ({
      name: `w${String(i + 1).padStart(2, '0')}`,
      kind: 'worker' as const,
      capacity: 'fargate' as const,
      cpu: 256,
      memory: 512,
      container: { command: ['celery', 'worker'] },
      desiredCount: 1,
      autoscaling: { minCount: 1, maxCount: 2 },
      release: { migrate: ['python', 'manage.py', 'migrate'] },
    }));
    const schedules = Array.from({ length: 10 }, (_, i) => ({ ...environments.prod.schedules![0], name: `job${i}`, service: workers[i].name }));
    return { services: [...environments.prod.services!, ...workers], schedules: [...environments.prod.schedules!, ...schedules] } as Overrides;
  };
  const problemsOf = (stack: BootstrapStack) => stack.node.findAll().flatMap((c) => c.node.validate());

  it('every pipeline role and the boundary fit with 50 services; the release policy does not grow with them', () => {
    const stack = bootstrapStack('prod', fifty());
    expect(problemsOf(stack)).toEqual([]);
    const large = roles(Testing.synth(stack)).release;
    const small = roles(bootstrap('prod')).release;
    expect(JSON.stringify(large.statements).length).toBe(JSON.stringify(small.statements).length);
    expect(JSON.stringify(large.statements).length).toBeLessThan(5000);
  });

  it('a role whose inline or trust policy outgrows IAM\'s limits fails validation with a one-line reason', () => {
    const trust = [{ providerArn: 'arn:aws:iam::111111111111:oidc-provider/x', host: 'x', audience: 'a', subjects: ['s'], match: 'exact' as const }];
    const stack = new TerraformStack(Testing.app(), 'roles');
    const resources = Array.from({ length: 200 }, (_, i) => `arn:aws:ecs:ap-northeast-1:111111111111:service/c/service-number-${i}`);
    const huge = new PipelineRole(stack, 'huge', { name: 'huge-role', description: 'd', trust, statements: [{ Effect: 'Allow', Action: 'ecs:UpdateService', Resource: resources }] });
    expect(huge.node.validate()).toEqual([expect.stringMatching(/^role huge-role: its inline policy is about \d+ characters; IAM allows 10240 \(/)]);
    const subjects = Array.from({ length: 40 }, (_, i) => `repo:org/repo:environment:e${i}:job_workflow_ref:org/repo/.github/workflows/terraform.yml@refs/heads/main`);
    const wide = new PipelineRole(stack, 'wide', { name: 'wide', description: 'd', trust: [{ ...trust[0], subjects }], statements: [] });
    expect(wide.node.validate()).toEqual([expect.stringMatching(/^role wide: its trust policy is about \d+ characters; IAM allows 2048 /)]);
  });

  it('counts as IAM does: no whitespace; unresolved references at an upper bound', () => {
    expect(policyLength('{ "a" : [ "b" ] }')).toBe('{"a":["b"]}'.length);
    expect(policyLength('{"a":"${TfToken[TOKEN.12]}"}')).toBe('{"a":""}'.length + 128);
    expect(policyLength('{"a":"${TfToken[TOKEN.12]}"}', { '${TfToken[TOKEN.12]}': '123456789012' })).toBe('{"a":""}'.length + 12);
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

describe('iam-conditions: the evaluator the trust tests rely on, against IAM\'s documented semantics', () => {
  it('StringLike: `*` spans "/" and ":", `?` is exactly one character, case-sensitive', () => {
    expect(wildcardMatch('a/*/c', 'a/x/y/c')).toBe(true);
    expect(wildcardMatch('a:*', 'a:b:c')).toBe(true);
    expect(wildcardMatch('a?c', 'abc')).toBe(true);
    expect(wildcardMatch('a?c', 'ac')).toBe(false);
    expect(wildcardMatch('a?c', 'abbc')).toBe(false);
    expect(wildcardMatch('Main', 'main')).toBe(false);
    expect(wildcardMatch('a.c', 'abc')).toBe(false);
  });

  it('values of one key are OR\'ed, keys and operators AND\'ed; absent keys fail positive and pass negated operators', () => {
    const allow = (Condition: PolicyStatement['Condition'], context: Record<string, string | string[]>) =>
      evaluatePolicy([{ Effect: 'Allow', Action: 'x:Y', Resource: '*', Condition }], { action: 'x:Y', context });
    expect(allow({ StringEquals: { k: ['a', 'b'] } }, { k: 'b' })).toBe('allow');
    expect(allow({ StringEquals: { k: 'a', j: 'b' } }, { k: 'a', j: 'c' })).toBe('implicit-deny');
    expect(allow({ StringEquals: { k: 'a' }, StringLike: { j: 'b*' } }, { k: 'a', j: 'bc' })).toBe('allow');
    expect(allow({ StringEquals: { k: 'a' } }, {})).toBe('implicit-deny');
    expect(allow({ StringNotEquals: { k: 'a' } }, {})).toBe('allow');
    expect(allow({ StringEqualsIfExists: { k: 'a' } }, {})).toBe('allow');
    expect(allow({ 'ForAnyValue:StringLike': { k: 'a*' } }, { k: ['x', 'ab'] })).toBe('allow');
    expect(allow({ 'ForAnyValue:StringLike': { k: 'a*' } }, {})).toBe('implicit-deny');
    expect(allow({ 'ForAllValues:StringEquals': { k: ['a', 'b'] } }, { k: ['a', 'c'] })).toBe('implicit-deny');
    expect(allow({ StringEquals: { K: 'a' } }, { k: 'a' })).toBe('allow'); // key names are case-insensitive
    expect(() => allow({ NumericLessThan: { k: '1' } }, { k: '0' })).toThrow(/not supported/);
  });

  it('a Deny wins; NotAction/NotResource; action names ignore case; ARNs match component by component', () => {
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:PutObject', NotResource: 'arn:aws:s3:::b/*.lock' },
    ];
    expect(evaluatePolicy(statements, { action: 'S3:putobject', resource: 'arn:aws:s3:::b/x.lock' })).toBe('allow');
    expect(evaluatePolicy(statements, { action: 's3:PutObject', resource: 'arn:aws:s3:::b/x' })).toBe('deny');
    expect(evaluatePolicy(statements, { action: 'iam:CreateRole', resource: 'arn:aws:iam::1:role/x' })).toBe('implicit-deny');
    expect(evaluatePolicy([{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:iam::*:role/x' }], { action: 'a:B', resource: 'arn:aws:iam::1:role/x' })).toBe('allow');
    expect(evaluatePolicy([{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:iam::*:role/y*' }], { action: 'a:B', resource: 'arn:aws:iam::1:role/x' })).toBe('implicit-deny');
  });
});

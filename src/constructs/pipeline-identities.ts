// The three roles the pipelines of one environment assume, each with only what its job needs:
//   plan    — any branch or pull request of this repository: read-only, plus the state lock files;
//   apply   — main only (GitHub: the protected deployment environment; CircleCI: the main branch):
//             what Terraform needs to manage these stacks;
//   release — the same jobs: what `npm run release` needs for this environment's services.
// Role ARNs are deterministic (name and path), so the state bucket's policy can name them before
// they exist.
import { Construct } from 'constructs';
import type { Statement } from '../lib/iam';
import type { ServiceNames } from '../naming';
import type { Grantable } from '../lib/grants';
import { PIPELINE_ROLE_PATH, PipelineRole, type OidcTrust } from './pipeline-role';
import type { CustomerKey } from './customer-key';
import type { StateBucket } from './state-bucket';

export { PIPELINE_ROLE_PATH };

export interface PipelineRoleNames {
  /** `<prefix>-pipeline-plan`: read-only plans from any branch. */
  readonly plan: string;
  /** `<prefix>-pipeline-apply`: applies from the deploy branch. */
  readonly apply: string;
  /** `<prefix>-pipeline-release`: `npm run release` from the deploy branch. */
  readonly release: string;
}

/** `<prefix>-pipeline-plan|apply|release`. */
export function pipelineRoleNames(prefix: string): PipelineRoleNames {
  return { plan: `${prefix}-pipeline-plan`, apply: `${prefix}-pipeline-apply`, release: `${prefix}-pipeline-release` };
}

/** The ARN a pipeline role will have (IAM role ARNs contain the path). */
export function pipelineRoleArn(accountId: string, roleName: string, partition: string): string {
  return `arn:${partition}:iam::${accountId}:role${PIPELINE_ROLE_PATH}${roleName}`;
}

/** GitHub Actions: tokens from `token.actions.githubusercontent.com`. */
export interface GithubTrust {
  /** ARN of the account's GitHub OIDC provider. */
  readonly providerArn: string;
  /** Provider URL without `https://`. */
  readonly host: string;
  /** The only `aud` accepted. */
  readonly audience: string;
  /** Deployment environment whose jobs may apply and release (subject `repo:<org>/<repo>:environment:<name>`). */
  readonly environment: string;
}

/** CircleCI: tokens from `oidc.circleci.com/org/<organization id>` (`$CIRCLE_OIDC_TOKEN_V2`). */
export interface CircleciTrust {
  /** ARN of the account's CircleCI OIDC provider (of this organization). */
  readonly providerArn: string;
  /** Provider URL without `https://`. */
  readonly host: string;
  /** CircleCI organization id: the audience of its tokens. */
  readonly organizationId: string;
  /** CircleCI project id: pins the subjects to this project. */
  readonly projectId: string;
  /** Branch whose pipelines may apply and release. */
  readonly deployBranch: string;
}

export interface PipelineIdentitiesProps {
  /** `<service>-<env>`: names the roles and bounds what the apply role may manage in IAM. */
  readonly prefix: string;
  /** The environment's name: its state keys are `<env>/…`. */
  readonly environment: string;
  /** The environment's region. */
  readonly region: string;
  /** The environment's account. */
  readonly accountId: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`): `partitionOf(region)` of src/config/regions.ts. */
  readonly partition: string;
  /** This repository, `<org>/<repo>` (from `github.com/<org>/<repo>`). */
  readonly repository: string;
  /** Trust GitHub Actions. @default none (GitHub Actions may not assume the roles); give this or `circleci` */
  readonly github?: GithubTrust;
  /** Trust CircleCI. @default none (CircleCI may not assume the roles); give this or `github` */
  readonly circleci?: CircleciTrust;
  /** The state bucket: grants the state access of each role; its settings are denied to the apply role. */
  readonly stateBucket: Pick<StateBucket, 'bucketArn' | 'grantRead' | 'grantWrite'>;
  /** The state key (its alias is protected like the key). */
  readonly stateKey: Pick<CustomerKey, 'arn' | 'aliasArn' | 'grantEncryptDecrypt'>;
  /** Every service of the environment: what a release touches. */
  readonly services: ReleasedService[];
}

/** One service as `npm run release` sees it. */
export interface ReleasedService {
  /** Its deterministic names (`serviceNames` of naming.ts). */
  readonly names: ServiceNames;
  /** Whether it has a `<service>-migrate` family (`release.migrate` configured) that releases run. */
  readonly migrates: boolean;
}

export class PipelineIdentities extends Construct {
  readonly plan: PipelineRole;
  readonly apply: PipelineRole;
  readonly release: PipelineRole;

  constructor(scope: Construct, id: string, props: PipelineIdentitiesProps) {
    super(scope, id);
    const names = pipelineRoleNames(props.prefix);
    const repo = props.repository;

    const planTrust: OidcTrust[] = [];
    const deployTrust: OidcTrust[] = [];
    if (props.github) {
      const gh = props.github;
      const base = { providerArn: gh.providerArn, host: gh.host, audience: gh.audience };
      // Any branch of THIS repository (the `*` stays inside it), and its pull requests: plans are
      // read-only, and only people with write access can push a branch. Forks get no OIDC token.
      planTrust.push({ ...base, match: 'pattern', subjects: [`repo:${repo}:pull_request`, `repo:${repo}:ref:refs/heads/*`] });
      // A job that declares a deployment environment gets this subject (no branch in it): GitHub's
      // deployment-branch rules on that environment are what restrict it to main.
      deployTrust.push({ ...base, match: 'exact', subjects: [`repo:${repo}:environment:${gh.environment}`] });
    }
    if (props.circleci) {
      const cc = props.circleci;
      const base = { providerArn: cc.providerArn, host: cc.host, audience: cc.organizationId };
      const project = `org/${cc.organizationId}/project/${cc.projectId}/user/`;
      // The project pins the repository; `*` is the CircleCI user (and, in v2 tokens, the ref).
      planTrust.push({ ...base, match: 'pattern', subjects: [`${project}*`] });
      // v2 tokens end with the repository and ref: only the deploy branch of this repository (a fork's
      // "main" has another vcs-origin). Contexts cannot be checked by AWS: restricted contexts do that.
      deployTrust.push({ ...base, match: 'pattern', subjects: [`${project}*/vcs-origin/github.com/${repo}/vcs-ref/refs/heads/${cc.deployBranch}`] });
    }

    const state = stateAccess(props);
    this.plan = new PipelineRole(this, 'plan', {
      name: names.plan,
      description: `Plans ${props.environment} from any branch or pull request of ${repo}: read-only`,
      trust: planTrust,
      managedPolicyArns: [`arn:${props.partition}:iam::aws:policy/ReadOnlyAccess`],
      statements: [...state.read, ...state.lockFiles, ...planDenies(props.region)],
    });
    this.apply = new PipelineRole(this, 'apply', {
      name: names.apply,
      description: `Applies ${props.environment}'s stacks from main of ${repo}`,
      trust: deployTrust,
      managedPolicyArns: [`arn:${props.partition}:iam::aws:policy/PowerUserAccess`],
      statements: [...state.read, ...state.write, ...iamForStacks(props), ...applyDenies(props)],
    });
    this.release = new PipelineRole(this, 'release', {
      name: names.release,
      description: `Releases images to ${props.environment}'s services from main of ${repo}`,
      trust: deployTrust,
      statements: releaseStatements(props),
    });
  }
}

/** State of this environment only: keys `<env>/…` of its bucket, encrypted with the state key (grants of their owners). */
function stateAccess(props: PipelineIdentitiesProps): { read: Statement[]; lockFiles: Statement[]; write: Statement[] } {
  const collect = (grant: (grantee: Grantable) => void): Statement[] => {
    const statements: Statement[] = [];
    grant({ addToPolicy: (...added) => void statements.push(...added) });
    return statements;
  };
  const env = props.environment;
  return {
    read: [
      ...collect((g) => props.stateBucket.grantRead(g, { keys: `${env}/*`, sidPrefix: 'State' })),
      ...collect((g) => props.stateKey.grantEncryptDecrypt(g, 'StateKey')),
    ],
    // `use_lockfile`: a plan writes and deletes `<key>.tflock` next to the state, nothing else.
    lockFiles: collect((g) => props.stateBucket.grantWrite(g, { keys: `${env}/*.tflock`, sid: 'StateLockFiles' })),
    write: collect((g) => props.stateBucket.grantWrite(g, { keys: `${env}/*`, sid: 'StateWrite' })),
  };
}

/**
 * ReadOnlyAccess lets a plan refresh every resource type these stacks manage (dozens of services'
 * Describe/Get/List). These denies take back what it also reads that a plan never needs: data.
 */
function planDenies(region: string): Statement[] {
  return [
    {
      Sid: 'DenyDataReads',
      Effect: 'Deny',
      Action: [
        'secretsmanager:GetSecretValue',
        'logs:GetLogEvents',
        'logs:FilterLogEvents',
        'logs:StartQuery',
        'logs:GetQueryResults',
        'logs:StartLiveTail',
        'logs:GetLogRecord',
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
      ],
      Resource: '*',
    },
    {
      // SecureString parameters and other KMS-encrypted data stay sealed: the only decryption a plan
      // does is of its state objects, through S3.
      Sid: 'DenyDecryptOutsideS3',
      Effect: 'Deny',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringNotEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
    },
  ];
}

/**
 * PowerUserAccess covers every service these stacks use except IAM. IAM is granted only for the
 * roles, policies and instance profiles named `<prefix>-*` (every IAM name the stacks create), and
 * only those roles may be passed to services.
 */
function iamForStacks(props: PipelineIdentitiesProps): Statement[] {
  const iam = (type: string) => `arn:${props.partition}:iam::${props.accountId}:${type}/${props.prefix}-*`;
  return [
    {
      Sid: 'IamOfThisEnvironment',
      Effect: 'Allow',
      Action: [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:UpdateRole',
        'iam:UpdateRoleDescription',
        'iam:UpdateAssumeRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:AttachRolePolicy',
        'iam:DetachRolePolicy',
        'iam:CreatePolicy',
        'iam:DeletePolicy',
        'iam:CreatePolicyVersion',
        'iam:DeletePolicyVersion',
        'iam:TagPolicy',
        'iam:UntagPolicy',
        'iam:CreateInstanceProfile',
        'iam:DeleteInstanceProfile',
        'iam:AddRoleToInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile',
        'iam:TagInstanceProfile',
        'iam:UntagInstanceProfile',
      ],
      Resource: [iam('role'), iam('policy'), iam('instance-profile')],
    },
    { Sid: 'IamRead', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
    { Sid: 'PassRolesOfThisEnvironment', Effect: 'Allow', Action: 'iam:PassRole', Resource: iam('role') },
  ];
}

/** What PowerUserAccess would allow but must stay out of the pipeline's reach. */
function applyDenies(props: PipelineIdentitiesProps): Statement[] {
  const bucket = props.stateBucket.bucketArn;
  const { partition } = props;
  return [
    {
      // The pipeline cannot widen its own trust or permissions, nor another environment's.
      Sid: 'DenyPipelineIdentityChanges',
      Effect: 'Deny',
      Action: ['iam:Create*', 'iam:Delete*', 'iam:Update*', 'iam:Put*', 'iam:Attach*', 'iam:Detach*', 'iam:Add*', 'iam:Remove*', 'iam:Tag*', 'iam:Untag*', 'iam:PassRole'],
      Resource: [`arn:${partition}:iam::${props.accountId}:role${PIPELINE_ROLE_PATH}*`, `arn:${partition}:iam::${props.accountId}:oidc-provider/*`],
    },
    {
      // Roles trusting the account (e.g. administrators') would otherwise be a way out.
      Sid: 'DenyAssumingOtherRoles',
      Effect: 'Deny',
      Action: 'sts:AssumeRole',
      Resource: '*',
    },
    {
      // The bucket's settings and its history belong to the bootstrap stack (administrators).
      Sid: 'DenyStateBucketAdministration',
      Effect: 'Deny',
      Action: [
        's3:PutBucket*',
        's3:DeleteBucket*',
        's3:PutEncryptionConfiguration',
        's3:PutLifecycleConfiguration',
        's3:PutReplicationConfiguration',
        's3:PutObjectAcl',
        's3:DeleteObjectVersion',
      ],
      Resource: [bucket, `${bucket}/*`],
    },
    { Sid: 'DenyBootstrapStateWrites', Effect: 'Deny', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: `${bucket}/${props.environment}/bootstrap.tfstate*` },
    {
      Sid: 'DenyStateKeyAdministration',
      Effect: 'Deny',
      Action: [
        'kms:PutKeyPolicy',
        'kms:ScheduleKeyDeletion',
        'kms:DisableKey',
        'kms:DisableKeyRotation',
        'kms:CreateGrant',
        'kms:RevokeGrant',
        'kms:UpdateKeyDescription',
        'kms:CreateAlias',
        'kms:UpdateAlias',
        'kms:DeleteAlias',
      ],
      Resource: [props.stateKey.arn, props.stateKey.aliasArn],
    },
  ];
}

/** `npm run release -- <env> <service> <tag>` for every service of the environment, and nothing else. */
function releaseStatements(props: PipelineIdentitiesProps): Statement[] {
  const { partition } = props;
  const arn = (service: string, resource: string) => `arn:${partition}:${service}:${props.region}:${props.accountId}:${resource}`;
  const svcs = props.services.map((s) => s.names);
  const migrating = props.services.filter((s) => s.migrates).map((s) => s.names);
  if (svcs.length === 0) throw new Error('a release role needs at least one service');
  const clusterName = svcs[0].cluster;
  const cluster = arn('ecs', `cluster/${clusterName}`);
  const tasks = arn('ecs', `task/${clusterName}/*`);
  const serviceArns = svcs.map((s) => arn('ecs', `service/${s.cluster}/${s.service}`));
  const migrateFamilies = migrating.map((s) => arn('ecs', `task-definition/${s.migrateFamily}:*`));
  const families = [...svcs.map((s) => arn('ecs', `task-definition/${s.taskFamily}:*`)), ...migrateFamilies];
  const roles = [...svcs.flatMap((s) => [s.taskRole, s.executionRole]), ...migrating.flatMap((s) => [s.migrateTaskRole, s.migrateExecutionRole])];
  const statements: Statement[] = [
    { Sid: 'ResolveImageTags', Effect: 'Allow', Action: ['ecr:DescribeImages', 'ecr:DescribeRepositories'], Resource: svcs.map((s) => arn('ecr', `repository/${s.repository}`)) },
    // DescribeTaskDefinition has no resource-level permissions (task definitions hold no secrets here).
    { Sid: 'ReadTaskDefinitions', Effect: 'Allow', Action: 'ecs:DescribeTaskDefinition', Resource: '*' },
    // Deregister: a failed release retires the revision it registered (best effort in the tool).
    { Sid: 'RegisterRevisions', Effect: 'Allow', Action: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition'], Resource: families },
    {
      Sid: 'TagWhatReleasesCreate',
      Effect: 'Allow',
      Action: 'ecs:TagResource',
      Resource: [...families, tasks],
      Condition: { StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'RunTask'] } },
    },
    { Sid: 'UpdateServices', Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'], Resource: serviceArns },
    {
      // Each checks the service and the deployment (or revision) itself.
      Sid: 'FollowDeployments',
      Effect: 'Allow',
      Action: ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
      Resource: [
        ...serviceArns,
        ...svcs.map((s) => arn('ecs', `service-deployment/${s.cluster}/${s.service}/*`)),
        ...svcs.map((s) => arn('ecs', `service-revision/${s.cluster}/${s.service}/*`)),
      ],
    },
    { Sid: 'ReleaseRecords', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: svcs.map((s) => arn('ssm', `parameter${s.releaseParameter}`)) },
    {
      Sid: 'PassTaskRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roles.map((r) => `arn:${partition}:iam::${props.accountId}:role/${r}`),
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
  ];
  if (migrating.length > 0) {
    statements.push(
      { Sid: 'RunMigrations', Effect: 'Allow', Action: 'ecs:RunTask', Resource: migrateFamilies, Condition: { ArnEquals: { 'ecs:cluster': cluster } } },
      { Sid: 'FollowMigrations', Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: tasks, Condition: { ArnEquals: { 'ecs:cluster': cluster } } },
      {
        Sid: 'MigrationLogs',
        Effect: 'Allow',
        Action: 'logs:GetLogEvents',
        Resource: migrating.flatMap((s) => [arn('logs', `log-group:${s.migrateLogGroup}`), arn('logs', `log-group:${s.migrateLogGroup}:log-stream:*`)]),
      },
    );
  }
  return statements;
}

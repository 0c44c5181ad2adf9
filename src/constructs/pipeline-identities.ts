// The three roles the pipelines of one environment assume, each with only what its job needs:
//   plan    — any branch or pull request of this repository: read-only, plus the state lock files;
//   apply   — the deploy branch's terraform workflow only: what Terraform needs to manage these stacks,
//             unable to create a role that escapes the workload permissions boundary;
//   release — the deploy branch's release workflow only: what `npm run release` needs for this
//             environment's services.
// A token minted for one of them is refused by the others, and by every other environment's (GitHub:
// the workflow file and deployment environment in the customised subject; CircleCI: the audience,
// which names the role). Role ARNs are deterministic (name and path), so the state bucket's
// policy can name them before they exist.
import { Construct } from 'constructs';
import type { Statement } from '../lib/iam';
import { PIPELINE_IAM_PATH, pipelineIdentityArns, type ServiceNames } from '../naming';
import type { Grantable } from '../lib/grants';
import { PipelineRole, type OidcTrust } from './pipeline-role';
import type { CustomerKey } from './customer-key';
import type { StateBucket } from './state-bucket';


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
  return `arn:${partition}:iam::${accountId}:role${PIPELINE_IAM_PATH}${roleName}`;
}

/**
 * Session limits (`MaxSessionDuration`; the job requests up to this with `role-duration-seconds`).
 * plan: one hour (a plan of every stack takes minutes). apply: four hours: creating or modifying a
 * Multi-AZ RDS instance (class change, storage, engine upgrade) routinely takes over an hour and
 * Terraform waits for it; credentials that expire mid-apply leave a half-applied stack and a stale
 * lock. release: three hours: the tool may first wait up to 30 minutes for a deployment already in
 * progress (the first release of a fresh environment), then the migrate task (CI gives it 40 minutes),
 * the rollout until the blue/green bake starts (CI: 60; the release returns then, ECS finishes the bake
 * on its own) and up to 15 minutes following a rollback: 145 minutes, under the jobs' 170.
 */
export const PIPELINE_SESSION_SECONDS = { plan: 3600, apply: 4 * 3600, release: 3 * 3600 } as const;

/** The workflow files whose jobs the GitHub trust names (`job_workflow_ref`). */
export const GITHUB_WORKFLOWS = { terraform: '.github/workflows/terraform.yml', release: '.github/workflows/release.yml' } as const;

/**
 * The `include_claim_keys` of the repository's OIDC subject customisation (REST
 * `PUT /repos/{owner}/{repo}/actions/oidc/customization/sub` with `use_default: false`), which makes
 * every token's subject `repo:<org>/<repo>:<context>:job_workflow_ref:<org>/<repo>/<workflow file>@<ref>`,
 * where context is `environment:<name>`, `ref:refs/heads/<branch>` or `pull_request`
 * (https://docs.github.com/en/actions/reference/security/oidc#customizing-the-subject-claims-for-an-organization-or-repository;
 * ":" inside a value is written "%3A", and git refs cannot contain ":", so no branch name can forge a
 * later part). AWS STS can also check some GitHub claims as their own condition keys since 2026
 * (https://aws.amazon.com/about-aws/whats-new/2026/01/aws-sts-supports-validation-identity-provider-claims/),
 * but the subject is what every STS region has always compared, so the trust relies on it alone.
 */
export const GITHUB_SUBJECT_CLAIM_KEYS = ['repo', 'context', 'job_workflow_ref'] as const;

/** A customised GitHub subject (see GITHUB_SUBJECT_CLAIM_KEYS). */
export function githubSubject(repository: string, context: string, workflowFile: string, ref: string): string {
  return `repo:${repository}:${context}:job_workflow_ref:${repository}/${workflowFile}@${ref}`;
}

/** A CircleCI user id in a subject: a UUID, matched by shape so that `*` never spans into the ref. */
export const CIRCLECI_USER_ID_PATTERN = '????????-????-????-????-????????????';

/** GitHub Actions: tokens from `token.actions.githubusercontent.com`. */
export interface GithubTrust {
  /** ARN of the account's GitHub OIDC provider. */
  readonly providerArn: string;
  /** Provider URL without `https://`. */
  readonly host: string;
  /** The only `aud` accepted. */
  readonly audience: string;
  /** Deployment environment whose jobs may apply and release (the subject's context `environment:<name>`). */
  readonly environment: string;
  /** Branch whose terraform and release workflows may apply and release (the subject's `@refs/heads/<branch>`). */
  readonly deployBranch: string;
}

/** CircleCI: tokens from `oidc.circleci.com/org/<organization id>`. */
export interface CircleciTrust {
  /** ARN of the account's CircleCI OIDC provider (of this organization). */
  readonly providerArn: string;
  /** Provider URL without `https://`. */
  readonly host: string;
  /** CircleCI organization id: the provider's and the subjects' first part. */
  readonly organizationId: string;
  /** CircleCI project id: pins the subjects to this project (the environment's own, when it names one). */
  readonly projectId: string;
  /** Branch whose pipelines may apply and release (v2 subject `…/vcs-ref/refs/heads/<branch>`). */
  readonly deployBranch: string;
  /** The `aud` each kind of job presents to this environment's roles (`circleciAudiences()` of oidc-provider.ts). */
  readonly audiences: { readonly plan: string; readonly apply: string; readonly release: string };
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
  /** ARN of the workload permissions boundary (`permissionsBoundaryArn()` of naming.ts): every role the apply role creates carries it. */
  readonly permissionsBoundaryArn: string;
  /** Every service of the environment: what a release touches. */
  readonly services: ReleasedService[];
}

/** One service as `npm run release` sees it. */
export interface ReleasedService {
  /** Its deterministic names (`serviceNames` of naming.ts). */
  readonly names: ServiceNames;
  /** Whether it has a `<service>-migrate` family (`release.migrate` configured) that releases run. */
  readonly migrates: boolean;
  /** Whether it has EventBridge Scheduler schedules (`<prefix>-<name>`, see `scheduleNames` of naming.ts), which releases repoint. @default false */
  readonly hasSchedules?: boolean;
  /**
   * ECR repository ARN of the same service in the previous environment of the promotion chain, whose
   * images a release checks (`ecr:DescribeImages`). @default none (the first environment of its chain)
   */
  readonly promotedFromRepositoryArn?: string;
}

/**
 * The services the workload roles are passed to (`iam:PassedToService`), one per trust principal the
 * stacks' roles name: task and execution roles (ecs-tasks), the blue/green infrastructure role (ecs),
 * the EC2 hosts' instance role (ec2, also when Auto Scaling launches them), the schedule roles
 * (scheduler), RDS Enhanced Monitoring (monitoring.rds), VPC flow logs to CloudWatch Logs
 * (vpc-flow-logs). A test checks every role of every environment against this list.
 */
export const WORKLOAD_ROLE_SERVICES = [
  'ecs-tasks.amazonaws.com',
  'ecs.amazonaws.com',
  'ec2.amazonaws.com',
  'scheduler.amazonaws.com',
  'monitoring.rds.amazonaws.com',
  'vpc-flow-logs.amazonaws.com',
] as const;

/** The AWS managed policies the stacks attach (paths after `policy/`); the apply role may attach no other AWS managed policy. */
export const WORKLOAD_MANAGED_POLICIES = [
  'service-role/AmazonEC2ContainerServiceforEC2Role',
  'AmazonSSMManagedInstanceCore',
  'service-role/AmazonRDSEnhancedMonitoringRole',
] as const;

export class PipelineIdentities extends Construct {
  readonly plan: PipelineRole;
  readonly apply: PipelineRole;
  readonly release: PipelineRole;

  constructor(scope: Construct, id: string, props: PipelineIdentitiesProps) {
    super(scope, id);
    const names = pipelineRoleNames(props.prefix);
    const repo = props.repository;

    const planTrust: OidcTrust[] = [];
    const applyTrust: OidcTrust[] = [];
    const releaseTrust: OidcTrust[] = [];
    if (props.github) {
      const gh = props.github;
      const base = { providerArn: gh.providerArn, host: gh.host, audience: gh.audience };
      const terraform = GITHUB_WORKFLOWS.terraform;
      // Plans: the terraform workflow of any branch of THIS repository, and its pull requests (read-only;
      // only people with write access can push a branch; forks get no OIDC token). Each `*` is followed
      // by text a branch name cannot contain (":"), so it stays inside the branch or pull request number.
      planTrust.push({
        ...base,
        match: 'pattern',
        subjects: [
          githubSubject(repo, 'ref:refs/heads/*', terraform, 'refs/heads/*'),
          githubSubject(repo, 'pull_request', terraform, 'refs/pull/*'),
        ],
      });
      // Apply and release: exactly one workflow file on the deploy branch, in the deployment environment
      // (whose required reviewers are the approval), compared exactly.
      const deploy = (workflow: string) => githubSubject(repo, `environment:${gh.environment}`, workflow, `refs/heads/${gh.deployBranch}`);
      applyTrust.push({ ...base, match: 'exact', subjects: [deploy(terraform)] });
      releaseTrust.push({ ...base, match: 'exact', subjects: [deploy(GITHUB_WORKFLOWS.release)] });
    }
    if (props.circleci) {
      const cc = props.circleci;
      // v2 subjects (`$CIRCLE_OIDC_TOKEN_V2`, `circleci run oidc get`):
      // org/<org>/project/<project>/user/<user>/vcs-origin/<origin>/vcs-ref/<ref>
      // (https://circleci.com/docs/openid-connect-tokens/). The user id is matched by its fixed UUID
      // shape, never by `*`: a `*` there would also match "x/vcs-origin/github.com/<org>/<repo>/vcs-ref/…"
      // inside a hostile branch's name.
      const fromRepo = `org/${cc.organizationId}/project/${cc.projectId}/user/${CIRCLECI_USER_ID_PATTERN}/vcs-origin/github.com/${repo}/vcs-ref/`;
      // Plans: any branch of THIS repository (the `*` is only the ref). A fork's pull request names the
      // fork as its origin, and a webhook or API trigger without a repository origin has none: refused.
      planTrust.push({ providerArn: cc.providerArn, host: cc.host, audience: cc.audiences.plan, match: 'pattern', subjects: [`${fromRepo}*`] });
      // Apply and release: the deploy branch of this repository. AWS cannot see which context a job
      // uses: the audience (the role's own name) separates apply from release and one environment from
      // another; any job of the project on the deploy branch can still mint any audience (README).
      const deploySubject = `${fromRepo}refs/heads/${cc.deployBranch}`;
      applyTrust.push({ providerArn: cc.providerArn, host: cc.host, audience: cc.audiences.apply, match: 'pattern', subjects: [deploySubject] });
      releaseTrust.push({ providerArn: cc.providerArn, host: cc.host, audience: cc.audiences.release, match: 'pattern', subjects: [deploySubject] });
    }

    const state = stateAccess(props);
    // The account id is a token of known length (12 digits); the size check counts it as such.
    const tokenStandIns = { [props.accountId]: '000000000000' };
    this.plan = new PipelineRole(this, 'plan', {
      name: names.plan,
      description: `Plans ${props.environment} from any branch or pull request of ${repo}: read-only`,
      trust: planTrust,
      managedPolicyArns: [`arn:${props.partition}:iam::aws:policy/ReadOnlyAccess`],
      statements: [...state.read, ...state.lockFiles, ...planDenies(props)],
      maxSessionSeconds: PIPELINE_SESSION_SECONDS.plan,
      tokenStandIns,
    });
    this.apply = new PipelineRole(this, 'apply', {
      name: names.apply,
      description: `Applies ${props.environment}'s stacks from ${GITHUB_WORKFLOWS.terraform} on the deploy branch of ${repo}`,
      trust: applyTrust,
      managedPolicyArns: [`arn:${props.partition}:iam::aws:policy/PowerUserAccess`],
      statements: [...state.read, ...state.write, ...iamForStacks(props), ...applyDenies(props)],
      maxSessionSeconds: PIPELINE_SESSION_SECONDS.apply,
      tokenStandIns,
    });
    this.release = new PipelineRole(this, 'release', {
      name: names.release,
      description: `Releases images to ${props.environment}'s services from ${GITHUB_WORKFLOWS.release} on the deploy branch of ${repo}`,
      trust: releaseTrust,
      statements: releaseStatements(props),
      maxSessionSeconds: PIPELINE_SESSION_SECONDS.release,
      tokenStandIns,
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
 * Describe/Get/List). Plans run code from any branch unreviewed, so these denies take back what it
 * also reads that a plan never needs — data — and every write but the state lock files.
 */
function planDenies(props: PipelineIdentitiesProps): Statement[] {
  const bucket = props.stateBucket.bucketArn;
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
        // Database logs (statements, parameters) and the images themselves (code, baked-in settings).
        'rds:DownloadDBLogFilePortion',
        'rds:DownloadCompleteDBLogFile',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
        // EC2 user data, console output and Windows passwords.
        'ec2:DescribeInstanceAttribute',
        'ec2:GetLaunchTemplateData',
        'ec2:GetConsoleOutput',
        'ec2:GetConsoleScreenshot',
        'ec2:GetPasswordData',
        // Messages (the schedules' dead-letter queues): receiving is also a write (visibility).
        'sqs:ReceiveMessage',
      ],
      Resource: '*',
    },
    {
      // Objects of any bucket but this environment's state: the ALB access logs (`<prefix>-alb-logs-*`)
      // and whatever else a bucket of the account holds; every object-level read (`s3:GetObject*`:
      // versions, attributes, tags, ACLs, torrents): the stacks manage no S3 objects, so no refresh needs one.
      Sid: 'DenyObjectReadsOutsideState',
      Effect: 'Deny',
      Action: 's3:GetObject*',
      NotResource: `${bucket}/${props.environment}/*`,
    },
    {
      // SecureString parameters and every other KMS-encrypted datum stay sealed: the only key a plan
      // decrypts with is the state key (the state objects, through S3).
      Sid: 'DenyDecryptOutsideStateKey',
      Effect: 'Deny',
      Action: 'kms:Decrypt',
      NotResource: props.stateKey.arn,
    },
    {
      // `use_lockfile`: a plan writes and deletes `<key>.tflock` next to the state, nothing else anywhere.
      Sid: 'DenyObjectWritesOutsideLockFiles',
      Effect: 'Deny',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl', 's3:RestoreObject'],
      NotResource: `${bucket}/${props.environment}/*.tflock`,
    },
  ];
}

/**
 * PowerUserAccess covers every service these stacks use except IAM. IAM is granted only for the
 * roles, policies and instance profiles named `<prefix>-*` (every IAM name the stacks create); a role
 * may be created or given policies only while it carries the workload permissions boundary, and
 * roles may be passed only to the services the stacks pass them to.
 */
function iamForStacks(props: PipelineIdentitiesProps): Statement[] {
  const iam = (type: string) => `arn:${props.partition}:iam::${props.accountId}:${type}/${props.prefix}-*`;
  // Request key on CreateRole/PutRolePermissionsBoundary (the boundary asked for); on the policy
  // actions, the boundary the role already has
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PermissionsBoundary).
  const bounded = { StringEquals: { 'iam:PermissionsBoundary': props.permissionsBoundaryArn } };
  return [
    {
      Sid: 'RolesWithTheBoundary',
      Effect: 'Allow',
      Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: iam('role'),
      Condition: bounded,
    },
    {
      Sid: 'RolesOfThisEnvironment',
      Effect: 'Allow',
      Action: ['iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole'],
      Resource: iam('role'),
    },
    {
      Sid: 'PoliciesAndInstanceProfilesOfThisEnvironment',
      Effect: 'Allow',
      Action: [
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
      Resource: [iam('policy'), iam('instance-profile')],
    },
    { Sid: 'IamRead', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
    {
      Sid: 'PassRolesOfThisEnvironment',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: iam('role'),
      Condition: { StringEquals: { 'iam:PassedToService': [...WORKLOAD_ROLE_SERVICES] } },
    },
  ];
}

/** What PowerUserAccess (or the grants above) would allow but must stay out of the pipeline's reach. */
function applyDenies(props: PipelineIdentitiesProps): Statement[] {
  const bucket = props.stateBucket.bucketArn;
  const { partition } = props;
  const account = `arn:${partition}:iam::${props.accountId}`;
  return [
    {
      // The pipeline cannot widen its own trust or permissions, nor another environment's, nor the
      // boundary (a policy under /pipeline/).
      Sid: 'DenyPipelineIdentityChanges',
      Effect: 'Deny',
      Action: ['iam:Create*', 'iam:Delete*', 'iam:Update*', 'iam:Put*', 'iam:Set*', 'iam:Attach*', 'iam:Detach*', 'iam:Add*', 'iam:Remove*', 'iam:Tag*', 'iam:Untag*', 'iam:PassRole'],
      Resource: pipelineIdentityArns(partition, props.accountId),
    },
    {
      // No role without the boundary, whatever else allows CreateRole; and no way to take it off.
      Sid: 'DenyRolesWithoutTheBoundary',
      Effect: 'Deny',
      Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary'],
      Resource: '*',
      Condition: { StringNotEquals: { 'iam:PermissionsBoundary': props.permissionsBoundaryArn } },
    },
    { Sid: 'DenyBoundaryRemoval', Effect: 'Deny', Action: 'iam:DeleteRolePermissionsBoundary', Resource: '*' },
    {
      // Only the AWS managed policies the stacks use, and this environment's own policies (which the
      // boundary caps anyway): never AdministratorAccess, IAMFullAccess, PowerUserAccess…
      Sid: 'DenyOtherManagedPolicies',
      Effect: 'Deny',
      Action: ['iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'iam:AttachGroupPolicy'],
      Resource: '*',
      Condition: {
        ArnNotLike: { 'iam:PolicyARN': [...WORKLOAD_MANAGED_POLICIES.map((p) => `arn:${partition}:iam::aws:policy/${p}`), `${account}:policy/${props.prefix}-*`] },
      },
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

/**
 * `npm run release` for every service of the environment (the contract's API list), and nothing else.
 * Resources are scoped by the environment's name prefixes, not listed per service: one statement per
 * kind of resource whatever the number of services, so the policy stays far below IAM's 10,240
 * characters (listed per service it grew ~1 kB a service). Every name a prefix covers belongs to this
 * environment (naming.ts; the apply role manages only `<prefix>-*` IAM names).
 */
function releaseStatements(props: PipelineIdentitiesProps): Statement[] {
  const { partition, prefix } = props;
  const arn = (service: string, resource: string) => `arn:${partition}:${service}:${props.region}:${props.accountId}:${resource}`;
  const roleArn = (name: string) => `arn:${partition}:iam::${props.accountId}:role/${name}`;
  const svcs = props.services.map((s) => s.names);
  if (svcs.length === 0) throw new Error('a release role needs at least one service');
  const migrates = props.services.some((s) => s.migrates);
  const schedules = props.services.some((s) => s.hasSchedules === true);
  // One ARN per previous environment: `repository/<previous prefix>/*`.
  const promotedFrom = [...new Set(props.services.flatMap((s) => (s.promotedFromRepositoryArn ? [s.promotedFromRepositoryArn.replace(/\/[^/]+$/, '/*')] : [])))];
  const clusterName = svcs[0].cluster;
  const cluster = arn('ecs', `cluster/${clusterName}`);
  const tasks = arn('ecs', `task/${clusterName}/*`);
  const inCluster = { ArnEquals: { 'ecs:cluster': cluster } };
  const services = arn('ecs', `service/${clusterName}/*`);
  const deployments = arn('ecs', `service-deployment/${clusterName}/*`);
  const families = arn('ecs', `task-definition/${prefix}-*:*`);
  const migrateFamilies = arn('ecs', `task-definition/${prefix}-*-migrate:*`);
  const releaseRecords = [...new Set(svcs.map((s) => s.releaseParameter.replace(/[^/]+$/, '*')))];
  const statements: Statement[] = [
    {
      // Resolve tags, read the image manifest and tag what was shipped (`released-<env>-<n>`, and
      // `baking-<env>-<n>` during a blue/green bake). BatchDeleteImage removes a baking tag, or the
      // tags of a rolled-back release (the tool removes tags only, never an image's last tag).
      Sid: 'OwnRepositories',
      Effect: 'Allow',
      Action: ['ecr:DescribeRepositories', 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage'],
      Resource: arn('ecr', `repository/${prefix}/*`),
    },
    // DescribeTaskDefinition has no resource-level permissions (task definitions hold no secrets here).
    { Sid: 'ReadTaskDefinitions', Effect: 'Allow', Action: 'ecs:DescribeTaskDefinition', Resource: '*' },
    {
      // RegisterTaskDefinition and DeregisterTaskDefinition support no resource-level permissions
      // (Service Authorization Reference, ECS: no resource type for either,
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html):
      // a scoped Resource makes every release fail with AccessDenied. What a revision may carry is
      // bounded by PassTaskRoles below (this environment's task and execution roles, only to ECS tasks)
      // and, per family, by the release tool's revision check (README "Pipeline roles").
      Sid: 'RegisterRevisions',
      Effect: 'Allow',
      Action: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition'],
      Resource: '*',
    },
    {
      Sid: 'TagWhatReleasesCreate',
      Effect: 'Allow',
      Action: 'ecs:TagResource',
      Resource: [families, tasks],
      Condition: { StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'RunTask'] } },
    },
    { Sid: 'UpdateServices', Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'], Resource: services },
    {
      // A long-running service never runs a migrate family (its execution role reads the database master
      // secret): UpdateService names its task definition in `ecs:task-definition`
      // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/security_iam_service-with-iam.html#security_iam_service-with-iam-id-based-policies-conditionkeys).
      Sid: 'DenyServicesOnMigrateFamilies',
      Effect: 'Deny',
      Action: ['ecs:UpdateService', 'ecs:CreateService'],
      Resource: '*',
      Condition: { ArnLike: { 'ecs:task-definition': migrateFamilies } },
    },
    {
      // Each checks the service and the deployment (or revision) itself.
      Sid: 'FollowDeployments',
      Effect: 'Allow',
      Action: ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
      Resource: [services, deployments, arn('ecs', `service-revision/${clusterName}/*`)],
    },
    // Rollback of an in-flight deployment.
    { Sid: 'StopDeployments', Effect: 'Allow', Action: 'ecs:StopServiceDeployment', Resource: deployments },
    { Sid: 'ReleaseRecords', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: releaseRecords.map((p) => arn('ssm', `parameter${p}`)) },
    {
      // The services' and migrate families' task and execution roles (`<prefix>-<service>[-migrate]-task|execution`).
      Sid: 'PassTaskRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: [roleArn(`${prefix}-*-task`), roleArn(`${prefix}-*-execution`)],
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
  ];
  if (promotedFrom.length > 0) {
    // Promotion evidence: the `released-<prev>-<n>` tags in the previous environment's repositories
    // (another account's repository must also allow this role in its repository policy).
    statements.push({ Sid: 'PromotionEvidence', Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: promotedFrom });
  }
  if (migrates) {
    statements.push(
      { Sid: 'RunMigrations', Effect: 'Allow', Action: 'ecs:RunTask', Resource: migrateFamilies, Condition: inCluster },
      // StopTask: a migrate task is stopped when the release is aborted.
      { Sid: 'FollowMigrations', Effect: 'Allow', Action: ['ecs:DescribeTasks', 'ecs:StopTask'], Resource: tasks, Condition: inCluster },
      {
        Sid: 'MigrationLogs',
        Effect: 'Allow',
        Action: 'logs:GetLogEvents',
        Resource: [arn('logs', `log-group:/ecs/${prefix}/*-migrate`), arn('logs', `log-group:/ecs/${prefix}/*-migrate:log-stream:*`)],
      },
    );
  }
  if (schedules) {
    statements.push(
      // A release points the service's schedules at the revision it registered (group and schedule `<prefix>-<name>`).
      { Sid: 'RepointSchedules', Effect: 'Allow', Action: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'], Resource: arn('scheduler', `schedule/${prefix}-*/${prefix}-*`) },
      {
        Sid: 'PassScheduleRoles',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: roleArn(`${prefix}-*-scheduler`),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    );
  }
  return statements;
}

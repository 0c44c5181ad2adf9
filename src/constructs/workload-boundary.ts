// The permissions boundary every IAM role of the network, data and app stacks carries (the managed
// policy src/naming.ts names). The apply role may create and change roles only with this boundary
// attached and can neither detach it nor edit it (it lives under /pipeline/), so whatever policy the
// apply role writes into a role, the role can never do more than this allows: no IAM (beyond passing
// this environment's roles to ECS tasks), no Organizations/account settings, no STS into other roles.
// A role bounded like this holds at most what the apply role itself holds (PowerUserAccess), so
// creating roles is no way for the pipeline to mint an administrator; and what the apply role is
// itself denied (the state key, the state bucket, the pipeline identities) the boundary denies too, or
// a role the apply role creates and hands to a task would be the way around those denies.
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { Construct } from 'constructs';
import { policyDocument, type Statement } from '../lib/iam';
import { environmentPrefix, permissionsBoundaryName, pipelineIdentityArns } from '../naming';
import { MANAGED_POLICY_MAX_CHARS, policySizeProblems } from '../lib/policy-size';

export interface WorkloadBoundaryProps {
  /** The project's service name (naming.ts). */
  readonly projectService: string;
  /** The environment's name. */
  readonly environment: string;
  /** The environment's account. */
  readonly accountId: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
  /** ARN of the state bucket: no workload role may touch it or its objects. */
  readonly stateBucketArn: string;
  /** ARN of the state key, and of its alias: no workload role may use or administer either. */
  readonly stateKeyArns: string[];
}

/**
 * The boundary's statements: broad on purpose (a boundary caps, each role's own policy grants), so a
 * workload that gains a service needs no boundary change; narrow exactly where a role could grow:
 * - every action except IAM, STS, Organizations, account, IAM Identity Center and Access Analyzer's
 *   policy generation (`NotAction`): what the stacks' roles use (ECS, ECR, logs, KMS, Secrets
 *   Manager, SSM, S3, EC2 for the ECS agent, ELB for blue/green, RDS monitoring…);
 * - `iam:PassRole` of this environment's roles to ECS tasks only (the schedule roles' RunTask);
 * - `sts:AssumeRole` of this environment's roles in this account only, `sts:GetCallerIdentity`;
 * - and, denied whatever a role's own policy says, what the apply role is denied: the state key
 *   (`kms:*`: decrypting every state version, ScheduleKeyDeletion, PutKeyPolicy…), the state bucket and
 *   its objects (`s3:*`), and IAM and STS on the pipeline roles, the policies under /pipeline/ (this
 *   boundary) and the OIDC providers.
 */
function workloadBoundaryStatements(props: WorkloadBoundaryProps): Statement[] {
  const account = `arn:${props.partition}:iam::${props.accountId}`;
  // The roles the workloads may pass and assume: this environment's, `role/<service>-<env>-*`.
  const ownRoles = `${account}:role/${environmentPrefix(props.projectService, props.environment)}-*`;
  return [
    {
      Sid: 'WorkloadServices',
      Effect: 'Allow',
      NotAction: ['iam:*', 'sts:*', 'organizations:*', 'account:*', 'sso:*', 'sso-directory:*', 'identitystore:*', 'access-analyzer:*'],
      Resource: '*',
    },
    {
      Sid: 'PassOwnRolesToEcsTasks',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: ownRoles,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
    { Sid: 'AssumeOwnRolesOnly', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: ownRoles },
    { Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
    { Sid: 'DenyStateKey', Effect: 'Deny', Action: 'kms:*', Resource: props.stateKeyArns },
    { Sid: 'DenyStateBucket', Effect: 'Deny', Action: 's3:*', Resource: [props.stateBucketArn, `${props.stateBucketArn}/*`] },
    {
      // Already outside what the statements above allow; denied here too, so that no future widening
      // of them (or of a role's own policy) reaches the pipeline's own identities.
      Sid: 'DenyPipelineIdentities',
      Effect: 'Deny',
      Action: ['iam:*', 'sts:*'],
      Resource: pipelineIdentityArns(props.partition, props.accountId),
    },
  ];
}

export class WorkloadBoundary extends Construct {
  /** The policy's ARN (a token of the created policy; equal to `permissionsBoundaryArn()` of naming.ts). */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: WorkloadBoundaryProps) {
    super(scope, id);
    const { name, path } = permissionsBoundaryName(props.projectService, props.environment);
    const document = policyDocument(...workloadBoundaryStatements(props));
    const policy = new IamPolicy(this, 'policy', {
      name,
      path,
      description: `Permissions boundary of every workload role of ${props.environment}: what a role the pipeline creates can ever do`,
      policy: document,
    });
    this.node.addValidation({ validate: () => policySizeProblems(`managed policy ${name}`, document, MANAGED_POLICY_MAX_CHARS) });
    this.arn = policy.arn;
  }
}

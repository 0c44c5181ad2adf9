// The permissions boundary every IAM role of the network, data and app stacks carries (the managed
// policy src/naming.ts names). The apply role may create and change roles only with this boundary
// attached and can neither detach it nor edit it (it lives under /pipeline/), so whatever policy the
// apply role writes into a role, the role can never do more than this allows: no IAM (beyond passing
// this environment's roles to ECS tasks), no Organizations/account settings, no STS into other roles.
// A role bounded like this holds at most what the apply role itself holds (PowerUserAccess), so
// creating roles is no way for the pipeline to mint an administrator.
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { Construct } from 'constructs';
import type { PolicyStatement } from '../lib/iam-conditions';
import { permissionsBoundaryName } from '../naming';
import { policyJson } from './pipeline-role';

export interface WorkloadBoundaryProps {
  /** The project's service name (naming.ts). */
  readonly projectService: string;
  /** The environment's name. */
  readonly environment: string;
  /** `<service>-<env>`: the roles the workloads may pass and assume are `role/<prefix>-*`. */
  readonly prefix: string;
  /** The environment's account. */
  readonly accountId: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
}

/**
 * The boundary's statements: broad on purpose (a boundary caps, each role's own policy grants), so a
 * workload that gains a service needs no boundary change; narrow exactly where a role could grow:
 * - every action except IAM, STS, Organizations, account, IAM Identity Center and Access Analyzer's
 *   policy generation (`NotAction`): what the stacks' roles use (ECS, ECR, logs, KMS, Secrets
 *   Manager, SSM, S3, EC2 for the ECS agent, ELB for blue/green, RDS monitoring…);
 * - `iam:PassRole` of this environment's roles to ECS tasks only (the schedule roles' RunTask);
 * - `sts:AssumeRole` of this environment's roles in this account only, `sts:GetCallerIdentity`.
 */
export function workloadBoundaryStatements(props: Pick<WorkloadBoundaryProps, 'prefix' | 'accountId' | 'partition'>): PolicyStatement[] {
  const ownRoles = `arn:${props.partition}:iam::${props.accountId}:role/${props.prefix}-*`;
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
  ];
}

export class WorkloadBoundary extends Construct {
  /** The policy's ARN (a token of the created policy; equal to `permissionsBoundaryArn()` of naming.ts). */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: WorkloadBoundaryProps) {
    super(scope, id);
    const { name, path } = permissionsBoundaryName(props.projectService, props.environment);
    const policy = new IamPolicy(this, 'policy', {
      name,
      path,
      description: `Permissions boundary of every workload role of ${props.environment}: what a role the pipeline creates can ever do`,
      policy: policyJson(...workloadBoundaryStatements(props)),
    });
    this.arn = policy.arn;
  }
}

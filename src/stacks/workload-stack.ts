// The base of the stacks that run the workloads (network, data, app), as opposed to the bootstrap
// stack that creates the pipeline roles and the permissions boundary: every IAM role these stacks
// create carries the environment's workload boundary (README "Security": the apply role cannot mint
// a role with more than that boundary allows).
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { Aspects } from 'cdktf';
import type { Construct } from 'constructs';
import { PermissionsBoundary } from '../lib/permissions-boundary';
import { permissionsBoundaryArn } from '../naming';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';

export class WorkloadStack extends EnvironmentStack {
  /** The account Terraform runs in (the `caller` data source). */
  readonly accountId: string;

  constructor(scope: Construct, component: string, props: EnvironmentStackProps) {
    super(scope, component, props);
    const { config } = props;
    this.accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    // Every role of this stack carries the environment's permissions boundary.
    Aspects.of(this).add(new PermissionsBoundary(permissionsBoundaryArn(config.partition, this.accountId, config.project.service, config.name)));
  }
}

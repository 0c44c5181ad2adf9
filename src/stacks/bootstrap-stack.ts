// `<env>-bootstrap`: what must exist before any pipeline can run, deployed by an administrator:
// the state bucket (and its key) every other stack keeps its state in, and the pipeline identities
// (OIDC providers, plan/apply/release roles) and the permissions boundary of every workload role. The
// pipelines cannot create the roles they assume, and keeping the roles and the boundary out of the
// stacks the apply role manages means a pipeline can never widen its own permissions. Bootstrap starts with local state (it creates the bucket); `state.bootstrapInBucket`
// moves it in later (README).
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { TerraformOutput, type TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { previousInChain } from '../config/promotion-chain';
import { mayShareAccount } from '../config/rules';
import type { ProjectConfig } from '../config/schema';
import { CustomerKey } from '../constructs/customer-key';
import { circleciAudiences, circleciOidcUrl, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_URL, OidcProvider } from '../constructs/oidc-provider';
import { PipelineIdentities, pipelineRoleArn, pipelineRoleNames } from '../constructs/pipeline-identities';
import { StateBucket } from '../constructs/state-bucket';
import { WorkloadBoundary } from '../constructs/workload-boundary';
import { environmentPrefix, serviceNames, stateKeyAlias } from '../naming';
import { movedFromSibling } from '../lib/moved';
import { EnvironmentStack } from './environment-stack';

/** The pipeline variable an output feeds: `AWS_<KIND>_ROLE_ARN_<ENV>` (env upper-cased, `-` → `_`). */
export function pipelineVariable(kind: 'PLAN' | 'APPLY' | 'RELEASE', envName: string): string {
  return `AWS_${kind}_ROLE_ARN_${envName.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * The ECR repository ARN of `serviceName` in the environment before `envName` in its promotion chain
 * (`previousInChain`, over `all`: the loaded environments, in declaration order — the same list
 * the data stacks build their repository policies from); in its
 * `allowedAccountIds[0]`, else in `accountId` (this account: the config refuses a next environment
 * with accounts after one without). Undefined for the first.
 */
export function promotionSourceRepositoryArn(
  projectService: string,
  envName: string,
  serviceName: string,
  accountId: string,
  all: readonly EnvironmentConfig[],
): string | undefined {
  const previous = previousInChain(all, envName, serviceName);
  if (previous === undefined) return undefined;
  const account = previous.allowedAccountIds?.[0] ?? accountId;
  return `arn:${previous.partition}:ecr:${previous.region}:${account}:repository/${serviceNames(projectService, previous.name, serviceName).repository}`;
}

export class BootstrapStack extends EnvironmentStack {
  /**
   * `environments`: every environment of the app in declaration order (src/app.ts), for the promotion
   * chain and the audiences of a CircleCI provider other environments of the account share; alone, an
   * environment promotes from nobody.
   */
  constructor(scope: Construct, config: EnvironmentConfig, environments: readonly EnvironmentConfig[] = [config]) {
    super(scope, 'bootstrap', { config, backend: config.state.bootstrapInBucket ? 's3' : 'local' });
    // The loaded project carries its CI switches (load.ts's Project type names only service and repository).
    const project = config.project as unknown as ProjectConfig;
    const caller = new DataAwsCallerIdentity(this, 'caller');
    const accountId = caller.accountId;
    // Whoever applies this stack keeps access to the state: their role (not the session) joins the
    // bucket's and key's allowed principals, so a first apply cannot lock its deployer out.
    const deployer = new DataAwsIamSessionContext(this, 'deployer', { arn: caller.arn }).issuerArn;

    const partition = config.partition;
    const roles = pipelineRoleNames(this.prefix);
    const ci = project.ci;
    const stateUsers = [
      ...config.state.adminRoleArns,
      deployer,
      // Release needs no state: it finds everything by name (src/naming.ts).
      pipelineRoleArn(accountId, roles.plan, partition),
      pipelineRoleArn(accountId, roles.apply, partition),
    ];
    // The state's key, usable only by the bucket's principals; kept from destroy: without it no state version is readable.
    const key = new CustomerKey(this, 'state-key', {
      alias: stateKeyAlias(config.project.service, config.name),
      description: `Terraform state of ${config.name} (s3://${config.state.bucket})`,
      accountId,
      region: config.region,
      partition,
      usableOnlyBy: stateUsers,
      // The name deployed state keys have: CI may not change this key's policy, so a rename would be drift only an admin can clear.
      usableOnlyBySid: 'DenyUseOutsideStateRoles',
      preventDestroy: true,
    });
    // Construct id "state" keeps the bucket's resource addresses of earlier versions.
    const bucket = new StateBucket(this, 'state', { bucketName: config.state.bucket, kmsKeyArn: key.arn, allowedPrincipalArns: stateUsers });

    const github = ci.github.enabled
      ? new OidcProvider(this, 'github-oidc', { url: GITHUB_OIDC_URL, audiences: [GITHUB_OIDC_AUDIENCE], mode: config.ci.oidcProviders.github, accountId, partition })
      : undefined;
    const circle = ci.circleci?.enabled ? ci.circleci : undefined;
    // An account holds one provider per URL, shared by the environments in it: the one that creates it
    // lists the audiences of every environment that may be in the same account (harmless for the
    // others: each role pins its own audience).
    const sharing = [config, ...environments.filter((env) => env.name !== config.name && mayShareAccount(env, config))];
    const providerAudiences = circle
      ? [...new Set(sharing.flatMap((env) => Object.values(circleciAudiences(circle.organizationId, environmentPrefix(config.project.service, env.name)))))]
      : [];
    const circleci = circle
      ? new OidcProvider(this, 'circleci-oidc', {
          url: circleciOidcUrl(circle.organizationId),
          audiences: providerAudiences,
          mode: config.ci.oidcProviders.circleci,
          accountId,
          partition,
        })
      : undefined;
    const boundary = new WorkloadBoundary(this, 'workload-boundary', {
      projectService: config.project.service,
      environment: config.name,
      accountId,
      partition,
      stateBucketArn: bucket.bucketArn,
      stateKeyArns: [key.arn, key.aliasArn],
    });

    const identities = new PipelineIdentities(this, 'pipeline', {
      prefix: this.prefix,
      environment: config.name,
      region: config.region,
      accountId,
      partition,
      repository: config.project.repository.replace(/^github\.com\//, ''),
      github: github && {
        providerArn: github.arn,
        host: github.host,
        audience: GITHUB_OIDC_AUDIENCE,
        environment: config.ci.githubEnvironment ?? config.name,
        deployBranch: config.ci.deployBranch,
      },
      circleci: circleci &&
        circle && {
          providerArn: circleci.arn,
          host: circleci.host,
          organizationId: circle.organizationId,
          projectId: config.ci.circleciProjectId ?? circle.projectId,
          deployBranch: config.ci.deployBranch,
          audiences: circleciAudiences(circle.organizationId, this.prefix),
        },
      stateBucket: bucket,
      stateKey: key,
      permissionsBoundaryArn: boundary.arn,
      services: config.services.map((svc) => ({
        names: serviceNames(config.project.service, config.name, svc.name),
        migrates: svc.release.migrate !== undefined,
        hasSchedules: config.schedules.some((s) => s.service === svc.name),
        promotedFromRepositoryArn: promotionSourceRepositoryArn(config.project.service, config.name, svc.name, accountId, environments),
      })),
    });

    // Earlier versions keyed each role's one managed-policy attachment by position (`managed-0`).
    movedFromSibling(identities.plan.node.findChild('managed-ReadOnlyAccess') as TerraformResource, 'managed-0');
    movedFromSibling(identities.apply.node.findChild('managed-PowerUserAccess') as TerraformResource, 'managed-0');
    new TerraformOutput(this, 'state_bucket', { value: bucket.bucketName, description: 'The bucket every stack of this environment keeps its Terraform state in (S3 backend `bucket`)' });
    new TerraformOutput(this, 'workload_boundary_arn', { value: boundary.arn, description: 'The permissions boundary every workload role carries (the apply role may create roles only with it)' });
    new TerraformOutput(this, 'state_kms_key_arn', { value: key.arn, description: `The state key; S3 backends name it by its alias ${key.aliasName}` });
    // Each description says where the ARN goes (README "Pipeline identities").
    const githubEnvironment = config.ci.githubEnvironment ?? config.name;
    const inEnvironment = (v: string) => `variable ${v} of the environment "${githubEnvironment}"`;
    const inContext = (v: string) => `${v} in the restricted context aws-${config.name}`;
    const outputs = [
      { kind: 'PLAN', role: identities.plan, what: 'Plan role (any branch, read-only)', github: (v: string) => `repository variable ${v}`, circleci: (v: string) => `project environment variable ${v}` },
      { kind: 'APPLY', role: identities.apply, what: `Apply role (${config.ci.deployBranch} only)`, github: inEnvironment, circleci: inContext },
      { kind: 'RELEASE', role: identities.release, what: `Release role (${config.ci.deployBranch} only)`, github: inEnvironment, circleci: inContext },
    ] as const;
    for (const output of outputs) {
      const variable = pipelineVariable(output.kind, config.name);
      const settings = [github && `GitHub: ${output.github(variable)}`, circleci && `CircleCI: ${output.circleci(variable)}`].filter(Boolean);
      new TerraformOutput(this, variable, { value: output.role.arn, description: `${output.what}. ${settings.join('; ')}` });
    }
  }
}

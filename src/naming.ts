// The names this project gives AWS, in one place. They are deterministic (project service name,
// environment name, service name), so tools that act on a running environment — `npm run release`,
// the pipeline roles' policies — find their resources from the config alone, never from Terraform state.

/** `<service>-<env>`: the prefix of every name an environment gives AWS (and the ECS cluster's name). */
export function environmentPrefix(projectService: string, envName: string): string {
  return `${projectService}-${envName}`;
}

/** `alias/<prefix>-tfstate`: the KMS key of the environment's state bucket, as the S3 backends name it (`kms_key_id`). */
export function stateKeyAlias(projectService: string, envName: string): string {
  return `alias/${environmentPrefix(projectService, envName)}-tfstate`;
}

/** IAM path of the pipeline's own roles and of the workload boundary: outside `<prefix>-*`, which the apply role manages. */
export const PIPELINE_IAM_PATH = '/pipeline/';

/** The pipeline's own identities in an account: roles and policies under PIPELINE_IAM_PATH, and the OIDC providers. */
export function pipelineIdentityArns(partition: string, accountId: string): string[] {
  const account = `arn:${partition}:iam::${accountId}`;
  return [`${account}:role${PIPELINE_IAM_PATH}*`, `${account}:policy${PIPELINE_IAM_PATH}*`, `${account}:oidc-provider/*`];
}

/**
 * The permissions boundary every IAM role of the network, data and app stacks carries: a managed policy
 * the bootstrap stack (an administrator) creates under the `/pipeline/` path, where the apply role may
 * neither change nor detach it, so roles the apply role creates can never hold more than it allows.
 */
export interface PermissionsBoundaryName {
  /** Policy name (`<prefix>-workload-boundary`). */
  readonly name: string;
  /** IAM path of the policy (the pipeline roles' path, which the apply role may not touch). */
  readonly path: typeof PIPELINE_IAM_PATH;
}

export function permissionsBoundaryName(projectService: string, envName: string): PermissionsBoundaryName {
  return { name: `${environmentPrefix(projectService, envName)}-workload-boundary`, path: PIPELINE_IAM_PATH };
}

/** ARN of the environment's permissions boundary policy (policy ARNs contain the path). */
export function permissionsBoundaryArn(partition: string, accountId: string, projectService: string, envName: string): string {
  const { name, path } = permissionsBoundaryName(projectService, envName);
  return `arn:${partition}:iam::${accountId}:policy${path}${name}`;
}

/**
 * Tag prefix of what releases ship once the deployment succeeded: `released-<env>-<n>`, the promotion
 * evidence of the next environment (src/release); the ECR lifecycle policy keeps these images.
 */
export const RELEASED_TAG_PREFIX = 'released-';
/**
 * Tag prefix of a blue/green release's image while its bake runs: `baking-<env>-<n>` (src/release). Only
 * one release of a service bakes at a time; the tag is removed when the deployment ends.
 */
export const BAKING_TAG_PREFIX = 'baking-';

/** Whether `tag` is one the release tool writes (released-*, baking-*), not one an operator chose. */
export function isReleaseTag(tag: string): boolean {
  return tag.startsWith(RELEASED_TAG_PREFIX) || tag.startsWith(BAKING_TAG_PREFIX);
}

/** Every deterministic name that belongs to one service of one environment. */
export interface ServiceNames {
  /** ECS cluster of the environment. */
  readonly cluster: string;
  /** ECS service name (the service's name from config). */
  readonly service: string;
  /** Task definition family of the long-running service. */
  readonly taskFamily: string;
  /** Name of the application container in the service's task definition. */
  readonly container: string;
  /** Task definition family of the one-off migration task (`<family>-migrate`). */
  readonly migrateFamily: string;
  /** Name of the container in the migration task definition. */
  readonly migrateContainer: string;
  /** CloudWatch log group of the service's containers. */
  readonly logGroup: string;
  /** CloudWatch log group of the migration task. */
  readonly migrateLogGroup: string;
  /** `awslogs-stream-prefix` of the migration task: streams are `<prefix>/<container>/<task id>`. */
  readonly migrateLogStreamPrefix: string;
  /** IAM role the service's tasks run as (the application's own permissions). */
  readonly taskRole: string;
  /** IAM role ECS uses to start the service's tasks (pull, logs, secrets). */
  readonly executionRole: string;
  /** IAM role of the migration task. */
  readonly migrateTaskRole: string;
  /** IAM execution role of the migration task: the only role that may read the database master secret. */
  readonly migrateExecutionRole: string;
  /** ECR repository of the service's image. */
  readonly repository: string;
  /**
   * SSM parameter (String) that records the current and previous release of the service as JSON
   * (see src/release/record.ts). Terraform creates it and ignores its value; releases write it.
   */
  readonly releaseParameter: string;
}

export function serviceNames(projectService: string, envName: string, serviceName: string): ServiceNames {
  const prefix = environmentPrefix(projectService, envName);
  const family = `${prefix}-${serviceName}`;
  return {
    cluster: prefix,
    service: serviceName,
    taskFamily: family,
    container: serviceName,
    migrateFamily: `${family}-migrate`,
    migrateContainer: 'migrate',
    logGroup: `/ecs/${prefix}/${serviceName}`,
    migrateLogGroup: `/ecs/${prefix}/${serviceName}-migrate`,
    migrateLogStreamPrefix: 'migrate',
    taskRole: `${family}-task`,
    executionRole: `${family}-execution`,
    migrateTaskRole: `${family}-migrate-task`,
    migrateExecutionRole: `${family}-migrate-execution`,
    repository: `${prefix}/${serviceName}`,
    releaseParameter: `/${projectService}/${envName}/releases/${serviceName}`,
  };
}

/** The EventBridge Scheduler names of one scheduled task (`schedules[].name` of the config). */
export interface ScheduleNames {
  /** Schedule name (`<prefix>-<name>`). */
  readonly schedule: string;
  /** Its own schedule group (same name: the scheduler role's trust policy names the group exactly). */
  readonly group: string;
  /** IAM role Scheduler assumes to run the task (`<prefix>-<name>-scheduler`). */
  readonly role: string;
}

export function scheduleNames(projectService: string, envName: string, scheduleName: string): ScheduleNames {
  return scheduleNamesUnder(environmentPrefix(projectService, envName), scheduleName);
}

/** `scheduleNames` under an environment prefix (`<service>-<env>`, what ScheduledTask's namePrefix is). */
export function scheduleNamesUnder(prefix: string, scheduleName: string): ScheduleNames {
  const name = `${prefix}-${scheduleName}`;
  return { schedule: name, group: name, role: `${name}-scheduler` };
}

/**
 * Value of a blue/green service's test header (`deployment.blueGreen.testHeaderName`): the HTTPS
 * listener's test rule sends requests carrying `<header>: green` to the green target group.
 */
export const BLUE_GREEN_TEST_HEADER_VALUE = 'green';

/**
 * Listener-rule priority of a web service that sets no `loadBalancer.priority`: `100 × (position + 1)`
 * by its position in the environment's `services` list, leaving room to insert rules between them.
 * The config rules (duplicate-priority check) and the WebService construct both use this.
 */
export function defaultListenerPriority(position: number): number {
  return 100 * (position + 1);
}

/**
 * `<prefix>-<service>-<suffix>`: a target group of a web service (`tg` when rolling, `blue` and `green`
 * under blue/green). AWS caps it at 32 characters; the config refuses names that would exceed it.
 */
export function targetGroupName(prefix: string, service: string, suffix: string): string {
  return `${prefix}-${service}-${suffix}`;
}

/** The target group suffixes a web service may use; the longest decides whether its names fit. */
export const TARGET_GROUP_SUFFIXES = ['tg', 'blue', 'green'] as const;

// One service's task definition with its two roles (the execution role pulls the image,
// writes logs and reads secrets; the task role is what the application itself may call).
//
// The task definition Terraform registers is a TEMPLATE: its image (`<repository>:<config imageTag>`)
// is used only by the first deploy. `npm run release` registers new revisions copied from the latest
// one with the image pinned by digest, and the service ignores `task_definition`, so Terraform never
// moves the running image. Infrastructure changes here reach the service at the next release.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { Construct } from 'constructs';
import { grantLogWrite, grantSecretsRead, InlinePolicy, type Grantable } from '../lib/grants';
import { serviceTrustPolicy, type Statement } from '../lib/iam';
import type { ServiceNames } from '../naming';
import { grantPull } from './container-registry';
import type { IDatabase } from './database-reference';

/** The database as one service uses it: the database, and the PostgreSQL role the application connects as. */
export interface ServiceDatabase {
  /** Its address and grants: a `Database`, or a `DatabaseReference` to one in another stack. */
  readonly instance: IDatabase;
  /** Non-master role the application connects as with an IAM token (DB_USER; the migrate task creates it). */
  readonly user: string;
}

/**
 * How tasks are networked, which decides what they may run on: their own ENI (`awsvpc`, Fargate or
 * EC2) or the EC2 host's network (`bridge`, EC2 only, with a host port).
 */
export type TaskNetworking =
  | {
      readonly kind: 'awsvpc';
      /** `FARGATE` (also Fargate Spot) or `EC2`. */
      readonly compatibility: 'FARGATE' | 'EC2';
    }
  | {
      readonly kind: 'bridge';
      /** Host port of the container port; 0 picks a dynamic port (Docker's ephemeral range). */
      readonly hostPort: number;
    };

/** Docker HEALTHCHECK semantics. */
export interface ContainerHealthCheck {
  /** `["CMD", ...]` or `["CMD-SHELL", "..."]`; exit 0 = healthy. */
  readonly command: string[];
  /** Seconds between checks. */
  readonly intervalSeconds: number;
  /** Seconds a check may take. */
  readonly timeoutSeconds: number;
  /** Failures before the container is unhealthy. */
  readonly retries: number;
  /** Seconds after start during which failures do not count. */
  readonly startPeriodSeconds: number;
}

/** The application container. */
export interface ContainerProps {
  /** Port the application listens on (the `http` port mapping). */
  readonly port: number;
  /** Linux user, numeric `uid` or `uid:gid`, never root. */
  readonly user: string;
  /** Hard memory limit, MiB. @default the task's memory */
  readonly memory?: number;
  /** Soft memory limit, MiB. @default none */
  readonly memoryReservation?: number;
  /** Overrides the image's CMD. @default the image's CMD */
  readonly command?: string[];
  /** Plain environment variables (never secrets). @default {} */
  readonly environment?: Record<string, string>;
  /** Secrets injected at start: env var → Secrets Manager ARN, SSM parameter ARN or `/name`. @default {} */
  readonly secrets?: Record<string, string>;
  /** Container health check. @default none (the load balancer's still applies) */
  readonly healthCheck?: ContainerHealthCheck;
}

/** ECS Exec into the tasks: what the task role needs for sessions and their audit. */
export interface EcsExecAccess {
  /** The cluster's exec audit log group (encrypted with `kmsKeyArn`). */
  readonly auditLogGroupArn: string;
  /** Customer-managed key encrypting sessions and the audit log: the task role may decrypt with it. */
  readonly kmsKeyArn: string;
}

export interface ServiceTaskDefinitionProps {
  /** The deterministic names of the service (family, container, log group, roles). */
  readonly names: ServiceNames;
  /** Region of the environment (log driver, ARNs). */
  readonly region: string;
  /** Account of the environment (ARNs, trust conditions). */
  readonly accountId: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
  /** `<repository url>:<tag>`: the image of the first deploy only (releases pin later ones by digest). */
  readonly image: string;
  /** The repository the execution role may pull from (`grantPull`). */
  readonly repositoryArn: string;
  /** Task CPU units. */
  readonly cpu: number;
  /** Task memory, MiB. */
  readonly memory: number;
  /** Network mode and launch type. */
  readonly networking: TaskNetworking;
  /** The application container. */
  readonly container: ContainerProps;
  /** Days the container log group keeps events. */
  readonly logRetentionDays: number;
  /** Customer-managed KMS key of the log group. @default CloudWatch Logs' own encryption */
  readonly logsKmsKeyArn?: string;
  /**
   * The application connects as `database.user` with an IAM token (env DB_HOST, DB_PORT, DB_NAME,
   * DB_USER, DB_IAM_AUTH, AWS_REGION; the database grants the task role `rds-db:connect` as that user).
   * @default no database settings
   */
  readonly database?: ServiceDatabase;
  /** ECS Exec: session channels, the encrypted audit log. @default ECS Exec off (no permissions) */
  readonly ecsExec?: EcsExecAccess;
  /** Keep the log group when the stack is destroyed (production). @default false */
  readonly retainLogs?: boolean;
}

/** Writable paths the SSM agent behind ECS Exec needs when the root file system is read-only. */
const EXEC_AGENT_PATHS = ['/var/lib/amazon', '/var/log/amazon'];

/** Scratch volumes of a container with a read-only root file system: /tmp and the ECS Exec agent's paths. */
export const SCRATCH_VOLUMES = [{ name: 'tmp', path: '/tmp' }, ...EXEC_AGENT_PATHS.map((path) => ({ name: path.slice(1).replace(/\//g, '-'), path }))];

/**
 * What every container of this project gets: a non-root user, no Linux capabilities, a read-only
 * root file system with writable scratch volumes, an init process, and awslogs.
 */
export function hardenedContainer(options: { user: string; logGroupName: string; region: string; streamPrefix: string }): Record<string, unknown> {
  return {
    user: options.user,
    readonlyRootFilesystem: true,
    mountPoints: SCRATCH_VOLUMES.map(({ name, path }) => ({ sourceVolume: name, containerPath: path, readOnly: false })),
    linuxParameters: { initProcessEnabled: true, capabilities: { drop: ['ALL'] } },
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': options.logGroupName,
        'awslogs-region': options.region,
        'awslogs-stream-prefix': options.streamPrefix,
        mode: 'non-blocking',
        'max-buffer-size': '25m',
      },
    },
  };
}

/** Environment variables and secrets in ECS's list form, sorted by name for a stable diff. */
export function containerVariables(
  environment: Record<string, string>,
  secrets: Record<string, string>,
): { environment: Array<{ name: string; value: string }>; secrets: Array<{ name: string; valueFrom: string }> } {
  return {
    environment: Object.entries(environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    secrets: Object.entries(secrets)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, valueFrom]) => ({ name, valueFrom })),
  };
}

/** The `ecs-tasks.amazonaws.com` trust policy, limited to ECS acting for this account and region. */
export function ecsTasksTrustPolicy(options: { region: string; accountId: string; partition: string }): string {
  return serviceTrustPolicy('ecs-tasks.amazonaws.com', options.accountId, `arn:${options.partition}:ecs:${options.region}:${options.accountId}:*`);
}

/** Launch type and runtime platform of a task definition for its networking. */
/**
 * What each task definition of a service starts with: its log group, and an execution role that pulls
 * the service's image, writes that log group and reads exactly the configured secrets (never the
 * database master secret: only the migrate family's caller grants that). Ids `logs`,
 * `execution-role` and `execution-policy` under `scope`.
 */
export function logsAndExecutionRole(
  scope: Construct,
  props: Pick<ServiceTaskDefinitionProps, 'logRetentionDays' | 'logsKmsKeyArn' | 'retainLogs' | 'repositoryArn' | 'container' | 'region' | 'accountId' | 'partition'>,
  names: { logGroup: string; executionRole: string },
): { logGroup: CloudwatchLogGroup; executionRole: IamRole; executionPolicy: InlinePolicy } {
  const logGroup = new CloudwatchLogGroup(scope, 'logs', {
    name: names.logGroup,
    retentionInDays: props.logRetentionDays,
    kmsKeyId: props.logsKmsKeyArn,
    skipDestroy: props.retainLogs ?? false,
  });
  const executionRole = new IamRole(scope, 'execution-role', { name: names.executionRole, assumeRolePolicy: ecsTasksTrustPolicy(props) });
  const executionPolicy = new InlinePolicy(scope, 'execution-policy', { role: executionRole.id, name: 'pull-log-read-secrets' });
  grantPull(executionPolicy, props.repositoryArn);
  grantLogWrite(executionPolicy, logGroup.arn);
  grantSecretsRead(executionPolicy, Object.values(props.container.secrets ?? {}), props);
  return { logGroup, executionRole, executionPolicy };
}

export function launchSettings(networking: TaskNetworking): { requiresCompatibilities: string[]; networkMode: string; runtimePlatform?: { operatingSystemFamily: string; cpuArchitecture: string } } {
  const fargate = networking.kind === 'awsvpc' && networking.compatibility === 'FARGATE';
  return {
    requiresCompatibilities: [fargate ? 'FARGATE' : 'EC2'],
    networkMode: networking.kind,
    runtimePlatform: fargate ? { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' } : undefined,
  };
}

export class ServiceTaskDefinition extends Construct {
  readonly arn: string;
  readonly family: string;
  readonly containerName: string;
  readonly taskRoleArn: string;
  readonly executionRoleArn: string;
  readonly logGroupName: string;
  /** The task role's inline policy: grant the application more with `grant*(taskPolicy, ...)` or `addToPolicy`. */
  readonly taskPolicy: Grantable;

  constructor(scope: Construct, id: string, props: ServiceTaskDefinitionProps) {
    super(scope, id);
    const { container, database, names } = props;

    const { logGroup, executionRole } = logsAndExecutionRole(this, props, { logGroup: names.logGroup, executionRole: names.executionRole });

    const { environment, secrets } = containerVariables(container.environment ?? {}, container.secrets ?? {});
    if (database) {
      // IAM database authentication: the app asks RDS for a 15-minute token per connection, so no
      // password exists to leak or to go stale when a secret rotates.
      environment.push(
        { name: 'AWS_REGION', value: props.region },
        { name: 'DB_HOST', value: database.instance.address },
        { name: 'DB_IAM_AUTH', value: 'true' },
        { name: 'DB_NAME', value: database.instance.databaseName },
        { name: 'DB_PORT', value: String(database.instance.port) },
        { name: 'DB_USER', value: database.user },
      );
    }

    // Task role: the application's own permissions: ECS Exec (when on) and connecting to the database as its role.
    const taskRole = new IamRole(this, 'task-role', { name: names.taskRole, assumeRolePolicy: ecsTasksTrustPolicy(props) });
    this.taskPolicy = new InlinePolicy(this, 'task-policy', { role: taskRole.id, name: 'ecs-exec', statements: props.ecsExec ? ecsExecStatements(props.ecsExec, props) : [] });
    database?.instance.grantConnect(this.taskPolicy, database.user);

    const networking = props.networking;
    const definition = {
      name: names.container,
      image: props.image,
      essential: true,
      memory: container.memory ?? props.memory,
      ...(container.memoryReservation !== undefined ? { memoryReservation: container.memoryReservation } : {}),
      portMappings: [
        { name: 'http', containerPort: container.port, hostPort: networking.kind === 'awsvpc' ? container.port : networking.hostPort, protocol: 'tcp' },
      ],
      ...(container.command ? { command: container.command } : {}),
      environment,
      secrets,
      ...hardenedContainer({ user: container.user, logGroupName: logGroup.name, region: props.region, streamPrefix: names.container }),
      ...(container.healthCheck
        ? {
            healthCheck: {
              command: container.healthCheck.command,
              interval: container.healthCheck.intervalSeconds,
              timeout: container.healthCheck.timeoutSeconds,
              retries: container.healthCheck.retries,
              startPeriod: container.healthCheck.startPeriodSeconds,
            },
          }
        : {}),
    };

    const taskDefinition = new EcsTaskDefinition(this, 'task', {
      family: names.taskFamily,
      ...launchSettings(networking),
      cpu: String(props.cpu),
      memory: String(props.memory),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      // Literal JSON so a reviewer reads the container exactly as ECS will.
      containerDefinitions: JSON.stringify([definition], null, 2),
      volume: SCRATCH_VOLUMES.map(({ name }) => ({ name })),
      // Keep every revision registered: releases copy the latest, and rollbacks (circuit breaker,
      // blue/green, `npm run release -- --rollback`) start tasks from older ones.
      skipDestroy: true,
    });

    this.arn = taskDefinition.arn;
    this.family = names.taskFamily;
    this.containerName = names.container;
    this.taskRoleArn = taskRole.arn;
    this.executionRoleArn = executionRole.arn;
    this.logGroupName = logGroup.name;
  }
}

/**
 * ECS Exec for the task role: the SSM agent's session channels (no resource scoping exists for
 * them), decrypting with the session key, and writing the audit log: create streams and put events
 * in that one group, nothing else (no delete). The agent checks the group's encryption with
 * DescribeLogGroups, which takes no group-level scoping: limited to this account's and region's groups.
 */
export function ecsExecStatements(exec: EcsExecAccess, options: { region: string; accountId: string; partition: string }): Statement[] {
  return [
    {
      Sid: 'EcsExec',
      Effect: 'Allow',
      Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      Resource: '*',
    },
    { Sid: 'EcsExecSessionKey', Effect: 'Allow', Action: 'kms:Decrypt', Resource: exec.kmsKeyArn },
    {
      Sid: 'EcsExecAuditDescribe',
      Effect: 'Allow',
      Action: 'logs:DescribeLogGroups',
      Resource: `arn:${options.partition}:logs:${options.region}:${options.accountId}:log-group:*`,
    },
    { Sid: 'EcsExecAudit', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${exec.auditLogGroupArn}:*` },
  ];
}

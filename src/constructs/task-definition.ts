// One service's task definition with its two roles (seed 002: the execution role pulls the image,
// writes logs and reads secrets; the task role is what the application itself may call).
//
// The task definition Terraform registers is a TEMPLATE: its image (`<repository>:<config imageTag>`)
// is used only by the first deploy. `npm run release` registers new revisions copied from the latest
// one with the image pinned by digest, and the service ignores `task_definition`, so Terraform never
// moves the running image. Infrastructure changes here reach the service at the next release.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../config/schema';
import { policyDocument, serviceTrustPolicy, type Statement } from '../lib/iam';
import type { ServiceNames } from '../naming';

/** How the application reaches the database: plain settings, and IAM authentication as its own role. */
export interface DatabaseAccess {
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  /** The DB instance's `resource_id` (`db-...`): IAM database authentication ARNs are built from it. */
  readonly resourceId: string;
  /** RDS-managed master secret (`username`, `password`): only the migrate task's execution role reads it. */
  readonly masterSecretArn: string;
}

export interface ServiceTaskDefinitionProps {
  /** The deterministic names of the service (family, container, log group, roles). */
  readonly names: ServiceNames;
  readonly region: string;
  readonly accountId: string;
  readonly settings: ServiceConfig;
  /** `<repository url>:<tag>`: the image of the first deploy only (releases pin later ones by digest). */
  readonly image: string;
  readonly repositoryArn: string;
  /**
   * The application connects as `settings.databaseUser` with an IAM token (env DB_HOST, DB_PORT,
   * DB_NAME, DB_USER, DB_IAM_AUTH, AWS_REGION; the task role may `rds-db:connect` as that user).
   * @default no database settings
   */
  readonly database?: DatabaseAccess;
  /** ECS Exec writes its session audit here; the task role may write to it. @default no audit permissions */
  readonly execAuditLogGroupArn?: string;
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

/** The environment variables and secrets from config, sorted for a stable diff. */
export function configuredVariables(svc: ServiceConfig): { environment: Array<{ name: string; value: string }>; secrets: Array<{ name: string; valueFrom: string }> } {
  return {
    environment: Object.entries(svc.container.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    secrets: Object.entries(svc.container.secrets)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, valueFrom]) => ({ name, valueFrom })),
  };
}

/**
 * Execution-role statements: pull this service's image, write one log group, read exactly the
 * listed Secrets Manager secrets and the SSM parameters the config references.
 */
export function executionStatements(options: {
  repositoryArn: string;
  logGroupArn: string;
  secretReferences: string[];
  extraSecretArns?: string[];
  region: string;
  accountId: string;
}): Statement[] {
  const statements: Statement[] = [
    { Sid: 'EcrAuth', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    {
      Sid: 'PullImage',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: options.repositoryArn,
    },
    { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${options.logGroupArn}:*` },
  ];
  const secretArns = [
    ...(options.extraSecretArns ?? []),
    ...options.secretReferences.filter((ref) => ref.includes(':secretsmanager:')).flatMap(secretResourceArns),
  ];
  if (secretArns.length > 0) {
    statements.push({ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: unique(secretArns) });
  }
  const parameterArns = options.secretReferences
    .filter((ref) => !ref.startsWith('arn:') || ref.includes(':ssm:'))
    .map((ref) => (ref.startsWith('arn:') ? ref : `arn:aws:ssm:${options.region}:${options.accountId}:parameter${ref}`));
  if (parameterArns.length > 0) {
    statements.push({ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: unique(parameterArns) });
  }
  return statements;
}

export class ServiceTaskDefinition extends Construct {
  readonly arn: string;
  readonly family: string;
  readonly containerName: string;
  readonly taskRoleArn: string;
  readonly executionRoleArn: string;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: ServiceTaskDefinitionProps) {
    super(scope, id);
    const { settings: svc, database, names } = props;
    const container = svc.container;
    const awsvpc = svc.networkMode === 'awsvpc';

    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: names.logGroup,
      retentionInDays: svc.logRetentionDays,
      skipDestroy: props.retainLogs ?? false,
    });

    const { environment, secrets } = configuredVariables(svc);
    if (database) {
      // IAM database authentication: the app asks RDS for a 15-minute token per connection, so no
      // password exists to leak or to go stale when a secret rotates.
      environment.push(
        { name: 'AWS_REGION', value: props.region },
        { name: 'DB_HOST', value: database.address },
        { name: 'DB_IAM_AUTH', value: 'true' },
        { name: 'DB_NAME', value: database.databaseName },
        { name: 'DB_PORT', value: String(database.port) },
        { name: 'DB_USER', value: svc.databaseUser },
      );
    }

    // Execution role: pull this service's image, write its log group, read exactly its configured
    // secrets. Never the database master secret (only the migrate task's execution role reads it).
    const executionRole = new IamRole(this, 'execution-role', {
      name: names.executionRole,
      assumeRolePolicy: serviceTrustPolicy('ecs-tasks.amazonaws.com', props.accountId),
    });
    new IamRolePolicy(this, 'execution-policy', {
      role: executionRole.id,
      name: 'pull-log-read-secrets',
      policy: policyDocument(
        ...executionStatements({
          repositoryArn: props.repositoryArn,
          logGroupArn: logGroup.arn,
          secretReferences: Object.values(container.secrets),
          region: props.region,
          accountId: props.accountId,
        }),
      ),
    });

    // Task role: the application's own permissions: ECS Exec and connecting to the database as its role.
    const taskRole = new IamRole(this, 'task-role', {
      name: names.taskRole,
      assumeRolePolicy: serviceTrustPolicy('ecs-tasks.amazonaws.com', props.accountId),
    });
    const taskStatements: Statement[] = [
      {
        Sid: 'EcsExec',
        Effect: 'Allow',
        Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
        Resource: '*',
      },
    ];
    if (props.execAuditLogGroupArn) {
      taskStatements.push(
        { Sid: 'EcsExecAuditDescribe', Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' },
        {
          Sid: 'EcsExecAudit',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
          Resource: `${props.execAuditLogGroupArn}:*`,
        },
      );
    }
    if (database) {
      taskStatements.push({
        Sid: 'DatabaseIamAuth',
        Effect: 'Allow',
        Action: 'rds-db:connect',
        Resource: `arn:aws:rds-db:${props.region}:${props.accountId}:dbuser:${database.resourceId}/${svc.databaseUser}`,
      });
    }
    new IamRolePolicy(this, 'task-policy', { role: taskRole.id, name: 'ecs-exec', policy: policyDocument(...taskStatements) });

    const definition = {
      name: names.container,
      image: props.image,
      essential: true,
      memory: container.memory ?? svc.memory,
      ...(container.memoryReservation !== undefined ? { memoryReservation: container.memoryReservation } : {}),
      portMappings: [
        { name: 'http', containerPort: container.port, hostPort: awsvpc ? container.port : container.hostPort, protocol: 'tcp' },
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
      requiresCompatibilities: [svc.capacity === 'ec2' ? 'EC2' : 'FARGATE'],
      networkMode: svc.networkMode,
      cpu: String(svc.cpu),
      memory: String(svc.memory),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      runtimePlatform: svc.capacity === 'ec2' ? undefined : { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
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
 * IAM resources of a secret reference, without its `:json-key:stage:version` part. A complete ARN
 * ends in AWS's random 6-character suffix; a partial one (name only) does not, and `-??????` matches
 * it. Both forms are listed since the two cannot be told apart by looking.
 */
export function secretResourceArns(reference: string): string[] {
  const arn = reference.split(':').slice(0, 7).join(':');
  return [arn, `${arn}-??????`];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

// One service's task definition with its two roles (seed 002: the execution role pulls the image,
// writes logs and reads secrets; the task role is what the application itself may call).
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../config/schema';
import { policyDocument, serviceTrustPolicy, type Statement } from '../lib/iam';

/** What the task needs to connect to the database: plain settings and the RDS-managed secret. */
export interface DatabaseConnection {
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  /** Secrets Manager secret with `username` and `password` keys. */
  readonly secretArn: string;
}

export interface ServiceTaskDefinitionProps {
  /** Family is `<namePrefix>-<service>`. */
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly settings: ServiceConfig;
  /** `<repository url>:<tag>`. */
  readonly image: string;
  readonly repositoryArn: string;
  /** Injected as DB_HOST, DB_PORT, DB_NAME and, from the secret, DB_USER and DB_PASSWORD. */
  readonly database?: DatabaseConnection;
  /** ECS Exec writes its session audit here; the task role may write to it. */
  readonly execAuditLogGroupArn?: string;
  /** Keep the log group when the stack is destroyed (production). @default false */
  readonly retainLogs?: boolean;
}

/** Writable paths the SSM agent behind ECS Exec needs when the root file system is read-only. */
const EXEC_AGENT_PATHS = ['/var/lib/amazon', '/var/log/amazon'];

export class ServiceTaskDefinition extends Construct {
  readonly arn: string;
  readonly family: string;
  readonly containerName: string;
  readonly taskRoleArn: string;
  readonly executionRoleArn: string;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: ServiceTaskDefinitionProps) {
    super(scope, id);
    const { settings: svc, database } = props;
    const family = `${props.namePrefix}-${svc.name}`;
    const container = svc.container;
    const awsvpc = svc.networkMode === 'awsvpc';

    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/ecs/${props.namePrefix}/${svc.name}`,
      retentionInDays: svc.logRetentionDays,
      skipDestroy: props.retainLogs ?? false,
    });

    const secrets: Array<{ name: string; valueFrom: string }> = Object.entries(container.secrets)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, valueFrom]) => ({ name, valueFrom }));
    const environment: Array<{ name: string; value: string }> = Object.entries(container.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value }));
    if (database) {
      environment.push(
        { name: 'DB_HOST', value: database.address },
        { name: 'DB_PORT', value: String(database.port) },
        { name: 'DB_NAME', value: database.databaseName },
      );
      secrets.push(
        { name: 'DB_USER', valueFrom: `${database.secretArn}:username::` },
        { name: 'DB_PASSWORD', valueFrom: `${database.secretArn}:password::` },
      );
    }

    // Execution role: pull this service's image, write its log group, read exactly its secrets.
    const executionStatements: Statement[] = [
      { Sid: 'EcrAuth', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'PullImage',
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        Resource: props.repositoryArn,
      },
      { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
    ];
    const secretArns = [
      ...(database ? [database.secretArn] : []),
      ...Object.values(container.secrets).filter((ref) => ref.includes(':secretsmanager:')).flatMap(secretResourceArns),
    ];
    if (secretArns.length > 0) {
      executionStatements.push({ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: unique(secretArns) });
    }
    const parameterArns = Object.values(container.secrets)
      .filter((ref) => !ref.startsWith('arn:') || ref.includes(':ssm:'))
      .map((ref) => (ref.startsWith('arn:') ? ref : `arn:aws:ssm:${props.region}:${props.accountId}:parameter${ref}`));
    if (parameterArns.length > 0) {
      executionStatements.push({ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: unique(parameterArns) });
    }
    const executionRole = new IamRole(this, 'execution-role', {
      name: `${family}-execution`,
      assumeRolePolicy: serviceTrustPolicy('ecs-tasks.amazonaws.com', props.accountId),
    });
    new IamRolePolicy(this, 'execution-policy', {
      role: executionRole.id,
      name: 'pull-log-read-secrets',
      policy: policyDocument(...executionStatements),
    });

    // Task role: the application's own permissions. By default only what ECS Exec needs.
    const taskRole = new IamRole(this, 'task-role', {
      name: `${family}-task`,
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
    new IamRolePolicy(this, 'task-policy', { role: taskRole.id, name: 'ecs-exec', policy: policyDocument(...taskStatements) });

    // Read-only root file system; /tmp and the ECS Exec agent's paths are writable scratch volumes.
    const scratch = [{ name: 'tmp', path: '/tmp' }, ...EXEC_AGENT_PATHS.map((path) => ({ name: path.slice(1).replace(/\//g, '-'), path }))];
    const definition = {
      name: svc.name,
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
      readonlyRootFilesystem: true,
      mountPoints: scratch.map(({ name, path }) => ({ sourceVolume: name, containerPath: path, readOnly: false })),
      linuxParameters: { initProcessEnabled: true },
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': logGroup.name,
          'awslogs-region': props.region,
          'awslogs-stream-prefix': svc.name,
          mode: 'non-blocking',
          'max-buffer-size': '25m',
        },
      },
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
      family,
      requiresCompatibilities: [svc.capacity === 'ec2' ? 'EC2' : 'FARGATE'],
      networkMode: svc.networkMode,
      cpu: String(svc.cpu),
      memory: String(svc.memory),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      runtimePlatform: svc.capacity === 'ec2' ? undefined : { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      // Literal JSON so a reviewer reads the container exactly as ECS will.
      containerDefinitions: JSON.stringify([definition], null, 2),
      volume: scratch.map(({ name }) => ({ name })),
      // Keep old revisions registered: rollbacks (circuit breaker, CodeDeploy) start tasks from them.
      skipDestroy: true,
    });

    this.arn = taskDefinition.arn;
    this.family = family;
    this.containerName = svc.name;
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

// The one-off `<service>-migrate` task family (`release.migrate` in config): `npm run release` runs it
// with the new image, in the service's network, before any traffic moves. It is the only thing that
// holds the database master credential: it creates the application's own role (IAM authentication,
// no password) and runs the migrations. Like the service's, this task definition is a template whose
// image the release replaces by digest.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../config/schema';
import { policyDocument, serviceTrustPolicy } from '../lib/iam';
import type { ServiceNames } from '../naming';
import { configuredVariables, executionStatements, hardenedContainer, SCRATCH_VOLUMES, type DatabaseAccess } from './task-definition';

export interface MigrateTaskDefinitionProps {
  /** The deterministic names of the service (migrate family, container, log group, roles). */
  readonly names: ServiceNames;
  readonly region: string;
  readonly accountId: string;
  /** The service's settings: size, network mode, environment and secrets are the service's. */
  readonly settings: ServiceConfig;
  /** The command to run (overrides the image's CMD). */
  readonly command: string[];
  /** `<repository url>:<tag>`, like the service's template; releases pin the image by digest. */
  readonly image: string;
  readonly repositoryArn: string;
  /**
   * The database: plain settings, DB_APP_USER (the role to create for the application), and the
   * master credential from the RDS-managed secret (DB_MASTER_USER, DB_MASTER_PASSWORD).
   * @default no database settings
   */
  readonly database?: DatabaseAccess;
  /** Keep the log group when the stack is destroyed (production). @default false */
  readonly retainLogs?: boolean;
}

export class MigrateTaskDefinition extends Construct {
  readonly arn: string;
  readonly family: string;
  readonly logGroupName: string;
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;

  constructor(scope: Construct, id: string, props: MigrateTaskDefinitionProps) {
    super(scope, id);
    const { settings: svc, names, database } = props;

    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: names.migrateLogGroup,
      retentionInDays: svc.logRetentionDays,
      skipDestroy: props.retainLogs ?? false,
    });

    // The application's settings module loads the same variables; the database part differs.
    const { environment, secrets } = configuredVariables(svc);
    if (database) {
      environment.push(
        { name: 'AWS_REGION', value: props.region },
        { name: 'DB_APP_USER', value: svc.databaseUser },
        { name: 'DB_HOST', value: database.address },
        { name: 'DB_NAME', value: database.databaseName },
        { name: 'DB_PORT', value: String(database.port) },
      );
      // Fetched when the task starts: a rotation afterwards cannot break a one-off task that is already running.
      secrets.push(
        { name: 'DB_MASTER_PASSWORD', valueFrom: `${database.masterSecretArn}:password::` },
        { name: 'DB_MASTER_USER', valueFrom: `${database.masterSecretArn}:username::` },
      );
    }

    // The only role in the project that may read the master secret.
    const executionRole = new IamRole(this, 'execution-role', {
      name: names.migrateExecutionRole,
      assumeRolePolicy: serviceTrustPolicy('ecs-tasks.amazonaws.com', props.accountId),
    });
    new IamRolePolicy(this, 'execution-policy', {
      role: executionRole.id,
      name: 'pull-log-read-secrets',
      policy: policyDocument(
        ...executionStatements({
          repositoryArn: props.repositoryArn,
          logGroupArn: logGroup.arn,
          secretReferences: Object.values(svc.container.secrets),
          extraSecretArns: database ? [database.masterSecretArn] : [],
          region: props.region,
          accountId: props.accountId,
        }),
      ),
    });
    // No permissions: migrations talk to the database only.
    const taskRole = new IamRole(this, 'task-role', {
      name: names.migrateTaskRole,
      assumeRolePolicy: serviceTrustPolicy('ecs-tasks.amazonaws.com', props.accountId),
    });

    const definition = {
      name: names.migrateContainer,
      image: props.image,
      essential: true,
      command: props.command,
      environment,
      secrets,
      ...hardenedContainer({
        user: svc.container.user,
        logGroupName: logGroup.name,
        region: props.region,
        streamPrefix: names.migrateLogStreamPrefix,
      }),
    };
    const taskDefinition = new EcsTaskDefinition(this, 'task', {
      family: names.migrateFamily,
      requiresCompatibilities: [svc.capacity === 'ec2' ? 'EC2' : 'FARGATE'],
      networkMode: svc.networkMode,
      cpu: String(svc.cpu),
      memory: String(svc.memory),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      runtimePlatform: svc.capacity === 'ec2' ? undefined : { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      containerDefinitions: JSON.stringify([definition], null, 2),
      volume: SCRATCH_VOLUMES.map(({ name }) => ({ name })),
      // Releases copy the latest revision; a rollback re-runs an older image's migrate revision.
      skipDestroy: true,
    });

    this.arn = taskDefinition.arn;
    this.family = names.migrateFamily;
    this.logGroupName = logGroup.name;
    this.executionRoleArn = executionRole.arn;
    this.taskRoleArn = taskRole.arn;
  }
}

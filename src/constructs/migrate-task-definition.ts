// The one-off `<service>-migrate` task family (`release.migrate` in config): `npm run release` runs it
// with the new image, in the service's network, before any traffic moves. It is the only thing that
// holds the database master credential: it creates the application's own role (IAM authentication,
// no password) and runs the migrations. Like the service's, this task definition is a template whose
// image the release replaces by digest.
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { Construct } from 'constructs';
import {
  containerVariables,
  ecsTasksTrustPolicy,
  hardenedContainer,
  launchSettings,
  logsAndExecutionRole,
  SCRATCH_VOLUMES,
  type ServiceTaskDefinitionProps,
} from './task-definition';

/**
 * The service's task definition settings (size, networking, image, container user, environment and
 * secrets, database, logs) plus the command; the container's port, health check and ECS Exec do not apply.
 */
export interface MigrateTaskDefinitionProps extends Omit<ServiceTaskDefinitionProps, 'ecsExec'> {
  /** The command to run (overrides the image's CMD). */
  readonly command: string[];
}

export class MigrateTaskDefinition extends Construct {
  readonly arn: string;
  readonly family: string;
  readonly logGroupName: string;
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;

  constructor(scope: Construct, id: string, props: MigrateTaskDefinitionProps) {
    super(scope, id);
    const { names, database, container } = props;

    // The only execution role in the project that may read the master secret.
    const { logGroup, executionRole, executionPolicy } = logsAndExecutionRole(this, props, { logGroup: names.migrateLogGroup, executionRole: names.migrateExecutionRole });
    database?.instance.grantReadMasterSecret(executionPolicy);

    // The application's settings module loads the same variables; the database part differs.
    const { environment, secrets } = containerVariables(container.environment ?? {}, container.secrets ?? {});
    if (database) {
      environment.push(
        { name: 'AWS_REGION', value: props.region },
        { name: 'DB_APP_USER', value: database.user },
        { name: 'DB_HOST', value: database.instance.address },
        { name: 'DB_NAME', value: database.instance.databaseName },
        { name: 'DB_PORT', value: String(database.instance.port) },
      );
      // Fetched when the task starts: a rotation afterwards cannot break a one-off task that is already running.
      secrets.push(
        { name: 'DB_MASTER_PASSWORD', valueFrom: `${database.instance.masterUserSecretArn}:password::` },
        { name: 'DB_MASTER_USER', valueFrom: `${database.instance.masterUserSecretArn}:username::` },
      );
    }

    // No permissions: migrations talk to the database only.
    const taskRole = new IamRole(this, 'task-role', { name: names.migrateTaskRole, assumeRolePolicy: ecsTasksTrustPolicy(props) });

    const definition = {
      name: names.migrateContainer,
      image: props.image,
      essential: true,
      command: props.command,
      environment,
      secrets,
      ...hardenedContainer({
        user: container.user,
        logGroupName: logGroup.name,
        region: props.region,
        streamPrefix: names.migrateLogStreamPrefix,
      }),
    };
    const taskDefinition = new EcsTaskDefinition(this, 'task', {
      family: names.migrateFamily,
      ...launchSettings(props.networking),
      cpu: String(props.cpu),
      memory: String(props.memory),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
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

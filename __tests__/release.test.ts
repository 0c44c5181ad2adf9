// npm run release, step by step against mocked AWS clients (aws-sdk-client-mock): what it calls, in
// which order, what it prints, and that the record changes only after a successful rollout.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClientException,
  DeregisterTaskDefinitionCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  type Deployment,
  type RegisterTaskDefinitionRequest,
  type Service,
  type ServiceDeployment,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { environments, project } from '../src/config/environments';
import type { EnvironmentInput } from '../src/config/schema';
import { createClients } from '../src/release/clients';
import { ReleaseFailed } from '../src/release/errors';
import { parseReleaseArgs, type ReleaseRequest } from '../src/release/input';
import { parseRecord, type ReleaseEntry, type ReleaseRecord } from '../src/release/record';
import { Release, type Timing } from '../src/release/release';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const ssm = mockClient(SSMClient);
const logs = mockClient(CloudWatchLogsClient);

const ACCOUNT = '123456789012'; // prod's allowedAccountIds (example)
const REGION = 'ap-northeast-1';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OLD_DIGEST = `sha256:${'b'.repeat(64)}`;
const tdArn = (family: string, revision: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
const uri = (env: string) => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/drf-api-${env}/api`;

/** Fake time: sleeping advances the clock, so a two-hour bake takes no real time. */
function fakeTiming(start = Date.UTC(2026, 10, 30, 9, 0, 0)): Timing & { slept: number } {
  let now = start;
  const timing = {
    slept: 0,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
      timing.slept += ms;
    },
  };
  return timing;
}

/** The real environments, with one service's fields replaced. */
function request(args: string[], service: Record<string, unknown> = {}): ReleaseRequest {
  const copy = structuredClone(environments) as Record<string, EnvironmentInput>;
  const env = copy[args[0]];
  if (env) env.services = env.services.map((s) => ({ ...s, ...service })) as EnvironmentInput['services'];
  return parseReleaseArgs(args, project, copy);
}

function run(req: ReleaseRequest, timing = fakeTiming()) {
  const lines: string[] = [];
  const release = new Release({
    clients: createClients(REGION),
    timing,
    pollSeconds: 15,
    log: { info: (line) => lines.push(line), error: (line) => lines.push(`ERR ${line}`) },
  });
  return { lines, promise: release.run(req), timing };
}

async function failure(promise: Promise<unknown>): Promise<ReleaseFailed> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReleaseFailed);
  return error as ReleaseFailed;
}

const entry = (tag: string, digest: string, revision: number): ReleaseEntry => ({
  tag,
  digest,
  image: `${uri('dev')}@${digest}`,
  taskDefinitionArn: tdArn('drf-api-dev-api', revision),
  releasedAt: '2026-11-01T00:00:00.000Z',
});

function givenRecord(record: ReleaseRecord, account = ACCOUNT) {
  ssm.on(GetParameterCommand).resolves({
    Parameter: { Name: 'x', ARN: `arn:aws:ssm:${REGION}:${account}:parameter/drf-api/x/releases/api`, Value: JSON.stringify(record), Version: 3 },
  });
  ssm.on(PutParameterCommand).resolves({ Version: 4 });
}

function givenImage(env: string) {
  ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: `drf-api-${env}/api`, repositoryUri: uri(env) }] });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.2.3'] }] });
}

/** The latest revision Terraform (or the last release) left: a sidecar shows only the named container changes. */
function taskDefinition(family: string, container: string): TaskDefinition {
  return {
    taskDefinitionArn: tdArn(family, 7),
    family,
    revision: 7,
    status: 'ACTIVE',
    taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${family}-task`,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${family}-execution`,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
    cpu: '256',
    memory: '512',
    volumes: [],
    placementConstraints: [],
    registeredAt: new Date('2026-11-01T00:00:00Z'),
    registeredBy: `arn:aws:iam::${ACCOUNT}:role/terraform`,
    containerDefinitions: [
      { name: container, image: `${uri('dev')}:v0.1.0`, essential: true, environment: [{ name: 'DB_IAM_AUTH', value: 'true' }] },
      { name: 'xray', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14', essential: false },
    ],
  };
}

/** Task definitions the release deregistered (revisions it registered that serve nothing). */
const deregistered = () => ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input.taskDefinition);

function givenTaskDefinitions() {
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const container = input.taskDefinition.endsWith('-migrate') ? 'migrate' : 'api';
    return { taskDefinition: taskDefinition(input.taskDefinition, container), tags: [{ key: 'project', value: 'drf-api' }] };
  });
  ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionRequest) => ({
    taskDefinition: { ...input, taskDefinitionArn: tdArn(input.family!, 8), revision: 8 },
  }));
}

const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-api', 'sg-db-clients'], assignPublicIp: 'DISABLED' as const } };

function service(env: string, overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'api',
    status: 'ACTIVE',
    taskDefinition: tdArn(`drf-api-${env}-api`, 7),
    desiredCount: 2,
    runningCount: 2,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: { strategy: 'ROLLING', minimumHealthyPercent: 100, maximumPercent: 200 },
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    platformVersion: 'LATEST',
    networkConfiguration: NETWORK,
    deployments: [{ id: 'ecs-svc/old', status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: tdArn(`drf-api-${env}-api`, 7) }],
    ...overrides,
  };
}

const ours = (env: string, overrides: Partial<Deployment>): Deployment => ({
  id: 'ecs-svc/new',
  status: 'PRIMARY',
  taskDefinition: tdArn(`drf-api-${env}-api`, 8),
  desiredCount: 2,
  runningCount: 0,
  pendingCount: 0,
  failedTasks: 0,
  rolloutState: 'IN_PROGRESS',
  ...overrides,
});

/** DescribeServices: the steady service first, then the rollout as the polls see it. */
function givenRollout(env: string, ...polls: Deployment[][]) {
  let stub = ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service(env)] });
  for (const deployments of polls) stub = stub.resolvesOnce({ services: [service(env, { deployments })] });
  ecs.on(UpdateServiceCommand).resolves({ service: service(env, { deployments: polls[0] }) });
}

beforeEach(() => {
  ecs.reset();
  ecr.reset();
  ssm.reset();
  logs.reset();
});

const noMigration = { release: {} };

describe('rolling release (dev)', () => {
  it('resolves the tag, registers a revision pinned to the digest, waits for COMPLETED, then records it', async () => {
    givenRecord({ current: entry('v1.2.2', OLD_DIGEST, 7), previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { runningCount: 1, pendingCount: 1 })], [ours('dev', { runningCount: 2, rolloutState: 'COMPLETED' })]);

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const result = await promise;

    expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({ repositoryName: 'drf-api-dev/api', imageIds: [{ imageTag: 'v1.2.3' }] });
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0].args[0].input).toEqual({ taskDefinition: 'drf-api-dev-api', include: ['TAGS'] });
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
    expect(registered.family).toBe('drf-api-dev-api');
    expect(registered.containerDefinitions).toEqual([
      { name: 'api', image: `${uri('dev')}@${DIGEST}`, essential: true, environment: [{ name: 'DB_IAM_AUTH', value: 'true' }] },
      { name: 'xray', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14', essential: false },
    ]);
    expect(registered.tags).toEqual([{ key: 'project', value: 'drf-api' }]);
    expect(registered).toMatchObject({ taskRoleArn: expect.stringContaining('drf-api-dev-api-task'), cpu: '256', memory: '512', networkMode: 'awsvpc' });
    for (const readOnly of ['taskDefinitionArn', 'revision', 'status', 'compatibilities', 'requiresAttributes', 'registeredAt', 'registeredBy', 'volumes']) {
      expect(registered).not.toHaveProperty(readOnly);
    }
    expect(ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({ cluster: 'drf-api-dev', service: 'api', taskDefinition: tdArn('drf-api-dev-api', 8) });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);

    const put = ssm.commandCalls(PutParameterCommand)[0].args[0].input;
    expect(put).toMatchObject({ Name: '/drf-api/dev/releases/api', Type: 'String', Overwrite: true });
    const record = parseRecord(put.Value!, 'test');
    expect(record.previous).toEqual(entry('v1.2.2', OLD_DIGEST, 7));
    expect(record.current).toEqual({ tag: 'v1.2.3', digest: DIGEST, image: `${uri('dev')}@${DIGEST}`, taskDefinitionArn: tdArn('drf-api-dev-api', 8), releasedAt: expect.any(String) });
    expect(result).toEqual(record.current);

    expect(lines).toEqual(
      expect.arrayContaining([
        '==> Resolving v1.2.3 in ECR repository drf-api-dev/api',
        `    v1.2.3 -> ${DIGEST}`,
        '==> Migrations: none configured (services[].release.migrate)',
        '    deployment ecs-svc/new',
        '    rollout IN_PROGRESS: 1/2 running, 1 pending, 0 failed',
        '    rollout COMPLETED: 2/2 running, 0 pending, 0 failed',
      ]),
    );
    expect(lines[lines.length - 1]).toBe(`release dev/api: v1.2.3 (${DIGEST}) serves traffic as drf-api-dev-api:8; done`);
  });

  it('a missing tag fails naming tag and repository, before anything changes', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: "The image with imageId {imageTag:'v9'} does not exist", $metadata: {} }));

    const { lines, promise } = run(request(['dev', 'api', 'v9']));
    const error = await failure(promise);

    expect(error.message).toBe(`tag v9 not found in ECR repository drf-api-dev/api (${uri('dev')}): push it first`);
    expect(error.moved).toBe(false);
    expect(lines[lines.length - 1]).toMatch(/^ERR release dev\/api v9: FAILED: tag v9 not found .*; nothing has moved/);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('a circuit-breaker rollback is a failed release and leaves the record alone', async () => {
    givenRecord({ current: entry('v1.2.2', OLD_DIGEST, 7), previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout(
      'dev',
      [ours('dev', { failedTasks: 1 })],
      [ours('dev', { status: 'ACTIVE', failedTasks: 3, rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' })],
    );

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const error = await failure(promise);

    expect(error.message).toContain('circuit breaker rolled back to the previous revision: ECS deployment circuit breaker: tasks failed to start.');
    expect(error.moved).toBe(true);
    expect(lines[lines.length - 1]).not.toContain('nothing has moved');
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    // The failed revision is deregistered, so "latest" (schedules, the next release) is the last good one.
    expect(deregistered()).toEqual([tdArn('drf-api-dev-api', 8)]);
  });

  it('a rollout that does not finish in time is a failed release (--timeout-minutes)', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(UpdateServiceCommand).resolves({ service: service('dev', { deployments: [ours('dev', {})] }) });
    ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service('dev')] }).resolves({ services: [service('dev', { deployments: [ours('dev', {})] })] });

    const { promise, timing } = run({ ...request(['dev', 'api', 'v1.2.3'], noMigration), timeoutMinutes: 5 });
    const error = await failure(promise);

    expect(error.message).toMatch(/^rollout not finished after 5 min \(rollout IN_PROGRESS: 0\/2 running/);
    expect(timing.slept).toBe(5 * 60_000);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(deregistered()).toEqual([]); // ECS may still finish the rollout
  });

  it('waits 60 minutes by default on a rolling service', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(UpdateServiceCommand).resolves({ service: service('dev', { deployments: [ours('dev', {})] }) });
    ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service('dev')] }).resolves({ services: [service('dev', { deployments: [ours('dev', {})] })] });

    const { promise, timing } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    expect((await failure(promise)).message).toMatch(/^rollout not finished after 60 min/);
    expect(timing.slept).toBe(60 * 60_000);
  });

  it('a deployment replaced by someone else is a failed release', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', {})], [{ id: 'ecs-svc/other', status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: tdArn('drf-api-dev-api', 9) }]);

    const error = await failure(run(request(['dev', 'api', 'v1.2.3'], noMigration)).promise);
    expect(error.message).toBe('deployment ecs-svc/new was replaced by another deployment (now primary: drf-api-dev-api:9)');
  });

  it('refuses to start while another deployment is rolling out', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev', { deployments: [ours('dev', { id: 'ecs-svc/busy' })] })] });

    const error = await failure(run(request(['dev', 'api', 'v1.2.3'], noMigration)).promise);
    expect(error.message).toContain('has a deployment in progress (ecs-svc/busy');
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('refuses a service still on the CodeDeploy controller, and a service that does not exist', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    ecs.on(DescribeServicesCommand)
      .resolvesOnce({ services: [service('dev', { deploymentController: { type: 'CODE_DEPLOY' } })] })
      .resolvesOnce({ services: [], failures: [{ arn: 'api', reason: 'MISSING' }] });

    expect((await failure(run(request(['dev', 'api', 'v1']), fakeTiming()).promise)).message).toContain('uses the CODE_DEPLOY deployment controller');
    expect((await failure(run(request(['dev', 'api', 'v1']), fakeTiming()).promise)).message).toBe(
      'ECS service api not found (or not active) in cluster drf-api-dev: apply dev-app first',
    );
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('a record that cannot be written after a successful rollout says the image serves traffic and how to record it', async () => {
    givenRecord({ current: null, previous: null });
    ssm.on(PutParameterCommand).rejects(Object.assign(new Error('not authorized to perform: ssm:PutParameter'), { name: 'AccessDeniedException', $metadata: {} }));
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { rolloutState: 'COMPLETED' })]);

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const error = await failure(promise);
    expect(error.message).toBe(
      'v1.2.3 serves traffic, but the release record could not be written (AccessDeniedException: not authorized to perform: ssm:PutParameter): release v1.2.3 again to record it, or --rollback will not know this release',
    );
    expect(lines[lines.length - 1]).not.toContain('nothing has moved');
  });

  it('credentials of an account outside allowedAccountIds stop the release at the first call', async () => {
    givenRecord({ current: null, previous: null }, '999999999999');
    const error = await failure(run(request(['prod', 'api', 'v1.2.3'])).promise);
    expect(error.message).toBe('the AWS credentials are for account 999999999999; prod.allowedAccountIds: 123456789012');
    expect(ecr.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('a missing release record: apply the app stack first', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: '', $metadata: {} }));
    const error = await failure(run(request(['dev', 'api', 'v1'])).promise);
    expect(error.message).toBe("release record /drf-api/dev/releases/api does not exist: apply the environment's app stack first");
    expect(ecr.calls()).toHaveLength(0);
  });

  it('AWS errors become one line in the verdict (no stack trace)', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    const denied = Object.assign(new Error('User: arn:aws:sts::1:assumed-role/release is not authorized to perform: ecs:UpdateService'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    ecs.on(UpdateServiceCommand).rejects(denied);

    const { lines, promise } = run(request(['dev', 'api', 'v1'], noMigration));
    const error = await failure(promise);
    expect(error.message).toBe('AccessDeniedException: User: arn:aws:sts::1:assumed-role/release is not authorized to perform: ecs:UpdateService');
    expect(lines[lines.length - 1]).toMatch(/^ERR release dev\/api v1: FAILED: AccessDeniedException: /);
  });
});

describe('migrations', () => {
  const migrateTask = (overrides: Partial<Task>): Task => ({
    taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/drf-api-dev/0123456789abcdef`,
    lastStatus: 'PROVISIONING',
    ...overrides,
  });

  function givenMigration(...polls: Task[]) {
    ecs.on(RunTaskCommand).resolves({ tasks: [migrateTask({})], failures: [] });
    let stub = ecs.on(DescribeTasksCommand);
    for (const task of polls) stub = stub.resolvesOnce({ tasks: [task] }) as typeof stub;
  }

  it('runs the migrate family with the new image in the service network before traffic moves', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { rolloutState: 'COMPLETED', runningCount: 2 })]);
    givenMigration(migrateTask({ lastStatus: 'RUNNING' }), migrateTask({ lastStatus: 'STOPPED', containers: [{ name: 'migrate', exitCode: 0 }] }));

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3']));
    await promise;

    const registeredFamilies = ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input.family);
    expect(registeredFamilies).toEqual(['drf-api-dev-api-migrate', 'drf-api-dev-api']);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input.containerDefinitions![0]).toMatchObject({ name: 'migrate', image: `${uri('dev')}@${DIGEST}` });
    expect(ecs.commandCalls(RunTaskCommand)[0].args[0].input).toEqual({
      cluster: 'drf-api-dev',
      taskDefinition: tdArn('drf-api-dev-api-migrate', 8),
      count: 1,
      startedBy: 'release-migrate',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      platformVersion: 'LATEST',
      networkConfiguration: NETWORK,
      overrides: { containerOverrides: [{ name: 'migrate', command: ['python', 'manage.py', 'migrate', '--noinput'] }] },
      propagateTags: 'TASK_DEFINITION',
    });
    // Migration before the rollout.
    const order = ecs.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(order.indexOf('RunTaskCommand')).toBeLessThan(order.indexOf('UpdateServiceCommand'));
    expect(lines).toEqual(
      expect.arrayContaining([
        '==> Running migration: python manage.py migrate --noinput',
        '    task 0123456789abcdef started; logs: /ecs/drf-api-dev/api-migrate migrate/migrate/0123456789abcdef',
        '    task 0123456789abcdef: RUNNING',
        '    migration finished: exit code 0',
      ]),
    );
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
  });

  it('falls back to the service launch type when it has no capacity provider strategy', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('staging');
    givenTaskDefinitions();
    const ec2 = { capacityProviderStrategy: [], launchType: 'EC2' as const, networkConfiguration: undefined, platformVersion: undefined };
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [service('staging', ec2)] })
      .resolves({ services: [service('staging', { ...ec2, deployments: [ours('staging', { rolloutState: 'COMPLETED' })] })] });
    ecs.on(UpdateServiceCommand).resolves({ service: service('staging', { deployments: [ours('staging', {})] }) });
    givenMigration(migrateTask({ lastStatus: 'STOPPED', containers: [{ name: 'migrate', exitCode: 0 }] }));

    await run(request(['staging', 'api', 'v1.2.3'])).promise;
    const input = ecs.commandCalls(RunTaskCommand)[0].args[0].input;
    expect(input.launchType).toBe('EC2');
    expect(input).not.toHaveProperty('capacityProviderStrategy');
    expect(input).not.toHaveProperty('networkConfiguration');
  });

  it('a migration that exits 1 stops the release with exit code, reason and log stream; nothing moves', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    givenMigration(
      migrateTask({ lastStatus: 'STOPPED', stoppedReason: 'Essential container in task exited', containers: [{ name: 'migrate', exitCode: 1 }] }),
    );
    logs.on(GetLogEventsCommand).resolves({
      events: [{ message: 'Applying orders.0042_add_index...' }, { message: 'django.db.utils.ProgrammingError: relation "orders" does not exist\n' }],
    });

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3']));
    const error = await failure(promise);

    expect(error.message).toBe(
      'migration failed: exit code 1 (Essential container in task exited); log stream /ecs/drf-api-dev/api-migrate migrate/migrate/0123456789abcdef',
    );
    expect(error.moved).toBe(false);
    expect(logs.commandCalls(GetLogEventsCommand)[0].args[0].input).toEqual({
      logGroupName: '/ecs/drf-api-dev/api-migrate',
      logStreamName: 'migrate/migrate/0123456789abcdef',
      limit: 30,
      startFromHead: false,
    });
    expect(lines).toContain('    | django.db.utils.ProgrammingError: relation "orders" does not exist');
    expect(lines[lines.length - 1]).toContain('nothing has moved: api still runs its previous revision');
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input.family)).toEqual(['drf-api-dev-api-migrate']);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(deregistered()).toEqual([tdArn('drf-api-dev-api-migrate', 8)]);
  });

  it('a migrate family Terraform has not created yet: apply the app stack first', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));

    const error = await failure(run(request(['dev', 'api', 'v1.2.3'])).promise);
    expect(error.message).toBe('task definition family drf-api-dev-api-migrate has no ACTIVE revision (Unable to describe task definition.): apply the app stack first');
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('a migration task that cannot start stops the release', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI', detail: 'no free addresses in subnet-a' }] });

    const error = await failure(run(request(['dev', 'api', 'v1.2.3'])).promise);
    expect(error.message).toBe('migration task could not start: RESOURCE:ENI: no free addresses in subnet-a');
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('waits longer than 30 minutes for a long migration, and gives up at --migrate-timeout-minutes', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    ecs.on(RunTaskCommand).resolves({ tasks: [migrateTask({})] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [migrateTask({ lastStatus: 'RUNNING' })] });

    const { promise, timing } = run({ ...request(['dev', 'api', 'v1.2.3']), migrateTimeoutMinutes: 90 });
    const error = await failure(promise);
    expect(timing.slept).toBe(90 * 60_000);
    expect(error.message).toContain('migration task 0123456789abcdef still RUNNING after 90 min');
    expect(error.message).toContain('aws ecs stop-task --cluster drf-api-dev --task 0123456789abcdef');
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});

describe('blue/green release (prod, ECS-native)', () => {
  const DEPLOYMENT = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/drf-api-prod/api/new`;
  const blueGreenService = (overrides: Partial<Service> = {}) =>
    service('prod', { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 60 }, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }], ...overrides });

  function givenBlueGreen(...states: Array<Partial<ServiceDeployment> & { minutes?: number }>) {
    givenRecord({ current: null, previous: null });
    givenImage('prod');
    givenTaskDefinitions();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:aws:ecs:x:1:task/drf-api-prod/m1' }] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ lastStatus: 'STOPPED', containers: [{ name: 'migrate', exitCode: 0 }] }] });
    ecs.on(DescribeServicesCommand).resolves({ services: [blueGreenService()] });
    ecs.on(UpdateServiceCommand).resolves({ service: blueGreenService() });
    // An older deployment of the previous revision is listed too: the release follows the one running its revision.
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        { serviceDeploymentArn: 'arn:old', targetServiceRevisionArn: 'arn:rev-old', createdAt: new Date('2026-11-30T08:59:00Z'), status: 'SUCCESSFUL' },
        { serviceDeploymentArn: DEPLOYMENT, targetServiceRevisionArn: 'arn:rev-new', createdAt: new Date('2026-11-30T09:00:01Z'), status: 'PENDING' },
      ],
    });
    ecs.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        { serviceRevisionArn: 'arn:rev-old', taskDefinition: tdArn('drf-api-prod-api', 7) },
        { serviceRevisionArn: 'arn:rev-new', taskDefinition: tdArn('drf-api-prod-api', 8) },
      ],
    });
    let stub = ecs.on(DescribeServiceDeploymentsCommand);
    for (const { minutes = 1, ...state } of states) {
      // Each state is seen for `minutes` of polling (15 s apart).
      for (let i = 0; i < (minutes * 60) / 15; i++) stub = stub.resolvesOnce({ serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT, ...state }] });
    }
  }

  it('follows the lifecycle through a 60-minute bake, says how to test green, then records', async () => {
    givenBlueGreen(
      { status: 'PENDING' },
      { status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP', minutes: 3 },
      { status: 'IN_PROGRESS', lifecycleStage: 'TEST_TRAFFIC_SHIFT' },
      { status: 'IN_PROGRESS', lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' },
      { status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME', deploymentConfiguration: { bakeTimeInMinutes: 60 }, minutes: 62 },
      { status: 'IN_PROGRESS', lifecycleStage: 'CLEAN_UP' },
      { status: 'SUCCESSFUL' },
    );

    const { lines, promise, timing } = run(request(['prod', 'api', 'v1.2.3']));
    await promise;

    expect(timing.slept).toBeGreaterThan(60 * 60_000);
    expect(ecs.commandCalls(UpdateServiceCommand)[0].args[0].input.taskDefinition).toBe(tdArn('drf-api-prod-api', 8));
    expect(ecs.commandCalls(DescribeServiceDeploymentsCommand).every((c) => c.args[0].input.serviceDeploymentArns![0] === DEPLOYMENT)).toBe(true);
    expect(lines).toEqual(
      expect.arrayContaining([
        '==> Updating service api to drf-api-prod-api:8 (waiting up to 120 min)',
        `    service deployment ${DEPLOYMENT}`,
        `    roll back at any time: aws ecs stop-service-deployment --service-deployment-arn ${DEPLOYMENT} --stop-type ROLLBACK`,
        '    IN_PROGRESS, stage SCALE_UP',
        '    IN_PROGRESS, stage TEST_TRAFFIC_SHIFT',
        "    green takes test traffic: curl -H 'x-release-test: green' https://api.example.com/health/ from 10.200.0.0/16",
        '    production traffic is on green; blue is kept 60 min for an instant rollback',
        '    SUCCESSFUL',
      ]),
    );
    expect(lines.filter((l) => l.includes('IN_PROGRESS, stage SCALE_UP'))).toHaveLength(1); // changes only
    expect(parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't').current?.taskDefinitionArn).toBe(tdArn('drf-api-prod-api', 8));
  });

  it('a rolled-back deployment is a failed release; the record is untouched', async () => {
    givenBlueGreen(
      { status: 'IN_PROGRESS', lifecycleStage: 'TEST_TRAFFIC_SHIFT' },
      { status: 'ROLLBACK_IN_PROGRESS', statusReason: 'Lifecycle hook arn:aws:lambda:x:1:function:smoke-test returned FAILED' },
    );

    const { lines, promise } = run(request(['prod', 'api', 'v1.2.3']));
    const error = await failure(promise);
    expect(error.message).toBe(
      'blue/green deployment ROLLBACK_IN_PROGRESS (traffic stays on or returns to blue): Lifecycle hook arn:aws:lambda:x:1:function:smoke-test returned FAILED',
    );
    expect(error.moved).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^ERR release prod\/api v1.2.3: FAILED: blue\/green deployment ROLLBACK_IN_PROGRESS/);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(deregistered()).toEqual([]); // the rollback has not finished: green may still run it
  });

  it('a finished rollback deregisters the revision the release registered', async () => {
    givenBlueGreen({ status: 'ROLLBACK_SUCCESSFUL', statusReason: 'alarm fired during bake time' });
    const error = await failure(run(request(['prod', 'api', 'v1.2.3'])).promise);
    expect(error.message).toBe('blue/green deployment ROLLBACK_SUCCESSFUL (traffic stays on or returns to blue): alarm fired during bake time');
    expect(deregistered()).toEqual([tdArn('drf-api-prod-api', 8)]);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('a stopped deployment is a failed release', async () => {
    givenBlueGreen({ status: 'STOPPED', statusReason: 'stopped by an operator' });
    expect((await failure(run(request(['prod', 'api', 'v1.2.3'])).promise)).message).toBe('blue/green deployment STOPPED: stopped by an operator');
  });

  it('times out after bake time + 60 minutes by default', async () => {
    givenBlueGreen({ status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME', minutes: 500 });
    const { promise, timing } = run(request(['prod', 'api', 'v1.2.3']));
    const error = await failure(promise);
    expect(error.message).toMatch(/^blue\/green deployment not finished after 120 min \(IN_PROGRESS, stage BAKE_TIME\)/);
    expect(timing.slept).toBe(120 * 60_000);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });
});

describe('rollback', () => {
  it('releases the previous image by digest, skips migrations, and swaps current and previous', async () => {
    const current = entry('v1.2.3', DIGEST, 8);
    const previous = entry('v1.2.2', OLD_DIGEST, 7);
    givenRecord({ current, previous });
    givenImage('dev');
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: OLD_DIGEST }] });
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { rolloutState: 'COMPLETED' })]);

    const { lines, promise } = run(request(['dev', 'api', '--rollback']));
    await promise;

    expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input.imageIds).toEqual([{ imageDigest: OLD_DIGEST }]);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input.containerDefinitions![0].image).toBe(`${uri('dev')}@${OLD_DIGEST}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        `==> Rolling back to v1.2.2 (${OLD_DIGEST}), released 2026-11-01T00:00:00.000Z`,
        '==> Skipping migrations: a rollback runs no migrations (they must be backward compatible with the previous image)',
      ]),
    );
    const record = parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't');
    expect(record.previous).toEqual(current);
    expect(record.current).toMatchObject({ tag: 'v1.2.2', digest: OLD_DIGEST, taskDefinitionArn: tdArn('drf-api-dev-api', 8) });
  });

  it('without a previous release: a clear error, nothing called beyond the record', async () => {
    givenRecord({ current: entry('v1.2.3', DIGEST, 8), previous: null });
    const error = await failure(run(request(['dev', 'api', '--rollback'])).promise);
    expect(error.message).toBe('no previous release recorded in /drf-api/dev/releases/api: nothing to roll back to (release a tag instead)');
    expect(ecr.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('a previous image that ECR no longer has (lifecycle policy) fails before anything changes', async () => {
    givenRecord({ current: entry('v1.2.3', DIGEST, 8), previous: entry('v1.2.2', OLD_DIGEST, 7) });
    givenImage('dev');
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });
    const error = await failure(run(request(['dev', 'api', '--rollback'])).promise);
    expect(error.message).toBe(`image ${OLD_DIGEST} (tag v1.2.2) not found in ECR repository drf-api-dev/api (${uri('dev')}): push it first`);
    expect(ecs.calls()).toHaveLength(0);
  });
});

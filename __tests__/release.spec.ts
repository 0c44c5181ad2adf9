// npm run release, step by step against mocked AWS clients (aws-sdk-client-mock): what it calls, in
// which order, what it prints, and that the record changes only after a successful rollout.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchDeleteImageCommand, BatchGetImageCommand, DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, ImageNotFoundException, PutImageCommand } from '@aws-sdk/client-ecr';
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
  StopTaskCommand,
  UpdateServiceCommand,
  type ContainerDefinition,
  type Deployment,
  type RegisterTaskDefinitionRequest,
  type Service,
  type ServiceDeployment,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { GetScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { environments, project } from '../src/config/environments';
import type { EnvironmentInput } from '../src/config/schema';
import { createClients } from '../src/release/clients';
import { ReleaseFailed, WaitEnded } from '../src/release/errors';
import { parseReleaseArgs, type ReleaseRequest } from '../src/release/input';
import { parseRecord, type ReleaseEntry, type ReleaseRecord } from '../src/release/record';
import { Release, type Timing } from '../src/release/release';

// Stubbed around this file's tests (not when it loads): another spec of the same suite mocks the same
// clients around its own tests, and restoring those would undo stubs made at load time.
let ecs: AwsClientStub<ECSClient>;
let ecr: AwsClientStub<ECRClient>;
let ssm: AwsClientStub<SSMClient>;
let logs: AwsClientStub<CloudWatchLogsClient>;
let scheduler: AwsClientStub<SchedulerClient>;
beforeAll(() => {
  ecs = mockClient(ECSClient);
  ecr = mockClient(ECRClient);
  ssm = mockClient(SSMClient);
  logs = mockClient(CloudWatchLogsClient);
  scheduler = mockClient(SchedulerClient);
});
afterAll(() => {
  for (const stub of [ecs, ecr, ssm, logs, scheduler]) stub.restore();
});

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
  // The previous environments released it (promotion evidence for staging and prod).
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.2.3', 'released-dev-4', 'released-staging-2'] }] });
}

/** A sidecar pinned by digest in the environment's own registry: what a release accepts. */
const SIDECAR = (family: string) => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${family.split('-').slice(0, 3).join('-')}/xray@sha256:${'c'.repeat(64)}`;

/** What Terraform's template sets on its container (src/constructs/task-definition.ts hardenedContainer). */
const HARDENED = { initProcessEnabled: true, capabilities: { drop: ['ALL'] } };

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
      { name: container, image: `${uri('dev')}:v0.1.0`, essential: true, environment: [{ name: 'DB_IAM_AUTH', value: 'true' }], user: '1000:1000', readonlyRootFilesystem: true, linuxParameters: HARDENED },
      { name: 'xray', image: SIDECAR(family), essential: false },
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
  scheduler.reset();
});

const noMigration = { release: {} };

describe('rolling release (dev)', () => {
  it('resolves the tag, registers a revision pinned to the digest, waits for COMPLETED, then records it', async () => {
    givenRecord({ current: entry('v1.2.2', OLD_DIGEST, 7), previous: null, sequence: 4 });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { runningCount: 1, pendingCount: 1 })], [ours('dev', { runningCount: 2, rolloutState: 'COMPLETED' })]);
    ecr.on(BatchGetImageCommand).resolves({ images: [{ imageManifest: '{"schemaVersion":2}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }] });

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const result = await promise;

    expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({ repositoryName: 'drf-api-dev/api', imageIds: [{ imageTag: 'v1.2.3' }] });
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0].args[0].input).toEqual({ taskDefinition: 'drf-api-dev-api', include: ['TAGS'] });
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
    expect(registered.family).toBe('drf-api-dev-api');
    expect(registered.containerDefinitions).toEqual([
      { name: 'api', image: `${uri('dev')}@${DIGEST}`, essential: true, environment: [{ name: 'DB_IAM_AUTH', value: 'true' }], user: '1000:1000', readonlyRootFilesystem: true, linuxParameters: HARDENED },
      { name: 'xray', image: SIDECAR('drf-api-dev-api'), essential: false },
    ]);
    // What ships is tagged released-<env>-<n> (n: the record's next sequence number) so the lifecycle policy keeps it.
    // Every manifest kind is accepted, so ECR returns the manifest as pushed and PutImage re-tags that exact digest.
    expect(ecr.commandCalls(BatchGetImageCommand)[0].args[0].input).toEqual({
      repositoryName: 'drf-api-dev/api',
      imageIds: [{ imageDigest: DIGEST }],
      acceptedMediaTypes: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ],
    });
    expect(ecr.commandCalls(PutImageCommand)[0].args[0].input).toEqual({
      repositoryName: 'drf-api-dev/api',
      imageManifest: '{"schemaVersion":2}',
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      imageDigest: DIGEST,
      imageTag: 'released-dev-5',
    });
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
    expect(record.current).toEqual({
      tag: 'v1.2.3',
      digest: DIGEST,
      image: `${uri('dev')}@${DIGEST}`,
      taskDefinitionArn: tdArn('drf-api-dev-api', 8),
      releasedAt: expect.any(String),
      sequence: 5,
    });
    expect(record.sequence).toBe(5);
    expect(result).toEqual({ outcome: 'released', entry: record.current });

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

    const { lines, promise, timing } = run({ ...request(['dev', 'api', 'v1.2.3'], noMigration), timeoutMinutes: 5 });
    const error = await failure(promise);

    // Exit 4: the wait ended without an outcome; where it stands and what to run next are printed.
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toMatch(/^rollout not finished after 5 min \(rollout IN_PROGRESS: 0\/2 running.*\): the deadline passed; ECS carries on without this tool$/);
    expect(timing.slept).toBe(5 * 60_000);
    expect(lines).toEqual(
      expect.arrayContaining([
        'ERR     where it stands: rolling deployment ecs-svc/new: rollout IN_PROGRESS: 0/2 running, 0 pending, 0 failed',
        'ERR     follow it:    npm run release -- dev api --status',
        "ERR                   aws ecs describe-services --cluster drf-api-dev --services api --query 'services[0].deployments'",
        `ERR     roll it back: aws ecs update-service --cluster drf-api-dev --service api --task-definition ${tdArn('drf-api-dev-api', 7)}`,
      ]),
    );
    expect(lines[lines.length - 1]).toMatch(/^ERR release dev\/api v1.2.3: WAIT ENDED without an outcome: rollout not finished/);
    // The record lists the release as pending (current unchanged), so --status can settle it later.
    const record = parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't');
    expect(record.current).toBeNull();
    expect(record.pending).toMatchObject({ tag: 'v1.2.3', deploymentId: 'ecs-svc/new', taskDefinitionArn: tdArn('drf-api-dev-api', 8), previousTaskDefinitionArn: tdArn('drf-api-dev-api', 7) });
    expect(deregistered()).toEqual([]); // ECS may still finish the rollout
  });

  it('waits 60 minutes by default on a rolling service', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(UpdateServiceCommand).resolves({ service: service('dev', { deployments: [ours('dev', {})] }) });
    ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service('dev')] }).resolves({ services: [service('dev', { deployments: [ours('dev', {})] })] });

    const { lines, promise, timing } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    expect((await failure(promise)).message).toMatch(/^rollout not finished after 60 min/);
    // A line at least once a minute while nothing changes (CI kills silent steps).
    expect(lines.filter((l) => l.startsWith('    still rollout IN_PROGRESS')).length).toBeGreaterThanOrEqual(59);
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

  const initial = (overrides: Partial<Deployment>): Deployment =>
    ours('dev', { id: 'ecs-svc/initial', taskDefinition: tdArn('drf-api-dev-api', 1), runningCount: 0, failedTasks: 2, ...overrides });

  it('first release on a fresh environment: waits for the initial deployment (with progress), then releases', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    let stub = ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service('dev', { deployments: [initial({})] })] });
    for (let i = 0; i < 12; i++) stub = stub.resolvesOnce({ services: [service('dev', { deployments: [initial({})] })] });
    stub
      .resolvesOnce({ services: [service('dev', { deployments: [initial({ status: 'PRIMARY', rolloutState: 'FAILED' })] })] })
      .resolves({ services: [service('dev', { deployments: [ours('dev', { rolloutState: 'COMPLETED', runningCount: 2 })] })] });
    ecs.on(UpdateServiceCommand).resolves({ service: service('dev', { deployments: [ours('dev', {})] }) });

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    expect((await promise).outcome).toBe('released');
    expect(lines).toEqual(
      expect.arrayContaining([
        '==> Waiting up to 30 min for deployment ecs-svc/initial (drf-api-dev-api:1) to finish: the initial deployment of a fresh environment (started by the app stack apply)',
        '    deployment ecs-svc/initial: IN_PROGRESS, 0/2 running, 2 failed',
        '    still deployment ecs-svc/initial: IN_PROGRESS, 0/2 running, 2 failed (1 min)',
        '    deployment ecs-svc/initial ended FAILED; releasing',
      ]),
    );
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });

  it('a deployment still in progress after 30 minutes: nothing moves, and the message says what to do', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev', { deployments: [initial({})] })] });

    const { promise, timing } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const error = await failure(promise);
    expect(error.message).toBe(
      'deployment ecs-svc/initial (drf-api-dev-api:1) of api is still in progress (the deadline passed): its tasks may be failing to start the first-deploy image (imageTag v0.1.0); ' +
        "see the events: aws ecs describe-services --cluster drf-api-dev --services api --query 'services[0].events[:10]'. Run the release again once it has ended (COMPLETED or FAILED)",
    );
    expect(error).not.toBeInstanceOf(WaitEnded);
    expect(timing.slept).toBe(30 * 60_000);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
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

describe('two releases at once: the record\'s version decides the sequence number', () => {
  const stored = (record: ReleaseRecord, version: number) => ({
    Parameter: { Name: 'x', ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/drf-api/dev/releases/api`, Value: JSON.stringify(record), Version: version },
  });
  const mine = { ...entry('v1.2.2', OLD_DIGEST, 6), sequence: 4 };
  const theirs = { ...entry('v1.2.9', `sha256:${'c'.repeat(64)}`, 9), sequence: 5 };

  function givenConcurrentRelease(putVersion: number) {
    // Read at the start (version 3); by the time this release records itself, another one took sequence 5 (version 4).
    ssm.on(GetParameterCommand)
      .resolvesOnce(stored({ current: mine, previous: null, sequence: 4 }, 3))
      .resolves(stored({ current: theirs, previous: mine, sequence: 5 }, 4));
    ssm.on(PutParameterCommand).resolves({ Version: putVersion });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { rolloutState: 'COMPLETED', runningCount: 2 })]);
    ecr.on(BatchGetImageCommand).resolves({ images: [{ imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }] });
  }

  it('a record changed since it was read is rebuilt from the fresh one: the next sequence number, the other release kept as previous', async () => {
    givenConcurrentRelease(5);
    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const result = await promise;
    const written = parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't');
    expect(written.current).toMatchObject({ tag: 'v1.2.3', sequence: 6 });
    expect(written.previous).toEqual(theirs);
    expect(written.sequence).toBe(6);
    expect(result.entry.sequence).toBe(6);
    // The ECR tag follows the recorded number: never the number the other release took.
    expect(ecr.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageTag)).toEqual(['released-dev-6']);
    expect(lines).toContain('ERR warning: /drf-api/dev/releases/api changed during this release (version 3 -> 4): this release is recorded on top of that change');
    expect(lines.some((l) => l.includes('another write landed'))).toBe(false);
  });

  it('a write that lands between the re-read and PutParameter (SSM has no conditional put) is reported', async () => {
    givenConcurrentRelease(6);
    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    await promise;
    expect(lines).toContain(
      'ERR warning: /drf-api/dev/releases/api: another write landed while this one was made (version 4 -> 6): one of the two is lost; check it: aws ssm get-parameter --name /drf-api/dev/releases/api',
    );
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

  const SCHEDULE = {
    Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/drf-api-prod-clearsessions/drf-api-prod-clearsessions`,
    Name: 'drf-api-prod-clearsessions',
    GroupName: 'drf-api-prod-clearsessions',
    State: 'ENABLED' as const,
    Description: 'clearsessions',
    ScheduleExpression: 'cron(0 3 * * ? *)',
    ScheduleExpressionTimezone: 'Asia/Tokyo',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    CreationDate: new Date('2026-11-01T00:00:00Z'),
    LastModificationDate: new Date('2026-11-01T00:00:00Z'),
    Target: {
      Arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/drf-api-prod`,
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/drf-api-prod-clearsessions-scheduler`,
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      Input: '{"containerOverrides":[{"name":"api","command":["python","manage.py","clearsessions"]}]}',
      EcsParameters: { TaskDefinitionArn: tdArn('drf-api-prod-api', 7), TaskCount: 1, LaunchType: 'FARGATE' as const, PropagateTags: 'TASK_DEFINITION' as const },
    },
  };
  const scheduledRevisions = () => scheduler.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input.Target?.EcsParameters?.TaskDefinitionArn);
  const records = () => ssm.commandCalls(PutParameterCommand).map((c) => parseRecord(c.args[0].input.Value!, 't'));

  beforeEach(() => {
    scheduler.on(GetScheduleCommand).resolves(SCHEDULE);
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: SCHEDULE.Arn });
    ecr.on(BatchGetImageCommand).resolves({ images: [{ imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' }] });
  });

  it('returns once production traffic is on green and the bake runs: pending record, ECR tag, schedules on the new revision', async () => {
    givenBlueGreen(
      { status: 'PENDING' },
      { status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP', minutes: 3 },
      { status: 'IN_PROGRESS', lifecycleStage: 'TEST_TRAFFIC_SHIFT' },
      { status: 'IN_PROGRESS', lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' },
      { status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME', deploymentConfiguration: { bakeTimeInMinutes: 60 }, minutes: 62 },
    );

    const { lines, promise, timing } = run(request(['prod', 'api', 'v1.2.3']));
    const result = await promise;

    expect(result.outcome).toBe('baking');
    expect(timing.slept).toBeLessThan(10 * 60_000); // the bake is ECS's job, not this process's
    expect(lines).toEqual(
      expect.arrayContaining([
        '==> Updating service api to drf-api-prod-api:8 (waiting up to 60 min for production traffic to shift)',
        '    production traffic is on green; blue is kept 60 min for an instant rollback',
        '    tagged sha256:aaaaaaaaaaaa… baking-prod-1 in drf-api-prod/api',
        '    schedule drf-api-prod-clearsessions now runs drf-api-prod-api:8 (was drf-api-prod-api:7)',
      ]),
    );
    // ECS may still roll back: the image is kept (baking tag) but is no promotion evidence yet.
    expect(ecr.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageTag)).toEqual(['baking-prod-1']);
    expect(lines[lines.length - 1]).toContain('the bake runs, then ECS finishes (or rolls back) on its own: npm run release -- prod api --status records the outcome');
    const [record] = records();
    expect(record.current).toBeNull();
    expect(record.pending).toMatchObject({
      tag: 'v1.2.3',
      taskDefinitionArn: tdArn('drf-api-prod-api', 8),
      serviceDeploymentArn: DEPLOYMENT,
      previousTaskDefinitionArn: tdArn('drf-api-prod-api', 7),
      bakeEndsAt: expect.stringMatching(/^2026-11-30T10:/),
      sequence: 1,
    });
    // UpdateSchedule replaces the whole schedule: everything GetSchedule returned goes back, only the revision changes.
    expect(scheduler.commandCalls(GetScheduleCommand)[0].args[0].input).toEqual({ Name: 'drf-api-prod-clearsessions', GroupName: 'drf-api-prod-clearsessions' });
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0].args[0].input).toEqual({
      Name: SCHEDULE.Name,
      GroupName: SCHEDULE.GroupName,
      State: 'ENABLED',
      Description: 'clearsessions',
      ScheduleExpression: SCHEDULE.ScheduleExpression,
      ScheduleExpressionTimezone: 'Asia/Tokyo',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { ...SCHEDULE.Target, EcsParameters: { ...SCHEDULE.Target.EcsParameters, TaskDefinitionArn: tdArn('drf-api-prod-api', 8) } },
    });
    expect(ecr.commandCalls(PutImageCommand)[0].args[0].input).toMatchObject({ repositoryName: 'drf-api-prod/api', imageDigest: DIGEST, imageTag: 'baking-prod-1' });
  });

  it('--wait-bake follows the lifecycle through a 60-minute bake, says how to test green, then records it as current', async () => {
    givenBlueGreen(
      { status: 'PENDING' },
      { status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP', minutes: 3 },
      { status: 'IN_PROGRESS', lifecycleStage: 'TEST_TRAFFIC_SHIFT' },
      { status: 'IN_PROGRESS', lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' },
      { status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME', deploymentConfiguration: { bakeTimeInMinutes: 60 }, minutes: 62 },
      { status: 'IN_PROGRESS', lifecycleStage: 'CLEAN_UP' },
      { status: 'SUCCESSFUL' },
    );

    ecr.on(DescribeImagesCommand, { repositoryName: 'drf-api-prod/api', imageIds: [{ imageDigest: DIGEST }] }).resolves({
      imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.2.3', 'baking-prod-1', 'released-prod-1'] }],
    });
    ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [{ imageTag: 'baking-prod-1' }], failures: [] });

    const { lines, promise, timing } = run({ ...request(['prod', 'api', 'v1.2.3']), waitBake: true });
    expect((await promise).outcome).toBe('released');
    // Baking while ECS could roll back; released (promotion evidence) only once SUCCESSFUL, and the baking tag goes.
    expect(ecr.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageTag)).toEqual(['baking-prod-1', 'released-prod-1']);
    expect(ecr.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: 'drf-api-prod/api', imageIds: [{ imageTag: 'baking-prod-1' }] }]);

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
    expect(lines.filter((l) => l === '    IN_PROGRESS, stage SCALE_UP')).toHaveLength(1); // changes only…
    expect(lines.filter((l) => l.startsWith('    still IN_PROGRESS, stage BAKE_TIME')).length).toBeGreaterThanOrEqual(60); // …and a line each minute
    const [pending, final] = records();
    expect(pending.pending?.serviceDeploymentArn).toBe(DEPLOYMENT);
    expect(final.pending).toBeUndefined();
    expect(final.current?.taskDefinitionArn).toBe(tdArn('drf-api-prod-api', 8));
    expect(new Set(scheduledRevisions())).toEqual(new Set([tdArn('drf-api-prod-api', 8)]));
  });

  it('ROLLBACK_IN_PROGRESS is a failed release: the revision is deregistered at once, then the rollback is followed to its end', async () => {
    givenBlueGreen(
      { status: 'IN_PROGRESS', lifecycleStage: 'TEST_TRAFFIC_SHIFT' },
      { status: 'ROLLBACK_IN_PROGRESS', statusReason: 'Lifecycle hook arn:aws:lambda:x:1:function:smoke-test returned FAILED', minutes: 2 },
      { status: 'ROLLBACK_SUCCESSFUL' },
    );

    const { lines, promise } = run(request(['prod', 'api', 'v1.2.3']));
    const error = await failure(promise);
    expect(error.message).toBe(
      'blue/green deployment ROLLBACK_IN_PROGRESS (traffic stays on or returns to blue): Lifecycle hook arn:aws:lambda:x:1:function:smoke-test returned FAILED',
    );
    expect(error).not.toBeInstanceOf(WaitEnded);
    expect(error.moved).toBe(true);
    // The rejected revision never stays the family's latest: the next release and schedules copy the good one.
    expect(deregistered()).toEqual([tdArn('drf-api-prod-api', 8)]);
    expect(lines).toEqual(expect.arrayContaining(['    waiting up to 15 min for ECS to finish the rollback', '    ROLLBACK_SUCCESSFUL']));
    expect(lines[lines.length - 1]).toMatch(/^ERR release prod\/api v1.2.3: FAILED: blue\/green deployment ROLLBACK_IN_PROGRESS/);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0); // traffic never shifted: schedules never moved
  });

  it('a rollback during the bake (--wait-bake) puts schedules back and drops the pending entry', async () => {
    givenBlueGreen(
      { status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME', minutes: 5 },
      { status: 'ROLLBACK_SUCCESSFUL', statusReason: 'alarm fired during bake time' },
    );
    scheduler
      .on(GetScheduleCommand)
      .resolvesOnce(SCHEDULE)
      .resolves({ ...SCHEDULE, Target: { ...SCHEDULE.Target, EcsParameters: { ...SCHEDULE.Target.EcsParameters, TaskDefinitionArn: tdArn('drf-api-prod-api', 8) } } });

    ecr.on(DescribeImagesCommand, { repositoryName: 'drf-api-prod/api', imageIds: [{ imageDigest: DIGEST }] }).resolves({
      imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.2.3', 'baking-prod-1'] }],
    });
    ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [{ imageTag: 'baking-prod-1' }], failures: [] });

    const error = await failure(run({ ...request(['prod', 'api', 'v1.2.3']), waitBake: true }).promise);
    expect(error.message).toBe('blue/green deployment ROLLBACK_SUCCESSFUL (traffic stays on or returns to blue): alarm fired during bake time');
    expect(deregistered()).toEqual([tdArn('drf-api-prod-api', 8)]);
    // A rolled-back digest leaves no promotion evidence: never tagged released, and the baking tag is removed.
    expect(ecr.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageTag)).toEqual(['baking-prod-1']);
    expect(ecr.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: 'drf-api-prod/api', imageIds: [{ imageTag: 'baking-prod-1' }] }]);
    expect(scheduledRevisions()).toEqual([tdArn('drf-api-prod-api', 8), tdArn('drf-api-prod-api', 7)]);
    const [pending, after] = records();
    expect(pending.pending?.taskDefinitionArn).toBe(tdArn('drf-api-prod-api', 8));
    expect(after.pending).toBeUndefined();
    expect(after.current).toBeNull();
  });

  it('POST_PRODUCTION_TRAFFIC_SHIFT means production traffic is on green (the shift is complete)', async () => {
    givenBlueGreen({ status: 'IN_PROGRESS', lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT', minutes: 500 });
    const { lines, promise, timing } = run(request(['prod', 'api', 'v1.2.3']));
    expect((await promise).outcome).toBe('baking');
    expect(timing.slept).toBe(0);
    expect(lines).toContain('    production traffic is on green; blue is kept for an instant rollback');
    expect(records()[0].pending?.serviceDeploymentArn).toBe(DEPLOYMENT);
  });

  it('a rolled-back image whose only tag is the baking tag keeps it (removing the last tag deletes the image), with a warning', async () => {
    givenBlueGreen({ status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME' }, { status: 'ROLLBACK_SUCCESSFUL', statusReason: 'alarm' });
    ecr.on(DescribeImagesCommand, { repositoryName: 'drf-api-prod/api', imageIds: [{ imageDigest: DIGEST }] }).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['baking-prod-1'] }] });
    const { lines, promise } = run({ ...request(['prod', 'api', DIGEST]), waitBake: true });
    await failure(promise);
    expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(0);
    expect(lines).toContain(`ERR warning: left baking-prod-1 on sha256:aaaaaaaaaaaa… in drf-api-prod/api: removing the image's last tag would delete the image`);
  });

  it('a stopped deployment is a failed release', async () => {
    givenBlueGreen({ status: 'STOPPED', statusReason: 'stopped by an operator' });
    expect((await failure(run(request(['prod', 'api', 'v1.2.3'])).promise)).message).toBe('blue/green deployment STOPPED: stopped by an operator');
    expect(deregistered()).toEqual([tdArn('drf-api-prod-api', 8)]);
  });

  it('waits 60 minutes for traffic to shift by default, then exit 4 with where it stands and how to roll back', async () => {
    givenBlueGreen({ status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP', minutes: 500 });
    const { lines, promise, timing } = run(request(['prod', 'api', 'v1.2.3']));
    const error = await failure(promise);
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toMatch(/^blue\/green deployment not finished after 60 min \(IN_PROGRESS, stage SCALE_UP\)/);
    expect(timing.slept).toBe(60 * 60_000);
    expect(lines).toEqual(
      expect.arrayContaining([
        `ERR     where it stands: blue/green deployment ${DEPLOYMENT}: IN_PROGRESS, stage SCALE_UP`,
        'ERR     the service runs drf-api-prod-api:7 (this release: drf-api-prod-api:8; before: drf-api-prod-api:7)',
        'ERR     follow it:    npm run release -- prod api --status',
        `ERR                   aws ecs describe-service-deployments --service-deployment-arns ${DEPLOYMENT}`,
        `ERR     roll it back: aws ecs stop-service-deployment --service-deployment-arn ${DEPLOYMENT} --stop-type ROLLBACK`,
      ]),
    );
    expect(records()[0].pending?.serviceDeploymentArn).toBe(DEPLOYMENT);
    expect(records()[0].current).toBeNull();
  });

  it('--wait-bake times out after bake time + 60 minutes by default', async () => {
    givenBlueGreen({ status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME', minutes: 500 });
    const { promise, timing } = run({ ...request(['prod', 'api', 'v1.2.3']), waitBake: true });
    const error = await failure(promise);
    expect(error.message).toMatch(/^blue\/green deployment not finished after 120 min \(IN_PROGRESS, stage BAKE_TIME\)/);
    expect(timing.slept).toBe(120 * 60_000);
    expect(records()).toHaveLength(1); // the pending entry written when traffic shifted
    expect(records()[0].current).toBeNull();
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

describe('waits survive a flaky AWS, signals and deadlines', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
  const serverError = () => Object.assign(new Error('Service unavailable'), { name: 'ServerException', $fault: 'server', $metadata: { httpStatusCode: 503 } });

  function givenRollingStart() {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(UpdateServiceCommand).resolves({ service: service('dev', { deployments: [ours('dev', {})] }) });
  }

  it('keeps polling through throttling and 5xx errors with capped exponential backoff, then records the release', async () => {
    givenRollingStart();
    let stub = ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service('dev')] });
    for (let i = 0; i < 5; i++) stub = stub.rejectsOnce(throttled());
    stub.rejectsOnce(serverError()).resolves({ services: [service('dev', { deployments: [ours('dev', { rolloutState: 'COMPLETED', runningCount: 2 })] })] });

    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    expect((await promise).outcome).toBe('released');
    const retries = lines.filter((l) => l.includes('AWS error while reading the service'));
    expect(retries.map((l) => l.replace(/.*; /, ''))).toEqual(['try 2 in 15 s', 'try 3 in 30 s', 'try 4 in 60 s', 'try 5 in 60 s', 'try 6 in 60 s', 'try 7 in 60 s']);
    expect(retries[0]).toContain('(ThrottlingException: Rate exceeded)');
    expect(retries[5]).toContain('(ServerException: Service unavailable)');
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
    // Every call of the wait carries an abort signal (deadline and SIGINT/SIGTERM cut it off).
    expect(ecs.commandCalls(DescribeServicesCommand).slice(1).every((c) => ((c.args as unknown[])[1] as { abortSignal?: unknown } | undefined)?.abortSignal instanceof AbortSignal)).toBe(true);
  });

  it('prints at least once a minute even when every poll takes AWS 19 s to answer', async () => {
    givenRollingStart();
    let now = Date.UTC(2026, 10, 30, 9, 0, 0);
    const timing: Timing = { now: () => now, sleep: async (ms) => void (now += ms) };
    let polls = 0;
    ecs.on(DescribeServicesCommand).callsFake(() => {
      polls++;
      if (polls === 1) return { services: [service('dev')] };
      now += 19_000; // a slow answer: the clock moves while the call is in flight
      return { services: [service('dev', { deployments: [ours('dev', polls > 40 ? { rolloutState: 'COMPLETED', runningCount: 2 } : { runningCount: 1 })] })] };
    });
    const stamps: number[] = [];
    const release = new Release({ clients: createClients(REGION), timing, pollSeconds: 15, log: { info: () => stamps.push(now), error: () => stamps.push(now) } });
    expect((await release.run(request(['dev', 'api', 'v1.2.3'], noMigration))).outcome).toBe('released');
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
    expect(stamps[stamps.length - 1] - stamps[0]).toBeGreaterThan(20 * 60_000); // long enough to matter
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000);
  });

  it('throttling until the deadline ends the wait (exit 4), not the release: the rollout goes on', async () => {
    givenRollingStart();
    ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service('dev')] }).rejects(throttled());
    const error = await failure(run({ ...request(['dev', 'api', 'v1.2.3'], noMigration), timeoutMinutes: 10 }).promise);
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toContain('the deadline passed while reading the service; last error: ThrottlingException: Rate exceeded');
  });

  it('an error that is not worth retrying (access denied) ends the wait at once with exit 4 and where things stand', async () => {
    givenRollingStart();
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [service('dev')] })
      .resolvesOnce({ services: [service('dev', { deployments: [ours('dev', { runningCount: 1 })] })] })
      .rejects(Object.assign(new Error('not authorized to perform: ecs:DescribeServices'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const error = await failure(promise);
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toContain('reading the service failed: AccessDeniedException: not authorized to perform: ecs:DescribeServices');
    expect(lines).toContain('ERR     where it stands: rolling deployment ecs-svc/new: rollout IN_PROGRESS: 1/2 running, 0 pending, 0 failed');
  });

  it('SIGINT during the rollout: the wait stops, the release is recorded as pending, exit 4 with the commands to follow or roll back', async () => {
    givenRollingStart();
    const interrupt = new AbortController();
    let polls = 0;
    ecs.on(DescribeServicesCommand).callsFake(() => {
      if (++polls === 4) interrupt.abort('SIGINT');
      return { services: [service('dev', polls === 1 ? {} : { deployments: [ours('dev', { runningCount: 1 })] })] };
    });
    const lines: string[] = [];
    const release = new Release({ clients: createClients(REGION), timing: fakeTiming(), signal: interrupt.signal, log: { info: (l) => lines.push(l), error: (l) => lines.push(`ERR ${l}`) } });
    const error = await failure(release.run(request(['dev', 'api', 'v1.2.3'], noMigration)));
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toMatch(/: interrupted by SIGINT; ECS carries on without this tool$/);
    expect(polls).toBe(4);
    expect(lines).toContain(`ERR     roll it back: aws ecs update-service --cluster drf-api-dev --service api --task-definition ${tdArn('drf-api-dev-api', 7)}`);
    expect(parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't').pending?.deploymentId).toBe('ecs-svc/new');
  });

  it('SIGTERM during the migration stops the migration task; nothing moved', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/drf-api-dev/feed`, lastStatus: 'PENDING' }] });
    const interrupt = new AbortController();
    ecs.on(DescribeTasksCommand).callsFake(() => {
      interrupt.abort('SIGTERM');
      return { tasks: [{ lastStatus: 'RUNNING' }] };
    });
    ecs.on(StopTaskCommand).resolves({});
    const release = new Release({ clients: createClients(REGION), timing: fakeTiming(), signal: interrupt.signal, log: { info: () => undefined, error: () => undefined } });
    const error = await failure(release.run(request(['dev', 'api', 'v1.2.3'])));
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.moved).toBe(false);
    expect(ecs.commandCalls(StopTaskCommand)[0].args[0].input).toMatchObject({ cluster: 'drf-api-dev', task: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/drf-api-dev/feed` });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});

describe('a signal or an error around the calls that move things', () => {
  const timeout = () => Object.assign(new Error('Request timed out after 15000 ms'), { name: 'TimeoutError' });
  const serverError = () => Object.assign(new Error('Service unavailable'), { name: 'ServerException', $fault: 'server', $metadata: { httpStatusCode: 503 } });
  const optionsOf = (call: { args: unknown[] }) => (call.args[1] ?? {}) as { abortSignal?: AbortSignal };

  function withSignal(interrupt: AbortController) {
    const lines: string[] = [];
    const release = new Release({ clients: createClients(REGION), timing: fakeTiming(), signal: interrupt.signal, log: { info: (l) => lines.push(l), error: (l) => lines.push(`ERR ${l}`) } });
    return { lines, release };
  }

  function givenUpdateFails(error: () => Error, after: Service | Error, interrupt?: AbortController) {
    givenRecord({ current: null, previous: null, sequence: 2 });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(UpdateServiceCommand).callsFake(() => {
      interrupt?.abort('SIGINT');
      throw error();
    });
    const stub = ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service('dev')] });
    if (after instanceof Error) stub.rejects(after);
    else stub.resolves({ services: [after] });
  }
  const movedService = (deployment: Partial<Deployment>) => service('dev', { taskDefinition: tdArn('drf-api-dev-api', 8), deployments: [ours('dev', deployment)] });

  it('UpdateService times out but ECS took the update: the release follows the rollout and records it', async () => {
    givenUpdateFails(timeout, movedService({ rolloutState: 'COMPLETED', runningCount: 2 }));
    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    expect((await promise).outcome).toBe('released');
    expect(lines).toEqual(
      expect.arrayContaining([
        '    UpdateService did not succeed (AWS did not answer in time (Request timed out after 15000 ms)); asking ECS whether it took the update',
        '    ECS took the update: the service runs drf-api-dev-api:8; following the rollout',
      ]),
    );
    expect(deregistered()).toEqual([]);
    expect(parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't').current?.taskDefinitionArn).toBe(tdArn('drf-api-dev-api', 8));
  });

  it('SIGINT while UpdateService is in flight and ECS took it: pending record, exit 4, nothing deregistered', async () => {
    const interrupt = new AbortController();
    givenUpdateFails(timeout, movedService({ runningCount: 0 }), interrupt);
    const { lines, release } = withSignal(interrupt);
    const error = await failure(release.run(request(['dev', 'api', 'v1.2.3'], noMigration)));
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.moved).toBe(true);
    expect(error.message).toMatch(/interrupted by SIGINT; ECS carries on without this tool$/);
    // The update and the question afterwards are not cut off by the signal.
    expect(optionsOf(ecs.commandCalls(UpdateServiceCommand)[0]).abortSignal?.aborted).toBe(false);
    expect(optionsOf(ecs.commandCalls(DescribeServicesCommand)[1]).abortSignal?.aborted).toBe(false);
    expect(deregistered()).toEqual([]);
    expect(parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't').pending).toMatchObject({ taskDefinitionArn: tdArn('drf-api-dev-api', 8), sequence: 3 });
    expect(lines[lines.length - 1]).not.toContain('nothing has moved');
  });

  it('a 5xx from UpdateService that ECS did not take: the revision is deregistered, exit 1, nothing moved', async () => {
    givenUpdateFails(serverError, service('dev'));
    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const error = await failure(promise);
    expect(error).not.toBeInstanceOf(WaitEnded);
    expect(error.moved).toBe(false);
    expect(deregistered()).toEqual([tdArn('drf-api-dev-api', 8)]);
    expect(lines[lines.length - 1]).toMatch(/FAILED: ServerException: Service unavailable; nothing has moved/);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('SIGINT before ECS took the update: deregistered, exit 4, nothing moved', async () => {
    const interrupt = new AbortController();
    givenUpdateFails(timeout, service('dev'), interrupt);
    const { lines, release } = withSignal(interrupt);
    const error = await failure(release.run(request(['dev', 'api', 'v1.2.3'], noMigration)));
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.moved).toBe(false);
    expect(deregistered()).toEqual([tdArn('drf-api-dev-api', 8)]);
    expect(lines).toContain('ERR     nothing has moved: api still runs its previous revision');
  });

  it('UpdateService failed and the service cannot be read: not deregistered, recorded as pending for --status, exit 4', async () => {
    givenUpdateFails(timeout, Object.assign(new Error('not authorized to perform: ecs:DescribeServices'), { name: 'AccessDeniedException', $metadata: {} }));
    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const error = await failure(promise);
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toContain('and the service could not be read: ECS may or may not have taken drf-api-dev-api:8');
    expect(deregistered()).toEqual([]);
    expect(parseRecord(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!, 't').pending).toMatchObject({ taskDefinitionArn: tdArn('drf-api-dev-api', 8), previousTaskDefinitionArn: tdArn('drf-api-dev-api', 7) });
    expect(lines).toContain('ERR     the record lists this release as pending: --status (or the next release) settles it');
  });

  it('SIGINT while RunTask starts the migration: the task is stopped, exit 4, the service never updated', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    const interrupt = new AbortController();
    const task = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/drf-api-dev/beef`;
    ecs.on(RunTaskCommand).callsFake(() => {
      interrupt.abort('SIGINT'); // ECS starts the task while the signal arrives
      return { tasks: [{ taskArn: task, lastStatus: 'PROVISIONING' }] };
    });
    ecs.on(StopTaskCommand).resolves({});
    const { release } = withSignal(interrupt);
    const error = await failure(release.run(request(['dev', 'api', 'v1.2.3'])));
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.moved).toBe(false);
    expect(optionsOf(ecs.commandCalls(RunTaskCommand)[0]).abortSignal?.aborted).toBe(false);
    expect(ecs.commandCalls(StopTaskCommand)[0].args[0].input).toMatchObject({ cluster: 'drf-api-dev', task, reason: 'release interrupted (SIGINT)' });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('RunTask without an answer: exit 4 saying a migration task may have started and how to find it', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    ecs.on(RunTaskCommand).rejects(timeout());
    const error = await failure(run(request(['dev', 'api', 'v1.2.3'])).promise);
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toBe(
      'RunTask got no answer (AWS did not answer in time (Request timed out after 15000 ms)): a migration task may have started; see aws ecs list-tasks --cluster drf-api-dev --started-by release-migrate',
    );
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('SIGINT during a call outside the waits (reading the image) ends the run with exit 4: nothing moved', async () => {
    givenRecord({ current: null, previous: null });
    const interrupt = new AbortController();
    ecr.on(DescribeRepositoriesCommand).callsFake(() => {
      interrupt.abort('SIGINT');
      throw Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    });
    const { lines, release } = withSignal(interrupt);
    const error = await failure(release.run(request(['dev', 'api', 'v1.2.3'])));
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toBe('interrupted by SIGINT');
    expect(lines).toContain('ERR     nothing has moved: api still runs its previous revision');
    expect(lines[lines.length - 1]).toBe('ERR release dev/api v1.2.3: WAIT ENDED without an outcome: interrupted by SIGINT');
  });

  it('SIGINT while registering the revision: it is deregistered again, exit 4', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    const interrupt = new AbortController();
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionRequest) => {
      interrupt.abort('SIGINT');
      return { taskDefinition: { ...input, taskDefinitionArn: tdArn(input.family!, 8), revision: 8 } };
    });
    const error = await failure(withSignal(interrupt).release.run(request(['dev', 'api', 'v1.2.3'], noMigration)));
    expect(error).toBeInstanceOf(WaitEnded);
    expect(optionsOf(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]).abortSignal?.aborted).toBe(false);
    expect(deregistered()).toEqual([tdArn('drf-api-dev-api', 8)]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});

describe('image truth: what a release may register', () => {
  /** The revision with the release container changed. */
  const withApi = (td: TaskDefinition, change: Partial<ContainerDefinition>) => td.containerDefinitions!.map((c) => (c.name === 'api' ? { ...c, ...change } : c));

  function givenLatest(change: (td: TaskDefinition) => TaskDefinition) {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    ecs.on(DescribeServicesCommand).resolves({ services: [service('dev')] });
    ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => ({ taskDefinition: change(taskDefinition(input.taskDefinition, 'api')) }));
  }

  it.each<[string, (td: TaskDefinition) => TaskDefinition, string]>([
    [
      'the migrate execution role (reads the master secret) on the web service',
      (td) => ({ ...td, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/drf-api-dev-api-migrate-execution` }),
      `executionRoleArn is arn:aws:iam::${ACCOUNT}:role/drf-api-dev-api-migrate-execution, expected arn:aws:iam::${ACCOUNT}:role/drf-api-dev-api-execution`,
    ],
    ['a task role of another account', (td) => ({ ...td, taskRoleArn: 'arn:aws:iam::999999999999:role/drf-api-dev-api-task' }), 'taskRoleArn is arn:aws:iam::999999999999:role/drf-api-dev-api-task'],
    ['no task role', (td) => ({ ...td, taskRoleArn: undefined }), 'taskRoleArn is unset'],
    ['host networking', (td) => ({ ...td, networkMode: 'host' }), 'networkMode is "host"'],
    ['the host PID namespace', (td) => ({ ...td, pidMode: 'host' }), 'pidMode is "host"'],
    ['the host IPC namespace', (td) => ({ ...td, ipcMode: 'host' }), 'ipcMode is "host"'],
    ['a privileged container', (td) => ({ ...td, containerDefinitions: td.containerDefinitions!.map((c) => ({ ...c, privileged: true })) }), 'container api is privileged'],
    ['a host bind mount', (td) => ({ ...td, volumes: [{ name: 'tmp' }, { name: 'root', host: { sourcePath: '/' } }] }), 'volume root mounts the host path /'],
    [
      'a host path through the local volume driver',
      (td) => ({ ...td, volumes: [{ name: 'docker', dockerVolumeConfiguration: { driver: 'local', driverOpts: { type: 'none', o: 'bind', device: '/var/run' } } }] }),
      'volume docker binds a host path through its Docker volume driver options',
    ],
    ['added capabilities', (td) => ({ ...td, containerDefinitions: withApi(td, { linuxParameters: { ...HARDENED, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }) }), 'container api adds Linux capabilities (SYS_ADMIN)'],
    [
      'a host device',
      (td) => ({ ...td, containerDefinitions: withApi(td, { linuxParameters: { ...HARDENED, devices: [{ hostPath: '/dev/mem' }] } }) }),
      'container api maps host devices (/dev/mem)',
    ],
    ['docker security options', (td) => ({ ...td, containerDefinitions: withApi(td, { dockerSecurityOptions: ['apparmor:unconfined'] }) }), 'container api sets dockerSecurityOptions (apparmor:unconfined)'],
    ['a sidecar with added capabilities', (td) => ({ ...td, containerDefinitions: [td.containerDefinitions![0], { ...td.containerDefinitions![1], linuxParameters: { capabilities: { add: ['NET_ADMIN'] } } }] }), 'container xray adds Linux capabilities (NET_ADMIN)'],
    ['the root user', (td) => ({ ...td, containerDefinitions: withApi(td, { user: '0:0' }) }), 'container api runs as root (user 0:0)'],
    ['the root user by name', (td) => ({ ...td, containerDefinitions: withApi(td, { user: 'root' }) }), 'container api runs as root (user root)'],
    ['no user', (td) => ({ ...td, containerDefinitions: withApi(td, { user: undefined }) }), "container api has no user (the image's default, often root)"],
    [
      'capabilities not dropped',
      (td) => ({ ...td, containerDefinitions: withApi(td, { linuxParameters: { initProcessEnabled: true } }) }),
      'container api does not drop all Linux capabilities (linuxParameters.capabilities.drop ["ALL"])',
    ],
    ['a writable root file system', (td) => ({ ...td, containerDefinitions: withApi(td, { readonlyRootFilesystem: false }) }), 'container api has a writable root file system (readonlyRootFilesystem is not true)'],
    [
      'a sidecar from a public registry by tag',
      (td) => ({ ...td, containerDefinitions: [td.containerDefinitions![0], { name: 'xray', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14' }] }),
      `sidecar xray runs public.ecr.aws/xray/aws-xray-daemon:3.3.14: sidecars must be pinned by digest in ${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/drf-api-dev/…@sha256:<digest>`,
    ],
    [
      'a sidecar from the own registry by tag',
      (td) => ({ ...td, containerDefinitions: [td.containerDefinitions![0], { name: 'xray', image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/drf-api-dev/xray:3` }] }),
      'sidecar xray runs',
    ],
  ])('refuses %s: nothing registered, nothing run', async (_, change, problem) => {
    givenLatest(change);
    const { lines, promise } = run(request(['dev', 'api', 'v1.2.3'], noMigration));
    const error = await failure(promise);
    expect(error.message).toMatch(/^refusing to register drf-api-dev-api: the family's latest revision is not what Terraform made it \(/);
    expect(error.message).toContain(problem);
    expect(error.moved).toBe(false);
    expect(lines[lines.length - 1]).toContain('nothing has moved');
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('the migrate family must carry the migrate roles, the service family its own', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { rolloutState: 'COMPLETED' })]);
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:aws:ecs:x:1:task/c/m1' }] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ lastStatus: 'STOPPED', containers: [{ name: 'migrate', exitCode: 0 }] }] });
    await run(request(['dev', 'api', 'v1.2.3'])).promise;
    const [migrate, web] = ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
    expect(migrate).toMatchObject({ taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/drf-api-dev-api-migrate-task`, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/drf-api-dev-api-migrate-execution` });
    expect(web).toMatchObject({ taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/drf-api-dev-api-task`, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/drf-api-dev-api-execution` });
  });
});

describe('releases by digest, and promotion', () => {
  it('sha256:<digest> releases that image; the record names it by its tag', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    givenTaskDefinitions();
    givenRollout('dev', [ours('dev', { rolloutState: 'COMPLETED' })]);
    const { entry } = await run(request(['dev', 'api', DIGEST], noMigration)).promise;
    expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input.imageIds).toEqual([{ imageDigest: DIGEST }]);
    expect(entry).toMatchObject({ tag: 'v1.2.3', digest: DIGEST, image: `${uri('dev')}@${DIGEST}` });
  });

  it('<tag>@sha256:<digest>: a tag that points elsewhere is refused before anything changes', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('dev');
    const error = await failure(run(request(['dev', 'api', `v1.2.3@${OLD_DIGEST}`], noMigration)).promise);
    expect(error.message).toBe(`tag v1.2.3 in drf-api-dev/api points at ${DIGEST}, not ${OLD_DIGEST}: someone pushed over it, or the digest is wrong; release by the digest you mean`);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('prod refuses a digest staging never released; --force-unpromoted ships it with a loud warning', async () => {
    givenRecord({ current: null, previous: null });
    givenImage('prod');
    ecr.on(DescribeImagesCommand, { repositoryName: 'drf-api-staging/api' }).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.2.3', 'released-dev-3'] }] });
    const error = await failure(run(request(['prod', 'api', 'v1.2.3'])).promise);
    expect(error.message).toBe(
      `staging never released ${DIGEST} (no released-staging-<n> tag on it in drf-api-staging/api): release it to staging first, or pass --force-unpromoted to ship it anyway`,
    );
    expect(ecr.commandCalls(DescribeImagesCommand)[1].args[0].input).toEqual({ registryId: '123456789012', repositoryName: 'drf-api-staging/api', imageIds: [{ imageDigest: DIGEST }] });
    expect(ecs.calls()).toHaveLength(0);

    ecs.on(DescribeServicesCommand).rejects(new Error('stop here'));
    const forced = run({ ...request(['prod', 'api', 'v1.2.3']), forceUnpromoted: true });
    await forced.promise.catch(() => undefined);
    expect(forced.lines).toContain(
      `ERR warning: !!! --force-unpromoted: staging never released ${DIGEST} (no released-staging-<n> tag on it in drf-api-staging/api); shipping it to prod anyway`,
    );
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });

  it('an environment whose previous one has an account reads the evidence in that registry', async () => {
    const copy = structuredClone(environments) as Record<string, EnvironmentInput>;
    copy.staging = { ...copy.staging, allowedAccountIds: ['210987654321'] };
    givenRecord({ current: null, previous: null });
    givenImage('prod');
    ecs.on(DescribeServicesCommand).rejects(new Error('stop here'));
    await run(parseReleaseArgs(['prod', 'api', 'v1.2.3'], project, copy)).promise.catch(() => undefined);
    expect(ecr.commandCalls(DescribeImagesCommand)[1].args[0].input).toMatchObject({ registryId: '210987654321', repositoryName: 'drf-api-staging/api' });
  });
});

describe('--status and the next release settle a pending release', () => {
  const DEPLOYMENT = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/drf-api-prod/api/new`;
  const prodEntry = (tag: string, digest: string, revision: number): ReleaseEntry => ({ ...entry(tag, digest, revision), taskDefinitionArn: tdArn('drf-api-prod-api', revision) });
  const pending = {
    ...prodEntry('v1.2.3', DIGEST, 8),
    sequence: 6,
    serviceDeploymentArn: DEPLOYMENT,
    previousTaskDefinitionArn: tdArn('drf-api-prod-api', 7),
    bakeEndsAt: '2026-11-30T09:40:00.000Z',
  };
  const before = { current: prodEntry('v1.2.2', OLD_DIGEST, 7), previous: null, pending, sequence: 6 };
  const records = () => ssm.commandCalls(PutParameterCommand).map((c) => parseRecord(c.args[0].input.Value!, 't'));

  function givenDeployment(status: string, stage?: string) {
    givenRecord(before);
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.2.3', 'baking-prod-6'] }] });
    ecr.on(BatchGetImageCommand).resolves({ images: [{ imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }] });
    ecr.on(BatchDeleteImageCommand).resolves({ failures: [] });
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT, status: status as 'SUCCESSFUL', lifecycleStage: stage as 'BAKE_TIME' }] });
    scheduler.on(GetScheduleCommand).resolves({ Name: 'drf-api-prod-clearsessions', GroupName: 'drf-api-prod-clearsessions', ScheduleExpression: 'cron(0 3 * * ? *)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: 'c', RoleArn: 'r', EcsParameters: { TaskDefinitionArn: tdArn('drf-api-prod-api', 8) } } });
    scheduler.on(UpdateScheduleCommand).resolves({});
  }
  function status(req = request(['prod', 'api', '--status'])) {
    const lines: string[] = [];
    const release = new Release({ clients: createClients(REGION), timing: fakeTiming(), log: { info: (l) => lines.push(l), error: (l) => lines.push(`ERR ${l}`) } });
    return { lines, promise: release.status(req) };
  }

  it('SUCCESSFUL: the pending release becomes current (and the old current previous)', async () => {
    givenDeployment('SUCCESSFUL');
    const { lines, promise } = status();
    expect((await promise).outcome).toBe('released');
    const [after] = records();
    expect(after.current).toEqual({ tag: 'v1.2.3', digest: DIGEST, image: pending.image, taskDefinitionArn: tdArn('drf-api-prod-api', 8), releasedAt: pending.releasedAt, sequence: 6 });
    expect(after.previous).toEqual(before.current);
    expect(after.pending).toBeUndefined();
    expect(lines[lines.length - 1]).toBe(`release prod/api: v1.2.3 (${DIGEST}) finished and is recorded as current`);
    // Now it is promotion evidence; the baking tag goes.
    expect(ecr.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageTag)).toEqual(['released-prod-6']);
    expect(ecr.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input.imageIds)).toEqual([[{ imageTag: 'baking-prod-6' }]]);
  });

  it('rolled back: the rejected revision is deregistered, schedules go back, pending is dropped (exit 1)', async () => {
    givenDeployment('ROLLBACK_SUCCESSFUL');
    // An older tool tagged released-<env>-<n> at traffic shift: that evidence goes too.
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.2.3', 'baking-prod-6', 'released-prod-6'] }] });
    expect((await status().promise).outcome).toBe('rolled-back');
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(0);
    expect(ecr.commandCalls(BatchDeleteImageCommand)[0].args[0].input).toEqual({ repositoryName: 'drf-api-prod/api', imageIds: [{ imageTag: 'baking-prod-6' }, { imageTag: 'released-prod-6' }] });
    expect(deregistered()).toEqual([tdArn('drf-api-prod-api', 8)]);
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0].args[0].input.Target?.EcsParameters?.TaskDefinitionArn).toBe(tdArn('drf-api-prod-api', 7));
    expect(records()[0]).toEqual({ current: before.current, previous: null, sequence: 6 });
  });

  it('still baking: says so with the time the bake ends, and changes nothing', async () => {
    givenDeployment('IN_PROGRESS', 'BAKE_TIME');
    const { lines, promise } = status();
    expect((await promise).outcome).toBe('baking');
    expect(lines).toContain(
      `    service deployment ${DEPLOYMENT}: IN_PROGRESS, stage BAKE_TIME; the bake ends at 2026-11-30T09:40:00.000Z (in about 40 min), then ECS finishes on its own`,
    );
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(deregistered()).toEqual([]);
  });

  it('--status --wait-bake waits through the bake with a line each minute', async () => {
    givenRecord(before);
    let stub = ecs.on(DescribeServiceDeploymentsCommand);
    for (let i = 0; i < 40 * 4; i++) stub = stub.resolvesOnce({ serviceDeployments: [{ status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME' }] });
    stub.resolves({ serviceDeployments: [{ status: 'SUCCESSFUL' }] });
    const { lines, promise } = status({ ...request(['prod', 'api', '--status']), waitBake: true });
    expect((await promise).outcome).toBe('released');
    expect(lines.filter((l) => l.startsWith('    still service deployment')).length).toBeGreaterThanOrEqual(39);
  });

  it('a pending release that cannot be read (AccessDenied) ends --status without an outcome (exit 4): the record is unchanged', async () => {
    givenRecord(before);
    ecs.on(DescribeServiceDeploymentsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: {} }));
    const { lines, promise } = status();
    const error = await failure(promise);
    expect(error).toBeInstanceOf(WaitEnded);
    expect(error.message).toBe('reading the service deployment failed: AccessDeniedException: not authorized');
    expect(lines).toContain('ERR     the record is unchanged; ask again: npm run release -- prod api --status');
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('an old record (no pending, no sequence) reports the current release', async () => {
    givenRecord({ current: prodEntry('v1.2.2', OLD_DIGEST, 7), previous: null });
    scheduler.on(GetScheduleCommand).resolves({ Target: { Arn: 'c', RoleArn: 'r', EcsParameters: { TaskDefinitionArn: tdArn('drf-api-prod-api', 7) } } });
    const { lines, promise } = status();
    expect(await promise).toEqual({ outcome: 'nothing-pending', entry: prodEntry('v1.2.2', OLD_DIGEST, 7) });
    expect(lines[lines.length - 1]).toBe('release prod/api: nothing pending; v1.2.2 is current');
  });

  it('the next release settles a finished one first, and refuses while one still bakes', async () => {
    givenDeployment('IN_PROGRESS', 'BAKE_TIME');
    givenImage('prod');
    const error = await failure(run({ ...request(['prod', 'api', 'v1.2.4']) }).promise);
    expect(error.message).toMatch(/^the previous release v1.2.3 is still in progress \(service deployment .*BAKE_TIME\): wait for it \(--status --wait-bake\), or roll it back: aws ecs stop-service-deployment/);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);

    ecs.reset();
    givenDeployment('SUCCESSFUL');
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [{ status: 'SUCCESSFUL' }] });
    ecs.on(DescribeServicesCommand).rejects(new Error('stop here'));
    await run(request(['prod', 'api', 'v1.2.4'])).promise.catch(() => undefined);
    expect(records()[0].current?.tag).toBe('v1.2.3');
  });
});

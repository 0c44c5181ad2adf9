// npm run release as an operator meets it: argument and config mistakes (exit 2, no AWS call), and
// the real SDK clients going where AWS_ENDPOINT_URL points, with credentials from the default chain.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { DescribeServiceDeploymentsCommand, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { environments, project } from '../src/config/environments';
import type { EnvironmentInput } from '../src/config/schema';
import { createClients } from '../src/release/clients';
import { releaseChainCommand } from '../src/release/chain';
import { describeAwsError, InputError, isTransient } from '../src/release/errors';
import { askOnTerminal } from '../src/lib/terminal';
import { parseReleaseArgs } from '../src/release/input';
import { releaseCommand, type ReleaseCommandDeps } from '../src/release/release-command';

const root = join(__dirname, '..');

function problems(args: string[], envs: Record<string, EnvironmentInput> = environments): string[] {
  try {
    parseReleaseArgs(args, project, envs);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  throw new Error('expected an InputError');
}

describe('release input', () => {
  it('reads env, service, tag and options into names from the config', () => {
    const request = parseReleaseArgs(['prod', 'api', 'v1.2.3', '--timeout-minutes', '180'], project, environments);
    expect(request.target).toEqual({ kind: 'tag', tag: 'v1.2.3' });
    expect(request.env.region).toBe('ap-northeast-1');
    expect(request.names).toMatchObject({ cluster: 'drf-api-prod', taskFamily: 'drf-api-prod-api', releaseParameter: '/drf-api/prod/releases/api' });
    expect(request.timeoutMinutes).toBe(180);
    expect(request.migrateTimeoutMinutes).toBe(60);
    expect(parseReleaseArgs(['dev', 'api', '--rollback'], project, environments).target).toEqual({ kind: 'rollback' });
  });

  it.each([
    [['qa', 'api', 'v1'], 'unknown environment "qa" (defined: dev, staging, prod)'],
    [['dev', 'web', 'v1'], 'unknown service "web" in dev (services: api)'],
    [['dev', 'api', 'latest'], 'image tag: "latest" is not allowed: deploy an immutable tag such as the commit SHA'],
    [['dev', 'api', 'v1 beta'], 'image tag: "v1 beta" is not a valid image tag'],
    [['dev', 'api', '-x'], "Unknown option '-x'"],
    [['dev', 'api'], 'missing <env>, <service> or <image-tag> (or --rollback)'],
    [['dev', 'api', 'v1', 'v2'], 'unexpected argument "v2"'],
    [['dev', 'api', 'v1', '--rollback'], '--rollback releases the recorded previous image: give no tag'],
    [['dev', 'api', 'v1', '--timeout-minutes', '0'], '--timeout-minutes: "0" is not a whole number of minutes between 1 and 10080'],
    [['dev', 'api', 'v1', '--migrate-timeout-minutes', 'soon'], '--migrate-timeout-minutes: "soon" is not a whole number of minutes between 1 and 10080'],
  ])('%j: %s', (args, message) => {
    expect(problems(args)[0]).toContain(message);
  });

  it('an invalid config is reported per field', () => {
    const broken = { ...environments, dev: { ...environments.dev, region: 'mars-1' } };
    expect(problems(['dev', 'api', 'v1'], broken)).toContain('dev.region: "mars-1" is not an AWS region such as "ap-northeast-1"');
  });
});

describe('AWS clients', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('send every client to AWS_ENDPOINT_URL (LocalStack-style) in the environment region', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566';
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    const clients = createClients('ap-northeast-1');
    for (const client of [clients.ecs, clients.ecr, clients.ssm, clients.logs, clients.scheduler, clients.ecrIn('us-east-1')]) {
      if (client === clients.ecrIn('us-east-1')) {
        expect(await client.config.region()).toBe('us-east-1');
        continue;
      }
      expect(await client.config.region()).toBe('ap-northeast-1');
    }
    // Stop each request just before it leaves, and look where it was going.
    const seen: string[] = [];
    const stop = () => async (args: { request: unknown }) => {
      const request = args.request as { protocol: string; hostname: string; port?: number };
      seen.push(`${request.protocol}//${request.hostname}:${request.port}`);
      throw new Error('stopped before sending');
    };
    const options = { step: 'finalizeRequest' as const, priority: 'low' as const };
    clients.ecs.middlewareStack.add(stop, options);
    clients.ecr.middlewareStack.add(stop, options);
    clients.ssm.middlewareStack.add(stop, options);
    clients.logs.middlewareStack.add(stop, options);
    await expect(clients.ecs.send(new ListClustersCommand({}))).rejects.toThrow('stopped before sending');
    await expect(clients.ecr.send(new DescribeRepositoriesCommand({}))).rejects.toThrow('stopped before sending');
    await expect(clients.ssm.send(new GetParameterCommand({ Name: '/x' }))).rejects.toThrow('stopped before sending');
    await expect(clients.logs.send(new GetLogEventsCommand({ logStreamName: 'x', logGroupName: 'y' }))).rejects.toThrow('stopped before sending');
    expect(seen).toEqual(Array(4).fill('http://localhost:4566'));
  });

  it('SDK errors read as one line: credentials, network, API', () => {
    expect(describeAwsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }))).toBe(
      'no usable AWS credentials (Could not load credentials from any providers): set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role',
    );
    expect(describeAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', $metadata: {} }))).toBe(
      'cannot reach AWS (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(describeAwsError(Object.assign(new Error('Rate exceeded\nmore'), { name: 'ThrottlingException', $metadata: {} }))).toBe('ThrottlingException: Rate exceeded');
    expect(describeAwsError(new TypeError('x is undefined'))).toBeUndefined();
  });
});

/** A stand-in AWS endpoint that records requests and answers each with `reply`. */
async function fakeAws(reply: (target: string) => { status: number; body: unknown }) {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(req.headers);
      const { status, body } = reply(String(req.headers['x-amz-target']));
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Runs `npm run release` as a child process (asynchronously, so the fake endpoint can answer). */
function release(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const base: Record<string, string | undefined> = { ...process.env, AWS_PROFILE: undefined, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
  base.AWS_EC2_METADATA_DISABLED = 'true';
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
    base[key] = undefined;
  }
  const childEnv = Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', './scripts/ts-register.cjs', 'scripts/release.ts', ...args], { cwd: root, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('npm run release (scripts/release.ts)', () => {
  // A child process that loads TypeScript and the SDK: seconds, more on a busy machine (the suite's
  // testTimeout applies; nothing here waits on a timer).
  const credentials = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };

  it('--help prints the usage', async () => {
    const out: string[] = [];
    expect(await releaseCommand(['--help'], { env: {}, cwd: root, log: (l) => out.push(l), error: (l) => out.push(l) })).toBe(0);
    expect(out.join('\n')).toContain('usage: npm run release -- <env> <service> <image-tag>');
  });

  it('bad input: exit 2, one line, no stack trace, and no AWS request', async () => {
    const aws = await fakeAws(() => ({ status: 500, body: {} }));
    try {
      const result = await release(['dev', 'api', 'latest'], { ...credentials, AWS_ENDPOINT_URL: aws.url });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('release: image tag: "latest" is not allowed');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });

  it('talks to AWS_ENDPOINT_URL with credentials from the environment, and a failure is exit 1 with a one-line verdict', async () => {
    const aws = await fakeAws((target) =>
      target === 'AmazonSSM.GetParameter' ? { status: 400, body: { __type: 'ParameterNotFound', message: 'Parameter not found' } } : { status: 500, body: {} },
    );
    try {
      const result = await release(['dev', 'api', 'v1.2.3'], { ...credentials, AWS_ENDPOINT_URL: aws.url });
      expect(aws.requests.map((h) => h['x-amz-target'])).toEqual(['AmazonSSM.GetParameter']);
      expect(aws.requests[0].authorization).toContain('Credential=AKIDEXAMPLE/');
      expect(aws.requests[0].authorization).toContain('/ap-northeast-1/ssm/aws4_request');
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('==> Reading the release record /drf-api/dev/releases/api');
      expect(result.stderr).toMatch(
        /release dev\/api v1\.2\.3: FAILED: release record \/drf-api\/dev\/releases\/api does not exist: apply the environment's app stack first; nothing has moved/,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await aws.close();
    }
  });

  it('no credentials anywhere: exit 1 with one line saying so', async () => {
    const aws = await fakeAws(() => ({ status: 500, body: {} }));
    try {
      const result = await release(['dev', 'api', 'v1.2.3'], { AWS_ENDPOINT_URL: aws.url });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('FAILED: no usable AWS credentials');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(aws.requests).toHaveLength(0);
    } finally {
      await aws.close();
    }
  });
});

describe('release input: image references and options', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  it('accepts a digest, a tag pinned to a digest, and the new options', () => {
    expect(parseReleaseArgs(['dev', 'api', DIGEST], project, environments).target).toEqual({ kind: 'digest', digest: DIGEST });
    expect(parseReleaseArgs(['dev', 'api', `v1.2.3@${DIGEST}`], project, environments).target).toEqual({ kind: 'tag', tag: 'v1.2.3', digest: DIGEST });
    const req = parseReleaseArgs(['prod', 'api', 'v1', '--yes', '--force-unpromoted', '--wait-bake', '--json-out', 'out.json'], project, environments);
    expect(req).toMatchObject({ yes: true, forceUnpromoted: true, waitBake: true, jsonOut: 'out.json' });
    expect(parseReleaseArgs(['prod', 'api', '--status'], project, environments).target).toEqual({ kind: 'status' });
  });

  it('the previous environment is the nearest earlier one that has the service', () => {
    expect(parseReleaseArgs(['dev', 'api', 'v1'], project, environments).previousEnv).toBeUndefined();
    expect(parseReleaseArgs(['prod', 'api', 'v1'], project, environments).previousEnv).toEqual({ name: 'staging', region: 'ap-northeast-1', registryId: '123456789012', repository: 'drf-api-staging/api' });
    // worker exists in staging and prod only: its chain starts at staging.
    expect(parseReleaseArgs(['staging', 'worker', 'v1'], project, environments).previousEnv).toBeUndefined();
    expect(parseReleaseArgs(['prod', 'worker', 'v1'], project, environments).previousEnv?.name).toBe('staging');
  });

  it.each([
    [['dev', 'api', 'sha256:abc'], 'image: "sha256:abc" is not a digest (sha256:<64 lowercase hex>)'],
    [['dev', 'api', `v1@sha256:${'A'.repeat(64)}`], 'is not <tag>, sha256:<64 lowercase hex> or <tag>@sha256:<64 lowercase hex>'],
    [['dev', 'api', `latest@${DIGEST}`], 'image tag: "latest" is not allowed'],
    [['dev', 'api', '--rollback', '--status'], '--rollback and --status exclude each other'],
    [['dev', 'api', 'v1', '--json-out', ''], '--json-out: give a file name'],
  ])('%j: %s', (args, message) => {
    expect(problems(args)[0]).toContain(message);
  });
});

describe('release:chain', () => {
  function chain(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = releaseChainCommand(argv, environments, { env: {}, cwd: root, log: (l) => out.push(l), error: (l) => err.push(l) });
    return { code, out, err };
  }
  it('prints the environments that have the service, in order', () => {
    expect(chain(['api'])).toEqual({ code: 0, out: ['dev', 'staging', 'prod'], err: [] });
    expect(chain(['worker'])).toEqual({ code: 0, out: ['staging', 'prod'], err: [] });
  });
  it('an unknown service or a wrong call is exit 2 with one line', () => {
    expect(chain(['web'])).toEqual({ code: 2, out: [], err: ['release:chain: unknown service "web" (services: api, worker)'] });
    expect(chain([]).code).toBe(2);
  });
});

describe('releaseCommand: production gate, exit codes, --json-out', () => {
  let ecs: ReturnType<typeof mockClient>;
  let ssm: ReturnType<typeof mockClient>;
  const ACCOUNT = '123456789012';
  beforeAll(() => {
    ecs = mockClient(ECSClient);
    ssm = mockClient(SSMClient);
  });
  afterAll(() => {
    ecs.restore();
    ssm.restore();
  });
  beforeEach(() => {
    ecs.reset();
    ssm.reset();
  });

  function io(env: Record<string, string> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { env, cwd: mkdtempSync(join(tmpdir(), 'release-')), log: (l: string) => out.push(l), error: (l: string) => err.push(l) } };
  }
  const deps = (extra: Partial<ReleaseCommandDeps> = {}): ReleaseCommandDeps => ({
    clients: (region) => createClients(region),
    timing: { now: (() => { let t = 0; return () => (t += 1000); })(), sleep: async () => undefined },
    signals: new EventEmitter(),
    confirm: async () => undefined,
    ...extra,
  });

  it('prod outside CI without a terminal is refused unless --yes (exit 2, no AWS call)', async () => {
    const t = io();
    expect(await releaseCommand(['prod', 'api', 'v1.2.3'], t.io, deps())).toBe(2);
    expect(t.err).toEqual([
      'release: prod is a production environment: outside CI (CI=true) a release needs the environment\'s name typed on a terminal; pass --yes to release without asking',
    ]);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('prod on a terminal: the typed name must match', async () => {
    const asked: string[] = [];
    const t = io();
    expect(await releaseCommand(['prod', 'api', 'v1.2.3'], t.io, deps({ confirm: async (q) => (asked.push(q), 'staging') }))).toBe(2);
    expect(asked[0]).toContain('prod is a PRODUCTION environment. Type its name (prod)');
    expect(t.err[0]).toBe('release: prod is a production environment and "staging" is not its name: nothing released');
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: '', $metadata: {} }));
    expect(await releaseCommand(['prod', 'api', 'v1.2.3'], io().io, deps({ confirm: async () => 'prod' }))).toBe(1);
    expect(ssm.calls()).toHaveLength(1);
  });

  it('ctrl-C (or end of input) at the question is a refusal: exit 2, one line, no AWS call', async () => {
    // The prompt itself: readline reports ctrl-C as 'SIGINT' (raw mode) and question() rejects; that is a cancel, not a crash.
    const output = new PassThrough().resume();
    const input = new PassThrough();
    const asked = askOnTerminal(input, output, 'Type prod: ');
    input.write('\x03');
    expect(await asked).toBeNull();
    const closed = new PassThrough();
    const atEof = askOnTerminal(closed, output, 'Type prod: ');
    closed.end();
    expect(await atEof).toBeNull();
    const typed = new PassThrough();
    const answer = askOnTerminal(typed, output, 'Type prod: ');
    typed.write('prod\r');
    expect(await answer).toBe('prod');

    const t = io();
    expect(await releaseCommand(['prod', 'api', 'v1.2.3'], t.io, deps({ confirm: async () => null }))).toBe(2);
    expect(t.err).toEqual(['release: prod is a production environment and the confirmation was cancelled: nothing released']);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('--yes, or CI=true, skips the question; dev never asks', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: '', $metadata: {} }));
    const never = async () => {
      throw new Error('asked');
    };
    expect(await releaseCommand(['prod', 'api', 'v1.2.3', '--yes'], io().io, deps({ confirm: never }))).toBe(1);
    expect(await releaseCommand(['prod', 'api', 'v1.2.3'], io({ CI: 'true' }).io, deps({ confirm: never }))).toBe(1);
    expect(await releaseCommand(['dev', 'api', 'v1.2.3'], io().io, deps({ confirm: never }))).toBe(1);
  });

  it('SIGTERM during a wait: exit 4 and a --json-out saying the wait ended', async () => {
    const signals = new EventEmitter();
    const record = { current: null, previous: null, pending: { tag: 'v1', digest: `sha256:${'a'.repeat(64)}`, image: 'x', taskDefinitionArn: 'arn:td:8', releasedAt: 'now', serviceDeploymentArn: 'arn:sd' } };
    ssm.on(GetParameterCommand).resolves({ Parameter: { ARN: `arn:aws:ssm:ap-northeast-1:${ACCOUNT}:parameter/x`, Value: JSON.stringify(record), Version: 1 } });
    ecs.on(DescribeServiceDeploymentsCommand).callsFake(() => {
      signals.emit('SIGTERM');
      return { serviceDeployments: [{ status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME' }] };
    });
    const t = io();
    const code = await releaseCommand(['prod', 'api', '--status', '--wait-bake', '--json-out', 'result.json'], t.io, deps({ signals }));
    expect(t.err).toContain('release: SIGTERM received: stopping the wait (ECS carries on)');
    // --wait-bake asked for the outcome and got none: exit 4, not "baking" (exit 0).
    expect(code).toBe(4);
    expect(t.err.some((l) => l.endsWith('roll it back: aws ecs stop-service-deployment --service-deployment-arn arn:sd --stop-type ROLLBACK'))).toBe(true);
    const json = JSON.parse(readFileSync(join(t.io.cwd, 'result.json'), 'utf8'));
    expect(json).toEqual({ env: 'prod', service: 'api', tag: 'v1', digest: `sha256:${'a'.repeat(64)}`, image: 'x', taskDefinitionArn: 'arn:td:8', outcome: 'wait-ended' });
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('--status --wait-bake cut short by AccessDenied or by its deadline: exit 4 (wait-ended); without --wait-bake still baking is exit 0', async () => {
    const record = { current: null, previous: null, pending: { tag: 'v1', digest: `sha256:${'a'.repeat(64)}`, image: 'x', taskDefinitionArn: 'arn:td:8', releasedAt: 'now', serviceDeploymentArn: 'arn:sd' } };
    ssm.on(GetParameterCommand).resolves({ Parameter: { ARN: `arn:aws:ssm:ap-northeast-1:${ACCOUNT}:parameter/x`, Value: JSON.stringify(record), Version: 1 } });
    const baking = { serviceDeployments: [{ status: 'IN_PROGRESS' as const, lifecycleStage: 'BAKE_TIME' as const }] };
    ecs.on(DescribeServiceDeploymentsCommand)
      .resolvesOnce(baking)
      .rejectsOnce(Object.assign(new Error('not authorized to perform: ecs:DescribeServiceDeployments'), { name: 'AccessDeniedException', $metadata: {} }))
      .resolves(baking);
    const denied = io();
    expect(await releaseCommand(['prod', 'api', '--status', '--wait-bake', '--json-out', 'r.json'], denied.io, deps())).toBe(4);
    expect(JSON.parse(readFileSync(join(denied.io.cwd, 'r.json'), 'utf8')).outcome).toBe('wait-ended');
    expect(denied.err.some((l) => l.includes('WAIT ENDED without an outcome: v1 is still in progress') && l.includes('AccessDeniedException'))).toBe(true);

    const late = io();
    expect(await releaseCommand(['prod', 'api', '--status', '--wait-bake', '--timeout-minutes', '5'], late.io, deps())).toBe(4);
    const once = io();
    expect(await releaseCommand(['prod', 'api', '--status', '--json-out', 'r.json'], once.io, deps())).toBe(0);
    expect(JSON.parse(readFileSync(join(once.io.cwd, 'r.json'), 'utf8')).outcome).toBe('baking');
  });

  it('a rolled-back pending release: --status exits 1 and says rolled-back', async () => {
    const record = { current: null, previous: null, pending: { tag: 'v1', digest: `sha256:${'a'.repeat(64)}`, image: 'x', taskDefinitionArn: 'arn:td:8', releasedAt: 'now', serviceDeploymentArn: 'arn:sd' } };
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(record), Version: 1 } });
    ssm.on(PutParameterCommand).resolves({ Version: 2 });
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [{ status: 'ROLLBACK_SUCCESSFUL' }] });
    const t = io();
    expect(await releaseCommand(['dev', 'api', '--status', '--json-out', 'r.json'], t.io, deps())).toBe(1);
    expect(JSON.parse(readFileSync(join(t.io.cwd, 'r.json'), 'utf8')).outcome).toBe('rolled-back');
  });
});

describe('a hung endpoint does not hang the tool', () => {
  let afterTest = () => undefined as unknown;
  afterEach(() => afterTest());
  it('every client gives up on a request that gets no answer (request timeout)', async () => {
    const sockets: Socket[] = [];
    const server = createServer(() => undefined); // never answers
    server.on('connection', (s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      // The real clients carry the timeouts, and make the request timeout an error (not a logged warning).
      const real = createClients('ap-northeast-1');
      for (const client of [real.ssm, real.ecs, real.ecr, real.logs, real.scheduler, real.ecrIn('us-east-1')]) {
        expect(await client.config.maxAttempts()).toBe(3);
        await expect((client.config.requestHandler as unknown as { configProvider: Promise<object> }).configProvider).resolves.toMatchObject({
          connectionTimeout: 3_000,
          requestTimeout: 15_000,
          throwOnRequestTimeout: true,
        });
      }
      // Behaviour: connecting to a listening local server cannot take a minute, so the only timer that can
      // fire is the request timeout, however busy the machine is (and however late it fires).
      const clients = createClients('ap-northeast-1', { connectionTimeout: 60_000, requestTimeout: 200 });
      const error = await clients.ssm.send(new GetParameterCommand({ Name: '/x' })).catch((e: unknown) => e);
      expect((error as Error).name).toBe('TimeoutError');
      expect((error as Error).message).toContain('requestTimeout');
      expect(isTransient(error)).toBe(true);
    } finally {
      process.env = saved;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('an abort signal cuts off a call in flight', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    afterTest = () => (process.env = saved);
    const clients = createClients('ap-northeast-1');
    const controller = new AbortController();
    controller.abort('SIGINT');
    const error = await clients.ecs.send(new ListClustersCommand({}), { abortSignal: controller.signal }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  });
});

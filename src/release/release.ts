// One release of one service: resolve the image, run migrations, register the new revision, roll it
// out, wait for the truth, record it. Every step prints as it happens; the last line is the verdict.
// Clients, clock and output are injected so tests drive every path without AWS and without waiting.
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeImagesCommand, DescribeRepositoriesCommand, type ImageIdentifier } from '@aws-sdk/client-ecr';
import {
  DeregisterTaskDefinitionCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { BLUE_GREEN_TEST_HEADER_VALUE } from '../naming';
import type { ReleaseClients } from './clients';
import { describeAwsError, ReleaseFailed, RolledBack } from './errors';
import type { ReleaseRequest } from './input';
import { advance, formatRecord, parseRecord, type ReleaseEntry, type ReleaseRecord } from './record';
import { revisionWithImage, shortTaskDefinition } from './task-definition';

/** Time, injected: tests advance a fake clock instead of waiting. */
export interface Timing {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTiming: Timing = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Where progress goes: `info` for steps and details, `error` for what went wrong. */
export interface ReleaseLog {
  info(line: string): void;
  error(line: string): void;
}

export interface ReleaseDeps {
  readonly clients: ReleaseClients;
  readonly timing?: Timing;
  readonly log: ReleaseLog;
  /** Seconds between status polls. @default 15 */
  readonly pollSeconds?: number;
}

/** Rolling rollouts: how long to wait by default. */
export const DEFAULT_ROLLING_TIMEOUT_MINUTES = 60;
/** Blue/green: the bake time plus this margin (scale-up, test traffic, lifecycle hooks, clean-up). */
export const BLUE_GREEN_MARGIN_MINUTES = 60;
/** Lines of the migration's log shown when it fails. */
const LOG_TAIL_LINES = 30;
/** Statuses after which a blue/green deployment will never become SUCCESSFUL. */
const BLUE_GREEN_FAILED = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED', 'STOP_REQUESTED', 'STOPPED']);

export class Release {
  private readonly timing: Timing;
  private readonly pollMs: number;

  constructor(private readonly deps: ReleaseDeps) {
    this.timing = deps.timing ?? realTiming;
    this.pollMs = (deps.pollSeconds ?? 15) * 1000;
  }

  /** Runs the release; resolves with the new record entry, or throws after printing the verdict. */
  async run(request: ReleaseRequest): Promise<ReleaseEntry> {
    const label = `${request.env.name}/${request.service.name}`;
    const what = request.target.kind === 'rollback' ? 'rollback' : request.target.tag;
    this.info(`release ${label} ${what}`);
    let moved = false;
    try {
      const entry = await this.release(request, () => (moved = true));
      this.info(`release ${label}: ${entry.tag} (${entry.digest}) serves traffic as ${shortTaskDefinition(entry.taskDefinitionArn)}; done`);
      return entry;
    } catch (error) {
      const failed = toReleaseFailed(error, moved);
      const message = failed?.message ?? `unexpected error: ${(error as Error).message}`;
      const state = (failed?.moved ?? moved) ? '' : `; nothing has moved: ${request.names.service} still runs its previous revision`;
      this.deps.log.error(`release ${label} ${what}: FAILED: ${message}${state}`);
      throw failed ?? error; // an unexpected error is a bug: it keeps its stack
    }
  }

  private async release(request: ReleaseRequest, markMoved: () => void): Promise<ReleaseEntry> {
    const { names, service: svc } = request;
    const { ecs } = this.deps.clients;

    this.step(`Reading the release record ${names.releaseParameter}`);
    const { record, version, account } = await this.readRecord(names.releaseParameter);
    // The same guard Terraform's provider applies: credentials of another account stop here.
    const allowed = request.env.allowedAccountIds;
    if (account && allowed?.length && !allowed.includes(account)) {
      throw new ReleaseFailed(`the AWS credentials are for account ${account}; ${request.env.name}.allowedAccountIds: ${allowed.join(', ')}`, false);
    }
    this.detail(`current: ${describeEntry(record.current)}; previous: ${describeEntry(record.previous)}`);

    let tag: string;
    let imageId: ImageIdentifier;
    if (request.target.kind === 'rollback') {
      const previous = record.previous;
      if (!previous) {
        throw new ReleaseFailed(`no previous release recorded in ${names.releaseParameter}: nothing to roll back to (release a tag instead)`, false);
      }
      tag = previous.tag;
      imageId = { imageDigest: previous.digest };
      this.step(`Rolling back to ${previous.tag} (${previous.digest}), released ${previous.releasedAt}`);
    } else {
      tag = request.target.tag;
      imageId = { imageTag: tag };
    }

    this.step(`Resolving ${tag} in ECR repository ${names.repository}`);
    const { digest, image } = await this.resolveImage(names.repository, tag, imageId);
    this.detail(`${tag} -> ${digest}`);
    this.detail(`image ${image}`);

    this.step(`Reading service ${names.service} in cluster ${names.cluster}`);
    const service = await this.describeService(request);
    // BLUE_GREEN (and CANARY/LINEAR, which share its lifecycle) are followed through the service deployment.
    const strategy = service.deploymentConfiguration?.strategy ?? 'ROLLING';
    const blueGreen = strategy !== 'ROLLING';
    const kind = strategy === 'BLUE_GREEN' ? 'blue/green' : strategy.toLowerCase();
    const bakeMinutes = service.deploymentConfiguration?.bakeTimeInMinutes ?? 0;
    this.detail(
      `runs ${shortTaskDefinition(service.taskDefinition)}, ${service.runningCount ?? 0}/${service.desiredCount ?? 0} tasks; ` +
        (blueGreen ? `${kind} (bake time ${bakeMinutes} min)` : 'rolling'),
    );

    const migrate = svc.release.migrate;
    if (!migrate) {
      this.step(`Migrations: none configured (services[].release.migrate)`);
    } else if (request.target.kind === 'rollback') {
      this.step(`Skipping migrations: a rollback runs no migrations (they must be backward compatible with the previous image)`);
    } else {
      await this.migrate(request, service, migrate, image);
    }

    this.step(`Registering a new revision of ${names.taskFamily} with the image`);
    const taskDefinitionArn = await this.registerFrom(names.taskFamily, names.container, image);
    this.detail(`registered ${shortTaskDefinition(taskDefinitionArn)}`);

    const timeoutMinutes = request.timeoutMinutes ?? (blueGreen ? bakeMinutes + BLUE_GREEN_MARGIN_MINUTES : DEFAULT_ROLLING_TIMEOUT_MINUTES);
    this.step(`Updating service ${names.service} to ${shortTaskDefinition(taskDefinitionArn)} (waiting up to ${timeoutMinutes} min)`);
    const startedAt = this.timing.now();
    let updated: Service | undefined;
    try {
      updated = (await ecs.send(new UpdateServiceCommand({ cluster: names.cluster, service: names.service, taskDefinition: taskDefinitionArn }))).service;
    } catch (error) {
      await this.deregisterUnused(taskDefinitionArn);
      throw error;
    }
    markMoved();
    const deadline = startedAt + timeoutMinutes * 60_000;
    try {
      if (blueGreen) await this.waitBlueGreen(request, kind, taskDefinitionArn, startedAt, deadline, timeoutMinutes);
      else await this.waitRolling(request, updated, taskDefinitionArn, deadline, timeoutMinutes);
    } catch (error) {
      // Only a finished rollback is certain; after a timeout ECS may still complete the rollout.
      if (error instanceof RolledBack) await this.deregisterUnused(taskDefinitionArn);
      throw error;
    }

    const entry: ReleaseEntry = { tag, digest, image, taskDefinitionArn, releasedAt: new Date(this.timing.now()).toISOString() };
    this.step(`Recording the release in ${names.releaseParameter}`);
    try {
      await this.writeRecord(names.releaseParameter, advance(record, entry), version);
    } catch (error) {
      const why = describeAwsError(error) ?? (error as Error).message;
      throw new ReleaseFailed(
        `${tag} serves traffic, but the release record could not be written (${why}): release ${tag} again to record it, or --rollback will not know this release`,
        true,
      );
    }
    return entry;
  }

  // ---- record ----

  private async readRecord(parameter: string): Promise<{ record: ReleaseRecord; version?: number; account?: string }> {
    try {
      const result = await this.deps.clients.ssm.send(new GetParameterCommand({ Name: parameter }));
      const account = result.Parameter?.ARN?.split(':')[4] || undefined;
      return { record: parseRecord(result.Parameter?.Value ?? '', parameter), version: result.Parameter?.Version, account };
    } catch (error) {
      if ((error as Error).name === 'ParameterNotFound') {
        throw new ReleaseFailed(`release record ${parameter} does not exist: apply the environment's app stack first`, false);
      }
      throw error;
    }
  }

  private async writeRecord(parameter: string, record: ReleaseRecord, readVersion: number | undefined): Promise<void> {
    const { ssm } = this.deps.clients;
    // Pipelines run one release per environment at a time; if someone released by hand meanwhile, say so.
    const now = await ssm.send(new GetParameterCommand({ Name: parameter }));
    if (readVersion !== undefined && now.Parameter?.Version !== readVersion) {
      this.deps.log.error(`warning: ${parameter} changed during this release (version ${readVersion} -> ${now.Parameter?.Version}); overwriting with this release`);
    }
    await ssm.send(new PutParameterCommand({ Name: parameter, Value: formatRecord(record), Type: 'String', Overwrite: true }));
    this.detail(`current: ${describeEntry(record.current)}; previous: ${describeEntry(record.previous)}`);
  }

  // ---- image ----

  private async resolveImage(repository: string, tag: string, imageId: ImageIdentifier): Promise<{ digest: string; image: string }> {
    const { ecr } = this.deps.clients;
    let uri: string | undefined;
    try {
      const repos = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repository] }));
      uri = repos.repositories?.[0]?.repositoryUri;
    } catch (error) {
      if ((error as Error).name === 'RepositoryNotFoundException') throw new ReleaseFailed(`ECR repository ${repository} does not exist`, false);
      throw error;
    }
    if (!uri) throw new ReleaseFailed(`ECR repository ${repository} does not exist`, false);
    let digest: string | undefined;
    try {
      const images = await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [imageId] }));
      digest = images.imageDetails?.[0]?.imageDigest;
    } catch (error) {
      if ((error as Error).name !== 'ImageNotFoundException') throw error;
    }
    if (!digest) {
      const what = imageId.imageDigest ? `image ${imageId.imageDigest} (tag ${tag})` : `tag ${tag}`;
      throw new ReleaseFailed(`${what} not found in ECR repository ${repository} (${uri}): push it first`, false);
    }
    return { digest, image: `${uri}@${digest}` };
  }

  // ---- service ----

  private async describeService(request: ReleaseRequest): Promise<Service> {
    const { names } = request;
    const result = await this.deps.clients.ecs.send(new DescribeServicesCommand({ cluster: names.cluster, services: [names.service] }));
    const service = result.services?.find((s) => s.serviceName === names.service);
    if (!service || service.status !== 'ACTIVE') {
      throw new ReleaseFailed(`ECS service ${names.service} not found (or not active) in cluster ${names.cluster}: apply ${request.env.name}-app first`, false);
    }
    const controller = service.deploymentController?.type ?? 'ECS';
    if (controller !== 'ECS') {
      throw new ReleaseFailed(`service ${names.service} uses the ${controller} deployment controller; releases drive ECS deployments only (apply ${request.env.name}-app first)`, false);
    }
    const busy = service.deployments?.find((d) => d.rolloutState === 'IN_PROGRESS');
    if (busy) {
      throw new ReleaseFailed(`service ${names.service} has a deployment in progress (${busy.id}, ${shortTaskDefinition(busy.taskDefinition)}): wait for it to finish`, false);
    }
    return service;
  }

  /** Registers a copy of the family's latest ACTIVE revision with `container` running `image`; returns its ARN. */
  private async registerFrom(family: string, container: string, image: string): Promise<string> {
    const { ecs } = this.deps.clients;
    let latest;
    try {
      latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }));
    } catch (error) {
      if ((error as Error).name === 'ClientException') {
        throw new ReleaseFailed(`task definition family ${family} has no ACTIVE revision (${(error as Error).message}): apply the app stack first`, false);
      }
      throw error;
    }
    if (!latest.taskDefinition) throw new ReleaseFailed(`task definition family ${family} has no ACTIVE revision`, false);
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(revisionWithImage(latest.taskDefinition, latest.tags, container, image)));
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new ReleaseFailed(`registering ${family} returned no task definition`, false);
    return arn;
  }

  // ---- migrations ----

  private async migrate(request: ReleaseRequest, service: Service, command: string[], image: string): Promise<void> {
    const { names } = request;
    this.step(`Registering a new revision of ${names.migrateFamily} with the image`);
    const taskDefinition = await this.registerFrom(names.migrateFamily, names.migrateContainer, image);
    this.detail(`registered ${shortTaskDefinition(taskDefinition)}`);
    try {
      await this.runMigration(request, service, command, taskDefinition);
    } catch (error) {
      if (error instanceof ReleaseFailed && !error.moved) await this.deregisterUnused(taskDefinition);
      throw error;
    }
  }

  /**
   * Deregisters a revision this release registered and nothing runs: the family's latest ACTIVE
   * revision stays the last good one (schedules run "latest", and the next release copies it).
   * A failure here is reported, never allowed to hide why the release failed.
   */
  private async deregisterUnused(taskDefinitionArn: string): Promise<void> {
    try {
      await this.deps.clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
      this.detail(`deregistered ${shortTaskDefinition(taskDefinitionArn)} (unused)`);
    } catch (error) {
      this.detail(`could not deregister ${shortTaskDefinition(taskDefinitionArn)}: ${describeAwsError(error) ?? (error as Error).message}`);
    }
  }

  private async runMigration(request: ReleaseRequest, service: Service, command: string[], taskDefinition: string): Promise<void> {
    const { names } = request;
    const { ecs } = this.deps.clients;

    this.step(`Running migration: ${command.join(' ')}`);
    const placement = service.capacityProviderStrategy?.length
      ? { capacityProviderStrategy: service.capacityProviderStrategy }
      : { launchType: service.launchType };
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: names.cluster,
        taskDefinition,
        count: 1,
        startedBy: 'release-migrate',
        ...placement,
        ...(service.platformVersion ? { platformVersion: service.platformVersion } : {}),
        ...(service.networkConfiguration ? { networkConfiguration: service.networkConfiguration } : {}),
        // The config is the source of truth for the command, even before the app stack is re-applied.
        overrides: { containerOverrides: [{ name: names.migrateContainer, command }] },
        propagateTags: 'TASK_DEFINITION',
      }),
    );
    const task = run.tasks?.[0];
    if (run.failures?.length || !task?.taskArn) {
      const reasons = (run.failures ?? []).map((f) => [f.reason, f.detail, f.arn].filter(Boolean).join(': ')).join('; ') || 'no task returned';
      throw new ReleaseFailed(`migration task could not start: ${reasons}`, false);
    }
    const taskArn = task.taskArn;
    const taskId = taskArn.split('/').pop()!;
    const stream = `${names.migrateLogStreamPrefix}/${names.migrateContainer}/${taskId}`;
    this.detail(`task ${taskId} started; logs: ${names.migrateLogGroup} ${stream}`);

    const deadline = this.timing.now() + request.migrateTimeoutMinutes * 60_000;
    let lastStatus = task.lastStatus;
    for (;;) {
      const described = await ecs.send(new DescribeTasksCommand({ cluster: names.cluster, tasks: [taskArn] }));
      const current = described.tasks?.[0];
      if (current?.lastStatus && current.lastStatus !== lastStatus) {
        lastStatus = current.lastStatus;
        this.detail(`task ${taskId}: ${lastStatus}`);
      }
      if (current?.lastStatus === 'STOPPED') {
        const container = current.containers?.find((c) => c.name === names.migrateContainer);
        if (container?.exitCode === 0) {
          this.detail('migration finished: exit code 0');
          return;
        }
        await this.printLogTail(names.migrateLogGroup, stream);
        const reasons = [current.stoppedReason, container?.reason].filter(Boolean).join('; ');
        throw new ReleaseFailed(
          `migration failed: exit code ${container?.exitCode ?? 'none'}${reasons ? ` (${reasons})` : ''}; log stream ${names.migrateLogGroup} ${stream}`,
          false,
        );
      }
      if (this.timing.now() >= deadline) {
        throw new ReleaseFailed(
          `migration task ${taskId} still ${lastStatus ?? 'running'} after ${request.migrateTimeoutMinutes} min (it keeps running; ` +
            `stop it with: aws ecs stop-task --cluster ${names.cluster} --task ${taskId}); log stream ${names.migrateLogGroup} ${stream}`,
          false,
        );
      }
      await this.timing.sleep(this.pollMs);
    }
  }

  private async printLogTail(group: string, stream: string): Promise<void> {
    try {
      const events = await this.deps.clients.logs.send(
        new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: LOG_TAIL_LINES, startFromHead: false }),
      );
      const lines = (events.events ?? []).map((e) => e.message?.trimEnd() ?? '');
      if (lines.length === 0) {
        this.detail(`(no log events in ${group} ${stream})`);
        return;
      }
      this.detail(`last ${lines.length} log lines of ${stream}:`);
      for (const line of lines) this.detail(`| ${line}`);
    } catch (error) {
      this.detail(`(could not read ${group} ${stream}: ${(error as Error).name})`);
    }
  }

  // ---- rollout ----

  private async waitRolling(request: ReleaseRequest, updated: Service | undefined, taskDefinitionArn: string, deadline: number, timeoutMinutes: number): Promise<void> {
    const { names } = request;
    const { ecs } = this.deps.clients;
    let id = updated?.deployments?.find((d) => d.taskDefinition === taskDefinitionArn)?.id;
    if (id) this.detail(`deployment ${id}`);
    let progress = '';
    let eventsSince = this.timing.now();
    for (;;) {
      const result = await ecs.send(new DescribeServicesCommand({ cluster: names.cluster, services: [names.service] }));
      const service = result.services?.[0];
      const deployments = service?.deployments ?? [];
      eventsSince = this.printEvents(service, eventsSince);
      if (!id) {
        id = deployments.find((d) => d.taskDefinition === taskDefinitionArn)?.id;
        if (id) this.detail(`deployment ${id}`);
      }
      const ours = deployments.find((d) => d.id === id);
      if (id && !ours) {
        const primary = deployments.find((d) => d.status === 'PRIMARY');
        throw new ReleaseFailed(`deployment ${id} was replaced by another deployment (now primary: ${shortTaskDefinition(primary?.taskDefinition)})`, true);
      }
      if (ours) {
        const line = `rollout ${ours.rolloutState ?? ours.status}: ${ours.runningCount ?? 0}/${ours.desiredCount ?? 0} running, ${ours.pendingCount ?? 0} pending, ${ours.failedTasks ?? 0} failed`;
        if (line !== progress) this.detail((progress = line));
        if (ours.rolloutState === 'COMPLETED') return;
        if (ours.rolloutState === 'FAILED') {
          throw new RolledBack(
            `rollout failed and the deployment circuit breaker rolled back to the previous revision: ${ours.rolloutStateReason ?? 'no reason given'}`,
          );
        }
        // Without a circuit breaker there is no rolloutState: done when ours is the only deployment, at full strength.
        if (!ours.rolloutState && deployments.length === 1 && ours.runningCount === ours.desiredCount) return;
      }
      if (this.timing.now() >= deadline) {
        throw new ReleaseFailed(
          `rollout not finished after ${timeoutMinutes} min (${progress || 'deployment not seen'}); ECS keeps deploying: ` +
            `check aws ecs describe-services --cluster ${names.cluster} --services ${names.service}`,
          true,
        );
      }
      await this.timing.sleep(this.pollMs);
    }
  }

  private async waitBlueGreen(request: ReleaseRequest, kind: string, taskDefinitionArn: string, startedAt: number, deadline: number, timeoutMinutes: number): Promise<void> {
    const { ecs } = this.deps.clients;
    const arn = await this.findServiceDeployment(request, taskDefinitionArn, startedAt, deadline, timeoutMinutes);
    this.detail(`service deployment ${arn}`);
    this.detail(`roll back at any time: aws ecs stop-service-deployment --service-deployment-arn ${arn} --stop-type ROLLBACK`);
    let seen = '';
    let testShown = false;
    for (;;) {
      const result = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
      const deployment = result.serviceDeployments?.[0];
      const status = deployment?.status ?? 'UNKNOWN';
      const stage = deployment?.lifecycleStage;
      const line = `${status}${stage ? `, stage ${stage}` : ''}`;
      if (line !== seen) {
        this.detail((seen = line));
        if (!testShown && (stage === 'TEST_TRAFFIC_SHIFT' || stage === 'POST_TEST_TRAFFIC_SHIFT')) {
          testShown = true;
          this.detail(this.howToTestGreen(request));
        }
        if (stage === 'BAKE_TIME') {
          const bake = deployment?.deploymentConfiguration?.bakeTimeInMinutes;
          this.detail(`production traffic is on green; blue is kept${bake !== undefined ? ` ${bake} min` : ''} for an instant rollback`);
        }
      }
      if (status === 'SUCCESSFUL') return;
      if (BLUE_GREEN_FAILED.has(status)) {
        const rolledBack = status.startsWith('ROLLBACK') ? ' (traffic stays on or returns to blue)' : '';
        const message = `${kind} deployment ${status}${rolledBack}: ${deployment?.statusReason ?? 'no reason given'}`;
        // Only a finished rollback leaves the new revision unused for certain.
        throw status === 'ROLLBACK_SUCCESSFUL' ? new RolledBack(message) : new ReleaseFailed(message, true);
      }
      if (this.timing.now() >= deadline) {
        throw new ReleaseFailed(
          `${kind} deployment not finished after ${timeoutMinutes} min (${seen}); ECS keeps going: ` +
            `aws ecs describe-service-deployments --service-deployment-arns ${arn}`,
          true,
        );
      }
      await this.timing.sleep(this.pollMs);
    }
  }

  /** The service deployment UpdateService started: the newest one whose target revision runs our task definition. */
  private async findServiceDeployment(request: ReleaseRequest, taskDefinitionArn: string, startedAt: number, deadline: number, timeoutMinutes: number): Promise<string> {
    const { names } = request;
    const { ecs } = this.deps.clients;
    for (;;) {
      // A margin for clock skew between this machine and ECS.
      const listed = await ecs.send(
        new ListServiceDeploymentsCommand({ cluster: names.cluster, service: names.service, createdAt: { after: new Date(startedAt - 10 * 60_000) } }),
      );
      const candidates = (listed.serviceDeployments ?? [])
        .filter((d) => d.serviceDeploymentArn && d.targetServiceRevisionArn)
        .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
        .slice(0, 20);
      if (candidates.length > 0) {
        const revisions = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: candidates.map((d) => d.targetServiceRevisionArn!) }));
        const ours = new Set((revisions.serviceRevisions ?? []).filter((r) => r.taskDefinition === taskDefinitionArn).map((r) => r.serviceRevisionArn));
        const match = candidates.find((d) => ours.has(d.targetServiceRevisionArn));
        if (match) return match.serviceDeploymentArn!;
      }
      if (this.timing.now() >= deadline) {
        throw new ReleaseFailed(`no service deployment for ${shortTaskDefinition(taskDefinitionArn)} appeared within ${timeoutMinutes} min`, true);
      }
      await this.timing.sleep(this.pollMs);
    }
  }

  private howToTestGreen(request: ReleaseRequest): string {
    const blueGreen = request.service.deployment.blueGreen;
    const host = request.service.loadBalancer.hosts?.[0] ?? request.env.edge.domain?.name ?? '<load balancer dns name>';
    const path = request.service.loadBalancer.healthCheck.path;
    const from = blueGreen.testListenerCidrs.length > 0 ? ` from ${blueGreen.testListenerCidrs.join(', ')}` : '';
    return `green takes test traffic: curl -H '${blueGreen.testHeaderName}: ${BLUE_GREEN_TEST_HEADER_VALUE}' https://${host}${path}${from}`;
  }

  /** Prints service events newer than `since` (oldest first); returns the newest time printed. */
  private printEvents(service: Service | undefined, since: number): number {
    const fresh = (service?.events ?? []).filter((e) => (e.createdAt?.getTime() ?? 0) > since).reverse();
    for (const event of fresh) this.detail(`event: ${event.message}`);
    return fresh.reduce((latest, e) => Math.max(latest, e.createdAt?.getTime() ?? 0), since);
  }

  private step(text: string): void {
    this.info(`==> ${text}`);
  }

  private detail(text: string): void {
    this.info(`    ${text}`);
  }

  private info(text: string): void {
    this.deps.log.info(text);
  }
}

function describeEntry(entry: ReleaseEntry | null): string {
  return entry ? `${entry.tag} (${entry.digest.slice(0, 19)}…, ${entry.releasedAt})` : 'none';
}

/** A ReleaseFailed for what stopped the release: ours, or an AWS error in one line; undefined for a bug. */
function toReleaseFailed(error: unknown, moved: boolean): ReleaseFailed | undefined {
  if (error instanceof ReleaseFailed) return error;
  const message = describeAwsError(error);
  return message === undefined ? undefined : new ReleaseFailed(message, moved);
}

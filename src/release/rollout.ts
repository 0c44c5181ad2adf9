// Following a rollout to its outcome: a rolling deployment through DescribeServices, a blue/green one
// through its service deployment's status and lifecycle stage. What the waits saw is kept in a
// RolloutWatch, so that when a wait ends without an outcome the tool can say where the rollout stands
// and the exact commands to follow it or roll it back.
import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  ListServiceDeploymentsCommand,
  type Service,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { BLUE_GREEN_TEST_HEADER_VALUE, type ServiceNames } from '../naming';
import { ReleaseFailed, RolledBack } from './errors';
import type { ReleaseRequest } from './input';
import { WaitStopped, type Session } from './session';
import { shortTaskDefinition } from './task-definition';

/** Statuses after which a blue/green deployment will never become SUCCESSFUL. */
export const BLUE_GREEN_FAILED = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED', 'STOP_REQUESTED', 'STOPPED']);
/** Statuses after which ECS does nothing more with a deployment. */
export const BLUE_GREEN_ENDED = new Set(['SUCCESSFUL', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED', 'STOPPED']);
/**
 * Lifecycle stages at which production traffic is on green: the shift is complete (its hooks run), the
 * bake, then blue's clean-up (ServiceDeploymentLifecycleStage in @aws-sdk/client-ecs).
 */
export const TRAFFIC_SHIFTED_STAGES = new Set(['POST_PRODUCTION_TRAFFIC_SHIFT', 'BAKE_TIME', 'CLEAN_UP']);
/** How long a failed release waits for ECS to finish rolling back before it reports and exits. */
export const ROLLBACK_WAIT_MINUTES = 15;
/** How long a release waits for a deployment it did not start (e.g. the initial one after the first apply). */
export const BUSY_DEPLOYMENT_WAIT_MINUTES = 30;

/** What the waits saw last: where the rollout stands when a wait ends. */
export interface RolloutWatch {
  /** `rolling`, `blue/green`, `canary`, `linear`. */
  readonly kind: string;
  /** The revision the service ran before the release. */
  readonly previousTaskDefinitionArn?: string;
  /** The revision the release registered. */
  taskDefinitionArn?: string;
  /** Rolling: the deployment id (`ecs-svc/…`). */
  deploymentId?: string;
  /** Blue/green: the service deployment ARN. */
  serviceDeploymentArn?: string;
  /** The last progress line (`rollout IN_PROGRESS: 1/2 running…` or `IN_PROGRESS, stage BAKE_TIME`). */
  progress?: string;
  /** The revision the service's primary deployment runs, as last seen. */
  runningTaskDefinitionArn?: string;
}

/** The release's ECS service as DescribeServices reports it; undefined when ECS does not know it. */
export async function readService(session: Session, names: ServiceNames, signal: AbortSignal): Promise<Service | undefined> {
  const result = await session.clients.ecs.send(new DescribeServicesCommand({ cluster: names.cluster, services: [names.service] }), { abortSignal: signal });
  return result.services?.find((s) => s.serviceName === names.service);
}

/** `readService` as one call of a wait (retried until `deadline`, see Session.waitCall). */
export function pollService(session: Session, names: ServiceNames, deadline: number): Promise<Service | undefined> {
  return session.waitCall('reading the service', deadline, (signal) => readService(session, names, signal));
}

// ---- rolling ----

/** Waits for the rolling deployment of `taskDefinitionArn` to complete; RolledBack when the circuit breaker undid it. */
export async function waitRolling(session: Session, request: ReleaseRequest, updated: Service | undefined, watch: RolloutWatch, deadline: number): Promise<void> {
  const { names } = request;
  const started = session.timing.now();
  let id = updated?.deployments?.find((d) => d.taskDefinition === watch.taskDefinitionArn)?.id;
  if (id) session.detail(`deployment ${(watch.deploymentId = id)}`);
  let eventsSince = started;
  for (;;) {
    const service = await pollService(session, names, deadline);
    const deployments = service?.deployments ?? [];
    watch.runningTaskDefinitionArn = deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? service?.taskDefinition;
    eventsSince = printEvents(session, service, eventsSince);
    if (!id) {
      id = deployments.find((d) => d.taskDefinition === watch.taskDefinitionArn)?.id;
      if (id) session.detail(`deployment ${(watch.deploymentId = id)}`);
    }
    const ours = deployments.find((d) => d.id === id);
    if (id && !ours) {
      throw new ReleaseFailed(`deployment ${id} was replaced by another deployment (now primary: ${shortTaskDefinition(watch.runningTaskDefinitionArn)})`, true);
    }
    if (ours) {
      const line = `rollout ${ours.rolloutState ?? ours.status}: ${ours.runningCount ?? 0}/${ours.desiredCount ?? 0} running, ${ours.pendingCount ?? 0} pending, ${ours.failedTasks ?? 0} failed`;
      if (line !== watch.progress) session.detail((watch.progress = line));
      if (ours.rolloutState === 'COMPLETED') return;
      if (ours.rolloutState === 'FAILED') {
        throw new RolledBack(`rollout failed and the deployment circuit breaker rolled back to the previous revision: ${ours.rolloutStateReason ?? 'no reason given'}`);
      }
      // Without a circuit breaker there is no rolloutState: done when ours is the only deployment, at full strength.
      if (!ours.rolloutState && deployments.length === 1 && ours.runningCount === ours.desiredCount) return;
    }
    session.heartbeat(`still ${watch.progress ?? 'waiting for the deployment to appear'} (${session.minutesSince(started)} min)`);
    if (!(await session.pause(deadline))) throw new WaitStopped('the deadline passed', false);
  }
}

// ---- blue/green ----

/** How a blue/green wait ended well. */
export type BlueGreenProgress = 'successful' | 'baking';

/**
 * Follows a blue/green service deployment. `onShifted` runs once, when production traffic is on green
 * (stage POST_PRODUCTION_TRAFFIC_SHIFT or later); with `untilBaking` the wait returns right after it. A rollback or stop
 * throws RolledBack (the caller cleans up).
 */
export async function waitBlueGreen(
  session: Session,
  request: ReleaseRequest,
  watch: RolloutWatch,
  deadline: number,
  options: { untilBaking: boolean; onShifted: (deployment: ServiceDeployment) => Promise<void> },
): Promise<BlueGreenProgress> {
  const arn = watch.serviceDeploymentArn!;
  const started = session.timing.now();
  let testShown = false;
  let shifted = false;
  for (;;) {
    const deployment = await describeServiceDeployment(session, arn, deadline);
    const status = deployment?.status ?? 'UNKNOWN';
    const stage = deployment?.lifecycleStage;
    const line = `${status}${stage ? `, stage ${stage}` : ''}`;
    if (line !== watch.progress) {
      session.detail((watch.progress = line));
      if (!testShown && (stage === 'TEST_TRAFFIC_SHIFT' || stage === 'POST_TEST_TRAFFIC_SHIFT')) {
        testShown = true;
        session.detail(howToTestGreen(request));
      }
    }
    if (BLUE_GREEN_FAILED.has(status)) {
      const rolledBack = status.startsWith('ROLLBACK') ? ' (traffic stays on or returns to blue)' : '';
      throw new RolledBack(`${watch.kind} deployment ${status}${rolledBack}: ${deployment?.statusReason ?? 'no reason given'}`, status);
    }
    if (!shifted && (status === 'SUCCESSFUL' || (stage && TRAFFIC_SHIFTED_STAGES.has(stage)))) {
      shifted = true;
      watch.runningTaskDefinitionArn = watch.taskDefinitionArn;
      if (status !== 'SUCCESSFUL') {
        const bake = deployment?.deploymentConfiguration?.bakeTimeInMinutes;
        session.detail(`production traffic is on green; blue is kept${bake !== undefined ? ` ${bake} min` : ''} for an instant rollback`);
      }
      await options.onShifted(deployment!);
      if (status !== 'SUCCESSFUL' && options.untilBaking) return 'baking';
    }
    if (status === 'SUCCESSFUL') return 'successful';
    session.heartbeat(`still ${line} (${session.minutesSince(started)} min)`);
    if (!(await session.pause(deadline))) throw new WaitStopped('the deadline passed', false);
  }
}

export async function describeServiceDeployment(session: Session, arn: string, deadline: number): Promise<ServiceDeployment | undefined> {
  const result = await session.waitCall('reading the service deployment', deadline, (signal) =>
    session.clients.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }), { abortSignal: signal }),
  );
  return result?.serviceDeployments?.[0];
}

/**
 * After a rejected blue/green deployment: waits (at most ROLLBACK_WAIT_MINUTES) for ECS to finish the
 * rollback, printing progress; returns the last status seen. Never throws for a wait that ends.
 */
export async function waitRollbackEnd(session: Session, arn: string, status: string): Promise<string> {
  if (BLUE_GREEN_ENDED.has(status)) return status;
  const started = session.timing.now();
  const deadline = started + ROLLBACK_WAIT_MINUTES * 60_000;
  session.detail(`waiting up to ${ROLLBACK_WAIT_MINUTES} min for ECS to finish the rollback`);
  let last = status;
  try {
    for (;;) {
      if (!(await session.pause(deadline))) break;
      const deployment = await describeServiceDeployment(session, arn, deadline);
      const now = deployment?.status ?? 'UNKNOWN';
      if (now !== last) session.detail((last = now));
      if (BLUE_GREEN_ENDED.has(now)) return now;
      session.heartbeat(`still ${now} (${session.minutesSince(started)} min)`);
    }
  } catch (error) {
    if (!(error instanceof WaitStopped)) throw error;
  }
  session.detail(`the rollback is still ${last}; follow it: aws ecs describe-service-deployments --service-deployment-arns ${arn}`);
  return last;
}

/** The service deployment UpdateService started: the newest one whose target revision runs our task definition. */
export async function findServiceDeployment(session: Session, request: ReleaseRequest, watch: RolloutWatch, startedAt: number, deadline: number): Promise<string> {
  const { names } = request;
  const { ecs } = session.clients;
  for (;;) {
    // A margin for clock skew between this machine and ECS.
    const listed = await session.waitCall('listing service deployments', deadline, (signal) =>
      ecs.send(new ListServiceDeploymentsCommand({ cluster: names.cluster, service: names.service, createdAt: { after: new Date(startedAt - 10 * 60_000) } }), {
        abortSignal: signal,
      }),
    );
    const candidates = (listed.serviceDeployments ?? [])
      .filter((d) => d.serviceDeploymentArn && d.targetServiceRevisionArn)
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
      .slice(0, 20);
    if (candidates.length > 0) {
      const revisions = await session.waitCall('reading service revisions', deadline, (signal) =>
        ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: candidates.map((d) => d.targetServiceRevisionArn!) }), { abortSignal: signal }),
      );
      const ours = new Set((revisions.serviceRevisions ?? []).filter((r) => r.taskDefinition === watch.taskDefinitionArn).map((r) => r.serviceRevisionArn));
      const match = candidates.find((d) => ours.has(d.targetServiceRevisionArn));
      if (match) return match.serviceDeploymentArn!;
    }
    session.heartbeat(`waiting for the service deployment of ${shortTaskDefinition(watch.taskDefinitionArn)} to appear`);
    if (!(await session.pause(deadline))) throw new WaitStopped(`no service deployment for ${shortTaskDefinition(watch.taskDefinitionArn)} appeared`, false);
  }
}

// ---- a deployment the release did not start ----

/**
 * Waits (at most BUSY_DEPLOYMENT_WAIT_MINUTES, with progress) for a deployment already in progress —
 * on a fresh environment, the initial one Terraform's apply started — and returns the service once none
 * is. A deployment that failed is fine (a release is how a failing first image gets replaced). At the
 * bound it fails, nothing moved, saying what to do.
 */
export async function waitForBusyDeployment(session: Session, request: ReleaseRequest, service: Service, fresh: boolean): Promise<Service> {
  const { names } = request;
  const started = session.timing.now();
  const deadline = started + BUSY_DEPLOYMENT_WAIT_MINUTES * 60_000;
  let current = service;
  let seen = '';
  const busyOf = (s: Service) => s.deployments?.find((d) => d.rolloutState === 'IN_PROGRESS');
  const first = busyOf(service)!;
  session.step(
    `Waiting up to ${BUSY_DEPLOYMENT_WAIT_MINUTES} min for deployment ${first.id} (${shortTaskDefinition(first.taskDefinition)}) to finish` +
      (fresh ? ': the initial deployment of a fresh environment (started by the app stack apply)' : ': a deployment this release did not start'),
  );
  try {
    for (;;) {
      const busy = busyOf(current);
      if (!busy) {
        const ended = current.deployments?.find((d) => d.id === first.id);
        session.detail(`deployment ${first.id} ended${ended?.rolloutState ? ` ${ended.rolloutState}` : ''}; releasing`);
        return current;
      }
      const line = `deployment ${busy.id}: ${busy.rolloutState}, ${busy.runningCount ?? 0}/${busy.desiredCount ?? 0} running, ${busy.failedTasks ?? 0} failed`;
      if (line !== seen) session.detail((seen = line));
      session.heartbeat(`still ${line} (${session.minutesSince(started)} min)`);
      if (!(await session.pause(deadline))) throw new WaitStopped('the deadline passed', false);
      current = (await pollService(session, names, deadline)) ?? current;
    }
  } catch (error) {
    if (!(error instanceof WaitStopped)) throw error;
    const busy = busyOf(current) ?? first;
    const hint = fresh
      ? `its tasks may be failing to start the first-deploy image (imageTag ${request.env.imageTag}); see the events: aws ecs describe-services --cluster ${names.cluster} --services ${names.service} --query 'services[0].events[:10]'. `
      : `follow it: aws ecs describe-services --cluster ${names.cluster} --services ${names.service} --query 'services[0].deployments'. `;
    throw new ReleaseFailed(
      `deployment ${busy.id} (${shortTaskDefinition(busy.taskDefinition)}) of ${names.service} is still in progress (${error.message}): ${hint}` +
        `Run the release again once it has ended (COMPLETED or FAILED)`,
      false,
    );
  }
}

// ---- where it stands ----

/** The command that rolls a blue/green service deployment back. */
export function rollBackCommand(serviceDeploymentArn: string): string {
  return `aws ecs stop-service-deployment --service-deployment-arn ${serviceDeploymentArn} --stop-type ROLLBACK`;
}

/** Where a rollout stands and the exact commands to follow it or roll it back (printed when a wait ends early). */
export function standing(request: ReleaseRequest, watch: RolloutWatch): string[] {
  const { names, env } = request;
  const lines = [
    `where it stands: ${watch.kind} deployment ${watch.serviceDeploymentArn ?? watch.deploymentId ?? '(not seen yet)'}: ${watch.progress ?? 'status unknown'}`,
    `the service runs ${shortTaskDefinition(watch.runningTaskDefinitionArn)} (this release: ${shortTaskDefinition(watch.taskDefinitionArn)}; before: ${shortTaskDefinition(watch.previousTaskDefinitionArn)})`,
    `follow it:    npm run release -- ${env.name} ${request.service.name} --status`,
  ];
  if (watch.serviceDeploymentArn) {
    lines.push(`              aws ecs describe-service-deployments --service-deployment-arns ${watch.serviceDeploymentArn}`);
    lines.push(`roll it back: ${rollBackCommand(watch.serviceDeploymentArn)}`);
  } else {
    lines.push(`              aws ecs describe-services --cluster ${names.cluster} --services ${names.service} --query 'services[0].deployments'`);
    if (watch.previousTaskDefinitionArn) {
      lines.push(`roll it back: aws ecs update-service --cluster ${names.cluster} --service ${names.service} --task-definition ${watch.previousTaskDefinitionArn}`);
    }
  }
  lines.push(`              (once it has ended: npm run release -- ${env.name} ${request.service.name} --rollback)`);
  return lines;
}

function howToTestGreen(request: ReleaseRequest): string {
  const blueGreen = request.service.deployment.blueGreen;
  const host = request.service.loadBalancer.hosts?.[0] ?? request.env.edge.domain?.name ?? '<load balancer dns name>';
  const path = request.service.loadBalancer.healthCheck.path;
  const from = blueGreen.testListenerCidrs.length > 0 ? ` from ${blueGreen.testListenerCidrs.join(', ')}` : '';
  return `green takes test traffic: curl -H '${blueGreen.testHeaderName}: ${BLUE_GREEN_TEST_HEADER_VALUE}' https://${host}${path}${from}`;
}

/** Prints service events newer than `since` (oldest first); returns the newest time printed. */
function printEvents(session: Session, service: Service | undefined, since: number): number {
  const fresh = (service?.events ?? []).filter((e) => (e.createdAt?.getTime() ?? 0) > since).reverse();
  for (const event of fresh) session.detail(`event: ${event.message}`);
  return fresh.reduce((latest, e) => Math.max(latest, e.createdAt?.getTime() ?? 0), since);
}

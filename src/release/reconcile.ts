// Settling a release ECS is still deciding (the record's `pending` entry): a blue/green release whose
// bake was running when the tool returned, or a release whose wait ended without an outcome. `--status`
// and the start of the next release ask ECS how it ended: SUCCESSFUL → it becomes current (tagged,
// schedules on it); rolled back → its revision is deregistered, schedules go back, pending is dropped.
import { bakingTag, releasedTag, tagShipped, untagImage } from './images';
import type { ReleaseRequest } from './input';
import { advance, dropPending, settledEntry, type PendingEntry, type ReleaseEntry, type ReleaseRecord } from './record';
import { describeEntry, updateRecord, type StoredRecord } from './record-store';
import { deregisterUnused } from './revisions';
import { BLUE_GREEN_FAILED, describeServiceDeployment, pollService, waitRollbackEnd } from './rollout';
import { pinSchedules } from './schedules';
import { CALL_BUDGET_MS, WaitStopped, type Session } from './session';
import { shortTaskDefinition } from './task-definition';

export type PendingOutcome = 'released' | 'rolled-back' | 'in-progress';

export interface Settled {
  readonly outcome: PendingOutcome;
  readonly pending: PendingEntry;
  /** The record after settling (unchanged while in progress). */
  readonly stored: StoredRecord;
  /** The last progress seen (in progress). */
  readonly progress?: string;
}

/**
 * What a shipped release leaves besides the record: its ECR tag `released-<env>-<n>` (promotion
 * evidence, kept by the lifecycle policy), the schedules on its revision, and no baking tag.
 */
export async function markShipped(session: Session, request: ReleaseRequest, entry: ReleaseEntry, signal: AbortSignal, options: { wasBaking?: boolean } = {}): Promise<void> {
  const { repository } = request.names;
  if (entry.sequence !== undefined) {
    await tagShipped(session, repository, entry.digest, releasedTag(request.env.name, entry.sequence), signal);
    if (options.wasBaking) await untagImage(session, repository, entry.digest, [bakingTag(request.env.name, entry.sequence)], signal);
  }
  await pinSchedules(session, request, entry.taskDefinitionArn, signal);
}

/**
 * Blue/green, production traffic on green while the bake runs: the image is tagged `baking-<env>-<n>`
 * (kept by the lifecycle policy, but no promotion evidence: ECS may still roll back) and schedules
 * follow the traffic.
 */
export async function markBaking(session: Session, request: ReleaseRequest, entry: ReleaseEntry, signal: AbortSignal): Promise<void> {
  if (entry.sequence !== undefined) await tagShipped(session, request.names.repository, entry.digest, bakingTag(request.env.name, entry.sequence), signal);
  await pinSchedules(session, request, entry.taskDefinitionArn, signal);
}

/**
 * Asks ECS how the record's pending release stands and settles the record when it has ended. With
 * `waitUntil`, keeps polling (progress each minute) until it ends or that time passes.
 */
export async function settlePending(session: Session, request: ReleaseRequest, stored: StoredRecord, waitUntil?: number): Promise<Settled> {
  const pending = stored.record.pending!;
  session.step(`Settling the pending release ${describeEntry(pending)} (${shortTaskDefinition(pending.taskDefinitionArn)})`);
  const started = session.timing.now();
  let state = await pendingState(session, request, pending, waitUntil ?? started + 5 * 60_000);
  session.detail(state.progress);
  try {
    while (state.outcome === 'in-progress' && waitUntil !== undefined) {
      session.heartbeat(`still ${state.progress}${etaText(session, pending)} (${session.minutesSince(started)} min)`);
      if (!(await session.pause(waitUntil))) break;
      const next = await pendingState(session, request, pending, waitUntil);
      if (next.progress !== state.progress) session.detail(next.progress);
      state = next;
    }
  } catch (error) {
    if (!(error instanceof WaitStopped)) throw error;
    return { outcome: 'in-progress', pending, stored, progress: `${state.progress} (${error.message})` };
  }
  const fresh = AbortSignal.timeout(CALL_BUDGET_MS); // settling finishes even after a signal ended the wait
  if (state.outcome === 'released') {
    const entry = settledEntry(pending);
    await markShipped(session, request, entry, fresh, { wasBaking: pending.serviceDeploymentArn !== undefined });
    const written = await updateRecord(session, request.names.releaseParameter, stored, (latest) => settle(latest, pending, advance(latest, entry)), fresh);
    return { outcome: 'released', pending, stored: written };
  }
  if (state.outcome === 'rolled-back') {
    await rejectRevision(session, request, pending, fresh);
    if (pending.serviceDeploymentArn && state.status) await waitRollbackEnd(session, pending.serviceDeploymentArn, state.status);
    const written = await updateRecord(session, request.names.releaseParameter, stored, (latest) => settle(latest, pending, dropPending(latest)), fresh);
    return { outcome: 'rolled-back', pending, stored: written };
  }
  session.detail(`${state.progress}${etaText(session, pending)}`);
  return { outcome: 'in-progress', pending, stored, progress: state.progress };
}

/**
 * The record once `pending` has ended (`settled`, built on the latest record); if another run settled
 * it already, or the latest pending release is another one, the latest record stays as it is.
 */
function settle(latest: ReleaseRecord, pending: PendingEntry, settled: ReleaseRecord): ReleaseRecord {
  return latest.pending?.taskDefinitionArn === pending.taskDefinitionArn ? settled : latest;
}

/**
 * A release ECS rejected: its revision deregistered, schedules back on the revision before it, and its
 * image without this release's tags (baking, and released as an older tool put it at traffic shift):
 * a rolled-back digest is no promotion evidence.
 */
export async function rejectRevision(
  session: Session,
  request: ReleaseRequest,
  pending: Pick<PendingEntry, 'taskDefinitionArn' | 'previousTaskDefinitionArn' | 'digest' | 'sequence'>,
  signal: AbortSignal,
): Promise<void> {
  await deregisterUnused(session, pending.taskDefinitionArn);
  if (pending.previousTaskDefinitionArn) await pinSchedules(session, request, pending.previousTaskDefinitionArn, signal);
  if (pending.sequence !== undefined) {
    const env = request.env.name;
    await untagImage(session, request.names.repository, pending.digest, [bakingTag(env, pending.sequence), releasedTag(env, pending.sequence)], signal);
  }
}

interface PendingState {
  readonly outcome: PendingOutcome;
  readonly progress: string;
  /** Blue/green status. */
  readonly status?: string;
}

async function pendingState(session: Session, request: ReleaseRequest, pending: PendingEntry, deadline: number): Promise<PendingState> {
  if (pending.serviceDeploymentArn) {
    const deployment = await describeServiceDeployment(session, pending.serviceDeploymentArn, deadline);
    if (deployment) {
      const status = deployment.status ?? 'UNKNOWN';
      const progress = `service deployment ${pending.serviceDeploymentArn}: ${status}${deployment.lifecycleStage ? `, stage ${deployment.lifecycleStage}` : ''}`;
      if (status === 'SUCCESSFUL') return { outcome: 'released', progress, status };
      if (BLUE_GREEN_FAILED.has(status)) return { outcome: 'rolled-back', progress: `${progress}: ${deployment.statusReason ?? 'no reason given'}`, status };
      return { outcome: 'in-progress', progress, status };
    }
  }
  const { names } = request;
  const service = await pollService(session, names, deadline);
  const ours = pending.deploymentId ? service?.deployments?.find((d) => d.id === pending.deploymentId) : undefined;
  if (ours) {
    const progress = `deployment ${ours.id}: ${ours.rolloutState ?? ours.status}, ${ours.runningCount ?? 0}/${ours.desiredCount ?? 0} running`;
    if (ours.rolloutState === 'COMPLETED') return { outcome: 'released', progress };
    if (ours.rolloutState === 'FAILED') return { outcome: 'rolled-back', progress: `${progress}: ${ours.rolloutStateReason ?? 'no reason given'}` };
    if (ours.rolloutState === 'IN_PROGRESS' || ours.status === 'PRIMARY') return { outcome: 'in-progress', progress };
  }
  // The deployment is gone from the service: what the service runs tells how it ended.
  const runs = service?.taskDefinition;
  const progress = `the service runs ${shortTaskDefinition(runs)}`;
  return runs === pending.taskDefinitionArn ? { outcome: 'released', progress } : { outcome: 'rolled-back', progress: `${progress}, not ${shortTaskDefinition(pending.taskDefinitionArn)}` };
}

function etaText(session: Session, pending: PendingEntry): string {
  if (!pending.bakeEndsAt) return '';
  const left = Math.max(0, Math.ceil((Date.parse(pending.bakeEndsAt) - session.timing.now()) / 60_000));
  return `; the bake ends at ${pending.bakeEndsAt} (in about ${left} min), then ECS finishes on its own`;
}

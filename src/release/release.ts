// One release of one service: settle what the last release left pending, resolve the image, check its
// promotion, run migrations, register the checked revision, roll it out, wait for the truth, record
// it. Every step prints as it happens; the last line is the verdict. Clients, clock, signal and output
// are injected so tests drive every path without AWS and without waiting.
import { UpdateServiceCommand, type Service, type ServiceDeployment } from '@aws-sdk/client-ecs';
import type { ReleaseClients } from './clients';
import { describeAwsError, errorText, isTransient, ReleaseFailed, RolledBack, WaitEnded } from './errors';
import { checkPromotion, resolveImage, type ResolvedImage } from './images';
import type { ReleaseRequest } from './input';
import { runMigration } from './migration';
import { advance, dropPending, nextSequence, settledEntry, withPending, type PendingEntry, type ReleaseEntry, type ReleaseRecord } from './record';
import { describeEntry, readRecord, updateRecord, type StoredRecord } from './record-store';
import { markBaking, markShipped, rejectRevision, settlePending } from './reconcile';
import type { RevisionExpectation } from './revision-check';
import { deregisterUnused, registerChecked } from './revisions';
import { findServiceDeployment, readService, rollBackCommand, standing, waitBlueGreen, waitForBusyDeployment, waitRollbackEnd, waitRolling, type RolloutWatch } from './rollout';
import { pinSchedules } from './schedules';
import { CALL_BUDGET_MS, realTiming, Session, WaitStopped, type ReleaseLog, type Timing } from './session';
import { shortTaskDefinition } from './task-definition';

export { realTiming, type ReleaseLog, type Timing } from './session';

export interface ReleaseDeps {
  readonly clients: ReleaseClients;
  readonly timing?: Timing;
  readonly log: ReleaseLog;
  /** Seconds between status polls. @default 15 */
  readonly pollSeconds?: number;
  /** Aborted on SIGINT/SIGTERM, with the signal's name as reason. */
  readonly signal?: AbortSignal;
}

/** Rolling rollouts, and blue/green up to the bake: how long to wait by default. */
export const DEFAULT_ROLLING_TIMEOUT_MINUTES = 60;
/** Blue/green with --wait-bake: the bake time plus this margin (scale-up, test traffic, hooks, clean-up). */
export const BLUE_GREEN_MARGIN_MINUTES = 60;

/**
 * How a run ended well: `released` (serving, recorded as current) or `baking` (blue/green: production
 * traffic is on green, the bake runs, ECS finishes or rolls back by itself; recorded as pending).
 */
export interface ReleaseResult {
  readonly outcome: 'released' | 'baking';
  readonly entry: ReleaseEntry;
}

/** What `--status` found: nothing pending, or how the pending release stands now. */
export interface StatusResult {
  readonly outcome: 'nothing-pending' | 'released' | 'rolled-back' | 'baking';
  /** The release the outcome is about (the current one when nothing is pending). */
  readonly entry: ReleaseEntry | null;
}

export class Release {
  private readonly session: Session;

  constructor(deps: ReleaseDeps) {
    this.session = new Session(deps.clients, deps.timing ?? realTiming, deps.log, (deps.pollSeconds ?? 15) * 1000, deps.signal);
  }

  /** Runs the release; resolves with how it ended well, or throws after printing the verdict. */
  async run(request: ReleaseRequest): Promise<ReleaseResult> {
    const label = `${request.env.name}/${request.service.name}`;
    const what = request.target.kind === 'rollback' ? 'rollback' : request.target.kind === 'tag' ? request.target.tag : request.target.kind === 'digest' ? request.target.digest : 'status';
    this.session.info(`release ${label} ${what}`);
    let moved = false;
    try {
      const result = await this.release(request, () => (moved = true));
      const { entry } = result;
      const tail =
        result.outcome === 'baking'
          ? `; the bake runs, then ECS finishes (or rolls back) on its own: npm run release -- ${request.env.name} ${request.service.name} --status records the outcome`
          : '; done';
      this.session.info(`release ${label}: ${entry.tag} (${entry.digest}) serves traffic as ${shortTaskDefinition(entry.taskDefinitionArn)}${tail}`);
      return result;
    } catch (error) {
      throw this.verdict(label, what, error, moved, request);
    }
  }

  /** `--status`: how the last release stands; settles a pending one whose deployment ended. */
  async status(request: ReleaseRequest): Promise<StatusResult> {
    const label = `${request.env.name}/${request.service.name}`;
    this.session.info(`release ${label} --status`);
    try {
      const stored = await this.readChecked(request);
      const { record } = stored;
      if (!record.pending) {
        this.session.detail(`nothing pending; current: ${describeEntry(record.current)}; previous: ${describeEntry(record.previous)}`);
        // Repairs schedules a release could not update (idempotent).
        if (record.current) await pinSchedules(this.session, request, record.current.taskDefinitionArn, this.session.signal);
        this.session.info(`release ${label}: nothing pending; ${record.current ? `${record.current.tag} is current` : 'never released'}`);
        return { outcome: 'nothing-pending', entry: record.current };
      }
      const waitUntil = request.waitBake ? this.statusDeadline(request, record.pending) : undefined;
      const settled = await settlePending(this.session, request, stored, waitUntil);
      const entry = settled.pending;
      if (settled.outcome === 'released') {
        this.session.info(`release ${label}: ${entry.tag} (${entry.digest}) finished and is recorded as current`);
        return { outcome: 'released', entry };
      }
      if (settled.outcome === 'rolled-back') {
        this.session.error(`release ${label}: ${entry.tag} was rolled back by ECS; its revision is deregistered and the record keeps ${describeEntry(settled.stored.record.current)}`);
        return { outcome: 'rolled-back', entry };
      }
      if (request.waitBake) {
        // --wait-bake asked for the outcome: a wait cut short (deadline, signal, AWS errors) has none (exit 4).
        const how = entry.serviceDeploymentArn
          ? [`roll it back: ${rollBackCommand(entry.serviceDeploymentArn)}`]
          : [];
        throw new WaitEnded(
          `${entry.tag} is still in progress: ${settled.progress}`,
          true,
          [`where it stands: ${settled.progress}`, `follow it:    npm run release -- ${request.env.name} ${request.service.name} --status --wait-bake`, ...how],
          entry,
        );
      }
      this.session.info(`release ${label}: ${entry.tag} is still in progress (${settled.progress}); run --status again later`);
      return { outcome: 'baking', entry };
    } catch (error) {
      // --status moves nothing itself: a wait or call it could not finish leaves the record as it was.
      const stopped = error instanceof WaitStopped || (this.session.interruption !== undefined && (error as Error)?.name === 'AbortError');
      const ended = stopped
        ? new WaitEnded(error instanceof WaitStopped ? error.message : `interrupted by ${this.session.interruption}`, false, [
            `the record is unchanged; ask again: npm run release -- ${request.env.name} ${request.service.name} --status`,
          ])
        : error;
      throw this.verdict(label, '--status', ended, false, request);
    }
  }

  private statusDeadline(request: ReleaseRequest, pending: PendingEntry): number {
    const now = this.session.timing.now();
    if (request.timeoutMinutes !== undefined) return now + request.timeoutMinutes * 60_000;
    const bakeEnds = pending.bakeEndsAt ? Date.parse(pending.bakeEndsAt) : now;
    return Math.max(now, bakeEnds) + BLUE_GREEN_MARGIN_MINUTES * 60_000;
  }

  /** Prints the verdict of a failed run; returns what to throw. */
  private verdict(label: string, what: string, error: unknown, moved: boolean, request: ReleaseRequest): unknown {
    const failed = toReleaseFailed(error, moved, this.session.interruption, request);
    const message = failed?.message ?? `unexpected error: ${(error as Error).message}`;
    if (failed instanceof WaitEnded) {
      for (const line of failed.standing) this.session.error(`    ${line}`);
      this.session.error(`release ${label} ${what}: WAIT ENDED without an outcome: ${message}`);
      return failed;
    }
    const state = (failed?.moved ?? moved) ? '' : `; nothing has moved: ${request.names.service} still runs its previous revision`;
    this.session.error(`release ${label} ${what}: FAILED: ${message}${state}`);
    return failed ?? error; // an unexpected error is a bug: it keeps its stack
  }

  private async readChecked(request: ReleaseRequest): Promise<StoredRecord> {
    const { names } = request;
    this.session.step(`Reading the release record ${names.releaseParameter}`);
    const stored = await readRecord(this.session, names.releaseParameter);
    // The same guard Terraform's provider applies: credentials of another account stop here.
    const allowed = request.env.allowedAccountIds;
    if (stored.account && allowed?.length && !allowed.includes(stored.account)) {
      throw new ReleaseFailed(`the AWS credentials are for account ${stored.account}; ${request.env.name}.allowedAccountIds: ${allowed.join(', ')}`, false);
    }
    this.session.detail(`current: ${describeEntry(stored.record.current)}; previous: ${describeEntry(stored.record.previous)}`);
    return stored;
  }

  private async release(request: ReleaseRequest, markMoved: () => void): Promise<ReleaseResult> {
    const session = this.session;
    const { names, service: svc, env } = request;
    const { ecs } = session.clients;

    let stored = await this.readChecked(request);
    if (stored.record.pending) {
      const settled = await settlePending(session, request, stored);
      if (settled.outcome === 'in-progress') {
        const p = settled.pending;
        const how = p.serviceDeploymentArn
          ? `roll it back: ${rollBackCommand(p.serviceDeploymentArn)}`
          : `follow it: npm run release -- ${env.name} ${svc.name} --status`;
        throw new ReleaseFailed(`the previous release ${p.tag} is still in progress (${settled.progress}): wait for it (--status --wait-bake), or ${how}`, false);
      }
      stored = settled.stored;
    }
    const { record } = stored;

    let image: ResolvedImage;
    if (request.target.kind === 'rollback') {
      const previous = record.previous;
      if (!previous) {
        throw new ReleaseFailed(`no previous release recorded in ${names.releaseParameter}: nothing to roll back to (release a tag instead)`, false);
      }
      session.step(`Rolling back to ${previous.tag} (${previous.digest}), released ${previous.releasedAt}`);
      session.step(`Resolving ${previous.tag} in ECR repository ${names.repository}`);
      image = await resolveImage(session, names.repository, undefined, previous.digest, previous.tag);
    } else if (request.target.kind === 'tag' || request.target.kind === 'digest') {
      const tag = request.target.kind === 'tag' ? request.target.tag : undefined;
      session.step(`Resolving ${tag ?? request.target.digest} in ECR repository ${names.repository}`);
      image = await resolveImage(session, names.repository, tag, request.target.digest);
    } else {
      throw new Error('status is not a release');
    }
    session.detail(`${image.tag} -> ${image.digest}`);
    session.detail(`image ${image.image}`);
    await checkPromotion(session, request, image.digest);

    session.step(`Reading service ${names.service} in cluster ${names.cluster}`);
    let service = await this.describeService(request);
    if (service.deployments?.some((d) => d.rolloutState === 'IN_PROGRESS')) {
      service = await waitForBusyDeployment(session, request, service, record.current === null);
    }
    // BLUE_GREEN (and CANARY/LINEAR, which share its lifecycle) are followed through the service deployment.
    const strategy = service.deploymentConfiguration?.strategy ?? 'ROLLING';
    const blueGreen = strategy !== 'ROLLING';
    const kind = strategy === 'BLUE_GREEN' ? 'blue/green' : strategy.toLowerCase();
    const bakeMinutes = service.deploymentConfiguration?.bakeTimeInMinutes ?? 0;
    session.detail(
      `runs ${shortTaskDefinition(service.taskDefinition)}, ${service.runningCount ?? 0}/${service.desiredCount ?? 0} tasks; ` +
        (blueGreen ? `${kind} (bake time ${bakeMinutes} min)` : 'rolling'),
    );

    const expect = (family: string, container: string, taskRole: string, executionRole: string): RevisionExpectation => ({
      family,
      container,
      taskRole,
      executionRole,
      partition: env.partition,
      account: image.account,
      image: image.image,
      sidecarPrefix: `${image.repositoryUri.split('/')[0]}/${names.cluster}/`,
    });

    const migrate = svc.release.migrate;
    if (!migrate) {
      session.step(`Migrations: none configured (services[].release.migrate)`);
    } else if (request.target.kind === 'rollback') {
      session.step(`Skipping migrations: a rollback runs no migrations (they must be backward compatible with the previous image)`);
    } else {
      session.step(`Registering a new revision of ${names.migrateFamily} with the image`);
      const migrateArn = await registerChecked(session, expect(names.migrateFamily, names.migrateContainer, names.migrateTaskRole, names.migrateExecutionRole));
      session.detail(`registered ${shortTaskDefinition(migrateArn)}`);
      try {
        await runMigration(session, request, service, migrate, migrateArn);
      } catch (error) {
        if (error instanceof ReleaseFailed && !error.moved) await deregisterUnused(session, migrateArn);
        throw error;
      }
    }

    session.step(`Registering a new revision of ${names.taskFamily} with the image`);
    const taskDefinitionArn = await registerChecked(session, expect(names.taskFamily, names.container, names.taskRole, names.executionRole));
    session.detail(`registered ${shortTaskDefinition(taskDefinitionArn)}`);

    const waitBake = blueGreen && request.waitBake === true;
    const timeoutMinutes = request.timeoutMinutes ?? (waitBake ? bakeMinutes + BLUE_GREEN_MARGIN_MINUTES : DEFAULT_ROLLING_TIMEOUT_MINUTES);
    const until = blueGreen && !waitBake ? ' for production traffic to shift' : '';
    session.step(`Updating service ${names.service} to ${shortTaskDefinition(taskDefinitionArn)} (waiting up to ${timeoutMinutes} min${until})`);
    const startedAt = session.timing.now();
    let entry: ReleaseEntry = { tag: image.tag, digest: image.digest, image: image.image, taskDefinitionArn, releasedAt: new Date(startedAt).toISOString(), sequence: nextSequence(record) };
    // The sequence number is the record's: it is claimed by this release's first record write (rebuilt
    // from the fresh record if another release wrote meanwhile), and only then put into an ECR tag.
    let claimed = false;
    const claim = (fresh: ReleaseRecord): ReleaseEntry => (claimed ? entry : { ...entry, sequence: nextSequence(fresh) });
    const recorded = (written: ReleaseEntry | null | undefined) => {
      if (written) entry = settledEntry(written);
      claimed = true;
    };
    const watch: RolloutWatch = { kind: blueGreen ? kind : 'rolling', taskDefinitionArn, previousTaskDefinitionArn: service.taskDefinition, runningTaskDefinitionArn: service.taskDefinition };
    const pendingOf = (extra: Partial<PendingEntry>): PendingEntry => ({
      ...entry,
      ...(watch.serviceDeploymentArn ? { serviceDeploymentArn: watch.serviceDeploymentArn } : {}),
      ...(watch.deploymentId ? { deploymentId: watch.deploymentId } : {}),
      ...(service.taskDefinition ? { previousTaskDefinitionArn: service.taskDefinition } : {}),
      ...extra,
    });

    let updated: Service | undefined;
    try {
      // A fresh signal, not the interrupt one: cut off mid-flight, ECS may have taken the update without
      // the tool knowing. A signal that arrived meanwhile ends the wait below (pending record, exit 4).
      updated = (
        await ecs.send(new UpdateServiceCommand({ cluster: names.cluster, service: names.service, taskDefinition: taskDefinitionArn }), {
          abortSignal: AbortSignal.timeout(CALL_BUDGET_MS),
        })
      ).service;
    } catch (error) {
      // A timeout, a 5xx or a lost connection does not mean ECS refused: ask it.
      const why = errorText(error);
      session.detail(`UpdateService did not succeed (${why}); asking ECS whether it took the update`);
      const after = await this.serviceAfterFailedUpdate(request, taskDefinitionArn);
      if (after === undefined) {
        // Not known: the record lists it as pending; --status settles it from what the service runs.
        markMoved();
        throw await this.waitEnded(
          request,
          new WaitStopped(`UpdateService failed (${why}) and the service could not be read: ECS may or may not have taken ${shortTaskDefinition(taskDefinitionArn)}`, false),
          watch,
          startedAt,
          stored,
          (fresh) => ({ ...pendingOf({}), sequence: claim(fresh).sequence }),
          entry,
        );
      }
      if (!after.moved) {
        await deregisterUnused(session, taskDefinitionArn);
        if (session.interruption) throw new WaitEnded(`interrupted by ${session.interruption} before ECS took the update`, false, nothingMoved(request));
        throw error;
      }
      session.detail(`ECS took the update: the service runs ${shortTaskDefinition(after.service.taskDefinition)}; following the rollout`);
      updated = after.service;
    }
    markMoved();

    const deadline = startedAt + timeoutMinutes * 60_000;
    let pendingWritten = false;
    let schedulesPinned = false;

    try {
      if (!blueGreen) {
        await waitRolling(session, request, updated, watch, deadline);
      } else {
        watch.serviceDeploymentArn = await findServiceDeployment(session, request, watch, startedAt, deadline);
        session.detail(`service deployment ${watch.serviceDeploymentArn}`);
        session.detail(`roll back at any time: ${rollBackCommand(watch.serviceDeploymentArn)}`);
        const progress = await waitBlueGreen(session, request, watch, deadline, {
          untilBaking: !waitBake,
          onShifted: async (deployment: ServiceDeployment) => {
            // Traffic is on green: the record says what ECS is deciding, the image is kept (baking tag, no
            // promotion evidence yet) and schedules follow the traffic (even if the record write failed).
            schedulesPinned = true;
            const bake = deployment.deploymentConfiguration?.bakeTimeInMinutes ?? bakeMinutes;
            const bakeEndsAt = new Date(session.timing.now() + bake * 60_000).toISOString();
            session.step(`Recording the release as pending in ${names.releaseParameter} (the bake ends about ${bakeEndsAt})`);
            const written = await this.recordOrExplain(request, stored, (fresh) => withPending(fresh, { ...pendingOf({ bakeEndsAt }), sequence: claim(fresh).sequence }), entry);
            if (written instanceof ReleaseFailed) {
              await markBaking(session, request, entry, AbortSignal.timeout(CALL_BUDGET_MS));
              throw written;
            }
            stored = written;
            recorded(stored.record.pending);
            pendingWritten = true;
            await markBaking(session, request, entry, AbortSignal.timeout(CALL_BUDGET_MS));
          },
        });
        if (progress === 'baking') return { outcome: 'baking', entry };
      }
    } catch (error) {
      if (error instanceof RolledBack) {
        // ECS rejected the revision: it must never stay the family's latest, and schedules go back.
        await rejectRevision(
          session,
          request,
          { taskDefinitionArn, digest: entry.digest, sequence: claimed ? entry.sequence : undefined, ...(schedulesPinned && service.taskDefinition ? { previousTaskDefinitionArn: service.taskDefinition } : {}) },
          AbortSignal.timeout(CALL_BUDGET_MS),
        );
        if (watch.serviceDeploymentArn && error.status) await waitRollbackEnd(session, watch.serviceDeploymentArn, error.status);
        if (pendingWritten) await this.dropPendingAfterRollback(request, stored, taskDefinitionArn);
        throw error;
      }
      if (error instanceof WaitStopped) {
        throw await this.waitEnded(request, error, watch, startedAt, stored, pendingWritten ? undefined : (fresh) => ({ ...pendingOf({}), sequence: claim(fresh).sequence }), entry);
      }
      throw error;
    }

    // Rolling COMPLETED, or blue/green SUCCESSFUL: recorded, then promotion evidence (released tag, baking
    // tag gone) with the recorded sequence. Tag and schedules follow even if the record write failed.
    session.step(`Recording the release in ${names.releaseParameter}`);
    const written = await this.recordOrExplain(request, stored, (fresh) => advance(fresh, claim(fresh)), entry);
    if (!(written instanceof ReleaseFailed)) recorded(written.record.current);
    await markShipped(session, request, entry, AbortSignal.timeout(CALL_BUDGET_MS), { wasBaking: schedulesPinned }); // finishes after a late signal too
    if (written instanceof ReleaseFailed) throw written;
    return { outcome: 'released', entry };
  }

  /** Writes the record (on a fresh signal); what was written, or the failure to throw once the rest is done. */
  private async recordOrExplain(request: ReleaseRequest, stored: StoredRecord, build: (fresh: ReleaseRecord) => ReleaseRecord, entry: ReleaseEntry): Promise<StoredRecord | ReleaseFailed> {
    try {
      return await updateRecord(this.session, request.names.releaseParameter, stored, build, AbortSignal.timeout(CALL_BUDGET_MS));
    } catch (error) {
      const why = errorText(error);
      return new ReleaseFailed(
        `${entry.tag} serves traffic, but the release record could not be written (${why}): release ${entry.tag} again to record it, or --rollback will not know this release`,
        true,
      );
    }
  }

  private async dropPendingAfterRollback(request: ReleaseRequest, stored: StoredRecord, taskDefinitionArn: string): Promise<void> {
    try {
      await updateRecord(this.session, request.names.releaseParameter, stored, (fresh) => (fresh.pending?.taskDefinitionArn === taskDefinitionArn ? dropPending(fresh) : fresh), AbortSignal.timeout(CALL_BUDGET_MS));
    } catch (error) {
      this.session.warn(`could not drop the rejected release from ${request.names.releaseParameter} (${errorText(error)}): --status settles it`);
    }
  }

  /** A wait ended without an outcome: record the release as pending (so --status can settle it) and say where it stands. */
  private async waitEnded(
    request: ReleaseRequest,
    stop: WaitStopped,
    watch: RolloutWatch,
    startedAt: number,
    stored: StoredRecord,
    pending: ((fresh: ReleaseRecord) => PendingEntry) | undefined,
    entry: ReleaseEntry,
  ): Promise<WaitEnded> {
    const lines = standing(request, watch);
    if (pending) {
      try {
        await updateRecord(this.session, request.names.releaseParameter, stored, (fresh) => withPending(fresh, pending(fresh)), AbortSignal.timeout(CALL_BUDGET_MS));
        lines.push(`the record lists this release as pending: --status (or the next release) settles it`);
      } catch (error) {
        lines.push(`could not record this release as pending (${errorText(error)}); once it has ended, release ${entry.tag} again to record it`);
      }
    }
    const minutes = this.session.minutesSince(startedAt);
    const what = watch.kind === 'rolling' ? 'rollout' : `${watch.kind} deployment`;
    return new WaitEnded(`${what} not finished after ${minutes} min (${watch.progress ?? 'deployment not seen'}): ${stop.message}; ECS carries on without this tool`, true, lines, entry);
  }

  /**
   * After UpdateService failed or was cut off: whether ECS took the update anyway (the service, or one
   * of its deployments, runs `taskDefinitionArn`); undefined when the service cannot be read. Runs on
   * fresh signals (a signal may be why the update failed) with a few tries for transient errors.
   */
  private async serviceAfterFailedUpdate(request: ReleaseRequest, taskDefinitionArn: string): Promise<{ moved: boolean; service: Service } | undefined> {
    const { names } = request;
    for (let attempt = 1; ; attempt++) {
      try {
        const service = await readService(this.session, names, AbortSignal.timeout(CALL_BUDGET_MS));
        if (!service) return undefined;
        const moved = service.taskDefinition === taskDefinitionArn || (service.deployments ?? []).some((d) => d.taskDefinition === taskDefinitionArn);
        return { moved, service };
      } catch (error) {
        const why = errorText(error);
        if (attempt >= 3 || !isTransient(error)) {
          this.session.detail(`could not read service ${names.service} (${why})`);
          return undefined;
        }
        this.session.detail(`could not read service ${names.service} (${why}); try ${attempt + 1} in ${Math.round(this.session.pollMs / 1000)} s`);
        await this.session.timing.sleep(this.session.pollMs);
      }
    }
  }

  private async describeService(request: ReleaseRequest): Promise<Service> {
    const { names } = request;
    const service = await readService(this.session, names, this.session.signal);
    if (!service || service.status !== 'ACTIVE') {
      throw new ReleaseFailed(`ECS service ${names.service} not found (or not active) in cluster ${names.cluster}: apply ${request.env.name}-app first`, false);
    }
    const controller = service.deploymentController?.type ?? 'ECS';
    if (controller !== 'ECS') {
      throw new ReleaseFailed(`service ${names.service} uses the ${controller} deployment controller; releases drive ECS deployments only (apply ${request.env.name}-app first)`, false);
    }
    return service;
  }
}

/** Where things stand when the release stopped before anything moved. */
function nothingMoved(request: ReleaseRequest): string[] {
  return [
    `nothing has moved: ${request.names.service} still runs its previous revision`,
    `release again when ready; where the service stands: npm run release -- ${request.env.name} ${request.service.name} --status`,
  ];
}

/**
 * A ReleaseFailed for what stopped the release: ours, a signal, or an AWS error in one line; undefined
 * for a bug. A wait that stopped, and any call a signal cut off, end the run without an outcome (exit 4).
 */
function toReleaseFailed(error: unknown, moved: boolean, interruption: string | undefined, request: ReleaseRequest): ReleaseFailed | undefined {
  if (error instanceof ReleaseFailed) return error;
  const standingLines = moved ? [`the service was updated: follow it: npm run release -- ${request.env.name} ${request.service.name} --status`] : nothingMoved(request);
  if (error instanceof WaitStopped) return new WaitEnded(error.message, moved, standingLines);
  if (interruption && error instanceof Error && error.name === 'AbortError') return new WaitEnded(`interrupted by ${interruption}`, moved, standingLines);
  const message = describeAwsError(error);
  return message === undefined ? undefined : new ReleaseFailed(message, moved);
}

// The migration task: the migrate family's revision with the release's image, run once in the service's
// network before any traffic moves, and waited for. A failure prints the log's tail; a signal stops
// the task (a half-done migration must not carry on unattended); the deadline leaves it running and
// says how to stop it.
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type Service } from '@aws-sdk/client-ecs';
import { errorText, isTransient, ReleaseFailed, WaitEnded } from './errors';
import type { ReleaseRequest } from './input';
import { CALL_BUDGET_MS, CLEANUP_CALL_MS, WaitStopped, type Session } from './session';

/** Lines of the migration's log shown when it fails. */
const LOG_TAIL_LINES = 30;

export async function runMigration(session: Session, request: ReleaseRequest, service: Service, command: string[], taskDefinition: string): Promise<void> {
  const { names } = request;
  const { ecs } = session.clients;

  session.step(`Running migration: ${command.join(' ')}`);
  const placement = service.capacityProviderStrategy?.length ? { capacityProviderStrategy: service.capacityProviderStrategy } : { launchType: service.launchType };
  let run;
  try {
    // A fresh signal, not the interrupt one: cut off after ECS started the task, the migration would run
    // unattended and unknown. A signal that arrived meanwhile stops the task at the first poll below.
    run = await ecs.send(
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
      { abortSignal: AbortSignal.timeout(CALL_BUDGET_MS) },
    );
  } catch (error) {
    if (!isTransient(error) && (error as Error).name !== 'AbortError') throw error;
    // No answer: ECS may have started the task anyway.
    const why = errorText(error);
    const list = `aws ecs list-tasks --cluster ${names.cluster} --started-by release-migrate`;
    throw new WaitEnded(`RunTask got no answer (${why}): a migration task may have started; see ${list}`, false, [
      `a migration task may be running: ${list}; stop it with aws ecs stop-task --cluster ${names.cluster} --task <id>`,
      `the service has not moved`,
    ]);
  }
  const task = run.tasks?.[0];
  if (run.failures?.length || !task?.taskArn) {
    const reasons = (run.failures ?? []).map((f) => [f.reason, f.detail, f.arn].filter(Boolean).join(': ')).join('; ') || 'no task returned';
    throw new ReleaseFailed(`migration task could not start: ${reasons}`, false);
  }
  const taskArn = task.taskArn;
  const taskId = taskArn.split('/').pop()!;
  const stream = `${names.migrateLogStreamPrefix}/${names.migrateContainer}/${taskId}`;
  session.detail(`task ${taskId} started; logs: ${names.migrateLogGroup} ${stream}`);

  const startedAt = session.timing.now();
  const deadline = startedAt + request.migrateTimeoutMinutes * 60_000;
  let lastStatus = task.lastStatus;
  const stopCommand = `aws ecs stop-task --cluster ${names.cluster} --task ${taskId}`;
  try {
    for (;;) {
      const described = await session.waitCall('reading the migration task', deadline, (signal) =>
        ecs.send(new DescribeTasksCommand({ cluster: names.cluster, tasks: [taskArn] }), { abortSignal: signal }),
      );
      const current = described.tasks?.[0];
      if (current?.lastStatus && current.lastStatus !== lastStatus) {
        lastStatus = current.lastStatus;
        session.detail(`task ${taskId}: ${lastStatus}`);
      }
      if (current?.lastStatus === 'STOPPED') {
        const container = current.containers?.find((c) => c.name === names.migrateContainer);
        if (container?.exitCode === 0) {
          session.detail('migration finished: exit code 0');
          return;
        }
        await printLogTail(session, names.migrateLogGroup, stream);
        const reasons = [current.stoppedReason, container?.reason].filter(Boolean).join('; ');
        throw new ReleaseFailed(
          `migration failed: exit code ${container?.exitCode ?? 'none'}${reasons ? ` (${reasons})` : ''}; log stream ${names.migrateLogGroup} ${stream}`,
          false,
        );
      }
      session.heartbeat(`task ${taskId}: still ${lastStatus ?? 'starting'} (${session.minutesSince(startedAt)} min)`);
      if (!(await session.pause(deadline))) {
        throw new WaitStopped(`the migration did not finish in ${request.migrateTimeoutMinutes} min`, false);
      }
    }
  } catch (error) {
    if (!(error instanceof WaitStopped)) throw error;
    const standing = [`migration task ${taskId}: ${lastStatus ?? 'unknown'}; logs: ${names.migrateLogGroup} ${stream}`, 'the service has not moved'];
    if (error.interrupted) {
      await stopTask(session, names.cluster, taskArn, standing);
    } else {
      standing.push(`it keeps running; follow it: aws ecs describe-tasks --cluster ${names.cluster} --tasks ${taskId}`, `stop it: ${stopCommand}`);
    }
    throw new WaitEnded(
      `migration task ${taskId} still ${lastStatus ?? 'running'} after ${session.minutesSince(startedAt)} min: ${error.message}` +
        (error.interrupted ? '' : ` (it keeps running; stop it with: ${stopCommand}); log stream ${names.migrateLogGroup} ${stream}`),
      false,
      standing,
    );
  }
}

/** Stops the migration task on SIGINT/SIGTERM, with a fresh short deadline (the signal aborted the other calls). */
async function stopTask(session: Session, cluster: string, taskArn: string, standing: string[]): Promise<void> {
  try {
    await session.clients.ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: `release interrupted (${session.interruption})` }), {
      abortSignal: AbortSignal.timeout(CLEANUP_CALL_MS),
    });
    standing.push(`stopped the migration task (ECS stops its container with SIGTERM)`);
  } catch (error) {
    standing.push(`could not stop it (${errorText(error)}): aws ecs stop-task --cluster ${cluster} --task ${taskArn.split('/').pop()}`);
  }
}

async function printLogTail(session: Session, group: string, stream: string): Promise<void> {
  try {
    const events = await session.clients.logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: LOG_TAIL_LINES, startFromHead: false }), {
      abortSignal: AbortSignal.timeout(CLEANUP_CALL_MS),
    });
    const lines = (events.events ?? []).map((e) => e.message?.trimEnd() ?? '');
    if (lines.length === 0) {
      session.detail(`(no log events in ${group} ${stream})`);
      return;
    }
    session.detail(`last ${lines.length} log lines of ${stream}:`);
    for (const line of lines) session.detail(`| ${line}`);
  } catch (error) {
    session.detail(`(could not read ${group} ${stream}: ${(error as Error).name})`);
  }
}

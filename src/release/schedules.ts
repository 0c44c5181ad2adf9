// Scheduled tasks run the released revision, never "the family's latest" (which a Terraform change to
// the task definition would make the first-deploy template image): a release points every schedule of
// its service at the revision it released, and a rollback points them back. Terraform ignores the
// target's task definition ARN after creating the schedule.
import { GetScheduleCommand, UpdateScheduleCommand, type UpdateScheduleInput } from '@aws-sdk/client-scheduler';
import { scheduleNames } from '../naming';
import { errorText } from './errors';
import type { ReleaseRequest } from './input';
import type { Session } from './session';
import { shortTaskDefinition } from './task-definition';

/**
 * Points each schedule of the request's service at `taskDefinitionArn`. UpdateSchedule replaces the
 * whole schedule, so every field GetSchedule returned is sent back and only
 * Target.EcsParameters.TaskDefinitionArn changes
 * (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html).
 * Failures are warnings with the command that finishes the job: the release itself stands.
 */
export async function pinSchedules(session: Session, request: ReleaseRequest, taskDefinitionArn: string, signal: AbortSignal): Promise<void> {
  const schedules = (request.env.schedules ?? []).filter((s) => s.service === request.service.name);
  for (const schedule of schedules) {
    const names = scheduleNames(request.env.project.service, request.env.name, schedule.name);
    try {
      const current = await session.clients.scheduler.send(new GetScheduleCommand({ Name: names.schedule, GroupName: names.group }), { abortSignal: signal });
      const ecs = current?.Target?.EcsParameters;
      if (!current?.Target || !ecs) {
        session.warn(`schedule ${names.schedule} has no ECS target: not changed (re-apply the app stack)`);
        continue;
      }
      if (ecs.TaskDefinitionArn === taskDefinitionArn) {
        session.detail(`schedule ${names.schedule} already runs ${shortTaskDefinition(taskDefinitionArn)}`);
        continue;
      }
      const update: UpdateScheduleInput = {
        Name: current.Name ?? names.schedule,
        GroupName: current.GroupName ?? names.group,
        ScheduleExpression: current.ScheduleExpression,
        ...defined({
          StartDate: current.StartDate,
          EndDate: current.EndDate,
          Description: current.Description,
          ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
          State: current.State,
          KmsKeyArn: current.KmsKeyArn,
          ActionAfterCompletion: current.ActionAfterCompletion,
        }),
        FlexibleTimeWindow: current.FlexibleTimeWindow,
        Target: { ...current.Target, EcsParameters: { ...ecs, TaskDefinitionArn: taskDefinitionArn } },
      };
      await session.clients.scheduler.send(new UpdateScheduleCommand(update), { abortSignal: signal });
      session.detail(`schedule ${names.schedule} now runs ${shortTaskDefinition(taskDefinitionArn)} (was ${shortTaskDefinition(ecs.TaskDefinitionArn)})`);
    } catch (error) {
      session.warn(
        `could not point schedule ${names.schedule} at ${shortTaskDefinition(taskDefinitionArn)} (${errorText(error)}); ` +
          `it still runs its previous revision: run npm run release -- ${request.env.name} ${request.service.name} --status to retry`,
      );
    }
  }
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

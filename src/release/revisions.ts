// Registering the release's revision of a family (copied from the family's latest, checked first) and
// deregistering one that serves nothing, so the family's latest ACTIVE revision is always a good one.
import { DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { errorText, ReleaseFailed } from './errors';
import { checkRevision, type RevisionExpectation } from './revision-check';
import { CALL_BUDGET_MS, CLEANUP_CALL_MS, type Session } from './session';
import { revisionWithImage, shortTaskDefinition } from './task-definition';

/** Registers a checked copy of the family's latest ACTIVE revision with the release's image; returns its ARN. */
export async function registerChecked(session: Session, expected: RevisionExpectation): Promise<string> {
  const { ecs } = session.clients;
  const family = expected.family;
  let latest;
  try {
    latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }), { abortSignal: session.signal });
  } catch (error) {
    if ((error as Error).name === 'ClientException') {
      throw new ReleaseFailed(`task definition family ${family} has no ACTIVE revision (${(error as Error).message}): apply the app stack first`, false);
    }
    throw error;
  }
  if (!latest.taskDefinition) throw new ReleaseFailed(`task definition family ${family} has no ACTIVE revision`, false);
  const revision = revisionWithImage(latest.taskDefinition, latest.tags, expected.container, expected.image);
  checkRevision(revision, expected);
  // A fresh signal: cut off mid-flight, a revision with the new image could become the family's latest
  // unseen. A signal that arrived meanwhile deregisters it again and ends the run (exit 4).
  const registered = await ecs.send(new RegisterTaskDefinitionCommand(revision), { abortSignal: AbortSignal.timeout(CALL_BUDGET_MS) });
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new ReleaseFailed(`registering ${family} returned no task definition`, false);
  if (session.interruption) {
    await deregisterUnused(session, arn);
    session.checkInterrupted();
  }
  return arn;
}

/**
 * Deregisters a revision this release registered that ECS rejected or never ran: the family's latest
 * ACTIVE revision stays the last good one (the next release copies it). Tasks still running an INACTIVE
 * revision keep running (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deregister-task-definition-v2.html),
 * so this is safe while a rollback is still draining green. A failure is reported, never allowed to
 * hide why the release failed.
 */
export async function deregisterUnused(session: Session, taskDefinitionArn: string): Promise<void> {
  try {
    await session.clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }), { abortSignal: AbortSignal.timeout(CLEANUP_CALL_MS) });
    session.detail(`deregistered ${shortTaskDefinition(taskDefinitionArn)} (unused)`);
  } catch (error) {
    session.detail(`could not deregister ${shortTaskDefinition(taskDefinitionArn)}: ${errorText(error)}`);
  }
}

// The release record: which image a service runs (current), ran before (previous), and — while a
// blue/green bake runs or after a wait ended without an outcome — which release ECS is still deciding
// (pending), as JSON in an SSM String parameter Terraform creates with `{"current":null,"previous":null}`
// and then ignores. Records written before `pending` and `sequence` existed read as they are.
import { z } from 'zod';
import { ReleaseFailed } from './errors';

/** An image digest as ECR gives it: `sha256:` and 64 hex digits. */
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

const entrySchema = z.object({
  /** The tag the operator released (the digest itself when released by digest alone). */
  tag: z.string().min(1),
  /** The image digest the tag resolved to, `sha256:…`. */
  digest: z.string().regex(DIGEST),
  /** `<repository uri>@<digest>`: what the task definition runs. */
  image: z.string().min(1),
  /** The service revision the release registered. */
  taskDefinitionArn: z.string().min(1),
  /** ISO 8601, UTC. */
  releasedAt: z.string().min(1),
  /** The release's sequence number: the `n` of its ECR tag `released-<env>-<n>`. Absent in older records. */
  sequence: z.number().int().positive().optional(),
});

const pendingSchema = entrySchema.extend({
  /** Blue/green: the service deployment ECS is running (bake, clean-up or rollback). */
  serviceDeploymentArn: z.string().min(1).optional(),
  /** Rolling: the deployment id (`ecs-svc/…`) ECS is running. */
  deploymentId: z.string().min(1).optional(),
  /** The revision the service ran before: what schedules go back to when ECS rolls back. */
  previousTaskDefinitionArn: z.string().min(1).optional(),
  /** ISO 8601: when the bake ends and ECS finishes on its own (blue/green, once traffic shifted). */
  bakeEndsAt: z.string().min(1).optional(),
});

const recordSchema = z.object({
  current: entrySchema.nullable(),
  previous: entrySchema.nullable(),
  pending: pendingSchema.nullable().optional(),
  /** The last sequence number given to a release. */
  sequence: z.number().int().nonnegative().optional(),
});

export type ReleaseEntry = z.infer<typeof entrySchema>;
export type PendingEntry = z.infer<typeof pendingSchema>;
export type ReleaseRecord = z.infer<typeof recordSchema>;

export const EMPTY_RECORD: ReleaseRecord = { current: null, previous: null };

/** Parses the parameter's value; a damaged record stops the release (it decides what a rollback does). */
export function parseRecord(text: string, parameter: string): ReleaseRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ReleaseFailed(`release record ${parameter} is not JSON: ${JSON.stringify(text.slice(0, 80))}`, false);
  }
  const result = recordSchema.safeParse(json);
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ReleaseFailed(`release record ${parameter} is not a valid record (${where})`, false);
  }
  return result.data;
}

/** The sequence number the next release gets. */
export function nextSequence(record: ReleaseRecord): number {
  return Math.max(record.sequence ?? 0, record.current?.sequence ?? 0, record.pending?.sequence ?? 0) + 1;
}

/**
 * The record after `entry` went live: the old current becomes previous, and a pending release is
 * settled. Re-releasing the image that is already current (to roll out an infrastructure change)
 * keeps previous, so a rollback still goes to a different image.
 */
export function advance(record: ReleaseRecord, entry: ReleaseEntry): ReleaseRecord {
  const previous = record.current?.digest === entry.digest ? record.previous : record.current;
  return withSequence({ current: entry, previous }, record.sequence, entry.sequence);
}

/** The record with a release ECS is still deciding; current and previous are unchanged. */
export function withPending(record: ReleaseRecord, pending: PendingEntry): ReleaseRecord {
  return withSequence({ current: record.current, previous: record.previous, pending }, record.sequence, pending.sequence);
}

/** The record without its pending release (ECS rolled it back). */
export function dropPending(record: ReleaseRecord): ReleaseRecord {
  return withSequence({ current: record.current, previous: record.previous }, record.sequence);
}

/** The plain entry of a pending release (what `current` becomes when it succeeds). */
export function settledEntry(pending: PendingEntry): ReleaseEntry {
  const { tag, digest, image, taskDefinitionArn, releasedAt, sequence } = pending;
  return { tag, digest, image, taskDefinitionArn, releasedAt, ...(sequence !== undefined ? { sequence } : {}) };
}

/** `record` with the highest of `sequences` as its last sequence number (none given: as it is). */
function withSequence(record: ReleaseRecord, ...sequences: Array<number | undefined>): ReleaseRecord {
  const sequence = Math.max(0, ...sequences.map((n) => n ?? 0));
  return sequence === 0 ? record : { ...record, sequence };
}

export function formatRecord(record: ReleaseRecord): string {
  return JSON.stringify(record);
}

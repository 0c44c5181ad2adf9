// The release record: which image a service runs (current) and ran before (previous), as JSON in an
// SSM String parameter Terraform creates with `{"current":null,"previous":null}` and then ignores.
// A release writes it only after the rollout succeeded; a rollback releases `previous`.
import { z } from 'zod';
import { ReleaseFailed } from './errors';

const entrySchema = z.object({
  /** The tag the operator released. */
  tag: z.string().min(1),
  /** The image digest the tag resolved to, `sha256:…`. */
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  /** `<repository uri>@<digest>`: what the task definition runs. */
  image: z.string().min(1),
  /** The service revision the release registered. */
  taskDefinitionArn: z.string().min(1),
  /** ISO 8601, UTC. */
  releasedAt: z.string().min(1),
});

const recordSchema = z.object({ current: entrySchema.nullable(), previous: entrySchema.nullable() });

export type ReleaseEntry = z.infer<typeof entrySchema>;
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

/**
 * The record after `entry` went live: the old current becomes previous. Re-releasing the image that
 * is already current (to roll out an infrastructure change) keeps previous, so a rollback still
 * goes to a different image.
 */
export function advance(record: ReleaseRecord, entry: ReleaseEntry): ReleaseRecord {
  if (record.current?.digest === entry.digest) return { current: entry, previous: record.previous };
  return { current: entry, previous: record.current };
}

export function formatRecord(record: ReleaseRecord): string {
  return JSON.stringify(record);
}

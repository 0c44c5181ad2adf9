// Reading and writing the release record (SSM parameter `/<project>/<env>/releases/<service>`).
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { ReleaseFailed } from './errors';
import { formatRecord, parseRecord, type ReleaseEntry, type ReleaseRecord } from './record';
import type { Session } from './session';

export interface StoredRecord {
  readonly record: ReleaseRecord;
  /** The parameter version read (a concurrent write shows as a different version). */
  readonly version?: number;
  /** The account the parameter lives in (from its ARN). */
  readonly account?: string;
}

export async function readRecord(session: Session, parameter: string): Promise<StoredRecord> {
  try {
    const result = await session.clients.ssm.send(new GetParameterCommand({ Name: parameter }), { abortSignal: session.signal });
    const account = result.Parameter?.ARN?.split(':')[4] || undefined;
    return { record: parseRecord(result.Parameter?.Value ?? '', parameter), version: result.Parameter?.Version, account };
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') {
      throw new ReleaseFailed(`release record ${parameter} does not exist: apply the environment's app stack first`, false);
    }
    throw error;
  }
}

/**
 * Writes the record `build` makes from the parameter's latest value; returns what was written.
 *
 * SSM has no conditional PutParameter, so the parameter's version stands in for one: it is read again
 * right before the write, and if it is no longer the version this release read (another release wrote
 * meanwhile), `build` runs on the fresh record, so that release's entry and sequence numbers are kept
 * and this one takes the next number. What remains is a write landing between that read and the
 * PutParameter (a window of one round trip): it is lost, and the version PutParameter returns (not
 * the one read + 1) shows it, with a warning. Pipelines run one release per environment at a time.
 * `signal` is a fresh one when the write records what happened after a signal or a deadline.
 */
export async function updateRecord(
  session: Session,
  parameter: string,
  stored: StoredRecord,
  build: (record: ReleaseRecord) => ReleaseRecord,
  signal?: AbortSignal,
): Promise<StoredRecord> {
  const { ssm } = session.clients;
  const abortSignal = signal ?? session.signal;
  const now = await ssm.send(new GetParameterCommand({ Name: parameter }), { abortSignal });
  let base = stored.record;
  const freshVersion = now.Parameter?.Version;
  if (stored.version !== undefined && freshVersion !== undefined && freshVersion !== stored.version) {
    session.warn(`${parameter} changed during this release (version ${stored.version} -> ${freshVersion}): this release is recorded on top of that change`);
    base = parseRecord(now.Parameter?.Value ?? '', parameter);
  }
  const record = build(base);
  const put = await ssm.send(new PutParameterCommand({ Name: parameter, Value: formatRecord(record), Type: 'String', Overwrite: true }), { abortSignal });
  if (freshVersion !== undefined && put?.Version !== undefined && put.Version !== freshVersion + 1) {
    session.warn(`${parameter}: another write landed while this one was made (version ${freshVersion} -> ${put.Version}): one of the two is lost; check it: aws ssm get-parameter --name ${parameter}`);
  }
  session.detail(`current: ${describeEntry(record.current)}; previous: ${describeEntry(record.previous)}${record.pending ? `; pending: ${describeEntry(record.pending)}` : ''}`);
  return { ...stored, record, version: put?.Version };
}

export function describeEntry(entry: ReleaseEntry | null | undefined): string {
  return entry ? `${entry.tag} (${entry.digest.slice(0, 19)}…, ${entry.releasedAt})` : 'none';
}

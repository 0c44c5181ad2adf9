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
    const result = await session.clients.ssm.send(new GetParameterCommand({ Name: parameter }), { abortSignal: session.callSignal() });
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
 * Writes the record; returns the new version. `signal` is a fresh one when the write records what
 * happened after a signal or a deadline (the session's own would abort it).
 */
export async function writeRecord(session: Session, parameter: string, record: ReleaseRecord, readVersion: number | undefined, signal?: AbortSignal): Promise<number | undefined> {
  const { ssm } = session.clients;
  const abortSignal = signal ?? session.callSignal();
  // Pipelines run one release per environment at a time; if someone released by hand meanwhile, say so.
  const now = await ssm.send(new GetParameterCommand({ Name: parameter }), { abortSignal });
  if (readVersion !== undefined && now.Parameter?.Version !== readVersion) {
    session.warn(`${parameter} changed during this release (version ${readVersion} -> ${now.Parameter?.Version}); overwriting with this release`);
  }
  const put = await ssm.send(new PutParameterCommand({ Name: parameter, Value: formatRecord(record), Type: 'String', Overwrite: true }), { abortSignal });
  session.detail(`current: ${describeEntry(record.current)}; previous: ${describeEntry(record.previous)}${record.pending ? `; pending: ${describeEntry(record.pending)}` : ''}`);
  return put?.Version;
}

export function describeEntry(entry: ReleaseEntry | null | undefined): string {
  return entry ? `${entry.tag} (${entry.digest.slice(0, 19)}…, ${entry.releasedAt})` : 'none';
}

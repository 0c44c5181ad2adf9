// The ways a release ends early: the operator asked for something impossible (exit 2, no AWS call
// made), AWS said no / the rollout failed (exit 1), or a wait ended without an outcome (exit 4).
import type { ReleaseEntry } from './record';

/** Bad command-line input or configuration: found before any AWS call. */
export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'InputError';
  }
}

/** The release stopped. `moved` says whether the service's task definition was changed. */
export class ReleaseFailed extends Error {
  constructor(
    message: string,
    readonly moved: boolean,
  ) {
    super(message);
    this.name = 'ReleaseFailed';
  }
}

/**
 * The rollout ended and ECS put the service back on its previous revision (circuit breaker, blue/green
 * rollback or stop): the revision this release registered serves nothing and must not stay "latest".
 */
export class RolledBack extends ReleaseFailed {
  constructor(
    message: string,
    /** Blue/green: the service deployment's status when the release saw it fail. */
    readonly status?: string,
  ) {
    super(message, true);
    this.name = 'RolledBack';
  }
}

/**
 * A wait ended without an outcome (deadline, AWS errors, SIGINT/SIGTERM): ECS (or the migration task)
 * carries on without the tool. `standing` says where it stands and the exact commands to follow it or
 * roll back; the command exits 4.
 */
export class WaitEnded extends ReleaseFailed {
  constructor(
    message: string,
    moved: boolean,
    readonly standing: string[],
    /** The release the wait was about, when known (for --json-out). */
    readonly entry?: ReleaseEntry,
  ) {
    super(message, moved);
    this.name = 'WaitEnded';
  }
}

/** One line for an error from the AWS SDK (credentials, region, API errors); never a stack trace. */
export function describeAwsError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'CredentialsProviderError' || /credential/i.test(error.name)) {
    return `no usable AWS credentials (${firstLine(error.message)}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role`;
  }
  // Network-level failures (wrong AWS_ENDPOINT_URL, no route to the endpoint).
  const code = networkCode(error);
  if (code) return `cannot reach AWS (${code}): ${firstLine(error.message)}`;
  if (error.name === 'TimeoutError') return `AWS did not answer in time (${firstLine(error.message)})`;
  if ('$metadata' in error || '$fault' in error) return `${error.name}: ${firstLine(error.message)}`;
  return undefined;
}

/** One line for any error met on the way: the AWS description when there is one, else its message. */
export function errorText(error: unknown): string {
  return describeAwsError(error) ?? (error as Error).message;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/**
 * Errors worth another try while waiting: throttling, AWS-side faults (5xx), timeouts and network
 * failures. Access denied, validation and not-found errors are not: they end the wait at once.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (THROTTLING.has(error.name) || error.name === 'TimeoutError' || error.name === 'RequestTimeout') return true;
  if (networkCode(error)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  return (error as { $fault?: string }).$fault === 'server' || error.name === 'ServerException';
}

function networkCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|EPIPE|ECONNABORTED)$/.test(code) ? code : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

// The two ways a release ends early: the operator asked for something impossible (exit 2, no AWS
// call made), or AWS said no / the rollout failed (exit 1).

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
  constructor(message: string) {
    super(message, true);
    this.name = 'RolledBack';
  }
}

/** One line for an error from the AWS SDK (credentials, region, API errors); never a stack trace. */
export function describeAwsError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'CredentialsProviderError' || /credential/i.test(error.name)) {
    return `no usable AWS credentials (${firstLine(error.message)}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role`;
  }
  // Network-level failures (wrong AWS_ENDPOINT_URL, no route to the endpoint).
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN)$/.test(code)) {
    return `cannot reach AWS (${code}): ${firstLine(error.message)}`;
  }
  if ('$metadata' in error || '$fault' in error) return `${error.name}: ${firstLine(error.message)}`;
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

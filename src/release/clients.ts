// The AWS clients a release uses. The SDK's default credential chain applies (AWS_PROFILE, SSO, web
// identity in CI, instance roles), and SDK v3 itself honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> (e.g. LocalStack), so nothing here overrides endpoints.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface ReleaseClients {
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  readonly ssm: SSMClient;
  readonly logs: CloudWatchLogsClient;
  readonly scheduler: SchedulerClient;
  /** ECR in another region (the previous environment's repository, for the promotion check). */
  ecrIn(region: string): ECRClient;
}

/** How long one HTTP request may take before the SDK gives up on it (and retries it). */
export interface RequestTimeouts {
  /** Milliseconds to open the connection. */
  readonly connectionTimeout: number;
  /** Milliseconds without a byte of the answer. */
  readonly requestTimeout: number;
}

/**
 * A hung endpoint must not hang the tool: three attempts of at most 15 s each bound one call (about a
 * minute, CALL_BUDGET_MS). Calls of a wait are cut off sooner (WAIT_CALL_BUDGET_MS, 20 s) so that the
 * wait still prints a line each minute; waits retry on their own (with backoff, until their deadline).
 */
export const REQUEST_TIMEOUTS: RequestTimeouts = { connectionTimeout: 3_000, requestTimeout: 15_000 };
const MAX_ATTEMPTS = 3;

/** Clients for the environment's region, each with request timeouts. */
export function createClients(region: string, timeouts: RequestTimeouts = REQUEST_TIMEOUTS): ReleaseClients {
  // The SDK builds its NodeHttpHandler from these options (requestHandler accepts the handler's options).
  // Without throwOnRequestTimeout, @smithy/node-http-handler only logs a warning when requestTimeout passes
  // and keeps waiting (a hung endpoint would hang the tool).
  const config = { region, maxAttempts: MAX_ATTEMPTS, requestHandler: { ...timeouts, throwOnRequestTimeout: true } };
  const ecr = new ECRClient(config);
  const others = new Map<string, ECRClient>([[region, ecr]]);
  return {
    ecs: new ECSClient(config),
    ecr,
    ssm: new SSMClient(config),
    logs: new CloudWatchLogsClient(config),
    scheduler: new SchedulerClient(config),
    ecrIn: (other) => {
      if (!others.has(other)) others.set(other, new ECRClient({ ...config, region: other }));
      return others.get(other)!;
    },
  };
}

// The AWS clients a release uses. The SDK's default credential chain applies (AWS_PROFILE, SSO, web
// identity in CI, instance roles), and SDK v3 itself honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> (e.g. LocalStack), so nothing here overrides endpoints.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface ReleaseClients {
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  readonly ssm: SSMClient;
  readonly logs: CloudWatchLogsClient;
}

/** Clients for the environment's region; polling rides out throttling with more retries than the default 3. */
export function createClients(region: string): ReleaseClients {
  const config = { region, maxAttempts: 6 };
  return { ecs: new ECSClient(config), ecr: new ECRClient(config), ssm: new SSMClient(config), logs: new CloudWatchLogsClient(config) };
}

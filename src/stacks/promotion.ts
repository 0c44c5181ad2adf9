// Promotion evidence across accounts: a release to an environment ships only a digest the previous
// environment of its service released, which it reads from that environment's repository
// (ecr:DescribeImages, registryId = that environment's account). In one account the release role's
// identity policy is enough; when the next environment of a service lives in another account, the
// repository's own policy must allow it too (cross-account access needs both: ECR
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html, IAM
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
import type { EnvironmentConfig } from '../config/load';
import { nextInChain } from '../config/promotion-chain';
import type { TagReader } from '../constructs/container-registry';
import { pipelineRoleArn, pipelineRoleNames } from '../constructs/pipeline-identities';
import { environmentPrefix } from '../naming';

/** The environment that promotes from `config` for `service` (`nextInChain`); undefined when none does. */
export function nextEnvironmentOf(environments: readonly EnvironmentConfig[], config: EnvironmentConfig, service: string): EnvironmentConfig | undefined {
  return nextInChain(environments, config.name, service);
}

/**
 * Per service of `config`, the next environment's release role when that environment is in ANOTHER
 * account. Both accounts must be known (`allowedAccountIds`): the release tool reads the repository of
 * an environment without accounts in its own account, where its identity policy is enough.
 */
export function promotionReaders(environments: readonly EnvironmentConfig[], config: EnvironmentConfig): Record<string, TagReader> {
  const ownAccount = config.allowedAccountIds?.[0];
  const readers: Record<string, TagReader> = {};
  for (const svc of config.services) {
    const next = nextEnvironmentOf(environments, config, svc.name);
    const accountId = next?.allowedAccountIds?.[0];
    if (!next || !ownAccount || !accountId || accountId === ownAccount) continue;
    const role = pipelineRoleNames(environmentPrefix(next.project.service, next.name)).release;
    // Who may read the repository's tags: the next environment's release role
    // (`arn:<partition>:iam::<account>:role/pipeline/<prefix>-pipeline-release`), in its account.
    readers[svc.name] = { accountId, roleArn: pipelineRoleArn(accountId, role, next.partition), partition: config.partition };
  }
  return readers;
}

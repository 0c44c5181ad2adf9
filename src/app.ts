// The architecture of one environment: which stacks exist and what flows between them.
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/load';
import { AppStack } from './stacks/app-stack';
import { BootstrapStack } from './stacks/bootstrap-stack';
import { DataStack } from './stacks/data-stack';
import { NetworkStack } from './stacks/network-stack';

export interface EnvironmentStacks {
  readonly bootstrap: BootstrapStack;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly app: AppStack;
}

/**
 * State is split by lifecycle: bootstrap (state bucket) → network → data → app (rewritten by every deploy).
 * `environments` is every environment of the app in declaration order (the promotion chain: who may read
 * this environment's image tags as evidence of a release); alone, an environment promotes to nobody.
 */
export function buildEnvironment(scope: Construct, config: EnvironmentConfig, environments: readonly EnvironmentConfig[] = [config]): EnvironmentStacks {
  const bootstrap = new BootstrapStack(scope, config, environments);
  const network = new NetworkStack(scope, config);
  const data = new DataStack(scope, { config, network: network.network, environments });
  const app = new AppStack(scope, {
    config,
    network: network.network,
    database: data.database,
    registry: data.registry,
    cache: data.cache,
  });
  return { bootstrap, network, data, app };
}

// The promotion chain of a service: the environments that have it, in declaration order of
// src/config/environments.ts (dev → staging → prod). A release to one of them ships a digest the
// previous one released; pipelines walk the chain with `npm run release:chain -- <service>`.
import { chainOf } from '../config/promotion-chain';
import type { EnvironmentInput } from '../config/schema';
import type { CommandIo } from '../lib/command-io';
import { processIo } from '../lib/command-io';

/** The environments in declaration order, as the chain reads them. */
const ordered = (environments: Record<string, EnvironmentInput>) => Object.entries(environments).map(([name, env]) => ({ name, services: env.services }));

/** Environment names that have `service`, in declaration order. */
export function releaseChain(environments: Record<string, EnvironmentInput>, service: string): string[] {
  return chainOf(ordered(environments), service).map((env) => env.name);
}

export const CHAIN_USAGE = 'usage: npm run release:chain -- <service>   (prints the environments that have the service, in release order)';

/** `npm run release:chain -- <service>`: one environment name per line; exit 2 for an unknown service. */
export function releaseChainCommand(argv: string[], environments: Record<string, EnvironmentInput>, io: CommandIo = processIo()): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.log(CHAIN_USAGE);
    return 0;
  }
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    io.error(`release:chain: give exactly one service name`);
    io.error(CHAIN_USAGE);
    return 2;
  }
  const chain = releaseChain(environments, argv[0]);
  if (chain.length === 0) {
    const known = [...new Set(Object.values(environments).flatMap((env) => (env.services ?? []).map((s) => s.name)))];
    io.error(`release:chain: unknown service ${JSON.stringify(argv[0])} (services: ${known.join(', ')})`);
    return 2;
  }
  for (const name of chain) io.log(name);
  return 0;
}

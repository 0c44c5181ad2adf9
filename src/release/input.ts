// `npm run release -- <env> <service> <image-tag>` / `-- <env> <service> --rollback`: the command
// line and the config, checked before any AWS call. Every mistake is an InputError (exit 2).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type EnvironmentConfig } from '../config/load';
import { imageTag, type EnvironmentInput, type ProjectInput, type ServiceConfig } from '../config/schema';
import { serviceNames, type ServiceNames } from '../naming';
import { InputError } from './errors';

export const USAGE = [
  'usage: npm run release -- <env> <service> <image-tag> [--timeout-minutes N] [--migrate-timeout-minutes N]',
  '       npm run release -- <env> <service> --rollback [--timeout-minutes N]',
].join('\n');

/** What to release: a tag from ECR, or the record's previous release. */
export type ReleaseTarget = { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'rollback' };

export interface ReleaseRequest {
  readonly env: EnvironmentConfig;
  readonly service: ServiceConfig;
  readonly names: ServiceNames;
  readonly target: ReleaseTarget;
  /** Rollout wait; when unset: 60 minutes rolling, bake time + 60 minutes blue/green. */
  readonly timeoutMinutes?: number;
  /** Migration task wait. @default 60 */
  readonly migrateTimeoutMinutes: number;
}

export const DEFAULT_MIGRATE_TIMEOUT_MINUTES = 60;

export function parseReleaseArgs(argv: string[], project: ProjectInput, environments: Record<string, EnvironmentInput>): ReleaseRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        rollback: { type: 'boolean', default: false },
        'timeout-minutes': { type: 'string' },
        'migrate-timeout-minutes': { type: 'string' },
      },
    });
  } catch (error) {
    throw new InputError([(error as Error).message, USAGE]);
  }
  const { values, positionals } = parsed;
  const expected = values.rollback ? 2 : 3;
  if (positionals.length !== expected) {
    const what = values.rollback
      ? positionals.length > 2
        ? '--rollback releases the recorded previous image: give no tag'
        : 'missing <env> or <service>'
      : positionals.length < 3
        ? 'missing <env>, <service> or <image-tag> (or --rollback)'
        : `unexpected argument ${JSON.stringify(positionals[3])}`;
    throw new InputError([what, USAGE]);
  }
  const [envName, serviceName, tag] = positionals;

  const defined = Object.keys(environments);
  if (!defined.includes(envName)) throw new InputError([`unknown environment ${JSON.stringify(envName)} (defined: ${defined.join(', ')})`]);
  let env: EnvironmentConfig;
  try {
    env = loadConfig(project, environments, { only: envName })[0];
  } catch (error) {
    if (error instanceof ConfigError) throw new InputError(error.problems);
    throw error;
  }
  const service = env.services.find((s) => s.name === serviceName);
  if (!service) {
    throw new InputError([`unknown service ${JSON.stringify(serviceName)} in ${envName} (services: ${env.services.map((s) => s.name).join(', ')})`]);
  }

  let target: ReleaseTarget = { kind: 'rollback' };
  if (!values.rollback) {
    const checked = imageTag.safeParse(tag);
    if (!checked.success) throw new InputError([`image tag: ${checked.error.issues.map((i) => i.message).join('; ')}`]);
    target = { kind: 'tag', tag: checked.data };
  }
  return {
    env,
    service,
    names: serviceNames(env.project.service, env.name, service.name),
    target,
    timeoutMinutes: minutes(values['timeout-minutes'], '--timeout-minutes'),
    migrateTimeoutMinutes: minutes(values['migrate-timeout-minutes'], '--migrate-timeout-minutes') ?? DEFAULT_MIGRATE_TIMEOUT_MINUTES,
  };
}

function minutes(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 7 * 24 * 60) {
    throw new InputError([`${option}: ${JSON.stringify(text)} is not a whole number of minutes between 1 and ${7 * 24 * 60}`]);
  }
  return value;
}

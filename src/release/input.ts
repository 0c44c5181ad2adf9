// `npm run release -- <env> <service> <image>` / `--rollback` / `--status`: the command line and the
// config, checked before any AWS call. Every mistake is an InputError (exit 2).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type EnvironmentConfig } from '../config/load';
import { imageTag, type EnvironmentInput, type ProjectInput, type ServiceConfig } from '../config/schema';
import { previousInChain } from '../config/promotion-chain';
import { serviceNames, type ServiceNames } from '../naming';
import { InputError } from './errors';
import { DIGEST } from './record';

export const USAGE = [
  'usage: npm run release -- <env> <service> <image-tag> [options]     image: <tag> | sha256:<64 hex> | <tag>@sha256:<64 hex>',
  '       npm run release -- <env> <service> --rollback [options]',
  '       npm run release -- <env> <service> --status [--wait-bake] [--json-out <file>]',
  'options: --yes                        production outside CI (CI=true): skip the typed confirmation (pipelines, after approval)',
  '         --force-unpromoted           ship a digest the previous environment never released (warns)',
  '         --wait-bake                  blue/green: wait through the bake until ECS reports SUCCESSFUL',
  '         --timeout-minutes N          rollout wait (default: 60; blue/green with --wait-bake: bake time + 60)',
  '         --migrate-timeout-minutes N  migration task wait (default: 60)',
  '         --json-out <file>            write {env, service, tag, digest, image, taskDefinitionArn, outcome}',
  'exit: 0 released (blue/green: traffic on green, bake running), 1 failed, 2 bad input, 4 wait ended without an outcome',
].join('\n');

/** What to do: ship an image (a tag, a digest, or a tag that must resolve to a digest), roll back, or reconcile. */
export type ReleaseTarget =
  | { readonly kind: 'tag'; readonly tag: string; readonly digest?: string }
  | { readonly kind: 'digest'; readonly digest: string }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'status' };

/** The nearest earlier environment (declaration order) that has the service: where a release must come from. */
export interface PreviousEnvironment {
  readonly name: string;
  readonly region: string;
  /** Registry (account) of its repository: its `allowedAccountIds[0]`; unset = the caller's account. */
  readonly registryId?: string;
  readonly repository: string;
}

export interface ReleaseRequest {
  readonly env: EnvironmentConfig;
  readonly service: ServiceConfig;
  readonly names: ServiceNames;
  readonly target: ReleaseTarget;
  /** Rollout wait; when unset: 60 minutes (blue/green with --wait-bake: bake time + 60 minutes). */
  readonly timeoutMinutes?: number;
  /** Migration task wait. @default 60 */
  readonly migrateTimeoutMinutes: number;
  /** Production outside CI: the operator confirmed on the command line. @default false */
  readonly yes?: boolean;
  /** Ship a digest the previous environment never released. @default false */
  readonly forceUnpromoted?: boolean;
  /** Blue/green: wait until SUCCESSFUL instead of returning once the bake runs. @default false */
  readonly waitBake?: boolean;
  /** File for the pipeline's JSON result. */
  readonly jsonOut?: string;
  /** Where the promotion evidence is; undefined for the first environment of the chain. */
  readonly previousEnv?: PreviousEnvironment;
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
        status: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        'force-unpromoted': { type: 'boolean', default: false },
        'wait-bake': { type: 'boolean', default: false },
        'json-out': { type: 'string' },
        'timeout-minutes': { type: 'string' },
        'migrate-timeout-minutes': { type: 'string' },
      },
    });
  } catch (error) {
    throw new InputError([(error as Error).message, USAGE]);
  }
  const { values, positionals } = parsed;
  if (values.rollback && values.status) throw new InputError(['--rollback and --status exclude each other', USAGE]);
  const noImage = values.rollback || values.status;
  const expected = noImage ? 2 : 3;
  if (positionals.length !== expected) {
    const flag = values.rollback ? '--rollback' : '--status';
    const what = noImage
      ? positionals.length > 2
        ? `${flag} ${values.rollback ? 'releases the recorded previous image' : 'reports the last release'}: give no tag`
        : 'missing <env> or <service>'
      : positionals.length < 3
        ? 'missing <env>, <service> or <image-tag> (or --rollback)'
        : `unexpected argument ${JSON.stringify(positionals[3])}`;
    throw new InputError([what, USAGE]);
  }
  const [envName, serviceName, image] = positionals;
  if (values['json-out'] !== undefined && values['json-out'].trim() === '') throw new InputError(['--json-out: give a file name']);

  const defined = Object.keys(environments);
  if (!defined.includes(envName)) throw new InputError([`unknown environment ${JSON.stringify(envName)} (defined: ${defined.join(', ')})`]);
  const all = loadAll(project, environments);
  const env = all.find((e) => e.name === envName)!;
  const service = env.services.find((s) => s.name === serviceName);
  if (!service) {
    throw new InputError([`unknown service ${JSON.stringify(serviceName)} in ${envName} (services: ${env.services.map((s) => s.name).join(', ')})`]);
  }

  const target: ReleaseTarget = values.rollback ? { kind: 'rollback' } : values.status ? { kind: 'status' } : parseImage(image);
  const previous = previousInChain(all, envName, serviceName);
  let previousEnv: PreviousEnvironment | undefined;
  if (previous) {
    previousEnv = {
      name: previous.name,
      region: previous.region,
      ...(previous.allowedAccountIds?.[0] ? { registryId: previous.allowedAccountIds[0] } : {}),
      repository: serviceNames(project.service, previous.name, serviceName).repository,
    };
  }
  return {
    env,
    service,
    names: serviceNames(env.project.service, env.name, service.name),
    target,
    timeoutMinutes: minutes(values['timeout-minutes'], '--timeout-minutes'),
    migrateTimeoutMinutes: minutes(values['migrate-timeout-minutes'], '--migrate-timeout-minutes') ?? DEFAULT_MIGRATE_TIMEOUT_MINUTES,
    yes: values.yes,
    forceUnpromoted: values['force-unpromoted'],
    waitBake: values['wait-bake'],
    ...(values['json-out'] !== undefined ? { jsonOut: values['json-out'] } : {}),
    ...(previousEnv ? { previousEnv } : {}),
  };
}

/** `<tag>`, `sha256:<64 hex>` or `<tag>@sha256:<64 hex>` (the tag must then point at that digest). */
export function parseImage(text: string): ReleaseTarget {
  if (DIGEST.test(text)) return { kind: 'digest', digest: text };
  const at = text.indexOf('@');
  if (at >= 0) {
    const digest = text.slice(at + 1);
    if (!DIGEST.test(digest)) {
      throw new InputError([`image: ${JSON.stringify(text)} is not <tag>, sha256:<64 lowercase hex> or <tag>@sha256:<64 lowercase hex>`]);
    }
    return { kind: 'tag', tag: tagOf(text.slice(0, at)), digest };
  }
  if (text.startsWith('sha256:')) throw new InputError([`image: ${JSON.stringify(text)} is not a digest (sha256:<64 lowercase hex>)`]);
  return { kind: 'tag', tag: tagOf(text) };
}

function tagOf(text: string): string {
  const checked = imageTag.safeParse(text);
  if (!checked.success) throw new InputError([`image tag: ${checked.error.issues.map((i) => i.message).join('; ')}`]);
  return checked.data;
}

/** Every environment, validated (as synth validates them): a config problem is bad input here. */
function loadAll(project: ProjectInput, environments: Record<string, EnvironmentInput>): EnvironmentConfig[] {
  try {
    return loadConfig(project, environments);
  } catch (error) {
    if (error instanceof ConfigError) throw new InputError(error.problems);
    throw error;
  }
}

function minutes(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 7 * 24 * 60) {
    throw new InputError([`${option}: ${JSON.stringify(text)} is not a whole number of minutes between 1 and ${7 * 24 * 60}`]);
  }
  return value;
}

// The one place configuration is validated. Everything downstream receives an `EnvironmentConfig`
// that already passed every rule, so constructs never re-check input.
import type { z } from 'zod';
import { environmentPrefix, TARGET_GROUP_SUFFIXES, targetGroupName } from '../naming';
import { parseCidr } from './cidr';
import { partitionOf, type Partition } from './regions';
import { environmentSetIssues, type NamedEnvironment } from './rules';
import {
  crossFieldIssues,
  environmentSchema,
  name,
  planSubnets,
  projectSchema,
  show,
  type EnvironmentInput,
  type ParsedEnvironment,
  type ProjectInput,
  type Tier,
} from './schema';

export interface Project {
  readonly service: string;
  readonly repository: string;
}

/** One environment, validated, with everything derived at synth time resolved (subnet CIDRs, partition). */
export interface EnvironmentConfig extends Omit<ParsedEnvironment, 'network'> {
  readonly name: string;
  readonly project: Project;
  /** ARN partition of `region` (`aws`, `aws-cn`, `aws-us-gov`): what every construct's `partition` prop gets. */
  readonly partition: Partition;
  readonly network: ParsedEnvironment['network'] & { readonly subnetCidrs: Record<Tier, string[]> };
}

/** A user mistake in configuration: one line per problem, `<env>.<field>: <what is wrong>`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Only these environments (comma-separated `ENVIRONMENTS`); all when unset. */
  readonly only?: string;
}

/**
 * Reads the options from the process environment: `ENVIRONMENTS` only. Nothing else in the process
 * environment (IMAGE_TAG, GITHUB_SHA, CIRCLE_SHA1...) reaches synthesized output: images change
 * through `npm run release`, never through an infrastructure deploy.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv): LoadOptions {
  return { only: env.ENVIRONMENTS || undefined };
}

/** Names that mean production to a reader: `prod`, `production`, `prd`, `live`, alone or as a `-` part (`eu-prod`). */
export function looksLikeProduction(envName: string): boolean {
  return envName.split('-').some((part) => ['prod', 'production', 'prd', 'live'].includes(part));
}

/** The environments `options.only` selects (all when unset), validated; see loadEnvironments. */
export function loadConfig(project: ProjectInput, environments: Record<string, EnvironmentInput>, options: LoadOptions = {}): EnvironmentConfig[] {
  return loadEnvironments(project, environments, options).selected;
}

/**
 * Validates every environment (always all of them: the rules between environments need every one), and
 * returns them all, in declaration order, and those `options.only` selects. Throws ConfigError with every
 * problem, each `<env>.<field>: <what>`.
 */
export function loadEnvironments(
  project: ProjectInput,
  environments: Record<string, EnvironmentInput>,
  options: LoadOptions = {},
): { all: EnvironmentConfig[]; selected: EnvironmentConfig[] } {
  const problems: string[] = [];
  const projectResult = projectSchema.safeParse(project, { reportInput: true });
  if (!projectResult.success) problems.push(...formatIssues('project', projectResult.error.issues));

  const defined = Object.keys(environments);
  if (defined.length === 0) problems.push('environments: none defined: add at least one to src/config/environments.ts');
  let selected = defined;
  if (options.only !== undefined) {
    selected = options.only.split(',').map((s) => s.trim());
    for (const wanted of selected) {
      if (!defined.includes(wanted)) problems.push(`ENVIRONMENTS: ${show(wanted)} is not a defined environment (${defined.join(', ')})`);
    }
  }

  const configs: EnvironmentConfig[] = [];
  const parsed: NamedEnvironment[] = [];
  const buckets = new Map<string, string>();
  for (const envName of defined) {
    const nameResult = name.safeParse(envName, { reportInput: true });
    if (!nameResult.success) problems.push(...formatIssues(`environments`, nameResult.error.issues));
    const input = environments[envName];
    const result = environmentSchema.safeParse(input, { reportInput: true });
    if (!result.success) {
      problems.push(...formatIssues(envName, result.error.issues));
      continue;
    }
    const env = result.data;
    parsed.push({ name: envName, env });
    const cross = [
      ...crossFieldIssues(env),
      ...(projectResult.success ? nameLengthIssues(projectResult.data.service, envName, env) : []),
      ...productionNameIssues(envName, input),
    ];
    problems.push(...cross.map((issue) => `${envName}.${issue.path}: ${issue.message}`));
    const owner = buckets.get(env.state.bucket);
    if (owner) problems.push(`${envName}.state.bucket: ${show(env.state.bucket)} is already the state bucket of ${owner}`);
    buckets.set(env.state.bucket, envName);
    if (cross.length > 0 || !projectResult.success) continue;

    const subnetCidrs = env.network.subnets ?? planSubnets(parseCidr(env.network.vpcCidr)!, env.availabilityZones.length);
    configs.push({ ...env, name: envName, project: projectResult.data, partition: partitionOf(env.region), network: { ...env.network, subnetCidrs } });
  }
  // Rules between environments (IAM name prefixes, the promotion chain's accounts), once all are parsed.
  if (projectResult.success) problems.push(...environmentSetIssues(projectResult.data.service, parsed));
  if (problems.length > 0) throw new ConfigError(problems);
  return { all: configs, selected: configs.filter((c) => selected.includes(c.name)) };
}

/**
 * A name like production must say so: without `production: true` none of production's guards apply.
 * An environment that only sounds like production says `production: false` explicitly (and is warned
 * about on every synth, see warnings.ts).
 */
function productionNameIssues(envName: string, input: EnvironmentInput): Array<{ path: string; message: string }> {
  if (!looksLikeProduction(envName) || input.production !== undefined) return [];
  return [{ path: 'production', message: `is not set, but ${show(envName)} names a production environment: set production: true (or production: false if it is not one)` }];
}

/** AWS caps load balancer and target group names at 32 characters: check the longest a service may get. */
function nameLengthIssues(service: string, envName: string, env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const prefix = environmentPrefix(service, envName);
  return env.services.flatMap((svc, i) => {
    const longest = TARGET_GROUP_SUFFIXES.map((suffix) => targetGroupName(prefix, svc.name, suffix)).reduce((a, b) => (b.length > a.length ? b : a));
    return longest.length > 32
      ? [{ path: `services.${i}.name`, message: `${show(svc.name)} makes the target group name "${longest}" longer than AWS's 32 characters` }]
      : [];
  });
}

function formatIssues(prefix: string, issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${path}.${key}: unknown field`);
    return [`${path}: ${describe(issue)}`];
  });
}

function describe(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? 'is required' : `${show(input)} is not a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}`;
    case 'invalid_value':
      return `${show(input)} is not one of ${issue.values.map((v) => show(v)).join(', ')}`;
    case 'invalid_union':
      return `${show(input)} is not an allowed value`;
    case 'too_small':
      return issue.origin === 'array'
        ? `${(input as unknown[]).length} given; at least ${issue.minimum} required`
        : `${show(input)} is below the minimum ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `${(input as unknown[]).length} given; at most ${issue.maximum} allowed`
        : `${show(input)} is above the maximum ${issue.maximum}`;
    default:
      return issue.message;
  }
}

// The one place configuration is validated. Everything downstream receives an `EnvironmentConfig`
// that already passed every rule, so constructs never re-check input.
import type { z } from 'zod';
import { parseCidr } from './cidr';
import {
  crossFieldIssues,
  environmentSchema,
  imageTag,
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

/** One environment, validated, with everything derived at synth time resolved (subnet CIDRs, image tag). */
export interface EnvironmentConfig extends Omit<ParsedEnvironment, 'network'> {
  readonly name: string;
  readonly project: Project;
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
  /** Overrides every environment's `imageTag` (`IMAGE_TAG`, the commit SHA in CI). */
  readonly imageTag?: string;
}

/** Reads the options from the process environment: `ENVIRONMENTS` and `IMAGE_TAG`. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): LoadOptions {
  return { only: env.ENVIRONMENTS || undefined, imageTag: env.IMAGE_TAG || undefined };
}

export function loadConfig(
  project: ProjectInput,
  environments: Record<string, EnvironmentInput>,
  options: LoadOptions = {},
): EnvironmentConfig[] {
  const problems: string[] = [];
  const projectResult = projectSchema.safeParse(project, { reportInput: true });
  if (!projectResult.success) problems.push(...formatIssues('project', projectResult.error.issues));

  const defined = Object.keys(environments);
  let selected = defined;
  if (options.only !== undefined) {
    selected = options.only.split(',').map((s) => s.trim());
    for (const wanted of selected) {
      if (!defined.includes(wanted)) problems.push(`ENVIRONMENTS: ${show(wanted)} is not a defined environment (${defined.join(', ')})`);
    }
  }
  let tagOverride: string | undefined;
  if (options.imageTag !== undefined) {
    const tag = imageTag.safeParse(options.imageTag, { reportInput: true });
    if (tag.success) tagOverride = tag.data;
    else problems.push(...formatIssues('IMAGE_TAG', tag.error.issues));
  }

  const configs: EnvironmentConfig[] = [];
  const buckets = new Map<string, string>();
  for (const envName of defined) {
    const nameResult = name.safeParse(envName, { reportInput: true });
    if (!nameResult.success) problems.push(...formatIssues(`environments`, nameResult.error.issues));
    const input = tagOverride !== undefined ? { ...environments[envName], imageTag: tagOverride } : environments[envName];
    const result = environmentSchema.safeParse(input, { reportInput: true });
    if (!result.success) {
      problems.push(...formatIssues(envName, result.error.issues));
      continue;
    }
    const env = result.data;
    const cross = [...crossFieldIssues(env), ...(projectResult.success ? nameLengthIssues(projectResult.data.service, envName, env) : [])];
    problems.push(...cross.map((issue) => `${envName}.${issue.path}: ${issue.message}`));
    const owner = buckets.get(env.state.bucket);
    if (owner) problems.push(`${envName}.state.bucket: ${show(env.state.bucket)} is already the state bucket of ${owner}`);
    buckets.set(env.state.bucket, envName);
    if (cross.length > 0 || !projectResult.success) continue;

    const subnetCidrs = env.network.subnets ?? planSubnets(parseCidr(env.network.vpcCidr)!, env.availabilityZones.length);
    configs.push({ ...env, name: envName, project: projectResult.data, network: { ...env.network, subnetCidrs } });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return configs.filter((c) => selected.includes(c.name));
}

/** AWS caps load balancer and target group names at 32 characters. */
function nameLengthIssues(service: string, envName: string, env: ParsedEnvironment): Array<{ path: string; message: string }> {
  return env.services.flatMap((svc, i) => {
    const longest = `${service}-${envName}-${svc.name}-green`;
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

// Configuration that loads but deserves a second look, one line per field:
// `warning: <env>.<field>: <why>`. Safeguards switched off print on every synth and plan; example
// values (examples.ts) only when asked, by `npm run plan` and `npm run deploy`, so synth and tests
// stay quiet with the shipped example configuration.
import { exampleReason } from './examples';
import { looksLikeProduction, type EnvironmentConfig } from './load';
import { isKnownRegion } from './regions';
import { show } from './validators';

export interface WarningOptions {
  /** Also list example values still in the configuration (for plan and deploy). */
  readonly examples: boolean;
}

/** Why each production escape hatch is worth a warning; any other `allowProduction*` gets a generic one. */
const HATCHES: Record<string, string> = {
  'database.allowProductionWithoutDeletionProtection': 'production database may run without deletion protection: one mistaken destroy deletes it',
  'edge.allowProductionWithoutWaf': 'production load balancer has no WAF web ACL: nothing filters common exploits or floods before the app',
};

export function configWarnings(configs: readonly EnvironmentConfig[], options: WarningOptions): string[] {
  const lines: string[] = [];
  const warn = (path: string, why: string) => lines.push(`warning: ${path}: ${why}`);
  for (const config of configs) {
    const env = config.name;
    if (looksLikeProduction(env) && !config.production) {
      warn(`${env}.production`, `is false, but ${show(env)} names a production environment: none of production's safeguards apply`);
    }
    if (config.allowUnknownRegion) {
      warn(
        `${env}.allowUnknownRegion`,
        isKnownRegion(config.region)
          ? `is true, but ${show(config.region)} is a known region: remove it`
          : `is true: region ${show(config.region)} is not one AWS provider 6.25 knows; check its spelling, and list it in src/config/regions.ts once the provider does`,
      );
    }
    if (config.production && config.ecsExec === true) {
      warn(`${env}.ecsExec`, 'is true: tasks in production accept ECS Exec shells; remove it (off) once the incident is over and force a new deployment');
    }
    if (config.production) {
      for (const { path } of leaves(config, (key, value) => /^allowProduction/.test(key) && value === true)) {
        warn(`${env}.${path}`, `is true: ${HATCHES[path] ?? 'a production safeguard is switched off'}`);
      }
    }
    if (options.examples) {
      const { project: _project, name: _name, network, ...rest } = config;
      const { subnetCidrs: _derived, ...networkInput } = network; // computed from vpcCidr, not written by anyone
      for (const { path, key, value } of leaves({ ...rest, network: networkInput }, (_key, v) => typeof v === 'string')) {
        const reason = exampleReason(key, value as string);
        if (reason) warn(`${env}.${path}`, `${show(value)} ${reason}`);
      }
    }
  }
  const project = configs[0]?.project;
  if (options.examples && project) {
    for (const field of ['service', 'repository'] as const) {
      const reason = exampleReason(field, project[field]);
      if (reason) warn(`project.${field}`, `${show(project[field])} ${reason}`);
    }
  }
  return lines;
}

/** Every leaf of a config object (depth first, in declaration order) that `keep` accepts, with its dotted path. */
function leaves(root: object, keep: (key: string, value: unknown) => boolean): Array<{ path: string; key: string; value: unknown }> {
  const found: Array<{ path: string; key: string; value: unknown }> = [];
  const visit = (value: unknown, path: string, key: string): void => {
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${path}.${i}`, key));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, path ? `${path}.${k}` : k, k);
    } else if (keep(key, value)) found.push({ path, key, value });
  };
  visit(root, '', '');
  return found;
}

// The Terraform types this project can synthesize: what the committed trimmed provider schema must hold.
// Read from two places, because each misses something: the `@cdktf/provider-aws/lib/<x>` imports under
// src/ (a construct imported but not yet used by any environment) and the synthesized JSON (types made
// without an import, e.g. an escape hatch).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isBuiltinType } from './provider-schema';

/** The package whose prebuilt bindings the code imports; its `cdktf.provider` names the provider release. */
const PROVIDER_PACKAGE = '@cdktf/provider-aws';
const IMPORT_PATTERN = /@cdktf\/provider-aws\/lib\/([a-z0-9-]+)/g;

/** Types being added by work in progress, so the committed schema has them before their first import. */
export const EXTRA_TYPES: TypeSet = {
  resources: [
    'aws_autoscaling_group',
    'aws_db_parameter_group',
    'aws_elasticache_replication_group',
    'aws_elasticache_serverless_cache',
    'aws_elasticache_subnet_group',
    'aws_elasticache_user',
    'aws_elasticache_user_group',
    'aws_elasticache_user_group_association',
    'aws_iam_openid_connect_provider',
    'aws_iam_policy',
    'aws_iam_role_policy_attachment',
    'aws_kms_alias',
    'aws_kms_key',
    'aws_lb_listener_rule',
    'aws_scheduler_schedule',
    'aws_scheduler_schedule_group',
    'aws_sqs_queue',
    'aws_sqs_queue_policy',
    'aws_ssm_parameter',
  ],
  dataSources: ['aws_ecs_task_definition', 'aws_iam_policy_document', 'aws_partition', 'aws_region', 'aws_ssm_parameter'],
};

/** Resource and data source type names, each list sorted and without duplicates. */
export interface TypeSet {
  readonly resources: string[];
  readonly dataSources: string[];
}

/** What one `@cdktf/provider-aws/lib/<lib>` import makes. */
export interface ImportedType {
  readonly lib: string;
  /** `provider` for `lib/provider`, the provider's own configuration block. */
  readonly kind: 'resource' | 'data' | 'provider';
  /** The Terraform type name (`aws_vpc`), or for the provider its local name (`aws`). */
  readonly type: string;
}

/** The provider release the bindings were generated from (`@cdktf/provider-aws` 21.22.1 → `6.25.0`). */
export function pinnedProviderVersion(): string {
  const pkg = JSON.parse(readFileSync(require.resolve(`${PROVIDER_PACKAGE}/package.json`), 'utf8')) as {
    cdktf?: { provider?: { version?: string } };
  };
  const version = pkg.cdktf?.provider?.version;
  if (!version) throw new Error(`${PROVIDER_PACKAGE}/package.json names no provider version (cdktf.provider.version)`);
  return version;
}

/**
 * The Terraform type of one binding, from the class's own `tfResourceType` (exact where the naming
 * rule `lib/s3-bucket` → `aws_s3_bucket` is not: `lib/provider` configures the provider `aws`).
 */
export function typeOfLib(lib: string): ImportedType {
  const file = require.resolve(`${PROVIDER_PACKAGE}/lib/${lib}/index.js`);
  const match = /\.tfResourceType = "([^"]+)"/.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`${PROVIDER_PACKAGE}/lib/${lib}: no tfResourceType in ${file}`);
  if (lib === 'provider') return { lib, kind: 'provider', type: match[1] };
  return { lib, kind: lib.startsWith('data-') ? 'data' : 'resource', type: match[1] };
}

/** Every distinct `@cdktf/provider-aws/lib/<x>` imported by a `.ts` file under `dir`, with its type. */
export function importedTypes(dir: string): ImportedType[] {
  const libs = new Set<string>();
  for (const file of typeScriptFiles(dir)) {
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT_PATTERN)) libs.add(match[1]);
  }
  return [...libs].sort().map(typeOfLib);
}

/** Resource and data source types in synthesized stacks (Terraform's builtins left out). */
export function synthesizedTypes(stacks: ReadonlyArray<{ readonly json: Record<string, unknown> }>): TypeSet {
  const resources = new Set<string>();
  const dataSources = new Set<string>();
  for (const { json } of stacks) {
    for (const type of Object.keys((json.resource ?? {}) as object)) if (!isBuiltinType('resource', type)) resources.add(type);
    for (const type of Object.keys((json.data ?? {}) as object)) if (!isBuiltinType('data', type)) dataSources.add(type);
  }
  return { resources: [...resources].sort(), dataSources: [...dataSources].sort() };
}

/** The union of type sets; imported bindings count by their kind (the provider binding adds none). */
export function unionOfTypes(...sets: Array<TypeSet | ImportedType[]>): TypeSet {
  const resources = new Set<string>();
  const dataSources = new Set<string>();
  for (const set of sets) {
    if (Array.isArray(set)) {
      for (const imported of set) {
        if (imported.kind === 'resource') resources.add(imported.type);
        else if (imported.kind === 'data') dataSources.add(imported.type);
      }
    } else {
      set.resources.forEach((type) => resources.add(type));
      set.dataSources.forEach((type) => dataSources.add(type));
    }
  }
  return { resources: [...resources].sort(), dataSources: [...dataSources].sort() };
}

/** The `src/` directory of this checkout. */
export const SOURCE_DIR = dirname(__dirname);

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

// `npm run schema:refresh [-- --from <schema.json[.gz]>] [--dir cdktf.out] [--out <file>]`: regenerates
// the committed trimmed provider schema (schema/aws-provider-<version>.trimmed.json).
// Types kept: every `@cdktf/provider-aws/lib/<x>` imported under src/, every type in the synthesized
// stacks, and the short EXTRA_TYPES list of src/validate/synthesizable-types.ts.
// Full schema: --from a `terraform providers schema -json` file of the pinned provider; without it, a
// real `terraform init` + `terraform providers schema -json` in a copy of a synthesized stack without its
// backend (needs terraform on PATH and the Terraform registry, or a mirror of the provider).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { stacksFrom, type SynthesizedStack } from '../synth-output';
import { processIo, type CommandIo } from '../lib/command-io';
import { readProviderSchemaJson, type ProviderSchemaJson } from './provider-schema';
import { EXTRA_TYPES, importedTypes, pinnedProviderVersion, SOURCE_DIR, synthesizedTypes, unionOfTypes } from './synthesizable-types';
import { findTerraform } from './terraform-validate';
import { committedSchemaPath, formatSchemaJson, trimProviderSchema } from './trimmed-schema';

const USAGE = 'usage: npm run schema:refresh [-- --from <schema.json[.gz]>] [--dir cdktf.out] [--out <file>]';

/** `npm run schema:refresh` on `argv`; returns the exit code. */
export function schemaRefreshCommand(argv: string[], io: CommandIo = processIo()): number {
  let values: { from?: string; dir?: string; out?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { from: { type: 'string' }, dir: { type: 'string' }, out: { type: 'string' } } }));
  } catch (error) {
    io.error(`schema:refresh: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const version = pinnedProviderVersion();
  const out = values.out ?? committedSchemaPath(version);

  io.log(`schema:refresh: 1/4 types imported from @cdktf/provider-aws under ${relative(io.cwd, SOURCE_DIR) || '.'}`);
  const imported = importedTypes(SOURCE_DIR);
  io.log(`schema:refresh: 2/4 types in the synthesized stacks (${values.dir ?? 'synthesizing every environment'})`);
  const stacks = stacksFrom(values.dir, io);
  if (!stacks) return 1;
  const wanted = unionOfTypes(imported, synthesizedTypes(stacks), EXTRA_TYPES);

  let full: ProviderSchemaJson | undefined;
  if (values.from) {
    io.log(`schema:refresh: 3/4 reading ${values.from} (must be \`terraform providers schema -json\` of hashicorp/aws ${version})`);
    try {
      full = readProviderSchemaJson(values.from);
    } catch (error) {
      io.error(`schema:refresh: ${error instanceof SyntaxError ? `${values.from}: not JSON (${error.message})` : (error as Error).message}`);
      return 1;
    }
  } else {
    io.log(`schema:refresh: 3/4 terraform init + terraform providers schema -json (hashicorp/aws ${version} from the registry)`);
    full = schemaFromTerraform(stacks, io);
    if (!full) return 1;
  }

  io.log(`schema:refresh: 4/4 trimming to ${wanted.resources.length} resource and ${wanted.dataSources.length} data source types`);
  const { json, missing } = trimProviderSchema(full, wanted);
  const absent = [...missing.resources, ...missing.dataSources.map((type) => `data.${type}`)];
  if (absent.length) {
    io.error(`schema:refresh: not in the full schema: ${absent.join(', ')} (a typo in EXTRA_TYPES, or a schema of another provider release than ${version})`);
    io.error(`schema:refresh: FAILED, ${relative(io.cwd, out)} unchanged`);
    return 1;
  }
  const text = formatSchemaJson(json);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  const providerBlock = Object.values(json.provider_schemas ?? {}).some((provider) => provider.provider);
  io.log(
    `schema:refresh: wrote ${relative(io.cwd, out)}: ${wanted.resources.length} resource types, ${wanted.dataSources.length} data source types, ` +
      `${providerBlock ? 'with' : 'without'} the provider-configuration block (the source has ${providerBlock ? 'one' : 'none'}), ${Math.round(text.length / 1024)} KiB`,
  );
  return 0;
}

/** The full schema from a real `terraform init` in a copy of a synthesized stack's directory. */
function schemaFromTerraform(stacks: SynthesizedStack[], io: CommandIo): ProviderSchemaJson | undefined {
  const terraform = findTerraform(io.env);
  if (!terraform) {
    io.error('schema:refresh: terraform is not on PATH; install it, or pass --from <schema.json[.gz]>');
    return undefined;
  }
  const stack = stacks.find((candidate) => JSON.stringify((candidate.json.terraform as Record<string, unknown> | undefined)?.required_providers ?? {}).includes('"aws"'));
  if (!stack) {
    io.error('schema:refresh: no synthesized stack requires the aws provider');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'schema-refresh-'));
  try {
    // Without its backend: `providers schema` refuses a directory whose backend was not initialized,
    // and initializing it would need the state bucket and credentials.
    const { backend: _backend, ...settings } = (stack.json.terraform ?? {}) as Record<string, unknown>;
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify({ ...stack.json, terraform: settings }, null, 2));
    const env = { ...io.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0' };
    const init = spawnSync(terraform, ['init', '-input=false', '-no-color'], { cwd: dir, env, encoding: 'utf8' });
    if (init.status !== 0) {
      io.error(`schema:refresh: terraform init failed in a copy of ${stack.name} (the registry, or a mirror of the provider, must be reachable):\n${(init.stderr || init.stdout).trim()}`);
      return undefined;
    }
    const schema = spawnSync(terraform, ['providers', 'schema', '-json'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
    if (schema.status !== 0) {
      io.error(`schema:refresh: terraform providers schema -json failed:\n${schema.stderr.trim()}`);
      return undefined;
    }
    let json: ProviderSchemaJson;
    try {
      json = JSON.parse(schema.stdout) as ProviderSchemaJson;
    } catch {
      io.error(`schema:refresh: terraform providers schema -json printed no JSON: ${schema.stdout.slice(0, 200)}`);
      return undefined;
    }
    if (!json.provider_schemas) {
      io.error('schema:refresh: terraform providers schema -json printed no provider_schemas');
      return undefined;
    }
    return json;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
